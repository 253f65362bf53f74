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

use chrono::{DateTime, Utc};

use super::contract::{
    AnnouncementClaim, AnnouncementKind, Cancelled, ClaimOutcome, Counts, EventState,
    FailedMessage, Fanout, JoinLink, Mailing, MessageClaim, NewRegistration, Observed,
    OutboxMessage, ProposeOutcome, Purged, RegisterOutcome, Registration, ScheduledClaim,
    ScheduledLink, StoreError, Suggestion, TokenInfo,
};

pub use connection::SqliteStore;

// Each operation is written with its concern: `registrations.rs`, `events.rs`, `outbox.rs`,
// `discord.rs`.
super::delegate::store_by_inherent_methods!(SqliteStore);

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
