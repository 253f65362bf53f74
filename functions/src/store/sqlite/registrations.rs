//! Registrations in SQLite: register, find, cancel (with the promotion of the first person
//! waiting), list, the confirmation sent again, and the purge of expired personal data.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::connection::*;
use super::rows::*;
use crate::store::contract::{
    Cancelled, Counts, Mailing, MessageKind, NewRegistration, Purged, RegisterOutcome,
    Registration, Status, StoreError, TokenInfo, resend_id,
};

impl SqliteStore {
    pub(super) async fn register(
        &self,
        slug: &str,
        capacity: Option<u32>,
        reg: NewRegistration,
        mailing: Option<Mailing<'_>>,
    ) -> Result<RegisterOutcome, StoreError> {
        let slug = slug.to_owned();
        let link_base = mailing.map(|m| (m.link_base.to_owned(), m.now));
        self.with_conn(move |conn| {
            let mailing = link_base.as_ref().map(|(link_base, now)| Mailing {
                link_base,
                now: *now,
            });
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let exists = tx
                .prepare_cached("SELECT 1 FROM registrations WHERE slug = ?1 AND email_key = ?2")?
                .query_row(params![slug, reg.email_key], |_| Ok(()))
                .optional()?
                .is_some();
            if exists {
                return Ok(RegisterOutcome::Duplicate);
            }
            // Seats may have appeared (higher capacity in a new manifest): waiting people first.
            promote(&tx, &slug, capacity, mailing.as_ref())?;
            let Counts {
                registered,
                waitlisted,
            } = counts_of(&tx, &slug)?;
            let seat = waitlisted == 0 && capacity.is_none_or(|c| registered < c);
            let status = if seat {
                Status::Registered
            } else {
                Status::Waitlisted
            };
            tx.prepare_cached(
                "INSERT INTO registrations
                   (slug, token, name, email, email_key, discord, status, registered_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                slug,
                reg.token,
                reg.name,
                reg.email,
                reg.email_key,
                reg.discord,
                status.as_str(),
                reg.registered_at
                    .to_rfc3339_opts(SecondsFormat::Micros, true),
            ])?;
            tx.prepare_cached(
                "INSERT INTO retention (slug, keep_until) VALUES (?1, ?2)
                 ON CONFLICT (slug) DO UPDATE SET keep_until = excluded.keep_until",
            )?
            .execute(params![slug, reg.keep_until.timestamp_millis()])?;
            if let Some(mailing) = &mailing {
                let person = Person {
                    email: reg.email,
                    name: reg.name,
                    token: reg.token,
                };
                enqueue(&tx, &slug, MessageKind::Confirmation, &person, mailing)?;
            }
            tx.commit()?;
            Ok(if seat {
                RegisterOutcome::Registered
            } else {
                RegisterOutcome::Waitlisted {
                    position: waitlisted + 1,
                }
            })
        })
        .await
    }

    pub(super) async fn counts(&self, slug: &str) -> Result<Counts, StoreError> {
        let slug = slug.to_owned();
        self.with_conn(move |conn| counts_of(conn, &slug)).await
    }

