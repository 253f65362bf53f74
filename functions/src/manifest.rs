//! The events manifest (`/evenements/index.json`): the contract between the site generator,
//! which writes it, and the function, which learns from it which events exist.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// Path of the manifest inside the built site.
pub const MANIFEST_PATH: &str = "evenements/index.json";
/// Path of the site's links ([`SiteLinks`]) inside the built site, next to the manifest.
pub const LINKS_PATH: &str = "evenements/ressources.json";
/// Its name in the manifest's folder.
pub const LINKS_FILE: &str = "ressources.json";

/// What the site links to already (`/evenements/ressources.json`): the Discord app reads it so
/// that a link proposed from Discord that the site has is recognised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteLinks {
    pub version: u32,
    /// The site's `base_url`: its own pages are not resources.
    pub base_url: String,
    /// The resources, newest first.
    pub resources: Vec<SiteResource>,
}

/// One resource of the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteResource {
    pub title: String,
    /// The link, as its front matter gives it.
    pub url: String,
    /// Absolute URL of its page on the site.
    pub page: String,
}

/// The whole manifest file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Schema version of this file, bumped on incompatible changes.
    pub version: u32,
    /// Events sorted by start time, then slug.
    pub events: Vec<ManifestEvent>,
}

/// One event as the function sees it. Times are RFC 3339 with the site's offset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEvent {
    pub slug: String,
    pub title: String,
    /// Absolute URL of the event page.
    pub url: String,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    /// Human date range in French, in the site's time zone ("jeudi 3 décembre 2026, 19 h 00 – 20 h 30").
    pub when: String,
    /// Maximum number of registered people; `None` means unlimited.
    pub capacity: Option<u32>,
    /// Whether the event takes registrations at all (`registration` in the front matter).
    pub registration: bool,
    /// Registrations are accepted until this instant (and never after `end`).
    pub registration_deadline: DateTime<FixedOffset>,
    /// Speakers' display names.
    pub speakers: Vec<String>,
    pub location: Option<String>,
    pub summary: String,
    /// `cancelled: true` in the front matter: the event will not take place (written only
    /// when true, so that the manifest of a site without cancelled events does not change).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancelled: bool,
}

impl Manifest {
    /// The event with this slug, if the manifest lists it.
    pub fn event(&self, slug: &str) -> Option<&ManifestEvent> {
        self.index_of(slug).map(|i| &self.events[i])
    }

    /// The index in [`Manifest::events`] of the event with this slug.
    pub fn index_of(&self, slug: &str) -> Option<usize> {
        self.events.iter().position(|event| event.slug == slug)
    }
}

/// Why an event takes no registration at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedReason {
    /// `registration: false` in the front matter.
    NotOffered,
    /// The event has ended.
    Over,
    /// The registration deadline has passed.
    DeadlinePassed,
    /// The event is cancelled.
    Cancelled,
}

impl ManifestEvent {
    /// Whether a registration made at `now` is accepted, per the manifest alone.
    pub fn registration_open_at(&self, now: DateTime<chrono::Utc>) -> bool {
        self.closed_reason_at(now).is_none()
    }

    /// Why registrations are closed at `now`, or `None` when they are open. Agrees with
    /// [`ManifestEvent::registration_open_at`].
    pub fn closed_reason_at(&self, now: DateTime<chrono::Utc>) -> Option<ClosedReason> {
        if self.cancelled {
            Some(ClosedReason::Cancelled)
        } else if !self.registration {
            Some(ClosedReason::NotOffered)
        } else if now >= self.end {
            Some(ClosedReason::Over)
        } else if now >= self.registration_deadline {
            Some(ClosedReason::DeadlinePassed)
        } else {
            None
        }
    }
}
