//! iCalendar files (RFC 5545): one per event to add it to one's agenda, and one with every event
//! to subscribe to. Times are in UTC, UIDs are stable (`<slug>@<host>`).

use chrono::Utc;

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
    let mut out = Writer::default();
    out.line("BEGIN", "VCALENDAR");
    out.line("VERSION", "2.0");
    out.line("PRODID", "-//PythonClassmates//classmates//FR");
    out.line("CALSCALE", "GREGORIAN");
    out.line("METHOD", "PUBLISH");
    out.text("NAME", name);
    out.text("X-WR-CALNAME", name);
    let host = site
        .config
        .base_url
        .split("://")
        .nth(1)
        .unwrap_or(&site.config.base_url)
        .split('/')
        .next()
        .unwrap_or("");
    let stamp = utc(&site.now.with_timezone(&Utc));
    for item in items {
        let Some(e) = item.event() else { continue };
        let url = site.config.absolute(&item.url);
        let mut description = item.summary.clone();
        if let Some(recording) = &e.recording {
            description.push_str(&format!("\n\nReplay : {recording}"));
        }
        description.push_str(&format!("\n\n{url}"));
        out.line("BEGIN", "VEVENT");
        out.text("DESCRIPTION", &description);
        out.line("DTEND", &utc(&e.end.with_timezone(&Utc)));
        out.line("DTSTAMP", &stamp);
        out.line("DTSTART", &utc(&e.start.with_timezone(&Utc)));
        if let Some(location) = &e.location {
            out.text("LOCATION", location);
        }
        out.text("SUMMARY", &item.title);
        out.text("UID", &format!("{}@{host}", item.slug));
        out.line("URL", &url);
        out.line("END", "VEVENT");
    }
    out.line("END", "VCALENDAR");
    out.0
}

/// `20261203T180000Z`: the UTC form of DATE-TIME (RFC 5545 §3.3.5).
fn utc(dt: &chrono::DateTime<Utc>) -> String {
    dt.format("%Y%m%dT%H%M%SZ").to_string()
}

/// iCalendar content lines (RFC 5545 §3.1): each ends with CRLF and is folded so that no line
/// is longer than 75 octets, never inside a UTF-8 sequence.
#[derive(Default)]
struct Writer(String);

/// Longest line, in octets, without its CRLF.
const LINE_OCTETS: usize = 75;

impl Writer {
    /// A property whose value is written as it is (dates, URIs, fixed words).
    fn line(&mut self, name: &str, value: &str) {
        let line = format!("{name}:{value}");
        let mut width = 0;
        for c in line.chars() {
            if width + c.len_utf8() > LINE_OCTETS {
                self.0.push_str("\r\n ");
                width = 1;
            }
            self.0.push(c);
            width += c.len_utf8();
        }
        self.0.push_str("\r\n");
    }

    /// A TEXT property (RFC 5545 §3.3.11): backslash, comma and semicolon escaped, every line
    /// break (CR, LF or both) written `\n`, other control characters dropped, so that no value
    /// can end its line and start a property of its own.
    fn text(&mut self, name: &str, value: &str) {
        let mut escaped = String::with_capacity(value.len());
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => escaped.push_str("\\\\"),
                ',' => escaped.push_str("\\,"),
                ';' => escaped.push_str("\\;"),
                '\r' => {
                    chars.next_if_eq(&'\n');
                    escaped.push_str("\\n");
                }
                '\n' => escaped.push_str("\\n"),
                '\t' => escaped.push('\t'),
                c if c.is_control() => {}
                c => escaped.push(c),
            }
        }
        self.line(name, &escaped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let mut out = Writer::default();
        let value = "é".repeat(100) + &"a".repeat(100) + "😀😀";
        out.text("SUMMARY", &value);
        let lines: Vec<&str> = out.0.split_inclusive("\r\n").collect();
        assert!(lines.len() > 3);
        for (i, line) in lines.iter().enumerate() {
            let content = line.strip_suffix("\r\n").unwrap();
            assert!(content.len() <= 75, "{i}: {} octets", content.len());
            assert_eq!(i > 0, content.starts_with(' '), "{i}");
        }
        // Unfolding gives the line back.
        assert_eq!(out.0.replace("\r\n ", ""), format!("SUMMARY:{value}\r\n"));
    }

    #[test]
    fn text_values_escape_specials_and_every_line_break() {
        let mut out = Writer::default();
        out.text("NAME", "a;b,c\\d\re\nf\r\ng\u{7}h\ti");
        assert_eq!(out.0, "NAME:a\\;b\\,c\\\\d\\ne\\nf\\ngh\ti\r\n");
    }
}