    pub(super) async fn find(&self, token: &str) -> Result<Option<TokenInfo>, StoreError> {
        let token = token.to_owned();
        self.with_conn(move |conn| {
            let row = conn
                .query_row(
                    "SELECT slug, status, seq FROM registrations WHERE token = ?1",
                    params![token],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, i64>(2)?,
                        ))
                    },
                )
                .optional()?;
            let Some((slug, status, seq)) = row else {
                return Ok(None);
            };
            let status = parse_status(&status)?;
            let position = match status {
                Status::Waitlisted => Some(position(conn, &slug, seq)?),
                Status::Registered => None,
            };
            Ok(Some(TokenInfo {
                slug,
                status,
                position,
            }))
        })
        .await
    }

    pub(super) async fn cancel(
        &self,
        token: &str,
        capacity: Option<u32>,
        mailing: Option<Mailing<'_>>,
    ) -> Result<Option<Cancelled>, StoreError> {
        let token = token.to_owned();
        let link_base = mailing.map(|m| (m.link_base.to_owned(), m.now));
        let cancelled = self
            .with_conn(move |conn| {
                let mailing = link_base.as_ref().map(|(link_base, now)| Mailing {
                    link_base,
                    now: *now,
                });
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let deleted: Option<(String, String)> = tx
                    .query_row(
                        "DELETE FROM registrations WHERE token = ?1 RETURNING slug, email_key",
                        params![token],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()?;
                let Some((slug, email_key)) = deleted else {
                    return Ok(None);
                };
                tx.prepare_cached("DELETE FROM resent WHERE slug = ?1 AND email_key = ?2")?
                    .execute(params![slug, email_key])?;
                // A message not yet sent to the person who leaves is no longer wanted.
                tx.prepare_cached("DELETE FROM outbox WHERE token = ?1")?
                    .execute(params![token])?;
                let promoted = promote(&tx, &slug, capacity, mailing.as_ref())?;
                tx.commit()?;
                Ok(Some(Cancelled { slug, promoted }))
            })
            .await;
        if let Ok(Some(_)) = &cancelled {
            self.forget_deleted();
        }
        cancelled
    }

    pub(super) async fn list(&self, slug: &str) -> Result<Vec<Registration>, StoreError> {
        let slug = slug.to_owned();
        self.with_conn(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT name, discord, email, status, registered_at FROM registrations
                 WHERE slug = ?1 ORDER BY status = 'waitlisted', seq",
            )?;
            let mut rows = stmt.query(params![slug])?;
            let mut list = Vec::new();
            let mut waiting = 0;
            while let Some(row) = rows.next()? {
                let status = parse_status(&row.get::<_, String>(3)?)?;
                let position = match status {
                    Status::Waitlisted => {
                        waiting += 1;
                        Some(waiting)
                    }
                    Status::Registered => None,
                };
                list.push(Registration {
                    name: row.get(0)?,
                    discord: row.get(1)?,
                    email: row.get(2)?,
                    status,
                    position,
                    registered_at: parse_time(&row.get::<_, String>(4)?)?,
                });
            }
            Ok(list)
        })
        .await
    }

    pub(super) async fn resend_confirmation(
        &self,
        slug: &str,
        email_key: &str,
        mailing: Mailing<'_>,
        not_since: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let slug = slug.to_owned();
        let email_key = email_key.to_owned();
        let link_base = mailing.link_base.to_owned();
        let now = mailing.now;
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let person = tx
                .prepare_cached(
                    "SELECT email, name, token FROM registrations WHERE slug = ?1 AND email_key = ?2",
                )?
                .query_row(params![slug, email_key], |row| {
                    Ok(Person {
                        email: row.get(0)?,
                        name: row.get(1)?,
                        token: row.get(2)?,
                    })
                })
                .optional()?;
            let Some(person) = person else {
                return Ok(None);
            };
            let recorded = tx
                .prepare_cached(
                    "INSERT INTO resent (slug, email_key, last_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (slug, email_key) DO UPDATE SET last_at = excluded.last_at
                      WHERE resent.last_at <= ?4",
                )?
                .execute(params![
                    slug,
                    email_key,
                    now.timestamp_millis(),
                    not_since.timestamp_millis()
                ])?;
            if recorded == 0 {
                return Ok(None);
            }
            let id = resend_id(&person.token, now);
            let mailing = Mailing {
                link_base: &link_base,
                now,
            };
            enqueue_as(&tx, &id, &slug, MessageKind::Confirmation, &person, &mailing)?;
            tx.commit()?;
            Ok(Some(id))
        })
        .await
    }

    pub(super) async fn purge_expired(&self, now: DateTime<Utc>) -> Result<Purged, StoreError> {
        let now = now.timestamp_millis();
        let purged = self
            .with_conn(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let slugs: Vec<String> = tx
                    .prepare_cached("SELECT slug FROM retention WHERE keep_until < ?1")?
                    .query_map(params![now], |row| row.get(0))?
                    .collect::<Result<_, _>>()?;
                let mut purged = Purged::default();
                for slug in &slugs {
                    purged.registrations += tx
                        .prepare_cached("DELETE FROM registrations WHERE slug = ?1")?
                        .execute(params![slug])?;
                    for table in ["outbox", "resent", "event_counts", "retention"] {
                        tx.execute(
                            &format!("DELETE FROM {table} WHERE slug = ?1"),
                            params![slug],
                        )?;
                    }
                }
                purged.events = slugs.len();
                tx.commit()?;
                Ok(purged)
            })
            .await?;
        if purged.events > 0 {
            self.forget_deleted();
        }
        Ok(purged)
    }
}
