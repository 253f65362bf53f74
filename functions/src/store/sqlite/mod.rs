//! The embedded store: one SQLite file in WAL mode, used by `classmates serve` and by default.
//!
//! One connection serves every request: callers queue on an async mutex, then the query runs on
//! tokio's blocking pool. Each registration or cancellation is one `BEGIN IMMEDIATE`
//! transaction, so the capacity check and the insert cannot interleave with another writer.
//!
//! A background thread with its own connection checkpoints the write-ahead log, so requests
//! never wait for a checkpoint's fsyncs.
//!
//! Schema: one row per live registration; a cancelled registration is deleted; one row per
//! Discord announcement claimed or sent (see [`super::contract::AnnouncementKind`]). The
//! waiting-list order is the insertion order (`seq`), so a position is the rank among waiting
//! rows of the event.

mod connection;
mod discord;
mod events;
mod outbox;
mod registrations;
mod rows;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::contract::{
    AnnouncementClaim, AnnouncementKind, Cancelled, ClaimOutcome, Counts, EventState,
    FailedMessage, Fanout, JoinLink, Mailing, MessageClaim, NewRegistration, Observed,
    OutboxMessage, ProposeOutcome, Purged, RegisterOutcome, Registration, ScheduledClaim,
    ScheduledLink, Store, StoreError, Suggestion, TokenInfo,
};

pub use connection::SqliteStore;

/// Each method is written with its concern: `registrations.rs`, `events.rs`, `outbox.rs`,
/// `discord.rs`.
#[async_trait]
impl Store for SqliteStore {
    async fn register(
        &self,
        slug: &str,
        capacity: Option<u32>,
        reg: NewRegistration,
        mailing: Option<Mailing<'_>>,
    ) -> Result<RegisterOutcome, StoreError> {
        SqliteStore::register(self, slug, capacity, reg, mailing).await
    }

    async fn counts(&self, slug: &str) -> Result<Counts, StoreError> {
        SqliteStore::counts(self, slug).await
    }

    async fn find(&self, token: &str) -> Result<Option<TokenInfo>, StoreError> {
        SqliteStore::find(self, token).await
    }

    async fn cancel(
        &self,
        token: &str,
        capacity: Option<u32>,
        mailing: Option<Mailing<'_>>,
    ) -> Result<Option<Cancelled>, StoreError> {
        SqliteStore::cancel(self, token, capacity, mailing).await
    }

    async fn list(&self, slug: &str) -> Result<Vec<Registration>, StoreError> {
        SqliteStore::list(self, slug).await
    }

    async fn claim_announcement(
        &self,
        claim: &AnnouncementClaim<'_>,
    ) -> Result<ClaimOutcome, StoreError> {
        SqliteStore::claim_announcement(self, claim).await
    }

    async fn mark_announcement_sent(
        &self,
        slug: &str,
        kind: AnnouncementKind,
        claim: &str,
        sent_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        SqliteStore::mark_announcement_sent(self, slug, kind, claim, sent_at).await
    }

    async fn release_announcement(
        &self,
        slug: &str,
        kind: AnnouncementKind,
        claim: &str,
    ) -> Result<bool, StoreError> {
        SqliteStore::release_announcement(self, slug, kind, claim).await
    }

