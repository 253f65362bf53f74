//! What the sync sends to the people of an event, received by a real SMTP server on loopback
//! (aiosmtpd) and parsed as MIME, on each store: the reminder 24 hours before the start, once per
//! registered person however many syncs run at once, never after the start; the join link with
//! it, or at once when set or changed after it, once per link value; a notice to everyone when
//! the event moves or is cancelled, with the `.ics` at the next SEQUENCE.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use chrono::TimeDelta;
use common::smtp::Mailbox;
use common::*;
use http::StatusCode;
use mail_parser::{Message, MessageParser, MimeHeaders};
use serde_json::{Value, json};

const WORKSHOP: &str = "atelier-git"; // 3 seats, starts 2026-12-03T18:00:00Z
const TITLE: &str = "Atelier Git & GitHub : <branches> \"avancées\"";
const WAIT: Duration = Duration::from_secs(20);

store_tests!(
    three_concurrent_syncs_remind_each_registered_person_once,
    no_reminder_leaves_after_the_start,
    join_links_reach_the_registered_once_per_link,
    a_moved_then_cancelled_event_notifies_everyone_once,
);

async fn harness(backend: &Backend, test: &str) -> Option<(Harness, Mailbox)> {
    let mailbox = Mailbox::open(test)?;
    let h = Harness::with(backend, |config| mailbox.configure(config)).await;
    Some((h, mailbox))
}

fn parse(raw: &[u8]) -> Message<'_> {
    MessageParser::default().parse(raw).expect("a MIME message")
}

fn recipient(message: &Message<'_>) -> String {
    message
        .to()
        .and_then(|to| to.first())
        .and_then(|a| a.address())
        .unwrap()
        .to_owned()
}

/// The properties of the one VEVENT of an `.ics`, parsed with the `ical` crate.
fn vevent(ics: &[u8]) -> HashMap<String, String> {
    let mut calendars = ical::IcalParser::new(std::io::BufReader::new(ics));
    let calendar = calendars
        .next()
        .expect("a calendar")
        .expect("a valid calendar");
    assert_eq!(calendar.events.len(), 1);
    calendar.events[0]
        .properties
        .iter()
        .map(|p| (p.name.clone(), p.value.clone().unwrap_or_default()))
        .collect()
}

fn ics_of(message: &Message<'_>) -> Option<Vec<u8>> {
    message
        .attachments()
        .find(|a| a.attachment_name() == Some("evenement.ics"))
        .map(|a| a.contents().to_vec())
}

/// `POST /announcements/sync` with the admin token (no Discord configured).
async fn sync(h: &Harness) -> Value {
    let mut req = json_post("/announcements/sync", &json!({}));
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {ADMIN_TOKEN}").parse().unwrap(),
    );
    let response = h.send(req).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        text_body(&response)
    );
    json_body(&response)
}

/// Recipients of the messages whose subject starts with `prefix`, sorted.
fn to_of(raw: &[Vec<u8>], prefix: &str) -> Vec<String> {
    let mut to: Vec<String> = raw
        .iter()
        .map(|r| parse(r))
        .filter(|m| m.subject().is_some_and(|s| s.starts_with(prefix)))
        .map(|m| recipient(&m))
        .collect();
    to.sort();
    to
}

