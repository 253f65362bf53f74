//! Pelican's Markdown header (Python-Markdown's `meta` extension): `Key: value` lines, values
//! continued on indented lines, and the dates and lists written in it.

use std::collections::HashMap;

use chrono::{FixedOffset, NaiveDateTime, NaiveTime, TimeZone, Timelike};

/// One `Key: value` of a Pelican header (continuation lines included).
#[derive(Debug, Clone)]
pub(super) struct Field {
    pub(super) key: String,
    /// The key as written, for messages.
    pub(super) written: String,
    pub(super) values: Vec<String>,
    pub(super) line: usize,
}

/// A Pelican Markdown header and where the body starts.
#[derive(Debug)]
pub(super) struct Header {
    pub(super) fields: Vec<Field>,
    pub(super) body_start: usize,
}

/// Parses the header the way Python-Markdown's `meta` extension does: `Key: value` lines
/// (keys case-insensitive), values continued on lines indented by four spaces, until the first
/// blank line (or a line that is neither); an optional `---` line opens it and `---`/`...`
/// closes it.
pub(super) fn parse_header(text: &str) -> Header {
    let mut fields: Vec<Field> = Vec::new();
    let mut offset = 0;
    let mut body_start = None;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let line = raw.trim_end_matches(['\n', '\r']);
        let next = offset + raw.len();
        if i == 0 && (line == "---" || line.starts_with("--- ")) {
            offset = next;
            continue;
        }
        let end = line.starts_with("---") || line.starts_with("...");
        if line.trim().is_empty() || (end && line.trim_end().len() == 3) {
            body_start = Some(next);
            break;
        }
        if let Some((key, value)) = meta_line(line) {
            fields.push(Field {
                key: key.to_lowercase(),
                written: key.to_string(),
                values: vec![value.trim().to_string()],
                line: i + 1,
            });
        } else if let (Some(value), Some(last)) = (line.strip_prefix("    "), fields.last_mut()) {
            last.values.push(value.trim().to_string());
        } else {
            body_start = Some(offset);
            break;
        }
        offset = next;
    }
    Header {
        fields,
        body_start: body_start.unwrap_or(text.len()),
    }
}

