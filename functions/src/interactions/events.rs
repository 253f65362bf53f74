//! `/evenements`: the upcoming events as the manifest lists them, each with its date in French
//! (the manifest's `when`, written in the site's time zone), the places left or « complet,
//! liste d'attente », and a link to its page.

use chrono::{DateTime, Utc};

use crate::discord::{Embed, EmbedFooter, WebhookMessage, escape_markdown};
use crate::manifest::{Manifest, ManifestEvent};
use crate::store::Counts;

/// Events listed at most (one embed field each; Discord allows 25).
pub const MAX_LISTED: usize = 10;

/// The places line of one event at `now`.
pub fn places(event: &ManifestEvent, counts: Counts, now: DateTime<Utc>) -> String {
    if event.cancelled {
        return "❌ annulé".to_owned();
    }
    if !event.registration {
        return "entrée libre, sans inscription".to_owned();
    }
    if !event.registration_open_at(now) {
        return "inscriptions closes".to_owned();
    }
    match event.capacity {
        None => "places illimitées".to_owned(),
        Some(capacity) => match capacity.saturating_sub(counts.registered) {
            0 => "complet, liste d’attente".to_owned(),
            1 => "1 place restante".to_owned(),
            left => format!("{left} places restantes"),
        },
    }
}

/// The events not yet over at `now`, in the manifest's order (by start).
pub fn upcoming(manifest: &Manifest, now: DateTime<Utc>) -> Vec<&ManifestEvent> {
    manifest
        .events
        .iter()
        .filter(|e| e.end.to_utc() > now)
        .take(MAX_LISTED)
        .collect()
}

/// The answer: one embed listing `events` with their counts, or a short text when none.
pub fn answer(
    events: &[(&ManifestEvent, Counts)],
    more: usize,
    now: DateTime<Utc>,
) -> WebhookMessage {
    if events.is_empty() {
        return WebhookMessage::new(
            Some("Aucun événement à venir pour le moment. Revenez bientôt !".to_owned()),
            Vec::new(),
        );
    }
    let mut description = String::new();
    for (event, counts) in events {
        let link = event.url.split('#').next().unwrap_or(&event.url);
        description.push_str(&format!(
            "**[{}]({link})**\n📅 {}\n🎟️ {}\n\n",
            escape_markdown(&event.title),
            event.when,
            places(event, *counts, now)
        ));
    }
    let footer = (more > 0).then(|| EmbedFooter {
        text: format!("… et {more} autre(s) sur le site"),
    });
    let embed = Embed {
        title: Some("Prochains événements".to_owned()),
        description: Some(description.trim_end().to_owned()),
        color: Some(0x3776AB),
        footer,
        ..Embed::default()
    };
    WebhookMessage::new(None, vec![embed])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn event(capacity: Option<u32>) -> ManifestEvent {
        let start = DateTime::parse_from_rfc3339("2026-12-03T19:00:00+01:00").unwrap();
        ManifestEvent {
            slug: "e".into(),
            title: "T".into(),
            url: "https://x.org/e/".into(),
            start,
            end: start + TimeDelta::hours(1),
            when: "jeudi".into(),
            capacity,
            registration: true,
            registration_deadline: start,
            speakers: vec![],
            location: None,
            summary: String::new(),
            cancelled: false,
        }
    }

    #[test]
    fn places_in_french() {
        let now = DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z")
            .unwrap()
            .to_utc();
        let counts = |registered| Counts {
            registered,
            waitlisted: 0,
        };
        assert_eq!(
            places(&event(Some(3)), counts(1), now),
            "2 places restantes"
        );
        assert_eq!(places(&event(Some(3)), counts(2), now), "1 place restante");
        assert_eq!(
            places(&event(Some(3)), counts(3), now),
            "complet, liste d’attente"
        );
        assert_eq!(places(&event(None), counts(9), now), "places illimitées");
    }
}