    async fn claim_scheduled_event(
        &self,
        slug: &str,
        claim: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<ScheduledClaim, StoreError> {
        SqliteStore::claim_scheduled_event(self, slug, claim, now, lease_until).await
    }

    async fn release_scheduled_event(
        &self,
        slug: &str,
        claim: &str,
        link: &ScheduledLink,
    ) -> Result<bool, StoreError> {
        SqliteStore::release_scheduled_event(self, slug, claim, link).await
    }

    async fn forget_scheduled_event(&self, slug: &str, claim: &str) -> Result<bool, StoreError> {
        SqliteStore::forget_scheduled_event(self, slug, claim).await
    }

    async fn scheduled_event_slugs(&self) -> Result<Vec<String>, StoreError> {
        SqliteStore::scheduled_event_slugs(self).await
    }

    async fn propose(&self, suggestion: &Suggestion) -> Result<ProposeOutcome, StoreError> {
        SqliteStore::propose(self, suggestion).await
    }

    async fn pending_suggestions(&self) -> Result<Vec<Suggestion>, StoreError> {
        SqliteStore::pending_suggestions(self).await
    }

    async fn take_suggestions(
        &self,
        keys: &[String],
        taken_at: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        SqliteStore::take_suggestions(self, keys, taken_at).await
    }

    async fn resend_confirmation(
        &self,
        slug: &str,
        email_key: &str,
        mailing: Mailing<'_>,
        not_since: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        SqliteStore::resend_confirmation(self, slug, email_key, mailing, not_since).await
    }

    async fn claim_message(
        &self,
        id: &str,
        claim: &MessageClaim<'_>,
    ) -> Result<Option<OutboxMessage>, StoreError> {
        SqliteStore::claim_message(self, id, claim).await
    }

    async fn claim_due_messages(
        &self,
        claim: &MessageClaim<'_>,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        SqliteStore::claim_due_messages(self, claim, limit).await
    }

    async fn delete_message(&self, id: &str, claim: &str) -> Result<bool, StoreError> {
        SqliteStore::delete_message(self, id, claim).await
    }

    async fn reschedule_message(
        &self,
        id: &str,
        claim: &str,
        retry_at: Option<DateTime<Utc>>,
        error: &str,
    ) -> Result<bool, StoreError> {
        SqliteStore::reschedule_message(self, id, claim, retry_at, error).await
    }

    async fn failed_messages(&self, slug: &str) -> Result<Vec<FailedMessage>, StoreError> {
        SqliteStore::failed_messages(self, slug).await
    }

    async fn set_join_url(
        &self,
        slug: &str,
        url: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        SqliteStore::set_join_url(self, slug, url, at).await
    }

    async fn clear_join_url(&self, slug: &str) -> Result<bool, StoreError> {
        SqliteStore::clear_join_url(self, slug).await
    }

    async fn join_url(&self, slug: &str) -> Result<Option<JoinLink>, StoreError> {
        SqliteStore::join_url(self, slug).await
    }

    async fn keep_until(&self, slug: &str, until: DateTime<Utc>) -> Result<bool, StoreError> {
        SqliteStore::keep_until(self, slug, until).await
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<Purged, StoreError> {
        SqliteStore::purge_expired(self, now).await
    }

    async fn enqueue_fanout(
        &self,
        slug: &str,
        fanout: &Fanout,
        mailing: Mailing<'_>,
    ) -> Result<u32, StoreError> {
        SqliteStore::enqueue_fanout(self, slug, fanout, mailing).await
    }

    async fn observe_event(
        &self,
        slug: &str,
        state: &EventState,
        now: DateTime<Utc>,
    ) -> Result<Observed, StoreError> {
        SqliteStore::observe_event(self, slug, state, now).await
    }

    async fn event_revision(&self, slug: &str) -> Result<u32, StoreError> {
        SqliteStore::event_revision(self, slug).await
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, params};

    use super::*;

    fn registration(i: u32) -> NewRegistration {
        NewRegistration {
            token: format!("token-{i:020}"),
            name: format!("P{i}"),
            email: format!("p{i}@example.org"),
            email_key: format!("p{i}@example.org"),
            discord: None,
            registered_at: Utc::now(),
            keep_until: Utc::now() + chrono::TimeDelta::days(30),
        }
    }

    /// The trigger-kept numbers always equal a real count.
    #[tokio::test]
    async fn counts_follow_every_change() {
        let store = SqliteStore::in_memory().unwrap();
        for i in 0..12 {
            store
                .register("e", Some(4), registration(i), None)
                .await
                .unwrap();
        }
        for i in [0, 5, 7, 1] {
            store
                .cancel(&format!("token-{i:020}"), Some(4), None)
                .await
                .unwrap()
                .unwrap();
        }
        store
            .register("e", Some(6), registration(20), None)
            .await
            .unwrap();
        let counted = store
            .with_conn(|conn| {
                let count = |status: &str| -> Result<u32, StoreError> {
                    Ok(conn.query_row(
                        "SELECT COUNT(*) FROM registrations WHERE slug = 'e' AND status = ?1",
                        params![status],
                        |row| row.get(0),
                    )?)
                };
                Ok(Counts {
                    registered: count("registered")?,
                    waitlisted: count("waitlisted")?,
                })
            })
            .await
            .unwrap();
        assert_eq!(
            counted,
            Counts {
                registered: 6,
                waitlisted: 3
            }
        );
        assert_eq!(store.counts("e").await.unwrap(), counted);
        assert_eq!(store.counts("other").await.unwrap(), Counts::default());
    }

    /// A database made before the sync's messages is moved to this schema, its rows kept.
    #[tokio::test]
    async fn an_older_database_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE registrations (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT, slug TEXT NOT NULL,
                    token TEXT NOT NULL UNIQUE, name TEXT NOT NULL, email TEXT NOT NULL,
                    email_key TEXT NOT NULL, discord TEXT,
                    status TEXT NOT NULL CHECK (status IN ('registered', 'waitlisted')),
                    registered_at TEXT NOT NULL, UNIQUE (slug, email_key));
                 CREATE TABLE outbox (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
                    slug TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('confirmation', 'promotion')),
                    recipient TEXT NOT NULL, name TEXT NOT NULL, token TEXT NOT NULL,
                    link_base TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL, claim TEXT,
                    lease_until INTEGER NOT NULL DEFAULT 0, failed_at TEXT, last_error TEXT);
                 INSERT INTO registrations (slug, token, name, email, email_key, status, registered_at)
                    VALUES ('e', 'token-1', 'Ada', 'ada@example.org', 'ada@example.org',
                            'registered', '2026-11-20T12:00:00.000000Z');
                 INSERT INTO outbox (id, slug, kind, recipient, name, token, link_base, next_attempt_at)
                    VALUES ('confirmation-token-1', 'e', 'confirmation', 'ada@example.org', 'Ada',
                            'token-1', '/api', 0);",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).await.unwrap();
        let now = Utc::now();
        let claim = MessageClaim {
            claim: "c",
            now,
            lease_until: now,
        };
        let kept = store.claim_due_messages(&claim, 10).await.unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].id, "confirmation-token-1");
        let mailing = Mailing {
            link_base: "/api",
            now,
        };
        let reminder = Fanout::Reminder { join_url: None };
        assert_eq!(
            store.enqueue_fanout("e", &reminder, mailing).await.unwrap(),
            1
        );
        assert_eq!(
            store.enqueue_fanout("e", &reminder, mailing).await.unwrap(),
            0
        );
        // Opening it again changes nothing.
        drop(store);
        let store = SqliteStore::open(&path).await.unwrap();
        assert_eq!(
            store.enqueue_fanout("e", &reminder, mailing).await.unwrap(),
            0
        );
    }
}
