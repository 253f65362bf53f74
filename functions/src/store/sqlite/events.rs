//! What the SQLite store keeps per event: its private join link, until when its personal data
//! may be kept, and what the sync last saw of it.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::connection::*;
use super::rows::*;
use crate::store::contract::{EventState, JoinLink, Observed, StoreError};

impl SqliteStore {
    pub(super) async fn set_join_url(
        &self,
        slug: &str,
        url: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (slug, url) = (slug.to_owned(), url.to_owned());
        let at = at.to_rfc3339_opts(SecondsFormat::Millis, true);
        self.with_conn(move |conn| {
            let changed = conn
                .prepare_cached(
                    "INSERT INTO join_urls (slug, url, set_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (slug) DO UPDATE SET url = excluded.url, set_at = excluded.set_at
                      WHERE join_urls.url <> excluded.url",
                )?
                .execute(params![slug, url, at])?;
            Ok(changed == 1)
        })
        .await
    }

    pub(super) async fn clear_join_url(&self, slug: &str) -> Result<bool, StoreError> {
        let slug = slug.to_owned();
        self.with_conn(move |conn| {
            let changed = conn
                .prepare_cached("DELETE FROM join_urls WHERE slug = ?1")?
                .execute(params![slug])?;
            Ok(changed == 1)
        })
        .await
    }

    pub(super) async fn join_url(&self, slug: &str) -> Result<Option<JoinLink>, StoreError> {
        let slug = slug.to_owned();
        self.with_conn(move |conn| {
            let row = conn
                .prepare_cached("SELECT url, set_at FROM join_urls WHERE slug = ?1")?
                .query_row(params![slug], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })
                .optional()?;
            row.map(|(url, set_at)| {
                Ok(JoinLink {
                    url,
                    set_at: parse_time(&set_at)?,
                })
            })
            .transpose()
        })
        .await
    }

    pub(super) async fn keep_until(
        &self,
        slug: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let slug = slug.to_owned();
        let until = until.timestamp_millis();
        self.with_conn(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE retention SET keep_until = ?2 WHERE slug = ?1 AND keep_until <> ?2",
                )?
                .execute(params![slug, until])?;
            Ok(changed > 0)
        })
        .await
    }

    pub(super) async fn observe_event(
        &self,
        slug: &str,
        state: &EventState,
        now: DateTime<Utc>,
    ) -> Result<Observed, StoreError> {
        let slug = slug.to_owned();
        let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        let (start, end, cancelled) = (time(state.start), time(state.end), state.cancelled);
        let now = now.to_rfc3339_opts(SecondsFormat::Micros, true);
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let seen: Option<(String, String, bool, u32, Option<String>)> = tx
                .prepare_cached(
                    "SELECT start_at, end_at, cancelled, revision, changed_at FROM event_states
                     WHERE slug = ?1",
                )?
                .query_row(params![slug], |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                    ))
                })
                .optional()?;
            let observed = match seen {
                None => {
                    tx.prepare_cached(
                        "INSERT INTO event_states (slug, start_at, end_at, cancelled, revision)
                         VALUES (?1, ?2, ?3, ?4, 0)",
                    )?
                    .execute(params![slug, start, end, cancelled])?;
                    Observed {
                        revision: 0,
                        changed_at: None,
                    }
                }
                Some((s, e, c, revision, changed_at))
                    if (s.as_str(), e.as_str(), c) == (start.as_str(), end.as_str(), cancelled) =>
                {
                    Observed {
                        revision,
                        changed_at: changed_at.as_deref().map(parse_time).transpose()?,
                    }
                }
                Some((_, _, _, revision, _)) => {
                    tx.prepare_cached(
                        "UPDATE event_states SET start_at = ?2, end_at = ?3, cancelled = ?4,
                            revision = ?5, changed_at = ?6
                         WHERE slug = ?1",
                    )?
                    .execute(params![
                        slug,
                        start,
                        end,
                        cancelled,
                        revision + 1,
                        now
                    ])?;
                    Observed {
                        revision: revision + 1,
                        changed_at: Some(parse_time(&now)?),
                    }
                }
            };
            tx.commit()?;
            Ok(observed)
        })
        .await
    }

    pub(super) async fn event_revision(&self, slug: &str) -> Result<u32, StoreError> {
        let slug = slug.to_owned();
        self.with_conn(move |conn| {
            let revision = conn
                .prepare_cached("SELECT revision FROM event_states WHERE slug = ?1")?
                .query_row(params![slug], |row| row.get(0))
                .optional()?;
            Ok(revision.unwrap_or(0))
        })
        .await
    }
}
