//! What templates see: small serialisable views of the site and its items. Lists carry cards
//! (title, URL, dates, summary, links), never whole rendered pages, so that list pages stay
//! cheap however large the site grows.

use serde::Serialize;

use crate::content::Kind;
use crate::dates;
use crate::site::{Detail, Item, ItemId, Site};
use crate::urls;

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    pub title: String,
    pub description: String,
    pub base_url: String,
    pub language: String,
    /// IANA name of the site's time zone, in which times are shown.
    pub timezone: String,
    pub discord_invite: Option<String>,
    pub registration_api: String,
    pub nav: Vec<Link>,
    /// Pages (`content/pages/`) for the footer.
    pub pages: Vec<Link>,
    /// giscus settings, when comments are configured.
    pub comments: Option<crate::config::Comments>,
    /// The calendar of every event as a `webcal://` address: a phone subscribes to it (and
    /// keeps it up to date) instead of importing it once.
    pub calendar_subscription: String,
}

impl SiteView {
    pub fn new(site: &Site) -> SiteView {
        let c = &site.config;
        SiteView {
            title: c.title.clone(),
            description: c.description.clone(),
            base_url: c.base_url.clone(),
            language: c.language.clone(),
            timezone: c.timezone.name().to_string(),
            discord_invite: c.discord_invite.clone(),
            registration_api: c.registration_api.clone(),
            calendar_subscription: webcal(
                &c.absolute(&format!("/{}", super::calendar::ALL_EVENTS_PATH)),
            ),
            nav: [
                ("Événements", urls::EVENTS),
                ("Articles", urls::section(Kind::Article)),
                ("Séries", urls::SERIES),
                ("Ressources", urls::section(Kind::Resource)),
                ("Étiquettes", urls::TAGS),
                ("Recherche", urls::SEARCH),
            ]
            .into_iter()
            .map(|(name, url)| Link {
                name: name.into(),
                url: url.into(),
            })
            .collect(),
            pages: site
                .items
                .iter()
                .filter(|i| i.kind == Kind::Page)
                .map(|i| Link {
                    name: i.title.clone(),
                    url: i.url.clone(),
                })
                .collect(),
            comments: c.comments.clone(),
        }
    }
}

/// One item as shown in lists, and the common part of its own page.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub kind: Kind,
    pub kind_label: &'static str,
    pub title: String,
    pub url: String,
    pub summary: String,
    /// RFC 3339, empty when the item has no date.
    pub date: String,
    /// "3 décembre 2026".
    pub date_human: String,
    pub tags: Vec<Link>,
    pub categories: Vec<Link>,
    pub authors: Vec<Link>,
    /// Events: "jeudi 3 décembre 2026, 19 h 00 – 20 h 30".
    pub when: Option<String>,
    pub past: bool,
    /// A past event with a recording.
    pub replay: bool,
    /// Resources: the page the resource points to; events: the recording.
    pub external_url: Option<String>,
    pub resource_kind: Option<&'static str>,
    pub source: Option<String>,
    /// Series: number of published parts.
    pub parts: Option<usize>,
}

impl Card {
    pub fn new(site: &Site, item: &Item) -> Card {
        let mut card = Card {
            kind: item.kind,
            kind_label: item.kind.label(),
            title: item.title.clone(),
            url: item.url.clone(),
            summary: item.summary.clone(),
            date: item.date.as_ref().map(dates::rfc3339).unwrap_or_default(),
            date_human: item
                .date
                .as_ref()
                .map(dates::french_short_date)
                .unwrap_or_default(),
            tags: item
                .tags
                .iter()
                .zip(&item.tag_slugs)
                .map(|(t, slug)| {
                    let name = site
                        .tag_index(slug)
                        .map(|i| site.tags[i].name.clone())
                        .unwrap_or_else(|| t.clone());
                    Link {
                        name,
                        url: urls::term("tags", slug),
                    }
                })
                .collect(),
            categories: item
                .categories
                .iter()
                .filter_map(|c| site.config.category(c))
                .map(|c| Link {
                    name: c.name.clone(),
                    url: urls::term("categories", &c.slug),
                })
                .collect(),
            authors: item
                .authors
                .iter()
                .filter_map(|a| site.get(Kind::Author, a))
                .map(|a| Link {
                    name: a.title.clone(),
                    url: a.url.clone(),
                })
                .collect(),
            when: None,
            past: false,
            replay: false,
            external_url: None,
            resource_kind: None,
            source: None,
            parts: None,
        };
        match &item.detail {
            Detail::Event(e) => {
                card.when = Some(dates::french_range(&e.start, &e.end));
                card.past = site.is_past(e);
                card.replay = card.past && e.recording.is_some();
                card.external_url = e.recording.clone();
                if card.replay {
                    card.kind_label = "Replay";
                }
                if e.cancelled {
                    card.kind_label = "Annulé";
                }
            }
            Detail::Resource { url, kind, source } => {
                card.external_url = Some(url.clone());
                card.resource_kind = Some(kind.label());
                card.source = source.clone();
            }
            Detail::Series { parts } => card.parts = Some(parts.len()),
            _ => {}
        }
        card
    }
}

