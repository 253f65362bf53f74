//! The resolved site (`Site`: its items, terms and the lists every page reads, computed once)
//! and its queries; what publishing at `now` means (`Publish`); the order of the site's lists.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::content::meta::ResourceKind;
use crate::content::{Kind, Source};
use crate::dates::Instant;
use crate::urls::LinkTargets;

/// Options that decide what is published.
#[derive(Debug, Clone, Copy)]
pub struct Publish {
    pub now: DateTime<Utc>,
    /// Include drafts and items scheduled after `now` (preview).
    pub drafts: bool,
}

impl Publish {
    /// Whether an item without problems is published: drafts and items `scheduled` after
    /// `now` only in a preview.
    pub(super) fn shows(&self, draft: bool, scheduled: bool) -> bool {
        self.drafts || (!draft && !scheduled)
    }
}

/// Index of an item in `Site::items`.
pub type ItemId = usize;

#[derive(Debug, Clone)]
pub struct EventDetail {
    pub start: Instant,
    pub end: Instant,
    pub location: Option<String>,
    pub capacity: Option<u32>,
    pub registration: bool,
    pub registration_deadline: Instant,
    /// `cancelled: true`: the page says so, registration closes, calendars carry
    /// `STATUS:CANCELLED`, and the manifest tells the registrations function.
    pub cancelled: bool,
    pub recording: Option<String>,
    pub slides: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Detail {
    Author {
        github: Option<String>,
        discord: Option<String>,
        avatar: Option<String>,
    },
    Article {
        updated: Option<Instant>,
        series: Option<String>,
        part: Option<u32>,
    },
    Series {
        parts: Vec<ItemId>,
    },
    Resource {
        url: String,
        kind: ResourceKind,
        source: Option<String>,
    },
    Event(EventDetail),
    Page,
}

/// One published piece of content.
#[derive(Debug, Clone)]
pub struct Item {
    pub kind: Kind,
    pub slug: String,
    pub title: String,
    /// Site path of its page: `/articles/x/`.
    pub url: String,
    /// Publication date (articles, resources), start (events), latest part (series).
    pub date: Option<Instant>,
    /// Plain-text summary: the front matter's, or the first paragraph.
    pub summary: String,
    /// Tags as written, in order, each once (by slug).
    pub tags: Vec<String>,
    /// The slugs of `tags`, in the same order.
    pub tag_slugs: Vec<String>,
    pub categories: Vec<String>,
    /// Author ids: authors of articles and resources, speakers of events.
    pub authors: Vec<String>,
    pub draft: bool,
    /// Old site paths (validated) whose redirect pages point here.
    pub aliases: Vec<String>,
    pub source: Source,
    pub detail: Detail,
}

impl Item {
    pub fn event(&self) -> Option<&EventDetail> {
        match &self.detail {
            Detail::Event(e) => Some(e),
            _ => None,
        }
    }
}

/// A tag or a category with the items filed under it, newest first.
#[derive(Debug, Clone)]
pub struct Term {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub items: Vec<ItemId>,
}

/// The whole resolved site.
#[derive(Debug)]
pub struct Site {
    pub config: Config,
    pub now: DateTime<Utc>,
    /// Sorted by kind then slug. Shared with the [`Resolutions`] of the next resolve.
    pub items: Vec<Arc<Item>>,
    /// `content/`-relative path → URL, for every content file including unpublished ones.
    pub link_targets: LinkTargets,
    /// Sorted by slug.
    pub tags: Vec<Term>,
    /// In `site.yaml` order.
    pub categories: Vec<Term>,
    /// Per kind (`Kind as usize`), the range of its ids (items are sorted by kind).
    pub(super) kinds: Vec<std::ops::Range<ItemId>>,
    /// Every id, newest first: the order of every list of the site, computed once.
    pub(super) order: Vec<ItemId>,
    /// Per kind (`Kind as usize`), the ids newest first: computed once, read by many pages.
    pub(super) newest: Vec<Vec<ItemId>>,
    /// Per author id, the ids of their works newest first ([`Site::by_author`]).
    pub(super) works: HashMap<String, Vec<ItemId>>,
    /// The first instant after `now` at which the site changes by itself: a scheduled item
    /// is due, an event ends or closes its registrations. `serve` rebuilds then.
    pub next_change: Option<DateTime<Utc>>,
}

impl Site {
    pub fn get(&self, kind: Kind, slug: &str) -> Option<&Item> {
        self.id(kind, slug).map(|i| &*self.items[i])
    }

