//! Discord's own Events tab: with the bot and `DISCORD_GUILD_ID` configured, each upcoming event
//! of the manifest is also a guild scheduled event (`POST /guilds/{guild}/scheduled-events`,
//! entity type EXTERNAL, location = the event page), created once, updated when what it shows
//! changes, and deleted when the event leaves the manifest. Members can then mark themselves
//! interested and Discord notifies them when it starts. Run by `POST /announcements/sync`.
//!
//! # Never two
//!
//! The link between an event and its scheduled event lives in the store, and each sync claims
//! an event ([`Store::claim_scheduled_event`], a conditional write only one sync wins, with a
//! lease like the announcements') before creating, updating or deleting anything, then records
//! the result while releasing the claim. Concurrent syncs therefore never create two scheduled
//! events for one event. (As with the announcements, only a sync that dies after Discord created
//! the event but before the store recorded it can lead to a second one, after the lease.)

use std::sync::Arc;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};

use crate::clock::Clock;
use crate::discord::CLAIM_LEASE as LEASE;
use crate::discord::{DiscordClient, DiscordError, truncate};
use crate::manifest::{Manifest, ManifestEvent};
use crate::store::{ScheduledClaim, ScheduledLink, Store};
use crate::token;

/// Discord's limits for a scheduled event.
const NAME_MAX: usize = 100;
const DESCRIPTION_MAX: usize = 1000;
const LOCATION_MAX: usize = 100;
/// GUILD_ONLY, the only privacy level.
const PRIVACY_GUILD_ONLY: u8 = 2;
/// EXTERNAL: an event elsewhere (here, on the site's page).
const ENTITY_EXTERNAL: u8 = 3;

/// What a sync did to the Events tab.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScheduledSummary {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub deleted: Vec<String>,
    pub failed: Vec<FailedScheduled>,
}

/// A change that failed this time; the next sync tries again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedScheduled {
    pub slug: String,
    pub error: String,
}

/// The scheduled event's fields for `event` (Modify takes the same).
pub fn payload(event: &ManifestEvent) -> Value {
    let page = event.url.split('#').next().unwrap_or(&event.url);
    // The location shows as a link when it is one; Discord allows 100 characters.
    let location = if page.chars().count() <= LOCATION_MAX {
        page.to_owned()
    } else {
        url::Url::parse(page)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|_| truncate(page, LOCATION_MAX))
    };
    let mut description = event.summary.trim().to_owned();
    if !event.speakers.is_empty() {
        description.push_str(&format!("\n\nAvec {}.", event.speakers.join(", ")));
    }
    let more = format!("\n\nInscription et détails : {page}");
    let room = DESCRIPTION_MAX.saturating_sub(more.chars().count());
    let description = format!("{}{more}", truncate(&description, room));
    json!({
        "name": truncate(&event.title, NAME_MAX),
        "privacy_level": PRIVACY_GUILD_ONLY,
        "scheduled_start_time": event.start.to_utc().to_rfc3339(),
        "scheduled_end_time": event.end.to_utc().to_rfc3339(),
        "description": description.trim_start(),
        "entity_type": ENTITY_EXTERNAL,
        "entity_metadata": { "location": location },
    })
}

/// Brings the Events tab of `guild_id` in line with `manifest`. Never fails as a whole.
pub async fn sync(
    store: &Arc<dyn Store>,
    discord: &DiscordClient,
    guild_id: &str,
    manifest: &Manifest,
    clock: &Clock,
) -> ScheduledSummary {
    let mut summary = ScheduledSummary::default();
    let claim = match token::generate() {
        Ok(claim) => claim,
        Err(err) => {
            summary.failed.push(FailedScheduled {
                slug: String::new(),
                error: format!("no randomness: {err}"),
            });
            return summary;
        }
    };
    let now = clock();
    // A cancelled event leaves the Events tab, as one removed from the site does.
    let shown = |e: &&ManifestEvent| e.start.to_utc() > now && !e.cancelled;
    for event in manifest.events.iter().filter(shown) {
        match ensure(store, discord, guild_id, event, &claim, clock).await {
            Ok(Some(Change::Created)) => summary.created.push(event.slug.clone()),
            Ok(Some(Change::Updated)) => summary.updated.push(event.slug.clone()),
            Ok(_) => {}
            Err(error) => summary.failed.push(FailedScheduled {
                slug: event.slug.clone(),
                error,
            }),
        }
    }
    let linked = match store.scheduled_event_slugs().await {
        Ok(slugs) => slugs,
        Err(err) => {
            summary.failed.push(FailedScheduled {
                slug: String::new(),
                error: format!("store: {err}"),
            });
            return summary;
        }
    };
    for slug in linked
        .iter()
        .filter(|s| manifest.event(s).is_none_or(|e| e.cancelled))
    {
        match remove(store, discord, guild_id, slug, &claim, clock).await {
            Ok(true) => summary.deleted.push(slug.clone()),
            Ok(false) => {}
            Err(error) => summary.failed.push(FailedScheduled {
                slug: slug.clone(),
                error,
            }),
        }
    }
    summary
}

