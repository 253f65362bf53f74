//! iCalendar files (RFC 5545): one per event to add it to one's agenda, and one with every event
//! to subscribe to. Times are in UTC, UIDs are stable (`<slug>@<host>`).

use chrono::Utc;
use icalendar::{Calendar, Component, Event, EventLike};

use super::Output;
use crate::content::Kind;
use crate::site::{Item, Site};

pub fn calendars(site: &Site) -> Vec<Output> {
    let mut events: Vec<&Item> = site
        .items
        .iter()
        .filter(|i| i.kind == Kind::Event)
        .collect();
    events.sort_by_key(|i| (i.date, i.slug.clone()));
    let mut outputs: Vec<Output> = events
        .iter()
        .map(|item| Output {
            path: format!("evenements/{}.ics", item.slug),
            bytes: calendar(site, &item.title, &[item]).into_bytes(),
        })
        .collect();
    outputs.push(Output {
        path: "evenements/calendrier.ics".into(),
        bytes: calendar(
            site,
            &format!("{} : événements", site.config.title),
            &events,
        )
        .into_bytes(),
    });
    outputs
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