    /// The index in `tags` of the tag `slug` (they are sorted by slug).
    pub fn tag_index(&self, slug: &str) -> Option<usize> {
        self.tags
            .binary_search_by(|t| t.slug.as_str().cmp(slug))
            .ok()
    }

    /// Found among the items of `kind`, sorted by slug: no hashing, no allocation.
    pub fn id(&self, kind: Kind, slug: &str) -> Option<ItemId> {
        let range = self.kinds[kind as usize].clone();
        let start = range.start;
        self.items[range]
            .binary_search_by(|item| item.slug.as_str().cmp(slug))
            .ok()
            .map(|i| start + i)
    }

    /// Ids of the items of `kind`, newest first (by date, then slug).
    pub fn newest_first(&self, kind: Kind) -> &[ItemId] {
        &self.newest[kind as usize]
    }

    /// Ids of every item, newest first (by date, then kind and slug): filtered, it gives any
    /// list of the site in order without sorting it.
    pub fn newest(&self) -> &[ItemId] {
        &self.order
    }

    /// Whether an event is over at the build's `now`.
    pub fn is_past(&self, event: &EventDetail) -> bool {
        event.end <= self.now
    }

    /// Events still to come (or under way), soonest first.
    pub fn upcoming_events(&self) -> Vec<ItemId> {
        let mut ids: Vec<ItemId> = self
            .event_ids()
            .filter(|&i| !self.is_past(self.items[i].event().unwrap()))
            .collect();
        ids.sort_by_key(|&i| {
            (
                self.items[i].event().unwrap().start,
                self.items[i].slug.clone(),
            )
        });
        ids
    }

    /// Events that are over, most recent first.
    pub fn past_events(&self) -> Vec<ItemId> {
        self.newest_first(Kind::Event)
            .iter()
            .copied()
            .filter(|&i| self.items[i].event().is_some_and(|e| self.is_past(e)))
            .collect()
    }

    pub(super) fn event_ids(&self) -> impl Iterator<Item = ItemId> + '_ {
        (0..self.items.len()).filter(|&i| self.items[i].kind == Kind::Event)
    }

    /// Resources plus replays (past events with a recording), newest first.
    pub fn resources_and_replays(&self) -> Vec<ItemId> {
        self.order
            .iter()
            .copied()
            .filter(|&i| {
                let item = &self.items[i];
                item.kind == Kind::Resource
                    || item
                        .event()
                        .is_some_and(|e| e.recording.is_some() && self.is_past(e))
            })
            .collect()
    }

    /// Everything an author wrote, spoke at or added, newest first.
    pub fn by_author(&self, author: &str) -> &[ItemId] {
        self.works.get(author).map_or(&[], Vec::as_slice)
    }

    /// The series an article belongs to, with its 1-based position among the published parts.
    pub fn series_position(&self, article: ItemId) -> Option<(ItemId, usize)> {
        let Detail::Article {
            series: Some(series),
            ..
        } = &self.items[article].detail
        else {
            return None;
        };
        let series_id = self.id(Kind::Series, series)?;
        let Detail::Series { parts } = &self.items[series_id].detail else {
            return None;
        };
        let position = parts.iter().position(|&p| p == article)?;
        Some((series_id, position + 1))
    }
}

pub(super) fn site_sort(items: &[Arc<Item>], ids: &mut [ItemId]) {
    ids.sort_by(|&a, &b| newest_first(items, a, b));
}

/// The order of every list of the site: newest first, then by kind and slug.
pub(super) fn newest_first(items: &[Arc<Item>], a: ItemId, b: ItemId) -> std::cmp::Ordering {
    let (a, b) = (&items[a], &items[b]);
    b.date
        .cmp(&a.date)
        .then(a.kind.cmp(&b.kind))
        .then(a.slug.cmp(&b.slug))
}