/// `Key: value` with Python-Markdown's `^[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)`.
pub(super) fn meta_line(line: &str) -> Option<(&str, &str)> {
    let rest = line
        .strip_prefix("   ")
        .or_else(|| line.strip_prefix("  "))
        .or_else(|| line.strip_prefix(' '))
        .unwrap_or(line);
    let colon = rest.find(':')?;
    let key = &rest[..colon];
    (!key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    .then(|| (key, &rest[colon + 1..]))
}

/// A date as Pelican accepts it, written the way this site reads it (`2019-05-12`,
/// `2019-05-12 14:30`, or RFC 3339 when it has an offset). Pelican reads `Date:` with
/// dateutil's lenient parser (`pelican.utils.get_date`: runs of spaces collapsed, `_` read as a
/// space, missing parts taken from today at midnight); `dtparse` is a port of that parser, so
/// every form Pelican accepts is accepted here (`2018.11.29 21:21`, `29 Nov 2018`,
/// `Thu, 29 Nov 2018 21:21:00 +0100`…). Like dateutil, `02/06/2019` is read month first, and
/// day first only when the first number cannot be a month.
pub(super) fn convert_date(text: &str) -> Option<String> {
    let (naive, offset) = parse_date(text)?;
    if let Some(offset) = offset {
        let dt = offset.from_local_datetime(&naive).single()?;
        return Some(dt.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    Some(if naive.time() == NaiveTime::MIN {
        naive.format("%Y-%m-%d").to_string()
    } else if naive.second() == 0 {
        naive.format("%Y-%m-%d %H:%M").to_string()
    } else {
        naive.format("%Y-%m-%dT%H:%M:%S").to_string()
    })
}

/// A date read as Pelican reads it (see [`convert_date`]), with its offset when it has one.
pub(super) fn parse_date(text: &str) -> Option<(NaiveDateTime, Option<FixedOffset>)> {
    let text = text.replace('_', " ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return None;
    }
    let today = chrono::Local::now().date_naive().and_time(NaiveTime::MIN);
    let (naive, offset, _) = dtparse::Parser::default()
        .parse(
            &text,
            None,
            None,
            false,
            false,
            Some(&today),
            false,
            &HashMap::new(),
        )
        .ok()?;
    Some((naive.with_nanosecond(0)?, offset))
}

/// Whether `text` starts with a date whose day and month could be swapped (`02/06/2019`).
pub(super) fn ambiguous_date(text: &str) -> bool {
    let numbers: Vec<u32> = text
        .split([' ', 'T'])
        .next()
        .unwrap_or_default()
        .split(['/', '.', '-'])
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    matches!(numbers[..], [a, b, y] if y > 31 && (1..=12).contains(&a) && (1..=12).contains(&b) && a != b)
}

/// `a, b` or `a; b` (Pelican splits on `;` when there is one).
pub(super) fn split_list(text: &str) -> Vec<String> {
    let separator = if text.contains(';') { ';' } else { ',' };
    text.split(separator)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_read_like_python_markdown() {
        let text = "Title: Mon titre\nTags: a, b\n    c\nsummary: Un\n    résumé\n\nCorps\n";
        let header = parse_header(text);
        assert_eq!(header.fields.len(), 3);
        assert_eq!(header.fields[1].values, ["a, b", "c"]);
        assert_eq!(header.fields[2].key, "summary");
        assert_eq!(header.fields[2].line, 4);
        assert_eq!(&text[header.body_start..], "Corps\n");
        let none = parse_header("# Pas d'en-tête\n\ntexte");
        assert!(none.fields.is_empty());
        assert_eq!(none.body_start, 0);
        let yaml_style = parse_header("---\ntitle: x\n---\nCorps");
        assert_eq!(yaml_style.fields.len(), 1);
        assert_eq!(
            &"---\ntitle: x\n---\nCorps"[yaml_style.body_start..],
            "Corps"
        );
    }

    #[test]
    fn dates_are_converted() {
        assert_eq!(
            convert_date("2019-05-12 14:30").as_deref(),
            Some("2019-05-12 14:30")
        );
        assert_eq!(convert_date("2019-05-12").as_deref(), Some("2019-05-12"));
        assert_eq!(
            convert_date("2019/05/12  09:05").as_deref(),
            Some("2019-05-12 09:05")
        );
        assert_eq!(convert_date("12.05.2019").as_deref(), Some("2019-12-05"));
        assert_eq!(convert_date("13.05.2019").as_deref(), Some("2019-05-13"));
        assert_eq!(
            convert_date("02/06/2019 09:15").as_deref(),
            Some("2019-02-06 09:15")
        );
        assert!(ambiguous_date("02/06/2019 09:15"));
        assert!(!ambiguous_date("13/06/2019"));
        assert!(!ambiguous_date("2019-06-02"));
        assert_eq!(
            convert_date("2019-05-12T14:30:10+02:00").as_deref(),
            Some("2019-05-12T14:30:10+02:00")
        );
        assert_eq!(
            convert_date("2019-05-12 14:30:10").as_deref(),
            Some("2019-05-12T14:30:10")
        );
        assert_eq!(convert_date("le 12 mai"), None);
    }

    /// The forms of dateutil's documentation (`dateutil.parser.parse` examples), which Pelican
    /// reads through `get_date`; the first is the one of the community's old blog.
    #[test]
    fn every_form_dateutil_reads_is_converted() {
        for (text, expected) in [
            ("2018.11.29 21:21", "2018-11-29 21:21"),
            ("2018/11/29", "2018-11-29"),
            ("29 Nov 2018", "2018-11-29"),
            ("Nov 29, 2018", "2018-11-29"),
            ("November 29 2018 9:21 PM", "2018-11-29 21:21"),
            (
                "Thu, 29 Nov 2018 21:21:00 +0100",
                "2018-11-29T21:21:00+01:00",
            ),
            ("2018-11-29T21:21:00Z", "2018-11-29T21:21:00Z"),
            ("2018-11-29 21:21 UTC", "2018-11-29T21:21:00Z"),
            ("2018-11-29_21:21", "2018-11-29 21:21"),
            ("20181129", "2018-11-29"),
            ("20181129T212100", "2018-11-29 21:21"),
            ("2003-09-25T10:49:41", "2003-09-25T10:49:41"),
            ("2003-09-25 10:49:41,502", "2003-09-25T10:49:41"),
            ("09-25-2003", "2003-09-25"),
            ("25-09-2003", "2003-09-25"),
            ("2003.09.25", "2003-09-25"),
            ("25.09.2003", "2003-09-25"),
            ("10.09.03", "2003-10-09"),
            ("2003 09 25", "2003-09-25"),
            (
                "  July   4 ,  1976   12:01:02   am  ",
                "1976-07-04T00:01:02",
            ),
            ("Wed, July 10, '96", "1996-07-10"),
            ("1996.July.10 AD 12:08 PM", "1996-07-10 12:08"),
            ("4 jul 1976", "1976-07-04"),
            ("7-4-76", "1976-07-04"),
            ("0:01:02 on July 4, 1976", "1976-07-04T00:01:02"),
            ("Mon Jan  2 04:24:27 1995", "1995-01-02T04:24:27"),
            ("04.04.95 00:22", "1995-04-04 00:22"),
            ("3rd of May 2001", "2001-05-03"),
            ("13NOV2017", "2017-11-13"),
        ] {
            assert_eq!(convert_date(text).as_deref(), Some(expected), "{text}");
        }
        for refused in ["", "le 12 mai 2019", "2019-13-45", "demain", "29 Foo 2018"] {
            assert_eq!(convert_date(refused), None, "{refused}");
        }
    }
}
