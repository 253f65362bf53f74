//! Discord's side of the SQLite store: announcements and guild scheduled events claimed
//! once, and the links proposed from Discord.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{TransactionBehavior, params};

use super::connection::*;
use super::rows::*;
use crate::store::contract::{
    AnnouncementClaim, AnnouncementKind, ClaimOutcome, ProposeOutcome, ScheduledClaim,
    ScheduledLink, StoreError, Suggestion,
};

impl SqliteStore {
    pub(super) async fn claim_announcement(
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

    pub(super) async fn mark_announcement_sent(
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

    pub(super) async fn release_announcement(
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

    pub(super) async fn claim_scheduled_event(
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

    pub(super) async fn release_scheduled_event(
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

    pub(super) async fn forget_scheduled_event(
        &self,
        slug: &str,
        claim: &str,
    ) -> Result<bool, StoreError> {
        let (slug, claim) = (slug.to_owned(), claim.to_owned());
        self.with_conn(move |conn| {
            let changed = conn
                .prepare_cached("DELETE FROM scheduled_events WHERE slug = ?1 AND claim = ?2")?
                .execute(params![slug, claim])?;
            Ok(changed == 1)
        })
        .await
    }

    pub(super) async fn scheduled_event_slugs(&self) -> Result<Vec<String>, StoreError> {
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

    pub(super) async fn propose(
        &self,
        suggestion: &Suggestion,
    ) -> Result<ProposeOutcome, StoreError> {
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

    pub(super) async fn pending_suggestions(&self) -> Result<Vec<Suggestion>, StoreError> {
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

    pub(super) async fn take_suggestions(
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
}
