//! The SQLite file and its one connection: the schema and its migrations, opening (WAL,
//! private file), the checkpoint thread, and running a query on the blocking pool.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};
use tokio::sync::Mutex;

use crate::store::contract::StoreError;

pub(super) const SCHEMA: &str = "
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
pub(super) const OUTBOX_SCHEMA: &str = "
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
pub(super) fn migrate(conn: &Connection) -> Result<(), StoreError> {
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
    pub(super) conn: Arc<Mutex<Connection>>,
    /// Asks the checkpoint thread to empty the write-ahead log; dropping it stops the thread.
    pub(super) checkpointer: Option<std::sync::mpsc::Sender<()>>,
}

/// How often the background thread moves the write-ahead log into the database: often, so each
/// checkpoint is small (measured: 10 ms keeps the p99 of a registration near 1 ms under load).
pub(super) const CHECKPOINT_EVERY: Duration = Duration::from_millis(10);

/// Deleted personal data stays in the write-ahead log at most about this long: truncating
/// checkpoints wait for the writer, so a burst of deletions shares one.
pub(super) const TRUNCATE_AT_MOST_EVERY: Duration = Duration::from_millis(500);

/// Log size (pages) at which a commit checkpoints by itself: only if the thread falls behind.
pub(super) const AUTOCHECKPOINT_PAGES: i64 = 10_000;

/// Checkpoints `path`'s log from its own connection and thread, so that the fsyncs of a
/// checkpoint never happen inside a request (commits in WAL mode with `synchronous=NORMAL` do not
/// fsync). A passive checkpoint does not block the writer. A message on the returned sender asks
/// for a truncating checkpoint instead: after personal data was deleted, the log's older frames
/// still hold it (`secure_delete` only overwrites the database's pages), so the log is moved into
/// the database and cut to zero bytes, retried at each tick until it succeeds. Stops when the
/// sender is dropped.
pub(super) fn spawn_checkpointer(path: &Path) -> Result<std::sync::mpsc::Sender<()>, StoreError> {
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
pub(super) fn make_private(path: &Path) -> std::io::Result<()> {
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

    pub(super) fn prepare(conn: &Connection) -> Result<(), StoreError> {
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
    pub(super) fn forget_deleted(&self) {
        if let Some(checkpointer) = &self.checkpointer {
            let _ = checkpointer.send(());
        }
    }

    /// Runs `work` with the connection on the blocking pool, one caller at a time.
    pub(super) async fn with_conn<T, F>(&self, work: F) -> Result<T, StoreError>
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
