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

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{
    Connection, OptionalExtension, Transaction, TransactionBehavior, named_params, params,
};
use tokio::sync::Mutex;

use super::contract::{
    AnnouncementClaim, AnnouncementKind, Cancelled, ClaimOutcome, Counts, EventState,
    FailedMessage, Fanout, JoinLink, Mailing, MessageClaim, MessageKind, NewRegistration, Observed,
    OutboxMessage, ProposeOutcome, Purged, RegisterOutcome, Registration, ScheduledClaim,
    ScheduledLink, Status, Store, StoreError, Suggestion, TokenInfo, message_id, resend_id,
};

fn suggestion_of(data: &str) -> Result<Suggestion, StoreError> {
    serde_json::from_str(data).map_err(|_| StoreError::Corrupt("bad suggestion".to_owned()))
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS registrations (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    slug          TEXT NOT NULL,
    token         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    email_key     TEXT NOT NULL,
    discord       TEXT,
    status        TEXT NOT NULL CHECK (status IN ('registered', 'waitlisted')),
    registered_at TEXT NOT NULL,
    -- What the sync told the person (Store::enqueue_fanout): reminded (0/1), the last join link
    -- sent, the last revision of the event notified.
    reminded      INTEGER NOT NULL DEFAULT 0,
    join_sent     TEXT,
    notified      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (slug, email_key)
);
CREATE INDEX IF NOT EXISTS registrations_by_status ON registrations (slug, status, seq);

-- Per-event numbers kept by triggers, so that counting never scans the registrations.
CREATE TABLE IF NOT EXISTS event_counts (
    slug       TEXT PRIMARY KEY,
    registered INTEGER NOT NULL DEFAULT 0,
    waitlisted INTEGER NOT NULL DEFAULT 0
);
CREATE TRIGGER IF NOT EXISTS registrations_insert AFTER INSERT ON registrations BEGIN
    INSERT INTO event_counts (slug) VALUES (NEW.slug) ON CONFLICT (slug) DO NOTHING;
    UPDATE event_counts
       SET registered = registered + (NEW.status = 'registered'),
           waitlisted = waitlisted + (NEW.status = 'waitlisted')
     WHERE slug = NEW.slug;
END;
CREATE TRIGGER IF NOT EXISTS registrations_delete AFTER DELETE ON registrations BEGIN
    UPDATE event_counts
       SET registered = registered - (OLD.status = 'registered'),
           waitlisted = waitlisted - (OLD.status = 'waitlisted')
     WHERE slug = OLD.slug;
END;
CREATE TRIGGER IF NOT EXISTS registrations_status AFTER UPDATE OF status ON registrations BEGIN
    UPDATE event_counts
       SET registered = registered - (OLD.status = 'registered') + (NEW.status = 'registered'),
           waitlisted = waitlisted - (OLD.status = 'waitlisted') + (NEW.status = 'waitlisted')
     WHERE slug = NEW.slug;
END;

-- Discord announcements: one row per event and kind, `pending` while a sync holds it (until
-- `lease_until`, milliseconds since the epoch), then `sent`. Rows go after `keep_until`.
CREATE TABLE IF NOT EXISTS announcements (
    slug        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'sent')),
    claim       TEXT NOT NULL,
    lease_until INTEGER NOT NULL,
    keep_until  INTEGER NOT NULL,
    sent_at     TEXT,
    PRIMARY KEY (slug, kind)
);

-- Each event's Discord guild scheduled event: held by one sync until `lease_until` (ms).
CREATE TABLE IF NOT EXISTS scheduled_events (
    slug        TEXT PRIMARY KEY,
    claim       TEXT NOT NULL,
    lease_until INTEGER NOT NULL,
    discord_id  TEXT,
    fingerprint TEXT
);

-- Links proposed from Discord, one per normalised URL; `data` is the suggestion as JSON.
CREATE TABLE IF NOT EXISTS suggestions (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    key         TEXT NOT NULL UNIQUE,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'taken')),
    data        TEXT NOT NULL,
    taken_at    TEXT
);

-- What the sync last saw of each event (times in RFC 3339 UTC): a change raises `revision`.
CREATE TABLE IF NOT EXISTS event_states (
    slug       TEXT PRIMARY KEY,
    start_at   TEXT NOT NULL,
    end_at     TEXT NOT NULL,
    cancelled  INTEGER NOT NULL,
    revision   INTEGER NOT NULL,
    changed_at TEXT
);

