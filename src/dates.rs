//! Dates as contributors write them (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM`, RFC 3339) and as French
//! readers see them ("jeudi 3 décembre 2026, 19 h 00 – 20 h 30").

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A point in time, kept in the site's time zone.
pub type Instant = DateTime<Tz>;

/// Why a front-matter date was refused: the message, and what to write instead when there is
/// more to say than the formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateError {
    pub message: String,
    pub help: Option<String>,
}

impl DateError {
    fn new(message: String, help: Option<String>) -> DateError {
        DateError { message, help }
    }
}

/// Parses a front-matter date. A date without an offset is in `tz`; a date alone is midnight.
/// A local time that the zone skips or repeats (clocks changing) is refused.
pub fn parse(text: &str, tz: Tz) -> Result<Instant, DateError> {
    let text = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Ok(dt.with_timezone(&tz));
    }
    let naive = if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        d.and_time(NaiveTime::MIN)
    } else if let Ok(dt) = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M") {
        dt
    } else if let Ok(dt) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S") {
        dt
    } else if let Ok(dt) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M") {
        dt
    } else {
        return Err(DateError::new(
            format!(
                "date invalide « {text} » : formats acceptés `AAAA-MM-JJ`, `AAAA-MM-JJ HH:MM` ou RFC 3339 (`2026-12-03T19:00:00+01:00`)"
            ),
            None,
        ));
    };
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(dt) => Ok(dt),
        // The hour repeated when clocks go back: taking either silently would make a one-hour
        // event last two hours, or none. The contributor says which, with an offset.
        LocalResult::Ambiguous(first, second) => Err(DateError::new(
            format!(
                "l'heure « {text} » existe deux fois dans le fuseau {tz} (retour à l'heure d'hiver) : précisez laquelle"
            ),
            Some(format!(
                "écrivez `{}` (la première, heure d'été) ou `{}` (la seconde, heure d'hiver)",
                rfc3339(&first),
                rfc3339(&second)
            )),
        )),
        LocalResult::None => Err(DateError::new(
            format!(
                "l'heure « {text} » n'existe pas dans le fuseau {tz} (passage à l'heure d'été)"
            ),
            Some(
                "choisissez une autre heure : les horloges sautent une heure cette nuit-là".into(),
            ),
        )),
    }
}

/// "jeudi 3 décembre 2026"
pub fn french_date(dt: &Instant) -> String {
    dt.format_localized("%A %-d %B %Y", chrono::Locale::fr_FR)
        .to_string()
}

/// "3 décembre 2026"
pub fn french_short_date(dt: &Instant) -> String {
    dt.format_localized("%-d %B %Y", chrono::Locale::fr_FR)
        .to_string()
}

/// "19 h 00"
pub fn french_time(dt: &Instant) -> String {
    dt.format("%H h %M").to_string()
}

/// "jeudi 3 décembre 2026, 19 h 00 – 20 h 30", or with both dates when the range spans days.
pub fn french_range(start: &Instant, end: &Instant) -> String {
    if start.date_naive() == end.date_naive() {
        format!(
            "{}, {} – {}",
            french_date(start),
            french_time(start),
            french_time(end)
        )
    } else {
        format!(
            "{}, {} – {}, {}",
            french_date(start),
            french_time(start),
            french_date(end),
            french_time(end)
        )
    }
}

/// RFC 3339 with the site's offset, as written in feeds, JSON and `<time datetime>`.
pub fn rfc3339(dt: &Instant) -> String {
    dt.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The current instant, or the one given with `--now`.
pub fn now_or(given: Option<DateTime<chrono::FixedOffset>>) -> DateTime<Utc> {
    given
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naive_summer_date_uses_the_site_offset() {
        let dt = parse("2026-07-14 19:00", chrono_tz::Europe::Paris).unwrap();
        assert_eq!(rfc3339(&dt), "2026-07-14T19:00:00+02:00");
        let dt = parse("2026-12-03 19:00", chrono_tz::Europe::Paris).unwrap();
        assert_eq!(rfc3339(&dt), "2026-12-03T19:00:00+01:00");
    }

    #[test]
    fn rfc3339_is_converted_to_the_site_zone() {
        let dt = parse("2026-12-03T18:00:00Z", chrono_tz::Europe::Paris).unwrap();
        assert_eq!(french_time(&dt), "19 h 00");
    }

    #[test]
    fn french_range_on_one_day() {
        let tz = chrono_tz::Europe::Paris;
        let s = parse("2026-12-03 19:00", tz).unwrap();
        let e = parse("2026-12-03 20:30", tz).unwrap();
        assert_eq!(
            french_range(&s, &e),
            "jeudi 3 décembre 2026, 19 h 00 – 20 h 30"
        );
    }

    #[test]
    fn bad_and_nonexistent_dates_are_refused() {
        let tz = chrono_tz::Europe::Paris;
        assert!(
            parse("03/12/2026", tz)
                .unwrap_err()
                .message
                .contains("date invalide")
        );
        assert!(
            parse("2026-03-29 02:30", tz)
                .unwrap_err()
                .message
                .contains("n'existe pas")
        );
    }

    #[test]
    fn a_time_that_happens_twice_is_refused_with_both_offsets() {
        let tz = chrono_tz::Europe::Paris;
        let e = parse("2026-10-25 02:30", tz).unwrap_err();
        assert!(e.message.contains("existe deux fois"), "{}", e.message);
        let help = e.help.unwrap();
        assert!(help.contains("`2026-10-25T02:30:00+02:00`"), "{help}");
        assert!(help.contains("`2026-10-25T02:30:00+01:00`"), "{help}");
        // Written with its offset, either one is taken as written.
        let dt = parse("2026-10-25T02:30:00+01:00", tz).unwrap();
        assert_eq!(rfc3339(&dt), "2026-10-25T02:30:00+01:00");
    }
}
