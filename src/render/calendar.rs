//! iCalendar files (RFC 5545): one per event to add it to one's agenda, and one with every event
//! to subscribe to. Times are in UTC, UIDs are stable (`<slug>@<host>`).

use chrono::Utc;
use icalendar::{Calendar, Component, Event, EventLike};

use super::Output;
use crate::content::Kind;
use crate::site::{Item, ItemId, Site};

/// Path of the calendar with every event.
pub const ALL_EVENTS_PATH: &str = "evenements/calendrier.ics";

/// Every calendar of the site: one per event, then the one with every event.
pub fn calendars(site: &Site) -> Vec<Output> {
    let mut outputs: Vec<Output> = events(site)
        .into_iter()
        .map(|id| event_calendar(site, &site.items[id]))
        .collect();
    outputs.push(all_events(site));
    outputs
}

/// The events, by start then slug.
pub fn events(site: &Site) -> Vec<ItemId> {
    let mut ids: Vec<ItemId> = (0..site.items.len())
        .filter(|&i| site.items[i].kind == Kind::Event)
        .collect();
    ids.sort_by_key(|&i| (site.items[i].date, site.items[i].slug.clone()));
    ids
}

/// Path of the calendar of one event.
pub fn event_path(item: &Item) -> String {
    format!("evenements/{}.ics", item.slug)
}

/// The calendar of one event, to add it to one's agenda.
pub fn event_calendar(site: &Site, item: &Item) -> Output {
    Output {
        path: event_path(item),
        bytes: calendar(site, &item.title, &[item]).into_bytes(),
    }
}

/// The calendar with every event, to subscribe to.
pub fn all_events(site: &Site) -> Output {
    let events: Vec<&Item> = events(site).into_iter().map(|i| &*site.items[i]).collect();
    Output {
        path: ALL_EVENTS_PATH.into(),
        bytes: calendar(
            site,
            &format!("{} : événements", site.config.title),
            &events,
        )
        .into_bytes(),
    }
}

fn calendar(site: &Site, name: &str, items: &[&Item]) -> String {
    let mut calendar = Calendar::empty();
    calendar.append_property(("VERSION", "2.0"));
    calendar.append_property(("PRODID", "-//PythonClassmates//classmates//FR"));
    calendar.append_property(("CALSCALE", "GREGORIAN"));
    calendar.append_property(("METHOD", "PUBLISH"));
    calendar.name(name);
    let host = site
        .config
        .base_url
        .split("://")
        .nth(1)
        .unwrap_or(&site.config.base_url)
        .split('/')
        .next()
        .unwrap_or("");
    for item in items {
        let Some(e) = item.event() else { continue };
        let url = site.config.absolute(&item.url);
        let mut description = item.summary.clone();
        if let Some(recording) = &e.recording {
            description.push_str(&format!("\n\nReplay : {recording}"));
        }
        description.push_str(&format!("\n\n{url}"));
        let mut event = Event::new();
        event
            .uid(&format!("{}@{host}", item.slug))
            .timestamp(site.now.with_timezone(&Utc))
            .starts(e.start.with_timezone(&Utc))
            .ends(e.end.with_timezone(&Utc))
            .summary(&item.title)
            .description(&description)
            .url(&url);
        if let Some(location) = &e.location {
            event.location(location);
        }
        calendar.push(event.done());
    }
    calendar.done().to_string()
}