/// Registers p1…p4 for the workshop (p4 waits); `before`: messages the mailbox held already.
async fn register_four(h: &Harness, mailbox: &Mailbox, before: usize) -> Vec<Value> {
    let mut bodies = Vec::new();
    for i in 1..=4 {
        let (status, body) = h
            .register(
                WORKSHOP,
                &format!("Personne {i}"),
                &format!("p{i}@example.org"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        bodies.push(body);
    }
    assert_eq!(mailbox.wait_for(before + 4, WAIT).await.len(), before + 4);
    bodies
}

async fn three_concurrent_syncs_remind_each_registered_person_once(backend: Backend) {
    let Some((h, mailbox)) = harness(
        &backend,
        "three_concurrent_syncs_remind_each_registered_person_once",
    )
    .await
    else {
        return;
    };
    let bodies = register_four(&h, &mailbox, 0).await; // p4 waits
    // 25 hours before: not yet.
    h.clock.set("2026-12-02T17:00:00Z");
    assert_eq!(sync(&h).await["mail"]["recorded"]["reminders"], 0);
    // 23 h 30 before, three syncs at once.
    h.clock.set("2026-12-02T18:30:00Z");
    let (a, b, c) = tokio::join!(sync(&h), sync(&h), sync(&h));
    let recorded: u64 = [a, b, c]
        .iter()
        .map(|s| s["mail"]["recorded"]["reminders"].as_u64().unwrap())
        .sum();
    assert_eq!(recorded, 3, "[{}]", h.backend);
    let raw = mailbox.wait_for(7, WAIT).await;
    let reminders = format!("Rappel : {TITLE} commence bientôt");
    assert_eq!(
        to_of(&raw, &reminders),
        ["p1@example.org", "p2@example.org", "p3@example.org"],
        "[{}]",
        h.backend
    );
    let reminder = raw
        .iter()
        .map(|r| parse(r))
        .find(|m| m.subject() == Some(reminders.as_str()))
        .unwrap();
    let text = reminder.body_text(0).unwrap().into_owned();
    for expected in [
        "commence dans moins de 24 heures",
        "jeudi 3 décembre 2026, 19 h 00 – 20 h 30",
        "https://pythonclassmates.org/evenements/atelier-git/",
        "/registrations/",
    ] {
        assert!(text.contains(expected), "{expected} not in {text}");
    }
    assert!(
        reminder
            .body_html(0)
            .unwrap()
            .contains("<a href=\"https://")
    );
    let event = vevent(&ics_of(&reminder).expect("the reminder carries the .ics"));
    assert_eq!(event["UID"], "atelier-git@pythonclassmates.org");
    assert!(!event.contains_key("SEQUENCE"), "revision 0: {event:?}");
    // Later syncs send nothing more.
    h.clock.advance(TimeDelta::minutes(5));
    assert_eq!(sync(&h).await["mail"]["recorded"]["reminders"], 0);
    // p1 cancels inside the window: p4 moves up, then gets the reminder from the next sync.
    let token = token_of(&bodies[0]["cancel_url"]);
    let response = h
        .send(json_post(
            &format!("/registrations/{token}/cancel"),
            &json!({}),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(mailbox.wait_for(8, WAIT).await.len(), 8);
    h.clock.advance(TimeDelta::minutes(5));
    assert_eq!(sync(&h).await["mail"]["recorded"]["reminders"], 1);
    let raw = mailbox.wait_for(9, WAIT).await;
    assert_eq!(
        to_of(&raw, &reminders),
        [
            "p1@example.org",
            "p2@example.org",
            "p3@example.org",
            "p4@example.org"
        ]
    );
    for _ in 0..2 {
        h.clock.advance(TimeDelta::minutes(5));
        assert_eq!(sync(&h).await["mail"]["recorded"]["reminders"], 0);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mailbox.messages().len(), 9, "[{}]", h.backend);
}

async fn no_reminder_leaves_after_the_start(backend: Backend) {
    let Some((h, mailbox)) = harness(&backend, "no_reminder_leaves_after_the_start").await else {
        return;
    };
    register_four(&h, &mailbox, 0).await;
    // The reminders are recorded while SMTP is down, and still not sent when the event starts.
    mailbox.set_down(true);
    h.clock.set("2026-12-03T17:00:00Z");
    let first = sync(&h).await;
    assert_eq!(first["mail"]["recorded"]["reminders"], 3);
    assert_eq!(first["mail"]["retrying"], 3);
    mailbox.set_down(false);
    h.clock.set("2026-12-03T18:01:00Z");
    let late = sync(&h).await;
    assert_eq!(late["mail"]["dropped"], 3, "{late}");
    assert_eq!(late["mail"]["sent"], 0, "{late}");
    // A sync that was down until after the start records none at all.
    let h2 = Harness::with(&backend, |config| mailbox.configure(config)).await;
    register_four(&h2, &mailbox, 4).await;
    h2.clock.set("2026-12-03T18:05:00Z");
    let after = sync(&h2).await;
    assert_eq!(after["mail"]["recorded"]["reminders"], 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mailbox.messages().len(), 8, "only the confirmations");
    assert!(to_of(&mailbox.messages(), "Rappel").is_empty());
}

/// `PUT /events/{slug}/join-url` with the admin token; whether the link changed.
async fn set_join(h: &Harness, slug: &str, url: &str) -> bool {
    let mut req = request(
        "PUT",
        &format!("/events/{slug}/join-url"),
        Some("application/json"),
        json!({ "url": url }).to_string(),
    );
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {ADMIN_TOKEN}").parse().unwrap(),
    );
    let response = h.send(req).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        text_body(&response)
    );
    json_body(&response)["changed"].as_bool().unwrap()
}

/// The join-link messages of `raw` carrying `url`, by recipient.
fn join_links_to(raw: &[Vec<u8>], url: &str) -> Vec<String> {
    let mut to: Vec<String> = raw
        .iter()
        .map(|r| parse(r))
        .filter(|m| {
            m.subject()
                .is_some_and(|s| s.starts_with("Lien pour rejoindre"))
        })
        .filter(|m| m.body_text(0).unwrap().contains(url))
        .map(|m| recipient(&m))
        .collect();
    to.sort();
    to
}

async fn join_links_reach_the_registered_once_per_link(backend: Backend) {
    let Some((h, mailbox)) =
        harness(&backend, "join_links_reach_the_registered_once_per_link").await
    else {
        return;
    };
    register_four(&h, &mailbox, 0).await; // p4 waits
    // A link set before the reminders goes with them (webinaire-illimite, later on).
    let (status, _) = h
        .register("webinaire-illimite", "Grace", "grace@example.org")
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(mailbox.wait_for(5, WAIT).await.len(), 5);
    assert!(set_join(&h, "webinaire-illimite", "https://meet.example.org/early").await);
    // The workshop's reminders go out without a link.
    h.clock.set("2026-12-02T18:30:00Z");
    assert_eq!(sync(&h).await["mail"]["recorded"]["reminders"], 3);
    let raw = mailbox.wait_for(8, WAIT).await;
    assert_eq!(raw.len(), 8);
    assert!(raw.iter().all(|r| {
        !parse(r)
            .body_text(0)
            .unwrap()
            .contains("ne le partagez pas")
    }));
    // Set after the reminders: sent at once to the three registered (not to p4, who waits).
    let first = "https://meet.example.org/atelier?pwd=1";
    assert!(set_join(&h, WORKSHOP, first).await);
    let raw = mailbox.wait_for(11, WAIT).await;
    let registered = ["p1@example.org", "p2@example.org", "p3@example.org"];
    assert_eq!(join_links_to(&raw, first), registered, "[{}]", h.backend);
    let html = raw.iter().map(|r| parse(r)).find(|m| {
        m.subject()
            .is_some_and(|s| s.starts_with("Lien pour rejoindre"))
    });
    assert!(
        html.unwrap()
            .body_html(0)
            .unwrap()
            .contains("<a href=\"https://meet.example.org/atelier?pwd=1\">")
    );
    // The same link again, and later syncs: nothing more.
    assert!(!set_join(&h, WORKSHOP, first).await);
    h.clock.advance(TimeDelta::minutes(5));
    assert_eq!(sync(&h).await["mail"]["recorded"]["join_links"], 0);
    // Changed: the new link, once each.
    let second = "https://meet.example.org/atelier?pwd=2";
    assert!(set_join(&h, WORKSHOP, second).await);
    let raw = mailbox.wait_for(14, WAIT).await;
    assert_eq!(join_links_to(&raw, second), registered);
    h.clock.advance(TimeDelta::minutes(5));
    assert_eq!(sync(&h).await["mail"]["recorded"]["join_links"], 0);
    // The other event's reminder carries the link set before it, and no join-link message.
    h.clock.set("2026-12-16T19:00:00Z");
    let later = sync(&h).await;
    assert_eq!(later["mail"]["recorded"]["reminders"], 1, "{later}");
    assert_eq!(later["mail"]["recorded"]["join_links"], 0, "{later}");
    let raw = mailbox.wait_for(15, WAIT).await;
    let reminder = parse(raw.last().unwrap());
    assert_eq!(recipient(&reminder), "grace@example.org");
    assert!(reminder.subject().unwrap().starts_with("Rappel"));
    let text = reminder.body_text(0).unwrap();
    assert!(text.contains("https://meet.example.org/early"), "{text}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mailbox.messages().len(), 15, "[{}]", h.backend);
}

/// Rewrites the workshop in the manifest at `path` with `change`, as a rebuild of the site would.
fn rewrite_workshop(path: &std::path::Path, change: impl FnOnce(&mut Value)) {
    // A new modification time for the catalog to see.
    std::thread::sleep(Duration::from_millis(1100));
    let mut manifest: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let event = manifest["events"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["slug"] == WORKSHOP)
        .unwrap();
    change(event);
    std::fs::write(path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
}

async fn a_moved_then_cancelled_event_notifies_everyone_once(backend: Backend) {
    let Some(mailbox) = Mailbox::open("a_moved_then_cancelled_event_notifies_everyone_once") else {
        return;
    };
    let site = tempfile::tempdir().unwrap();
    let manifest = site.path().join("evenements/index.json");
    std::fs::create_dir_all(manifest.parent().unwrap()).unwrap();
    std::fs::copy(fixtures().join("site/evenements/index.json"), &manifest).unwrap();
    let root = site.path().to_owned();
    let h = Harness::with(&backend, |config| {
        mailbox.configure(config);
        config.events_manifest = classmates_api::ManifestSource::Path(root);
    })
    .await;
    register_four(&h, &mailbox, 0).await; // p4 waits
    h.clock.advance(TimeDelta::minutes(1));
    assert_eq!(
        sync(&h).await["mail"]["recorded"]["notices"],
        0,
        "first seen"
    );
    // Moved by a day.
    rewrite_workshop(&manifest, |e| {
        e["start"] = json!("2026-12-04T19:00:00+01:00");
        e["end"] = json!("2026-12-04T20:30:00+01:00");
        e["when"] = json!("vendredi 4 décembre 2026, 19 h 00 – 20 h 30");
    });
    h.clock.advance(TimeDelta::minutes(1));
    assert_eq!(
        sync(&h).await["mail"]["recorded"]["notices"],
        4,
        "[{}]",
        h.backend
    );
    let raw = mailbox.wait_for(8, WAIT).await;
    let moved = format!("Changement d’horaire : {TITLE}");
    assert_eq!(
        to_of(&raw, &moved),
        [
            "p1@example.org",
            "p2@example.org",
            "p3@example.org",
            "p4@example.org"
        ]
    );
    for message in raw
        .iter()
        .map(|r| parse(r))
        .filter(|m| m.subject() == Some(moved.as_str()))
    {
        let text = message.body_text(0).unwrap().into_owned();
        assert!(
            text.contains("vendredi 4 décembre 2026, 19 h 00 – 20 h 30"),
            "{text}"
        );
        if recipient(&message) == "p4@example.org" {
            assert!(text.contains("liste d’attente, en position 1"), "{text}");
            assert!(ics_of(&message).is_none(), "no seat, no calendar");
        } else {
            let event = vevent(&ics_of(&message).expect("an updated .ics"));
            assert_eq!(event["UID"], "atelier-git@pythonclassmates.org");
            assert_eq!(event["SEQUENCE"], "1");
            assert_eq!(event["DTSTART"], "20261204T180000Z");
            assert_eq!(event["DTEND"], "20261204T193000Z");
            assert_eq!(event["DTSTAMP"], "20261120T120200Z");
            assert!(!event.contains_key("STATUS"));
        }
    }
    h.clock.advance(TimeDelta::minutes(1));
    assert_eq!(sync(&h).await["mail"]["recorded"]["notices"], 0);
    // Someone who registers after the change is not told of it; her confirmation's .ics is
    // already at SEQUENCE 1.
    let (status, _) = h.register(WORKSHOP, "Personne 5", "p5@example.org").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(mailbox.wait_for(9, WAIT).await.len(), 9);
    h.clock.advance(TimeDelta::minutes(1));
    assert_eq!(sync(&h).await["mail"]["recorded"]["notices"], 0);
    // Cancelled: everyone, the newcomer too, once; the seats' .ics at SEQUENCE 2, cancelled.
    rewrite_workshop(&manifest, |e| e["cancelled"] = json!(true));
    h.clock.advance(TimeDelta::minutes(1));
    assert_eq!(
        sync(&h).await["mail"]["recorded"]["notices"],
        5,
        "[{}]",
        h.backend
    );
    let raw = mailbox.wait_for(14, WAIT).await;
    let cancelled = format!("Annulé : {TITLE}");
    assert_eq!(
        to_of(&raw, &cancelled),
        [
            "p1@example.org",
            "p2@example.org",
            "p3@example.org",
            "p4@example.org",
            "p5@example.org"
        ]
    );
    for message in raw
        .iter()
        .map(|r| parse(r))
        .filter(|m| m.subject() == Some(cancelled.as_str()))
    {
        let text = message.body_text(0).unwrap().into_owned();
        assert!(text.contains("est annulé"), "{text}");
        if let Some(ics) = ics_of(&message) {
            let event = vevent(&ics);
            assert_eq!(event["SEQUENCE"], "2");
            assert_eq!(event["STATUS"], "CANCELLED");
            assert_eq!(event["UID"], "atelier-git@pythonclassmates.org");
        } else {
            assert!(["p4@example.org", "p5@example.org"].contains(&recipient(&message).as_str()));
        }
    }
    // Closed for good: no registration, no reminder.
    let (status, body) = h.register(WORKSHOP, "Personne 6", "p6@example.org").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["error"].as_str().unwrap().contains("annulé"), "{body}");
    h.clock.set("2026-12-04T10:00:00Z");
    let window = sync(&h).await;
    assert_eq!(window["mail"]["recorded"]["reminders"], 0, "{window}");
    assert_eq!(window["mail"]["recorded"]["notices"], 0, "{window}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mailbox.messages().len(), 14, "[{}]", h.backend);
}
