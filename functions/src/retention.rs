//! How long personal data is kept: the registrations of an event (names, addresses, Discord
//! handles, the messages about them) are deleted `RETENTION_DAYS` after it ends (RGPD: no
//! longer than the purpose needs). One rule, [`keep_until`], used when registering and by the
//! periodic [`sweep`] (the sync, and serve's background task).
//!
//! On DynamoDB the registration items also carry the table's TTL attribute at the same instant,
//! so they go even if no sweep ever runs; the sweep deletes them on time and moves that instant
//! when an event moves.

use chrono::{DateTime, TimeDelta, Utc};

use crate::manifest::{Manifest, ManifestEvent};
use crate::store::{Purged, Store, StoreError};

/// The instant after which `event`'s personal data is deleted: its end plus `days`.
pub fn keep_until(event: &ManifestEvent, days: u32) -> DateTime<Utc> {
    event.end.to_utc() + TimeDelta::days(i64::from(days))
}

/// What one [`sweep`] did (counts only: it is logged).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Events with registrations whose keep-until instant moved (the event's end changed, or
    /// `RETENTION_DAYS`).
    pub moved: usize,
    pub purged: Purged,
}

/// Brings every event's keep-until instant in line with the manifest, then deletes the personal
/// data of the events past it. Events no longer in the manifest keep the instant recorded when
/// people registered.
pub async fn sweep(
    store: &dyn Store,
    manifest: &Manifest,
    days: u32,
    now: DateTime<Utc>,
) -> Result<Swept, StoreError> {
    let mut moved = 0;
    for event in &manifest.events {
        if store
            .keep_until(&event.slug, keep_until(event, days))
            .await?
        {
            moved += 1;
        }
    }
    let purged = store.purge_expired(now).await?;
    Ok(Swept { moved, purged })
}
