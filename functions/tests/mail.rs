//! E-mail through a real SMTP server on loopback (aiosmtpd, see `tests/common/smtp.rs`), on each
//! store: what every message says (parsed as MIME, the `.ics` with an iCalendar parser), one
//! message per registration and per promotion even under 300 concurrent registrations, and an
//! SMTP outage that delays messages without losing or repeating any, nor slowing registering.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use common::smtp::Mailbox;
use common::*;
use http::StatusCode;
use mail_parser::{Message, MessageParser, MimeHeaders};
use serde_json::{Value, json};

const WORKSHOP: &str = "atelier-git"; // 3 seats
const TITLE: &str = "Atelier Git & GitHub : <branches> \"avancées\"";
const WHEN: &str = "jeudi 3 décembre 2026, 19 h 00 – 20 h 30";
const PAGE: &str = "https://pythonclassmates.org/evenements/atelier-git/";
const WAIT: Duration = Duration::from_secs(20);

/// Held for writing by the load test, for reading by the test that counts on the store
/// answering within a request: the DynamoDB-compatible server (one Python process) loaded with
/// 300 registrations at once answers too late for a duplicate's resend, which is then not
/// made (it is done within the request, without retry; see the closing note of issue 15).
static LOAD: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

store_tests!(
    confirmations_say_where_one_stands,
    a_cancel_sends_one_promotion,
    three_hundred_registrations_three_hundred_confirmations,
    an_smtp_outage_delays_every_message_once,
    a_silent_smtp_server_never_holds_a_registration,
    registering_again_resends_the_confirmation_once_an_hour,
);

/// A harness sending through this test's mailbox, or `None` without the SMTP server.
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
    assert!(calendars.next().is_none());
    assert_eq!(calendar.events.len(), 1);
    calendar.events[0]
        .properties
        .iter()
        .map(|p| (p.name.clone(), p.value.clone().unwrap_or_default()))
        .collect()
}

/// The `.ics` attachment of `message`, if any.
fn ics_of(message: &Message<'_>) -> Option<Vec<u8>> {
    message
        .attachments()
        .find(|a| a.attachment_name() == Some("evenement.ics"))
        .map(|a| a.contents().to_vec())
}

fn cancel_link(body: &Value) -> String {
    format!(
        "https://pythonclassmates.org{}",
        body["cancel_url"].as_str().unwrap()
    )
}