pub fn cards(site: &Site, ids: &[ItemId]) -> Vec<Card> {
    ids.iter()
        .map(|&i| Card::new(site, &site.items[i]))
        .collect()
}

/// Where an article stands in its series.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesNav {
    pub title: String,
    pub url: String,
    pub position: usize,
    pub count: usize,
    pub previous: Option<Link>,
    pub next: Option<Link>,
}

impl SeriesNav {
    /// The article at `position` (1-based) among `parts`, the parts of `series`.
    pub fn new(site: &Site, series: ItemId, parts: &[ItemId], position: usize) -> SeriesNav {
        let series = &site.items[series];
        let link = |i: usize| Link {
            name: site.items[i].title.clone(),
            url: site.items[i].url.clone(),
        };
        SeriesNav {
            title: series.title.clone(),
            url: series.url.clone(),
            position,
            count: parts.len(),
            previous: (position > 1).then(|| link(parts[position - 2])),
            next: parts.get(position).map(|&i| link(i)),
        }
    }
}

/// What the event page and its registration form need.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub slug: String,
    pub start: String,
    pub end: String,
    pub when: String,
    pub location: Option<String>,
    pub capacity: Option<u32>,
    /// Registrations enabled in the front matter.
    pub registration: bool,
    /// Registration open at build time (the live widget rechecks).
    pub open: bool,
    pub deadline_human: String,
    pub recording: Option<String>,
    pub slides: Option<String>,
    pub ics_url: String,
    pub past: bool,
    /// `cancelled: true` in the front matter.
    pub cancelled: bool,
    pub api: String,
}

impl EventView {
    pub fn new(site: &Site, item: &Item) -> Option<EventView> {
        let e = item.event()?;
        let past = site.is_past(e);
        Some(EventView {
            slug: item.slug.clone(),
            start: dates::rfc3339(&e.start),
            end: dates::rfc3339(&e.end),
            when: dates::french_range(&e.start, &e.end),
            location: e.location.clone(),
            capacity: e.capacity,
            registration: e.registration,
            open: e.registration && site.now < e.registration_deadline && !past && !e.cancelled,
            cancelled: e.cancelled,
            deadline_human: format!(
                "{}, {}",
                dates::french_date(&e.registration_deadline),
                dates::french_time(&e.registration_deadline)
            ),
            recording: e.recording.clone(),
            slides: e.slides.clone(),
            ics_url: urls::event_calendar(&item.slug),
            past,
            api: site.config.registration_api.clone(),
        })
    }
}

/// A tag or category in an index.
#[derive(Debug, Clone, Serialize)]
pub struct TermView {
    pub name: String,
    pub slug: String,
    pub url: String,
    pub description: Option<String>,
    pub count: usize,
}

/// Page links of a paginated list.
#[derive(Debug, Clone, Serialize)]
pub struct Paginator {
    pub current: usize,
    pub total: usize,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Paginator {
    /// Page `current` of `total` of the list whose first page is at `base`.
    pub fn new(base: &str, current: usize, total: usize) -> Paginator {
        Paginator {
            current,
            total,
            previous: (current > 1).then(|| urls::page(base, current - 1)),
            next: (current < total).then(|| urls::page(base, current + 1)),
        }
    }
}

/// `https://club.example.org/x.ics` → `webcal://club.example.org/x.ics` (the scheme calendar
/// applications register for subscriptions; they fetch it over HTTPS).
fn webcal(url: &str) -> String {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    format!("webcal://{rest}")
}