-- Each event's private join link (no personal data), set by its organisers.
CREATE TABLE IF NOT EXISTS join_urls (
    slug   TEXT PRIMARY KEY,
    url    TEXT NOT NULL,
    set_at TEXT NOT NULL
);

-- When a confirmation was last sent again to an address that registered a second time (ms);
-- deleted with the registration.
CREATE TABLE IF NOT EXISTS resent (
    slug      TEXT NOT NULL,
    email_key TEXT NOT NULL,
    last_at   INTEGER NOT NULL,
    PRIMARY KEY (slug, email_key)
);

-- Until when each event's personal data is kept (ms): its end plus the retention, recorded by
-- each registration, moved when the event moves; past it, everything about the event goes.
CREATE TABLE IF NOT EXISTS retention (
    slug       TEXT PRIMARY KEY,
    keep_until INTEGER NOT NULL
);
";

/// The outbox, apart so that a database made before the sync's messages can be moved to it
/// (see [`migrate`]).
const OUTBOX_SCHEMA: &str = "
-- E-mail outbox: one row per message to send, written in the transaction of the change that
-- causes it, deleted once delivered. Due from `next_attempt_at` (ms); a sender holds it until
-- `lease_until` (ms); `failed_at` set after the last attempt (kept for the organisers' list).
CREATE TABLE IF NOT EXISTS outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    slug            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('confirmation', 'promotion', 'reminder', 'join-link', 'notice')),
    recipient       TEXT NOT NULL,
    name            TEXT NOT NULL,
    token           TEXT NOT NULL,
    link_base       TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claim           TEXT,
    lease_until     INTEGER NOT NULL DEFAULT 0,
    failed_at       TEXT,
    last_error      TEXT,
    detail          TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (failed_at, next_attempt_at);
";

/// Brings a database made by an earlier version to this schema: the registrations' marks of
/// what the sync sent, and the outbox's new kinds and `detail` (its table made again, rows kept).
fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('registrations')")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    for (column, definition) in [
        ("reminded", "INTEGER NOT NULL DEFAULT 0"),
        ("join_sent", "TEXT"),
        ("notified", "INTEGER NOT NULL DEFAULT 0"),
    ] {
        if !columns.iter().any(|c| c == column) {
            conn.execute_batch(&format!(
                "ALTER TABLE registrations ADD COLUMN {column} {definition}"
            ))?;
        }
    }
    let outbox: Option<String> = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'outbox'",
            [],
            |row| row.get(0),
        )
        .optional()?;
    match outbox {
        Some(sql) if !sql.contains("detail") => conn.execute_batch(&format!(
            "BEGIN IMMEDIATE;
             ALTER TABLE outbox RENAME TO outbox_before;
             DROP INDEX IF EXISTS outbox_due;
             {OUTBOX_SCHEMA}
             INSERT INTO outbox (seq, id, slug, kind, recipient, name, token, link_base, attempts,
                                 next_attempt_at, claim, lease_until, failed_at, last_error)
             SELECT seq, id, slug, kind, recipient, name, token, link_base, attempts,
                    next_attempt_at, claim, lease_until, failed_at, last_error FROM outbox_before;
             DROP TABLE outbox_before;
             COMMIT;"
        ))?,
        Some(_) => {}
        None => conn.execute_batch(OUTBOX_SCHEMA)?,
    }
    Ok(())
}

/// Registrations in a SQLite database file.
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    /// Asks the checkpoint thread to empty the write-ahead log; dropping it stops the thread.
    checkpointer: Option<std::sync::mpsc::Sender<()>>,
}

/// How often the background thread moves the write-ahead log into the database: often, so each
/// checkpoint is small (measured: 10 ms keeps the p99 of a registration near 1 ms under load).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(10);
/// Deleted personal data stays in the write-ahead log at most about this long: truncating
/// checkpoints wait for the writer, so a burst of deletions shares one.
const TRUNCATE_AT_MOST_EVERY: Duration = Duration::from_millis(500);
/// Log size (pages) at which a commit checkpoints by itself: only if the thread falls behind.
const AUTOCHECKPOINT_PAGES: i64 = 10_000;

