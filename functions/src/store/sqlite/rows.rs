//! What the SQLite store's queries share: counts, positions on the waiting list, promotions,
//! the outbox's rows, and reading values back from rows.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::store::contract::{
    Counts, Mailing, MessageClaim, MessageKind, OutboxMessage, Status, StoreError, Suggestion,
    message_id,
};

pub(super) fn suggestion_of(data: &str) -> Result<Suggestion, StoreError> {
    serde_json::from_str(data).map_err(|_| StoreError::Corrupt("bad suggestion".to_owned()))
}

pub(super) fn counts_of(conn: &Connection, slug: &str) -> Result<Counts, StoreError> {
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
pub(super) fn enqueue(
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
pub(super) fn enqueue_as(
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
pub(super) fn enqueue_with(
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
pub(super) struct Person {
    pub(super) email: String,
    pub(super) name: String,
    pub(super) token: String,
}

/// Gives free seats to the first waiting people, with their promotion messages when `mailing`;
/// returns how many moved up.
pub(super) fn promote(
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

pub(super) fn position(conn: &Connection, slug: &str, seq: i64) -> Result<u32, StoreError> {
    let ahead: u32 = conn.query_row(
        "SELECT COUNT(*) FROM registrations WHERE slug = ?1 AND status = 'waitlisted' AND seq < ?2",
        params![slug, seq],
        |row| row.get(0),
    )?;
    Ok(ahead + 1)
}

pub(super) fn parse_time(value: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.to_utc())
        .map_err(|_| StoreError::Corrupt("bad registered_at".to_owned()))
}

pub(super) fn parse_status(value: &str) -> Result<Status, StoreError> {
    Status::parse(value).ok_or_else(|| StoreError::Corrupt("bad status".to_owned()))
}

/// A message may be claimed when it has not failed, is due and no live lease holds it (`:now`
/// in ms since the epoch).
pub(super) const CLAIMABLE: &str =
    "failed_at IS NULL AND next_attempt_at <= :now AND lease_until <= :now";

pub(super) const MESSAGE_COLUMNS: &str =
    "id, slug, kind, recipient, name, token, link_base, attempts, detail";

pub(super) fn claim_values(claim: &MessageClaim<'_>) -> (String, i64, i64) {
    (
        claim.claim.to_owned(),
        claim.now.timestamp_millis(),
        claim.lease_until.timestamp_millis(),
    )
}

pub(super) fn parse_kind(value: &str) -> Result<MessageKind, StoreError> {
    MessageKind::parse(value).ok_or_else(|| StoreError::Corrupt("bad message kind".to_owned()))
}

pub(super) fn message_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxMessage> {
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