async fn confirmations_say_where_one_stands(backend: Backend) {
    let Some((h, mailbox)) = harness(&backend, "confirmations_say_where_one_stands").await else {
        return;
    };
    let mut links = HashMap::new();
    for i in 1..=4 {
        let (status, body) = h
            .register(
                WORKSHOP,
                &format!("Personne {i}"),
                &format!("p{i}@example.org"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        links.insert(format!("p{i}@example.org"), cancel_link(&body));
    }
    let raw = mailbox.wait_for(4, WAIT).await;
    assert_eq!(raw.len(), 4, "[{}]", h.backend);
    for raw in &raw {
        let message = parse(raw);
        let to = recipient(&message);
        let from = message.from().and_then(|f| f.first()).unwrap();
        assert_eq!(from.address(), Some(mailbox.from.as_str()));
        assert_eq!(from.name(), Some("PythonClassmates"));
        let reply_to = message.reply_to().and_then(|r| r.first()).unwrap();
        assert_eq!(reply_to.address(), Some("orga@classmates.test"));
        assert!(message.message_id().is_some_and(|id| id.contains('@')));
        assert!(message.date().is_some());
        assert_eq!(
            message.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-generated")
        );
        let text = message.body_text(0).unwrap().into_owned();
        let html = message.body_html(0).unwrap().into_owned();
        let link = &links[&to];
        for expected in [TITLE, WHEN, PAGE, link.as_str()] {
            assert!(text.contains(expected), "{to}: {expected} not in {text}");
        }
        assert!(html.contains(&format!("<a href=\"{link}\">")), "{html}");
        assert!(
            html.contains("Atelier Git &amp; GitHub : &lt;branches&gt;"),
            "escaped title: {html}"
        );
        let subject = message.subject().unwrap();
        if to == "p4@example.org" {
            assert_eq!(subject, format!("Liste d’attente (position 1) : {TITLE}"));
            assert!(text.contains("en position 1"), "{text}");
            assert!(ics_of(&message).is_none(), "no seat, no calendar");
        } else {
            assert_eq!(subject, format!("Inscription confirmée : {TITLE}"));
            assert!(text.contains("Bonjour Personne"), "{text}");
            let event = vevent(&ics_of(&message).expect("an .ics for a seat"));
            assert_eq!(event["UID"], "atelier-git@pythonclassmates.org");
            assert_eq!(event["SUMMARY"], TITLE);
            assert_eq!(event["DTSTART"], "20261203T180000Z");
            assert_eq!(event["DTEND"], "20261203T193000Z");
            assert_eq!(event["URL"], PAGE);
            assert_eq!(event["LOCATION"], "Discord\\, salon #webinaires");
        }
    }
    let mut recipients: Vec<String> = raw.iter().map(|r| recipient(&parse(r))).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        [
            "p1@example.org",
            "p2@example.org",
            "p3@example.org",
            "p4@example.org"
        ]
    );
    // Delivered messages are gone from the outbox: a later round sends nothing more.
    h.clock.advance(TimeDelta::minutes(10));
    assert_eq!(h.app.deliver_outbox().await.unwrap().sent, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mailbox.messages().len(), 4);
}

async fn a_cancel_sends_one_promotion(backend: Backend) {
    let Some((h, mailbox)) = harness(&backend, "a_cancel_sends_one_promotion").await else {
        return;
    };
    let mut first = Value::Null;
    for i in 1..=5 {
        let (status, body) = h
            .register(WORKSHOP, "Personne", &format!("p{i}@example.org"))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        if i == 1 {
            first = body;
        }
    }
    assert_eq!(mailbox.wait_for(5, WAIT).await.len(), 5);
    let token = token_of(&first["cancel_url"]);
    let response = h
        .send(json_post(
            &format!("/registrations/{token}/cancel"),
            &json!({}),
        ))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        text_body(&response)
    );
    let raw = mailbox.wait_for(6, WAIT).await;
    assert_eq!(raw.len(), 6, "[{}]", h.backend);
    let promotion = parse(&raw[5]);
    assert_eq!(recipient(&promotion), "p4@example.org");
    assert_eq!(
        promotion.subject(),
        Some(format!("Une place s’est libérée : {TITLE}").as_str())
    );
    let text = promotion.body_text(0).unwrap();
    assert!(text.contains("elle est à vous"), "{text}");
    let event = vevent(&ics_of(&promotion).expect("an .ics with the seat"));
    assert_eq!(event["UID"], "atelier-git@pythonclassmates.org");
    // Exactly one: nothing else leaves, even after every retry time.
    h.clock.advance(TimeDelta::hours(3));
    assert_eq!(h.app.deliver_outbox().await.unwrap().sent, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mailbox.messages().len(), 6);
}

async fn three_hundred_registrations_three_hundred_confirmations(backend: Backend) {
    let _alone = LOAD.write().await;
    let Some((h, mailbox)) = harness(
        &backend,
        "three_hundred_registrations_three_hundred_confirmations",
    )
    .await
    else {
        return;
    };
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let app = h.app.clone();
            tokio::spawn(async move {
                let body = json!({ "name": format!("Personne {i}"), "email": format!("p{i}@example.org"), "consent": true });
                app.handle(json_post("/events/grand-webinaire/registrations", &body))
                    .await
                    .status()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::CREATED);
    }
    // Each request sends its own confirmation, past its bounded wait if need be (moto is slow).
    let raw = mailbox.wait_for(300, Duration::from_secs(120)).await;
    assert_eq!(raw.len(), 300, "[{}]", h.backend);
    let mut by_recipient: HashMap<String, String> = HashMap::new();
    for raw in &raw {
        let message = parse(raw);
        let previous =
            by_recipient.insert(recipient(&message), message.subject().unwrap().to_owned());
        assert!(previous.is_none(), "a confirmation sent twice");
    }
    assert_eq!(by_recipient.len(), 300);
    let registered = by_recipient
        .values()
        .filter(|s| s.starts_with("Inscription confirmée"))
        .count();
    let mut positions: Vec<u32> = by_recipient
        .values()
        .filter_map(|s| s.strip_prefix("Liste d’attente (position "))
        .map(|rest| rest.split(')').next().unwrap().parse().unwrap())
        .collect();
    positions.sort_unstable();
    assert_eq!(registered, 25);
    assert_eq!(positions, (1..=275).collect::<Vec<_>>());
    h.clock.advance(TimeDelta::hours(3));
    assert_eq!(h.app.deliver_outbox().await.unwrap().sent, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mailbox.messages().len(), 300);
}

