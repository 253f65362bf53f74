//! Discord announcements of the events (`POST /announcements/sync`, run every 15 minutes by a
//! scheduled workflow): each upcoming event is announced once, then reminded 24 hours and one
//! hour before it starts, with the current number of registrations.
//!
//! # Exactly once
//!
//! Each message (event × [`AnnouncementKind`]) is claimed in the store before it is sent, with a
//! conditional write that only one sync can win, then marked sent; so two syncs running at the
//! same moment never send it twice. A failed send releases the claim: the next sync tries again.
//! A claim carries a lease ([`LEASE`], far longer than a send can take): if the sync dies between
//! claiming and marking (crash, timeout), the claim is taken over once the lease ends, so the
//! message is delayed, never lost. (Only a death after Discord stored the message but before it
//! was marked sent can then repeat it.)
//!
//! # One message per event and sync
//!
//! The kinds due for an event are tried in order: announcement, then the one-hour reminder, then
//! the 24-hour one. The first one claimed is sent; the later ones that are also due are claimed
//! with it and marked sent with it, as covered by that message: an event published ten hours
//! before it starts gets its announcement, no 24-hour reminder right after. A kind held by
//! another sync stops the walk, so two syncs never send two messages about one event at once.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::clock::Clock;
use crate::discord::{
    Button, DiscordClient, Embed, EmbedField, EmbedFooter, WebhookMessage, escape_markdown,
};
use crate::manifest::{Manifest, ManifestEvent};
use crate::store::{AnnouncementClaim, AnnouncementKind, ClaimOutcome, Counts, Store};
use crate::token;

pub use crate::discord::CLAIM_LEASE as LEASE;
/// Real time after which a sync starts no new event (the rest waits for the next sync), so that
/// it ends well within the function's timeout even when Discord hangs: a sync killed mid-way
/// would leave claims held until their lease ends.
pub const SYNC_BUDGET: std::time::Duration = std::time::Duration::from_secs(20);
/// How long announcement records are kept after the event ends.
pub const KEEP_AFTER_EVENT: TimeDelta = TimeDelta::days(30);
/// Python blue, for announcements.
const COLOR_ANNOUNCE: u32 = 0x3776AB;
/// Python yellow, for reminders.
const COLOR_REMINDER: u32 = 0xFFD43B;
/// Red: a cancellation.
const COLOR_CANCELLED: u32 = 0xA4000F;

/// A reminder that was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentReminder {
    pub slug: String,
    pub kind: AnnouncementKind,
}

/// A message that could not be sent this time; the next sync tries again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedAnnouncement {
    pub slug: String,
    pub kind: AnnouncementKind,
    pub error: String,
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncSummary {
    /// Events announced.
    pub announced: Vec<String>,
    /// Reminders sent.
    pub reminders: Vec<SentReminder>,
    pub failed: Vec<FailedAnnouncement>,
    /// Events whose cancellation was posted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cancelled: Vec<String>,
    /// The Events tab, when the bot and the guild are configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_events: Option<crate::scheduled_events::ScheduledSummary>,
}

/// The kinds due for `event` at `now`, in the order they are tried.
pub fn due_kinds(event: &ManifestEvent, now: DateTime<Utc>) -> Vec<AnnouncementKind> {
    let start = event.start.to_utc();
    if now >= start {
        return Vec::new();
    }
    if event.cancelled {
        // One message saying so; an announcement not yet made is covered by it, never made.
        return vec![AnnouncementKind::Cancelled, AnnouncementKind::Announce];
    }
    let left = start - now;
    let mut kinds = vec![AnnouncementKind::Announce];
    if left <= TimeDelta::hours(1) {
        kinds.push(AnnouncementKind::Reminder1h);
    }
    if left <= TimeDelta::hours(24) {
        kinds.push(AnnouncementKind::Reminder24h);
    }
    kinds
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n > 1 { many } else { one })
}

/// The "Places" line: how many are registered and what is left, at `now`.
pub fn places_text(event: &ManifestEvent, counts: Counts, now: DateTime<Utc>) -> String {
    let registered = plural(counts.registered, "inscrit·e", "inscrit·e·s");
    if event.cancelled {
        return "Événement annulé : les inscrit·e·s sont prévenu·e·s par e-mail".to_owned();
    }
    if !event.registration {
        return "Entrée libre, sans inscription".to_owned();
    }
    if !event.registration_open_at(now) {
        return format!("Inscriptions closes ({registered})");
    }
    match event.capacity {
        None => format!("{registered}, places illimitées"),
        Some(capacity) => {
            let left = capacity.saturating_sub(counts.registered);
            if left > 0 {
                format!(
                    "{} sur {capacity} ({registered})",
                    plural(left, "place restante", "places restantes")
                )
            } else {
                let waiting = plural(counts.waitlisted, "personne", "personnes");
                format!(
                    "Complet ({registered}) : inscrivez-vous sur la liste d’attente ({waiting} en attente)"
                )
            }
        }
    }
}