/// Checkpoints `path`'s log from its own connection and thread, so that the fsyncs of a
/// checkpoint never happen inside a request (commits in WAL mode with `synchronous=NORMAL` do not
/// fsync). A passive checkpoint does not block the writer. A message on the returned sender asks
/// for a truncating checkpoint instead: after personal data was deleted, the log's older frames
/// still hold it (`secure_delete` only overwrites the database's pages), so the log is moved into
/// the database and cut to zero bytes, retried at each tick until it succeeds. Stops when the
/// sender is dropped.
fn spawn_checkpointer(path: &Path) -> Result<std::sync::mpsc::Sender<()>, StoreError> {
    use std::sync::mpsc::RecvTimeoutError;
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let (requests, received) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("sqlite-checkpoint".to_owned())
        .spawn(move || {
            let mut truncate = false;
            let mut truncated = std::time::Instant::now() - TRUNCATE_AT_MOST_EVERY;
            loop {
                match received.recv_timeout(CHECKPOINT_EVERY) {
                    Ok(()) => truncate = true,
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => break,
                }
                // Many deletions in a burst (a queue of sent messages) cost one truncation.
                let now_truncating = truncate && truncated.elapsed() >= TRUNCATE_AT_MOST_EVERY;
                if now_truncating {
                    truncated = std::time::Instant::now();
                }
                let mode = if now_truncating {
                    "TRUNCATE"
                } else {
                    "PASSIVE"
                };
                // (busy, log frames, frames moved): busy = 1 when readers or a writer kept it
                // from finishing.
                let done = conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
                    row.get::<_, i64>(0)
                });
                match done {
                    Ok(0) if now_truncating => truncate = false,
                    Ok(0) => {}
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = %err, "SQLite checkpoint failed"),
                }
            }
        })?;
    Ok(requests)
}

/// Creates the database file readable and writable by its owner only (it holds names and
/// addresses), or narrows an existing one and its log files to that. SQLite gives the `-wal` and
/// `-shm` files it creates the database file's permissions.
fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)?;
        let mut files = vec![path.to_owned()];
        for suffix in ["-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            files.push(name.into());
        }
        for file in files.iter().filter(|f| f.exists()) {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

impl SqliteStore {
    /// Opens (or creates, with its folder) the database at `path` and sets it up.
    pub async fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_owned();
        let conn = tokio::task::spawn_blocking(move || -> Result<_, StoreError> {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
            make_private(&path)?;
            let conn = Connection::open(&path)?;
            Self::prepare(&conn)?;
            conn.pragma_update(None, "wal_autocheckpoint", AUTOCHECKPOINT_PAGES)?;
            let checkpointer = spawn_checkpointer(&path)?;
            Ok((conn, checkpointer))
        })
        .await
        .map_err(|join| StoreError::Backend(join.to_string()))??;
        let (conn, checkpointer) = conn;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            checkpointer: Some(checkpointer),
        })
    }

    /// A private in-memory database (for tests and benchmarks of the handler alone).
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_in_memory()?;
        Self::prepare(&conn)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            checkpointer: None,
        })
    }

    fn prepare(conn: &Connection) -> Result<(), StoreError> {
        // WAL: readers do not block the writer. NORMAL: commits survive a crash of the process;
        // only a power loss can drop the last ones.
        // (An in-memory database answers "memory" and stays so.)
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Deleted rows (cancellations) are overwritten on disk, not merely unlinked.
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        migrate(conn)?;
        Ok(())
    }

    /// After personal data was deleted: have the write-ahead log emptied, so that the deleted
    /// rows survive neither in the database file (`secure_delete` overwrites them there) nor in
    /// the log's older frames. Returns at once; the checkpoint thread does it.
    fn forget_deleted(&self) {
        if let Some(checkpointer) = &self.checkpointer {
            let _ = checkpointer.send(());
        }
    }

    /// Runs `work` with the connection on the blocking pool, one caller at a time.
    async fn with_conn<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let mut conn = self.conn.clone().lock_owned().await;
        tokio::task::spawn_blocking(move || work(&mut conn))
            .await
            .map_err(|join| StoreError::Backend(join.to_string()))?
    }
}

fn counts_of(conn: &Connection, slug: &str) -> Result<Counts, StoreError> {
    let counts = conn
        .prepare_cached("SELECT registered, waitlisted FROM event_counts WHERE slug = ?1")?
        .query_row(params![slug], |row| {
            Ok(Counts {
                registered: row.get(0)?,
                waitlisted: row.get(1)?,
            })
        })
        .optional()?;
    Ok(counts.unwrap_or_default())
}

/// Records a message for the person of `token` in the outbox, due at `mailing.now`.
fn enqueue(
    tx: &Transaction<'_>,
    slug: &str,
    kind: MessageKind,
    person: &Person,
    mailing: &Mailing<'_>,
) -> Result<(), StoreError> {
    enqueue_as(
        tx,
        &message_id(kind, &person.token),
        slug,
        kind,
        person,
        mailing,
    )
}

