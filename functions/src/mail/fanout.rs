//! What the sync sends to the people of an event, recorded in the outbox for [`super::outbox`]
//! to deliver: the reminder 24 hours before the start (with the join link when there is one),
//! the join link to those already reminded when it is set or changed later (until the end),
//! and the change notice when the event moved or was cancelled (seen against what the store
//! last saw of it). Run by every sync (`POST /announcements/sync`, the scheduled event, serve's
//! background round), whether or not Discord is configured.
//!
//! # Once per person
//!
//! Each person's message is recorded with a mark on their registration in one atomic step
//! ([`Store::enqueue_fanout`]), so concurrent syncs record it once, and a sync that dies half-way
//! leaves the others to the next one. A person who registers (or moves up from the waiting list)
//! inside the 24 hours gets the reminder from the next sync, right after the confirmation. No
//! reminder is recorded once the event has started, and one still waiting in the outbox then is
//! dropped rather than sent late (see [`super::outbox`]).

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::manifest::{Manifest, ManifestEvent};
use crate::store::{EventState, Fanout, Mailing, Store, StoreError};

/// How long before the start the reminder is sent.
pub const REMINDER_BEFORE: TimeDelta = TimeDelta::hours(24);

/// What one sync recorded (no personal data).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FanoutSummary {
    /// Reminders recorded.
    pub reminders: u32,
    /// Join links recorded (set or changed after the reminder).
    pub join_links: u32,
    /// Change notices recorded.
    pub notices: u32,
    /// Events whose messages could not be recorded this time (the next sync tries again).
    pub failed: Vec<FailedFanout>,
}

/// An event the sync could not handle this time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedFanout {
    pub slug: String,
    pub error: String,
}

/// What the change notices compare.
pub fn state_of(event: &ManifestEvent) -> EventState {
    EventState {
        start: event.start.to_utc(),
        end: event.end.to_utc(),
        cancelled: event.cancelled,
    }
}

/// Whether the reminder of `event` is due at `now`: within 24 hours of the start, not after it.
pub fn reminder_due(event: &ManifestEvent, now: DateTime<Utc>) -> bool {
    let start = event.start.to_utc();
    now < start && start - now <= REMINDER_BEFORE && !event.cancelled
}

/// Records the reminders and notices due at `now` for every event of `manifest` not over yet,
/// with cancellation links under `link_base`.
pub async fn enqueue(
    store: &Arc<dyn Store>,
    manifest: &Manifest,
    now: DateTime<Utc>,
    link_base: &str,
) -> FanoutSummary {
    let mut summary = FanoutSummary::default();
    let mailing = Mailing { link_base, now };
    for event in manifest.events.iter().filter(|e| now < e.end.to_utc()) {
        if let Err(err) = enqueue_event(store, event, mailing, &mut summary).await {
            tracing::warn!(slug = %event.slug, error = %err, "messages of the event not recorded");
            summary.failed.push(FailedFanout {
                slug: event.slug.clone(),
                error: format!("store: {err}"),
            });
        }
    }
    if summary.reminders + summary.join_links + summary.notices > 0 {
        tracing::info!(
            reminders = summary.reminders,
            join_links = summary.join_links,
            notices = summary.notices,
            "sync messages recorded"
        );
    }
    summary
}

/// Records what is due for `event` alone (see [`enqueue`]).
pub async fn enqueue_event(
    store: &Arc<dyn Store>,
    event: &ManifestEvent,
    mailing: Mailing<'_>,
    summary: &mut FanoutSummary,
) -> Result<(), StoreError> {
    let observed = store
        .observe_event(&event.slug, &state_of(event), mailing.now)
        .await?;
    if let Some(changed_at) = observed.changed_at {
        let notice = Fanout::Notice {
            revision: observed.revision,
            changed_at,
        };
        summary.notices += store.enqueue_fanout(&event.slug, &notice, mailing).await?;
    }
    if event.cancelled {
        return Ok(());
    }
    let join_url = store.join_url(&event.slug).await?.map(|link| link.url);
    if reminder_due(event, mailing.now) {
        let reminder = Fanout::Reminder {
            join_url: join_url.clone(),
        };
        summary.reminders += store
            .enqueue_fanout(&event.slug, &reminder, mailing)
            .await?;
    }
    // Only to people already reminded whose last link was another: a no-op before the reminder
    // and once everyone has this one.
    if let Some(url) = join_url.filter(|_| mailing.now < event.end.to_utc()) {
        let join = Fanout::JoinLink { url };
        summary.join_links += store.enqueue_fanout(&event.slug, &join, mailing).await?;
    }
    Ok(())
}