/// How a message offers to register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterButton {
    /// « S'inscrire » opening the registration form in Discord (messages of the app's bot).
    Form,
    /// A link button to the event page's form (webhooks no application owns).
    Link,
}

/// The message for `kind` about `event`; while registrations are open, with a « S'inscrire »
/// button of kind `button`.
pub fn message(
    event: &ManifestEvent,
    kind: AnnouncementKind,
    counts: Counts,
    now: DateTime<Utc>,
    button: RegisterButton,
) -> WebhookMessage {
    let title = escape_markdown(&event.title);
    let (content, color) = match kind {
        AnnouncementKind::Announce => (format!("📣 Nouvel événement : {title}"), COLOR_ANNOUNCE),
        AnnouncementKind::Reminder24h => (
            format!("⏰ Rappel : « {title} » commence dans moins de 24 heures."),
            COLOR_REMINDER,
        ),
        AnnouncementKind::Reminder1h => (
            format!("⏰ C’est bientôt : « {title} » commence dans moins d’une heure !"),
            COLOR_REMINDER,
        ),
        AnnouncementKind::Cancelled => (
            format!("❌ Annulé : « {title} » n’aura pas lieu."),
            COLOR_CANCELLED,
        ),
    };
    let field = |name: &str, value: String| EmbedField {
        name: name.to_owned(),
        value,
        inline: false,
    };
    let mut fields = vec![field("📅 Date", event.when.clone())];
    if !event.speakers.is_empty() {
        fields.push(field("🎤 Intervenant·e·s", event.speakers.join(", ")));
    }
    if let Some(location) = event.location.as_ref().filter(|l| !l.trim().is_empty()) {
        fields.push(field("📍 Lieu", location.clone()));
    }
    fields.push(field("🎟️ Places", places_text(event, counts, now)));
    if event.registration_open_at(now) {
        let base = event.url.split('#').next().unwrap_or(&event.url);
        fields.push(field(
            "✍️ Inscription",
            format!("[S’inscrire sur le site]({base}#inscription)"),
        ));
    }
    let page = event.url.split('#').next().unwrap_or(&event.url);
    let buttons: Vec<Button> = if event.registration_open_at(now) {
        match button {
            RegisterButton::Form => [
                Button::interactive(
                    "S’inscrire",
                    crate::interactions::ids::custom_id(&event.slug),
                ),
                Button::link("Page de l’événement", page),
            ]
            .into_iter()
            .flatten()
            .collect(),
            RegisterButton::Link => {
                Button::link("S’inscrire sur le site", &format!("{page}#inscription"))
                    .into_iter()
                    .collect()
            }
        }
    } else {
        Vec::new()
    };
    let url = event.url.starts_with("https://") || event.url.starts_with("http://");
    let embed = Embed {
        title: Some(event.title.clone()),
        url: url.then(|| event.url.clone()),
        description: Some(event.summary.clone()).filter(|s| !s.trim().is_empty()),
        color: Some(color),
        timestamp: Some(event.start.to_rfc3339()),
        author: None,
        fields,
        footer: Some(EmbedFooter {
            text: "PythonClassmates".to_owned(),
        }),
    };
    WebhookMessage::new(Some(content), vec![embed]).with_buttons(buttons)
}

/// What became of one event in a sync.
enum EventOutcome {
    Nothing,
    Sent(AnnouncementKind),
    Failed(AnnouncementKind, String),
}

/// Announces and reminds what is due at the clock's time. Never fails as a whole: each event's
/// problem is reported in [`SyncSummary::failed`].
pub async fn sync(
    store: &Arc<dyn Store>,
    discord: &DiscordClient,
    manifest: &Manifest,
    clock: &Clock,
) -> SyncSummary {
    let mut summary = SyncSummary::default();
    let started = std::time::Instant::now();
    for event in &manifest.events {
        let due = due_kinds(event, clock());
        if due.is_empty() {
            continue;
        }
        if started.elapsed() > SYNC_BUDGET {
            summary.failed.push(FailedAnnouncement {
                slug: event.slug.clone(),
                kind: due[0],
                error: "not tried: the sync ran out of time, the next one will".to_owned(),
            });
            continue;
        }
        match sync_event(store, discord, event, &due, clock).await {
            EventOutcome::Nothing => {}
            EventOutcome::Sent(AnnouncementKind::Announce) => {
                summary.announced.push(event.slug.clone())
            }
            EventOutcome::Sent(AnnouncementKind::Cancelled) => {
                summary.cancelled.push(event.slug.clone())
            }
            EventOutcome::Sent(kind) => summary.reminders.push(SentReminder {
                slug: event.slug.clone(),
                kind,
            }),
            EventOutcome::Failed(kind, error) => {
                tracing::warn!(slug = %event.slug, kind = kind.as_str(), %error, "announcement not sent");
                summary.failed.push(FailedAnnouncement {
                    slug: event.slug.clone(),
                    kind,
                    error,
                })
            }
        }
    }
    summary
}