/// [`enqueue`] under the id `id`.
fn enqueue_as(
    tx: &Transaction<'_>,
    id: &str,
    slug: &str,
    kind: MessageKind,
    person: &Person,
    mailing: &Mailing<'_>,
) -> Result<(), StoreError> {
    enqueue_with(tx, id, slug, kind, person, mailing, None)
}

/// [`enqueue_as`] with the message's `detail`.
fn enqueue_with(
    tx: &Transaction<'_>,
    id: &str,
    slug: &str,
    kind: MessageKind,
    person: &Person,
    mailing: &Mailing<'_>,
    detail: Option<&str>,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO outbox
           (id, slug, kind, recipient, name, token, link_base, next_attempt_at, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        id,
        slug,
        kind.as_str(),
        person.email,
        person.name,
        person.token,
        mailing.link_base,
        mailing.now.timestamp_millis(),
        detail,
    ])?;
    Ok(())
}

/// Who a message goes to.
struct Person {
    email: String,
    name: String,
    token: String,
}

/// Gives free seats to the first waiting people, with their promotion messages when `mailing`;
/// returns how many moved up.
fn promote(
    tx: &Transaction<'_>,
    slug: &str,
    capacity: Option<u32>,
    mailing: Option<&Mailing<'_>>,
) -> Result<u32, StoreError> {
    let room: i64 = match capacity {
        Some(capacity) => {
            let registered = counts_of(tx, slug)?.registered;
            i64::from(capacity.saturating_sub(registered))
        }
        None => -1, // LIMIT -1: no limit
    };
    if room == 0 {
        return Ok(0);
    }
    let mut stmt = tx.prepare_cached(
        "UPDATE registrations SET status = 'registered'
         WHERE seq IN (SELECT seq FROM registrations WHERE slug = ?1 AND status = 'waitlisted'
                       ORDER BY seq LIMIT ?2)
         RETURNING email, name, token",
    )?;
    let promoted = stmt
        .query_map(params![slug, room], |row| {
            Ok(Person {
                email: row.get(0)?,
                name: row.get(1)?,
                token: row.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(mailing) = mailing {
        for person in &promoted {
            enqueue(tx, slug, MessageKind::Promotion, person, mailing)?;
        }
    }
    Ok(promoted.len() as u32)
}

fn position(conn: &Connection, slug: &str, seq: i64) -> Result<u32, StoreError> {
    let ahead: u32 = conn.query_row(
        "SELECT COUNT(*) FROM registrations WHERE slug = ?1 AND status = 'waitlisted' AND seq < ?2",
        params![slug, seq],
        |row| row.get(0),
    )?;
    Ok(ahead + 1)
}

fn parse_time(value: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.to_utc())
        .map_err(|_| StoreError::Corrupt("bad registered_at".to_owned()))
}

fn parse_status(value: &str) -> Result<Status, StoreError> {
    Status::parse(value).ok_or_else(|| StoreError::Corrupt("bad status".to_owned()))
}

#[async_trait]
impl Store for SqliteStore {
    async fn register(
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

    async fn counts(&self, slug: &str) -> Result<Counts, StoreError> {
        let slug = slug.to_owned();
        self.with_conn(move |conn| counts_of(conn, &slug)).await
    }

    async fn find(&self, token: &str) -> Result<Option<TokenInfo>, StoreError> {
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

    async fn cancel(
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

    async fn list(&self, slug: &str) -> Result<Vec<Registration>, StoreError> {
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

    async fn claim_announcement(
        &self,
        claim: &AnnouncementClaim<'_>,
    ) -> Result<ClaimOutcome, StoreError> {
        let slug = claim.slug.to_owned();
        let kind = claim.kind.as_str();
        let id = claim.claim.to_owned();
        let now = claim.now.timestamp_millis();
        let lease_until = claim.lease_until.timestamp_millis();
        let keep_until = claim.keep_until.timestamp_millis();
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.prepare_cached("DELETE FROM announcements WHERE keep_until < ?1")?
                .execute(params![now])?;
            // Insert, or take over a pending claim whose lease has ended; a sent row or a live
            // claim is left alone (0 rows changed).
            let changed = tx
                .prepare_cached(
                    "INSERT INTO announcements (slug, kind, state, claim, lease_until, keep_until)
                     VALUES (?1, ?2, 'pending', ?3, ?4, ?5)
                     ON CONFLICT (slug, kind) DO UPDATE
                        SET claim = excluded.claim, lease_until = excluded.lease_until,
                            keep_until = excluded.keep_until
                      WHERE announcements.state = 'pending' AND announcements.lease_until <= ?6",
                )?
                .execute(params![slug, kind, id, lease_until, keep_until, now])?;
            let outcome = if changed == 1 {
                ClaimOutcome::Claimed
            } else {
                let state: String = tx
                    .prepare_cached(
                        "SELECT state FROM announcements WHERE slug = ?1 AND kind = ?2",
                    )?
                    .query_row(params![slug, kind], |row| row.get(0))?;
                if state == "sent" {
                    ClaimOutcome::Sent
                } else {
                    ClaimOutcome::Held
                }
            };
            tx.commit()?;
            Ok(outcome)
        })
        .await
    }

    async fn mark_announcement_sent(
        &self,
        slug: &str,
        kind: AnnouncementKind,
        claim: &str,
        sent_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let slug = slug.to_owned();
        let claim = claim.to_owned();
        let sent_at = sent_at.to_rfc3339_opts(SecondsFormat::Secs, true);
        self.with_conn(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE announcements SET state = 'sent', sent_at = ?4
                     WHERE slug = ?1 AND kind = ?2 AND claim = ?3 AND state = 'pending'",
                )?
                .execute(params![slug, kind.as_str(), claim, sent_at])?;
            Ok(changed == 1)
        })
        .await
    }

    async fn release_announcement(
        &self,
        slug: &str,
        kind: AnnouncementKind,
        claim: &str,
    ) -> Result<bool, StoreError> {
        let slug = slug.to_owned();
        let claim = claim.to_owned();
        self.with_conn(move |conn| {
            let changed = conn
                .prepare_cached(
                    "DELETE FROM announcements
                     WHERE slug = ?1 AND kind = ?2 AND claim = ?3 AND state = 'pending'",
                )?
                .execute(params![slug, kind.as_str(), claim])?;
            Ok(changed == 1)
        })
        .await
    }

    async fn claim_scheduled_event(
        &self,
        slug: &str,
        claim: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<ScheduledClaim, StoreError> {
        let (slug, claim) = (slug.to_owned(), claim.to_owned());
        let (now, lease_until) = (now.timestamp_millis(), lease_until.timestamp_millis());
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let changed = tx
                .prepare_cached(
                    "INSERT INTO scheduled_events (slug, claim, lease_until) VALUES (?1, ?2, ?3)
                     ON CONFLICT (slug) DO UPDATE
                        SET claim = excluded.claim, lease_until = excluded.lease_until
                      WHERE scheduled_events.lease_until <= ?4",
                )?
                .execute(params![slug, claim, lease_until, now])?;
            let outcome = if changed == 1 {
                let (discord_id, fingerprint) = tx
                    .prepare_cached(
                        "SELECT discord_id, fingerprint FROM scheduled_events WHERE slug = ?1",
                    )?
                    .query_row(params![slug], |row| Ok((row.get(0)?, row.get(1)?)))?;
                ScheduledClaim::Claimed(ScheduledLink {
                    discord_id,
                    fingerprint,
                })
            } else {
                ScheduledClaim::Held
            };
            tx.commit()?;
            Ok(outcome)
        })
        .await
    }

    async fn release_scheduled_event(
        &self,
        slug: &str,
        claim: &str,
        link: &ScheduledLink,
    ) -> Result<bool, StoreError> {
        let (slug, claim, link) = (slug.to_owned(), claim.to_owned(), link.clone());
        self.with_conn(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE scheduled_events SET discord_id = ?3, fingerprint = ?4, lease_until = 0
                     WHERE slug = ?1 AND claim = ?2",
                )?
                .execute(params![slug, claim, link.discord_id, link.fingerprint])?;
            Ok(changed == 1)
        })
        .await
    }

    async fn forget_scheduled_event(&self, slug: &str, claim: &str) -> Result<bool, StoreError> {
        let (slug, claim) = (slug.to_owned(), claim.to_owned());
        self.with_conn(move |conn| {
            let changed = conn
                .prepare_cached("DELETE FROM scheduled_events WHERE slug = ?1 AND claim = ?2")?
                .execute(params![slug, claim])?;
            Ok(changed == 1)
        })
        .await
    }

    async fn scheduled_event_slugs(&self) -> Result<Vec<String>, StoreError> {
        self.with_conn(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT slug FROM scheduled_events ORDER BY slug")?;
            let slugs = stmt
                .query_map([], |row| row.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(slugs)
        })
        .await
    }

    async fn propose(&self, suggestion: &Suggestion) -> Result<ProposeOutcome, StoreError> {
        let key = suggestion.key.clone();
        let data = serde_json::to_string(suggestion)
            .map_err(|err| StoreError::Backend(err.to_string()))?;
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let stored = tx
                .prepare_cached(
                    "INSERT INTO suggestions (key, state, data) VALUES (?1, 'pending', ?2)
                     ON CONFLICT (key) DO NOTHING",
                )?
                .execute(params![key, data])?;
            let outcome = if stored == 1 {
                ProposeOutcome::Stored
            } else {
                let earlier: String = tx
                    .prepare_cached("SELECT data FROM suggestions WHERE key = ?1")?
                    .query_row(params![key], |row| row.get(0))?;
                ProposeOutcome::AlreadyProposed(Box::new(suggestion_of(&earlier)?))
            };
            tx.commit()?;
            Ok(outcome)
        })
        .await
    }

    async fn pending_suggestions(&self) -> Result<Vec<Suggestion>, StoreError> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT data FROM suggestions WHERE state = 'pending' ORDER BY seq",
            )?;
            let mut rows = stmt.query([])?;
            let mut list = Vec::new();
            while let Some(row) = rows.next()? {
                list.push(suggestion_of(&row.get::<_, String>(0)?)?);
            }
            Ok(list)
        })
        .await
    }

    async fn take_suggestions(
        &self,
        keys: &[String],
        taken_at: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let keys = keys.to_vec();
        let taken_at = taken_at.to_rfc3339_opts(SecondsFormat::Secs, true);
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut taken = 0;
            for key in &keys {
                taken += tx
                    .prepare_cached(
                        "UPDATE suggestions SET state = 'taken', taken_at = ?2
                         WHERE key = ?1 AND state = 'pending'",
                    )?
                    .execute(params![key, taken_at])? as u32;
            }
            tx.commit()?;
            Ok(taken)
        })
        .await
    }
    async fn resend_confirmation(
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

    async fn claim_message(
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

    async fn claim_due_messages(
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

    async fn delete_message(&self, id: &str, claim: &str) -> Result<bool, StoreError> {
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

    async fn reschedule_message(
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

    async fn failed_messages(&self, slug: &str) -> Result<Vec<FailedMessage>, StoreError> {
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

    async fn set_join_url(
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

    async fn clear_join_url(&self, slug: &str) -> Result<bool, StoreError> {
        let slug = slug.to_owned();
        self.with_conn(move |conn| {
            let changed = conn
                .prepare_cached("DELETE FROM join_urls WHERE slug = ?1")?
                .execute(params![slug])?;
            Ok(changed == 1)
        })
        .await
    }

    async fn join_url(&self, slug: &str) -> Result<Option<JoinLink>, StoreError> {
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

    async fn keep_until(&self, slug: &str, until: DateTime<Utc>) -> Result<bool, StoreError> {
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

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<Purged, StoreError> {
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

    async fn enqueue_fanout(
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

    async fn observe_event(
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

    async fn event_revision(&self, slug: &str) -> Result<u32, StoreError> {
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

/// A message may be claimed when it has not failed, is due and no live lease holds it (`:now`
/// in ms since the epoch).
const CLAIMABLE: &str = "failed_at IS NULL AND next_attempt_at <= :now AND lease_until <= :now";
const MESSAGE_COLUMNS: &str = "id, slug, kind, recipient, name, token, link_base, attempts, detail";

fn claim_values(claim: &MessageClaim<'_>) -> (String, i64, i64) {
    (
        claim.claim.to_owned(),
        claim.now.timestamp_millis(),
        claim.lease_until.timestamp_millis(),
    )
}

fn parse_kind(value: &str) -> Result<MessageKind, StoreError> {
    MessageKind::parse(value).ok_or_else(|| StoreError::Corrupt("bad message kind".to_owned()))
}

fn message_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxMessage> {
    let kind: String = row.get(2)?;
    Ok(OutboxMessage {
        id: row.get(0)?,
        slug: row.get(1)?,
        kind: MessageKind::parse(&kind).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                2,
                rusqlite::types::Type::Text,
                "bad message kind".into(),
            )
        })?,
        recipient: row.get(3)?,
        name: row.get(4)?,
        token: row.get(5)?,
        link_base: row.get(6)?,
        attempts: row.get(7)?,
        detail: row.get(8)?,
    })
}

#[cfg(test)]
mod tests {
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
