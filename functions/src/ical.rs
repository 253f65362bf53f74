//! iCalendar (RFC 5545) writing shared by the site's `.ics` files (the generator) and the
//! e-mails' attachments (this function), so that an event has one UID and one description
//! wherever it is offered: a calendar that imported one updates, never duplicates.

use chrono::{DateTime, Utc};

/// One event of a calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    /// `<slug>@<host>`: see [`event_uid`].
    pub uid: String,
    pub title: String,
    /// See [`description`].
    pub description: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub location: Option<String>,
    /// Absolute URL of the event page.
    pub url: String,
    /// The revision of the event (RFC 5545 `SEQUENCE`), written when above 0: the site's files
    /// carry 0, the function's messages the revision the store counted (ARCHITECTURE.md).
    pub sequence: u32,
    /// Written `STATUS:CANCELLED` when true.
    pub cancelled: bool,
}

/// The stable UID of an event: its slug at the host of `site_url` (the site's base URL, or any
/// absolute URL of the site such as the event page's).
pub fn event_uid(slug: &str, site_url: &str) -> String {
    let host = site_url
        .split("://")
        .nth(1)
        .unwrap_or(site_url)
        .split('/')
        .next()
        .unwrap_or("");
    format!("{slug}@{host}")
}

/// The DESCRIPTION of an event: its summary, the replay link when there is one, then its page.
pub fn description(summary: &str, recording: Option<&str>, url: &str) -> String {
    let mut description = summary.to_owned();
    if let Some(recording) = recording {
        description.push_str(&format!("\n\nReplay : {recording}"));
    }
    description.push_str(&format!("\n\n{url}"));
    description
}

/// A whole `VCALENDAR` named `name` (`METHOD:PUBLISH`), whose events carry `stamp` as DTSTAMP.
pub fn calendar(name: &str, stamp: DateTime<Utc>, events: &[CalendarEvent]) -> String {
    let mut out = Writer::default();
    out.line("BEGIN", "VCALENDAR");
    out.line("VERSION", "2.0");
    out.line("PRODID", "-//PythonClassmates//classmates//FR");
    out.line("CALSCALE", "GREGORIAN");
    out.line("METHOD", "PUBLISH");
    out.text("NAME", name);
    out.text("X-WR-CALNAME", name);
    let stamp = utc(&stamp);
    for event in events {
        out.line("BEGIN", "VEVENT");
        out.text("DESCRIPTION", &event.description);
        out.line("DTEND", &utc(&event.end));
        out.line("DTSTAMP", &stamp);
        out.line("DTSTART", &utc(&event.start));
        if let Some(location) = &event.location {
            out.text("LOCATION", location);
        }
        if event.sequence > 0 {
            out.line("SEQUENCE", &event.sequence.to_string());
        }
        if event.cancelled {
            out.line("STATUS", "CANCELLED");
        }
        out.text("SUMMARY", &event.title);
        out.text("UID", &event.uid);
        out.line("URL", &event.url);
        out.line("END", "VEVENT");
    }
    out.line("END", "VCALENDAR");
    out.0
}

/// `20261203T180000Z`: the UTC form of DATE-TIME (RFC 5545 §3.3.5).
fn utc(dt: &DateTime<Utc>) -> String {
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

    #[test]
    fn uids_use_the_site_host() {
        assert_eq!(
            event_uid("atelier", "https://pythonclassmates.org"),
            "atelier@pythonclassmates.org"
        );
        assert_eq!(
            event_uid(
                "atelier",
                "https://pythonclassmates.org/evenements/atelier/"
            ),
            "atelier@pythonclassmates.org"
        );
    }
}