async fn sync_event(
    store: &Arc<dyn Store>,
    discord: &DiscordClient,
    event: &ManifestEvent,
    due: &[AnnouncementKind],
    clock: &Clock,
) -> EventOutcome {
    let claim_id = match token::generate() {
        Ok(id) => id,
        Err(err) => return EventOutcome::Failed(due[0], format!("no randomness: {err}")),
    };
    let keep_until = event.end.to_utc() + KEEP_AFTER_EVENT;
    // Claimed kinds: the first is the message to send, the others are covered by it.
    let mut claimed: Vec<AnnouncementKind> = Vec::new();
    let mut failure = None;
    for &kind in due {
        let now = clock();
        let claim = AnnouncementClaim {
            slug: &event.slug,
            kind,
            claim: &claim_id,
            now,
            lease_until: now + LEASE,
            keep_until,
        };
        match store.claim_announcement(&claim).await {
            Ok(ClaimOutcome::Claimed) => claimed.push(kind),
            Ok(ClaimOutcome::Sent) => {}
            // Another sync is on this event: it sends what is due.
            Ok(ClaimOutcome::Held) if claimed.is_empty() => return EventOutcome::Nothing,
            Ok(ClaimOutcome::Held) => {}
            Err(err) => {
                failure = Some((kind, format!("store: {err}")));
                break;
            }
        }
    }
    let Some(&primary) = claimed.first() else {
        return match failure {
            Some((kind, error)) => EventOutcome::Failed(kind, error),
            None => EventOutcome::Nothing,
        };
    };
    let result = match failure {
        Some((_, error)) => Err(error),
        None => match store.counts(&event.slug).await {
            Err(err) => Err(format!("store: {err}")),
            Ok(counts) => {
                let button = if discord.posts_as_app() {
                    RegisterButton::Form
                } else {
                    RegisterButton::Link
                };
                discord
                    .execute(&message(event, primary, counts, clock(), button))
                    .await
            }
            .map_err(|err| err.to_string()),
        },
    };
    match result {
        Ok(()) => {
            let sent_at = clock();
            for &kind in &claimed {
                match store
                    .mark_announcement_sent(&event.slug, kind, &claim_id, sent_at)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(slug = %event.slug, kind = kind.as_str(), "claim lost before it was marked sent")
                    }
                    // The lease will end and the message be sent again: nothing better to do.
                    Err(err) => {
                        tracing::error!(slug = %event.slug, kind = kind.as_str(), error = %err, "sent but not recorded")
                    }
                }
            }
            EventOutcome::Sent(primary)
        }
        Err(error) => {
            for &kind in &claimed {
                if let Err(err) = store
                    .release_announcement(&event.slug, kind, &claim_id)
                    .await
                {
                    // The lease ends in a few minutes anyway.
                    tracing::warn!(slug = %event.slug, kind = kind.as_str(), error = %err, "claim not released");
                }
            }
            EventOutcome::Failed(primary, error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(start: &str) -> ManifestEvent {
        let start = DateTime::parse_from_rfc3339(start).unwrap();
        ManifestEvent {
            slug: "e".into(),
            title: "T".into(),
            url: "https://x.org/e/".into(),
            start,
            end: start + TimeDelta::hours(1),
            when: "jeudi".into(),
            capacity: Some(3),
            registration: true,
            registration_deadline: start,
            speakers: vec![],
            location: None,
            summary: String::new(),
            cancelled: false,
        }
    }

    fn at(t: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(t).unwrap().to_utc()
    }

    #[test]
    fn kinds_due_by_time_left() {
        use AnnouncementKind::*;
        let e = event("2026-12-03T19:00:00+01:00");
        assert_eq!(due_kinds(&e, at("2026-11-20T12:00:00Z")), vec![Announce]);
        assert_eq!(
            due_kinds(&e, at("2026-12-02T18:00:00Z")),
            vec![Announce, Reminder24h]
        );
        assert_eq!(
            due_kinds(&e, at("2026-12-03T17:30:00Z")),
            vec![Announce, Reminder1h, Reminder24h]
        );
        assert!(due_kinds(&e, at("2026-12-03T18:00:00Z")).is_empty());
    }

    #[test]
    fn places_in_french() {
        let e = event("2026-12-03T19:00:00+01:00");
        let now = at("2026-11-20T12:00:00Z");
        let counts = |registered, waitlisted| Counts {
            registered,
            waitlisted,
        };
        assert_eq!(
            places_text(&e, counts(1, 0), now),
            "2 places restantes sur 3 (1 inscrit·e)"
        );
        assert_eq!(
            places_text(&e, counts(3, 2), now),
            "Complet (3 inscrit·e·s) : inscrivez-vous sur la liste d’attente (2 personnes en attente)"
        );
        let mut free = e.clone();
        free.registration = false;
        assert_eq!(
            places_text(&free, counts(0, 0), now),
            "Entrée libre, sans inscription"
        );
    }
}
