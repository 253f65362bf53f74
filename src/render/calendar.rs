//! iCalendar files (RFC 5545): one per event to add it to one's agenda, and one with every event
//! to subscribe to. Times are in UTC, UIDs are stable (`<slug>@<host>`).

use chrono::Utc;
use classmates_api::ical::{self, CalendarEvent};

use crate::content::Kind;
use crate::output::Output;
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
    crate::urls::file_for_url(&crate::urls::event_calendar(&item.slug))
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

/// The calendar named `name` of `items`, written by the writer the registrations function also
/// uses for its e-mail attachments ([`classmates_api::ical`]), so an event keeps one UID.
fn calendar(site: &Site, name: &str, items: &[&Item]) -> String {
    let events: Vec<CalendarEvent> = items
        .iter()
        .filter_map(|item| {
            let e = item.event()?;
            let url = site.config.absolute(&item.url);
            Some(CalendarEvent {
                uid: ical::event_uid(&item.slug, &site.config.base_url),
                title: item.title.clone(),
                description: ical::description(&item.summary, e.recording.as_deref(), &url),
                start: e.start.with_timezone(&Utc),
                end: e.end.with_timezone(&Utc),
                location: e.location.clone(),
                url,
                // The site's files carry revision 0 (see classmates_api::ical).
                sequence: 0,
                cancelled: e.cancelled,
            })
        })
        .collect();
    ical::calendar(name, site.now.with_timezone(&Utc), &events)
}