enum Change {
    Created,
    Updated,
    Same,
}

fn is_unknown(err: &DiscordError) -> bool {
    matches!(err, DiscordError::Status { status: 404, .. })
}

/// Creates or updates the scheduled event of `event`; `None` when another sync holds it.
async fn ensure(
    store: &Arc<dyn Store>,
    discord: &DiscordClient,
    guild_id: &str,
    event: &ManifestEvent,
    claim: &str,
    clock: &Clock,
) -> Result<Option<Change>, String> {
    let now: DateTime<Utc> = clock();
    let link = match store
        .claim_scheduled_event(&event.slug, claim, now, now + LEASE)
        .await
        .map_err(|err| format!("store: {err}"))?
    {
        ScheduledClaim::Held => return Ok(None),
        ScheduledClaim::Claimed(link) => link,
    };
    let body = payload(event);
    let fingerprint = body.to_string();
    let base = format!("/guilds/{guild_id}/scheduled-events");
    let result = match &link.discord_id {
        Some(_) if link.fingerprint.as_deref() == Some(fingerprint.as_str()) => {
            Ok((Change::Same, link.clone()))
        }
        Some(id) => match discord
            .api(Method::PATCH, &format!("{base}/{id}"), Some(&body))
            .await
        {
            Ok(_) => Ok((
                Change::Updated,
                ScheduledLink {
                    discord_id: Some(id.clone()),
                    fingerprint: Some(fingerprint.clone()),
                },
            )),
            // Deleted in Discord by a moderator: made again.
            Err(err) if is_unknown(&err) => create(discord, &base, &body, &fingerprint).await,
            Err(err) => Err(err.to_string()),
        },
        None => create(discord, &base, &body, &fingerprint).await,
    };
    let (change, recorded) = match result {
        Ok((change, recorded)) => (Ok(change), recorded),
        Err(error) => (Err(error), link),
    };
    match store
        .release_scheduled_event(&event.slug, claim, &recorded)
        .await
    {
        Ok(true) => {}
        Ok(false) => tracing::warn!(slug = %event.slug, "scheduled event claim lost"),
        Err(err) => {
            tracing::error!(slug = %event.slug, error = %err, "scheduled event not recorded")
        }
    }
    change.map(Some)
}

async fn create(
    discord: &DiscordClient,
    base: &str,
    body: &Value,
    fingerprint: &str,
) -> Result<(Change, ScheduledLink), String> {
    let created = discord
        .api(Method::POST, base, Some(body))
        .await
        .map_err(|err| err.to_string())?;
    let id = created["id"]
        .as_str()
        .ok_or_else(|| "Discord's answer has no id".to_owned())?;
    Ok((
        Change::Created,
        ScheduledLink {
            discord_id: Some(id.to_owned()),
            fingerprint: Some(fingerprint.to_owned()),
        },
    ))
}

/// Deletes the scheduled event of an event gone from the manifest; false when held elsewhere.
async fn remove(
    store: &Arc<dyn Store>,
    discord: &DiscordClient,
    guild_id: &str,
    slug: &str,
    claim: &str,
    clock: &Clock,
) -> Result<bool, String> {
    let now = clock();
    let link = match store
        .claim_scheduled_event(slug, claim, now, now + LEASE)
        .await
        .map_err(|err| format!("store: {err}"))?
    {
        ScheduledClaim::Held => return Ok(false),
        ScheduledClaim::Claimed(link) => link,
    };
    if let Some(id) = &link.discord_id {
        let path = format!("/guilds/{guild_id}/scheduled-events/{id}");
        match discord.api(Method::DELETE, &path, None).await {
            Ok(_) => {}
            Err(err) if is_unknown(&err) => {}
            Err(err) => {
                let _ = store.release_scheduled_event(slug, claim, &link).await;
                return Err(err.to_string());
            }
        }
    }
    store
        .forget_scheduled_event(slug, claim)
        .await
        .map_err(|err| format!("store: {err}"))?;
    Ok(true)
}