async fn an_smtp_outage_delays_every_message_once(backend: Backend) {
    let Some((h, mailbox)) = harness(&backend, "an_smtp_outage_delays_every_message_once").await
    else {
        return;
    };
    mailbox.set_down(true);
    for i in 1..=5 {
        let started = Instant::now();
        let (status, _) = h
            .register(WORKSHOP, "Personne", &format!("p{i}@example.org"))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(mailbox.messages().is_empty());
    // Still down at the first retry: tried again later.
    h.clock.advance(TimeDelta::seconds(31));
    let summary = h.app.deliver_outbox().await.unwrap();
    assert_eq!((summary.sent, summary.retrying), (0, 5), "{summary:?}");
    mailbox.set_down(false);
    // Not due yet: the back-off doubled.
    h.clock.advance(TimeDelta::seconds(31));
    assert_eq!(h.app.deliver_outbox().await.unwrap().sent, 0);
    // The scheduled sync (Lambda's retry path) sends them, without Discord configured.
    h.clock.advance(TimeDelta::seconds(30));
    let mut sync = json_post("/announcements/sync", &json!({}));
    sync.headers_mut().insert(
        "authorization",
        format!("Bearer {ADMIN_TOKEN}").parse().unwrap(),
    );
    let response = h.send(sync).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        text_body(&response)
    );
    assert_eq!(json_body(&response)["mail"]["sent"], 5);
    let raw = mailbox.wait_for(5, WAIT).await;
    let mut recipients: Vec<String> = raw.iter().map(|r| recipient(&parse(r))).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        (1..=5)
            .map(|i| format!("p{i}@example.org"))
            .collect::<Vec<_>>()
    );
    h.clock.advance(TimeDelta::hours(3));
    assert_eq!(h.app.deliver_outbox().await.unwrap().sent, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mailbox.messages().len(), 5);
}

async fn a_silent_smtp_server_never_holds_a_registration(backend: Backend) {
    let Some(mailbox) = Mailbox::open("a_silent_smtp_server_never_holds_a_registration") else {
        return;
    };
    // Accepts connections and never says a word (no 220 greeting).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let h = Harness::with(&backend, |config| {
        mailbox.configure(config);
        config.mail.transport =
            classmates_api::MailTransport::Smtp(format!("smtp://127.0.0.1:{port}"));
    })
    .await;
    let started = Instant::now();
    let (status, body) = h.register(WORKSHOP, "Ada", "ada@example.org").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(4),
        "registering waited {elapsed:?} for SMTP"
    );
    silent.abort();
}

async fn registering_again_resends_the_confirmation_once_an_hour(backend: Backend) {
    let _not_under_load = LOAD.read().await;
    let Some((h, mailbox)) = harness(
        &backend,
        "registering_again_resends_the_confirmation_once_an_hour",
    )
    .await
    else {
        return;
    };
    let (status, body) = h.register(WORKSHOP, "Ada", "ada@example.org").await;
    assert_eq!(status, StatusCode::CREATED);
    let link = cancel_link(&body);
    assert_eq!(mailbox.wait_for(1, WAIT).await.len(), 1);
    // The same address again (other case): 409 as before, and the confirmation once more.
    let (status, _) = h.register(WORKSHOP, "Ada", "ADA@example.org").await;
    assert_eq!(status, StatusCode::CONFLICT);
    let raw = mailbox.wait_for(2, WAIT).await;
    assert_eq!(raw.len(), 2, "[{}]", h.backend);
    let again = parse(&raw[1]);
    assert_eq!(recipient(&again), "ada@example.org");
    assert_eq!(
        again.subject(),
        Some(format!("Inscription confirmée : {TITLE}").as_str())
    );
    assert!(
        again.body_text(0).unwrap().contains(&link),
        "the same cancel link"
    );
    // Within the hour: nothing more, however often.
    h.clock.advance(TimeDelta::minutes(59));
    for _ in 0..3 {
        assert_eq!(
            h.register(WORKSHOP, "Ada", "ada@example.org").await.0,
            StatusCode::CONFLICT
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(mailbox.messages().len(), 2);
    // An hour after the last one: once more.
    h.clock.advance(TimeDelta::minutes(2));
    assert_eq!(
        h.register(WORKSHOP, "Ada", "ada@example.org").await.0,
        StatusCode::CONFLICT
    );
    assert_eq!(mailbox.wait_for(3, WAIT).await.len(), 3);
    // Another address is not a duplicate and never receives Ada's message.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let recipients: Vec<String> = mailbox
        .messages()
        .iter()
        .map(|r| recipient(&parse(r)))
        .collect();
    assert_eq!(recipients, ["ada@example.org"; 3]);
}
