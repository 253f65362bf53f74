//! The embedded store: one SQLite file in WAL mode, used by `classmates serve` and by default.
//!
//! One connection serves every request: callers queue on an async mutex, then the query runs on
//! tokio's blocking pool. Each registration or cancellation is one `BEGIN IMMEDIATE`
//! transaction, so the capacity check and the insert cannot interleave with another writer.
//!
//! Schema: one row per live registration; a cancelled registration is deleted. The waiting-list
//! order is the insertion order (`seq`), so a position is the rank among waiting rows of the
//! event.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use tokio::sync::Mutex;

use super::{
    Cancelled, Counts, NewRegistration, RegisterOutcome, Registration, Status, Store, StoreError,
    TokenInfo,
};

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
    UNIQUE (slug, email_key)
);
CREATE INDEX IF NOT EXISTS registrations_by_status ON registrations (slug, status, seq);
";

/// Registrations in a SQLite database file.
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (or creates, with its folder) the database at `path` and sets it up.
    pub async fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_owned();
        let conn = tokio::task::spawn_blocking(move || -> Result<Connection, StoreError> {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
            let conn = Connection::open(&path)?;
            Self::prepare(&conn)?;
            Ok(conn)
        })
        .await
        .map_err(|join| StoreError::Backend(join.to_string()))??;
        Ok(SqliteStore { conn: Arc::new(Mutex::new(conn)) })
    }

    /// A private in-memory database (for tests and benchmarks of the handler alone).
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_in_memory()?;
        Self::prepare(&conn)?;
        Ok(SqliteStore { conn: Arc::new(Mutex::new(conn)) })
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
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(())
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

fn count(tx: &Connection, slug: &str, status: Status) -> Result<u32, StoreError> {
    let n: u32 = tx.query_row(
        "SELECT COUNT(*) FROM registrations WHERE slug = ?1 AND status = ?2",
        params![slug, status.as_str()],
        |row| row.get(0),
    )?;
    Ok(n)
}

/// Gives free seats to the first waiting people; returns how many moved up.
fn promote(tx: &Transaction<'_>, slug: &str, capacity: Option<u32>) -> Result<u32, StoreError> {
    let room: i64 = match capacity {
        Some(capacity) => {
            let registered = count(tx, slug, Status::Registered)?;
            i64::from(capacity.saturating_sub(registered))
        }
        None => -1, // LIMIT -1: no limit
    };
    if room == 0 {
        return Ok(0);
    }
    let moved = tx.execute(
        "UPDATE registrations SET status = 'registered'
         WHERE seq IN (SELECT seq FROM registrations WHERE slug = ?1 AND status = 'waitlisted'
                       ORDER BY seq LIMIT ?2)",
        params![slug, room],
    )?;
    Ok(moved as u32)
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
    ) -> Result<RegisterOutcome, StoreError> {
        let slug = slug.to_owned();
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let exists = tx
                .query_row(
                    "SELECT 1 FROM registrations WHERE slug = ?1 AND email_key = ?2",
                    params![slug, reg.email_key],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if exists {
                return Ok(RegisterOutcome::Duplicate);
            }
            // Seats may have appeared (higher capacity in a new manifest): waiting people first.
            promote(&tx, &slug, capacity)?;
            let registered = count(&tx, &slug, Status::Registered)?;
            let waitlisted = count(&tx, &slug, Status::Waitlisted)?;
            let seat = waitlisted == 0 && capacity.is_none_or(|c| registered < c);
            let status = if seat { Status::Registered } else { Status::Waitlisted };
            tx.execute(
                "INSERT INTO registrations
                   (slug, token, name, email, email_key, discord, status, registered_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    slug,
                    reg.token,
                    reg.name,
                    reg.email,
                    reg.email_key,
                    reg.discord,
                    status.as_str(),
                    reg.registered_at.to_rfc3339_opts(SecondsFormat::Micros, true),
                ],
            )?;
            tx.commit()?;
            Ok(if seat {
                RegisterOutcome::Registered
            } else {
                RegisterOutcome::Waitlisted { position: waitlisted + 1 }
            })
        })
        .await
    }

    async fn counts(&self, slug: &str) -> Result<Counts, StoreError> {
        let slug = slug.to_owned();
        self.with_conn(move |conn| {
            let mut counts = Counts::default();
            let mut stmt = conn.prepare_cached(
                "SELECT status, COUNT(*) FROM registrations WHERE slug = ?1 GROUP BY status",
            )?;
            let mut rows = stmt.query(params![slug])?;
            while let Some(row) = rows.next()? {
                let n: u32 = row.get(1)?;
                match parse_status(&row.get::<_, String>(0)?)? {
                    Status::Registered => counts.registered = n,
                    Status::Waitlisted => counts.waitlisted = n,
                }
            }
            Ok(counts)
        })
        .await
    }

    async fn find(&self, token: &str) -> Result<Option<TokenInfo>, StoreError> {
        let token = token.to_owned();
        self.with_conn(move |conn| {
            let row = conn
                .query_row(
                    "SELECT slug, status, seq FROM registrations WHERE token = ?1",
                    params![token],
                    |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?)),
                )
                .optional()?;
            let Some((slug, status, seq)) = row else { return Ok(None) };
            let status = parse_status(&status)?;
            let position = match status {
                Status::Waitlisted => Some(position(conn, &slug, seq)?),
                Status::Registered => None,
            };
            Ok(Some(TokenInfo { slug, status, position }))
        })
        .await
    }

    async fn cancel(&self, token: &str, capacity: Option<u32>) -> Result<Option<Cancelled>, StoreError> {
        let token = token.to_owned();
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let slug: Option<String> = tx
                .query_row("DELETE FROM registrations WHERE token = ?1 RETURNING slug", params![token], |row| {
                    row.get(0)
                })
                .optional()?;
            let Some(slug) = slug else { return Ok(None) };
            let promoted = promote(&tx, &slug, capacity)?;
            tx.commit()?;
            Ok(Some(Cancelled { slug, promoted }))
        })
        .await
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
}
