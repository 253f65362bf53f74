//! The outbox in SQLite: messages claimed by one sender at a time, rescheduled, deleted once
//! delivered, and the messages the sync records for the people of an event.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, named_params, params};

use super::connection::*;
use super::rows::*;
use crate::store::contract::{
    FailedMessage, Fanout, Mailing, MessageClaim, OutboxMessage, StoreError,
};

impl SqliteStore {
    pub(super) async fn claim_message(
        &self,
        id: &str,
        claim: &MessageClaim<'_>,
    ) -> Result<Option<OutboxMessage>, StoreError> {
        let id = id.to_owned();
        let (holder, now, lease) = claim_values(claim);
        self.with_conn(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "UPDATE outbox SET claim = :claim, lease_until = :lease
                 WHERE id = :id AND {CLAIMABLE} RETURNING {MESSAGE_COLUMNS}"
            ))?;
            let values = named_params! {":id": id, ":claim": holder, ":now": now, ":lease": lease};
            Ok(stmt.query_row(values, message_of).optional()?)
        })
        .await
    }

    pub(super) async fn claim_due_messages(
        &self,
        claim: &MessageClaim<'_>,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let (holder, now, lease) = claim_values(claim);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_conn(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "UPDATE outbox SET claim = :claim, lease_until = :lease
                 WHERE seq IN (SELECT seq FROM outbox WHERE {CLAIMABLE} ORDER BY seq LIMIT :limit)
                 RETURNING {MESSAGE_COLUMNS}"
            ))?;
            let values =
                named_params! {":claim": holder, ":now": now, ":lease": lease, ":limit": limit};
            let messages = stmt
                .query_map(values, message_of)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(messages)
        })
        .await
    }

    pub(super) async fn delete_message(&self, id: &str, claim: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        let claim = claim.to_owned();
        let deleted = self
            .with_conn(move |conn| {
                let deleted = conn
                    .prepare_cached("DELETE FROM outbox WHERE id = ?1 AND claim = ?2")?
                    .execute(params![id, claim])?;
                Ok(deleted == 1)
            })
            .await;
        // The message held an address: it must not linger in the log either.
        if let Ok(true) = deleted {
            self.forget_deleted();
        }
        deleted
    }

    pub(super) async fn reschedule_message(
        &self,
        id: &str,
        claim: &str,
        retry_at: Option<DateTime<Utc>>,
        error: &str,
    ) -> Result<bool, StoreError> {
        let id = id.to_owned();
        let claim = claim.to_owned();
        let error = error.to_owned();
        let failed_at = retry_at
            .is_none()
            .then(|| Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true));
        let retry_at = retry_at.map_or(0, |t| t.timestamp_millis());
        self.with_conn(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?3,
                        failed_at = ?4, last_error = ?5, claim = NULL, lease_until = 0
                     WHERE id = ?1 AND claim = ?2",
                )?
                .execute(params![id, claim, retry_at, failed_at, error])?;
            Ok(changed == 1)
        })
        .await
    }

    pub(super) async fn failed_messages(
        &self,
        slug: &str,
    ) -> Result<Vec<FailedMessage>, StoreError> {
        let slug = slug.to_owned();
        self.with_conn(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT kind, recipient, attempts, last_error FROM outbox
                 WHERE slug = ?1 AND failed_at IS NOT NULL ORDER BY seq",
            )?;
            let rows = stmt
                .query_map(params![slug], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, u32>(2)?,
                        row.get::<_, Option<String>>(3)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(kind, recipient, attempts, error)| {
                    Ok(FailedMessage {
                        kind: parse_kind(&kind)?,
                        recipient,
                        attempts,
                        error: error.unwrap_or_default(),
                    })
                })
                .collect()
        })
        .await
    }

    pub(super) async fn enqueue_fanout(
        &self,
        slug: &str,
        fanout: &Fanout,
        mailing: Mailing<'_>,
    ) -> Result<u32, StoreError> {
        let slug = slug.to_owned();
        let fanout = fanout.clone();
        let link_base = mailing.link_base.to_owned();
        let now = mailing.now;
        self.with_conn(move |conn| {
            let mailing = Mailing {
                link_base: &link_base,
                now,
            };
            // Who it is for (`?2`, `?3`: the link, the revision and its time), and the mark.
            let (select, mark, value, since) = match &fanout {
                Fanout::Reminder { join_url } => (
                    "SELECT email, name, token FROM registrations
                     WHERE slug = ?1 AND status = 'registered' AND reminded = 0 ORDER BY seq",
                    "UPDATE registrations SET reminded = 1, join_sent = ?2 WHERE token = ?1",
                    join_url.clone(),
                    None,
                ),
                Fanout::JoinLink { url } => (
                    "SELECT email, name, token FROM registrations
                     WHERE slug = ?1 AND status = 'registered' AND reminded = 1
                       AND (join_sent IS NULL OR join_sent <> ?2) ORDER BY seq",
                    "UPDATE registrations SET join_sent = ?2 WHERE token = ?1",
                    Some(url.clone()),
                    None,
                ),
                Fanout::Notice {
                    revision,
                    changed_at,
                } => (
                    "SELECT email, name, token FROM registrations
                     WHERE slug = ?1 AND notified < ?2 AND registered_at < ?3 ORDER BY seq",
                    "UPDATE registrations SET notified = ?2 WHERE token = ?1",
                    Some(revision.to_string()),
                    Some(changed_at.to_rfc3339_opts(SecondsFormat::Micros, true)),
                ),
            };
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let people = {
                let mut stmt = tx.prepare_cached(select)?;
                let mut values: Vec<&dyn rusqlite::ToSql> = vec![&slug];
                if let Fanout::JoinLink { .. } | Fanout::Notice { .. } = fanout {
                    values.push(&value);
                }
                if since.is_some() {
                    values.push(&since);
                }
                stmt.query_map(values.as_slice(), |row| {
                    Ok(Person {
                        email: row.get(0)?,
                        name: row.get(1)?,
                        token: row.get(2)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?
            };
            let detail = fanout.detail();
            for person in &people {
                let id = fanout.message_id(&person.token, now);
                enqueue_with(
                    &tx,
                    &id,
                    &slug,
                    fanout.kind(),
                    person,
                    &mailing,
                    detail.as_deref(),
                )?;
                tx.prepare_cached(mark)?
                    .execute(params![person.token, value])?;
            }
            tx.commit()?;
            Ok(people.len() as u32)
        })
        .await
    }
}
