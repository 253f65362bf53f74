//! Discord announcements (`POST /announcements/sync`) against a fake Discord webhook, on each
//! store: message shape, exactly once under concurrent syncs, rate limits, failures retried at
//! the next sync, reminders 24 hours and one hour before, mentions that never ping, Discord's
//! limits, and the claim protocol of the stores themselves.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use classmates_api::store::{AnnouncementClaim, AnnouncementKind, ClaimOutcome};
use classmates_api::{App, Config, ManifestSource};
use common::discord::{FakeDiscord, Scripted};
use common::*;
use http::{Request, StatusCode};
use serde_json::{Value, json};

/// Upcoming at NOW (2026-11-20T12:00Z), in manifest order.
const UPCOMING: [&str; 5] = [
    "date-limite-passee",
    "atelier-git",
    "grand-webinaire",
    "sans-inscription",
    "webinaire-illimite",
];

store_tests!(
    scheduled_events_are_created_once_updated_and_deleted,
    the_app_posts_announcements_whose_button_registers,
    announces_each_upcoming_event_once,
    concurrent_syncs_send_each_message_once,
    rate_limits_are_waited_out,
    failed_sends_are_retried_at_the_next_sync,
    reminders_24_hours_and_one_hour_before,
    late_events_get_a_single_message,
    mentions_never_ping_and_long_texts_fit_discord_limits,
    sync_needs_the_token_and_a_webhook,
    discord_outage_never_touches_registrations,
    claims_are_exclusive_and_leases_end,
    crashed_claim_is_taken_over_after_the_lease,
    a_cancelled_event_is_announced_once_and_leaves_the_events_tab,
);

fn sync_request(token: Option<&str>) -> Request<Bytes> {
    let mut req = request("POST", "/announcements/sync", None, Bytes::new());
    if let Some(token) = token {
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    req
}

async fn sync(app: &App) -> (StatusCode, Value) {
    let response = app.handle(sync_request(Some(ADMIN_TOKEN))).await;
    (response.status(), json_body(&response))
}

async fn harness(backend: &Backend, discord: &FakeDiscord) -> Harness {
    let url = discord.url.clone();
    Harness::with(backend, move |config| {
        config.discord_webhook_url = Some(url);
    })
    .await
}

fn slugs(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn field<'a>(embed: &'a Value, name: &str) -> &'a str {
    embed["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"].as_str().unwrap().contains(name))
        .unwrap_or_else(|| panic!("no field {name} in {embed}"))["value"]
        .as_str()
        .unwrap()
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
}

async fn announces_each_upcoming_event_once(backend: Backend) {
    let discord = FakeDiscord::start().await;
    let h = harness(&backend, &discord).await;
    assert_eq!(
        h.register("atelier-git", "Ada", "ada@example.org").await.0,
        StatusCode::CREATED
    );

    let (status, summary) = sync(&h.app).await;
    assert_eq!(status, StatusCode::OK, "[{}] {summary}", h.backend);
    assert_eq!(
        summary,
        json!({ "announced": UPCOMING, "reminders": [], "failed": [] })
    );
    let delivered = discord.delivered();
    assert_eq!(delivered.len(), 5);
    for received in discord.received() {
        assert_eq!(received.query, "wait=true&with_components=true");
        assert_eq!(received.status, 200);
        assert_eq!(received.authorization, None);
    }

    let message = &delivered[1].body;
    assert_eq!(message["allowed_mentions"], json!({ "parse": [] }));
    assert_eq!(
        message["content"],
        "📣 Nouvel événement : Atelier Git & GitHub : \\<branches\\> \"avancées\""
    );
    let embeds = message["embeds"].as_array().unwrap();
    assert_eq!(embeds.len(), 1);
    let embed = &embeds[0];
    assert_eq!(
        embed["title"],
        "Atelier Git & GitHub : <branches> \"avancées\""
    );
    assert_eq!(
        embed["url"],
        "https://pythonclassmates.org/evenements/atelier-git/"
    );
    assert_eq!(embed["description"], "Résumé de l'événement.");
    assert_eq!(embed["timestamp"], "2026-12-03T19:00:00+01:00");
    assert_eq!(embed["color"], 0x3776AB);
    assert_eq!(
        field(embed, "Date"),
        "jeudi 3 décembre 2026, 19 h 00 – 20 h 30"
    );
    assert_eq!(field(embed, "Intervenant"), "Ada Lovelace");
    assert_eq!(field(embed, "Lieu"), "Discord, salon #webinaires");
    assert_eq!(
        field(embed, "Places"),
        "2 places restantes sur 3 (1 inscrit·e)"
    );
    assert_eq!(
        field(embed, "Inscription"),
        "[S’inscrire sur le site](https://pythonclassmates.org/evenements/atelier-git/#inscription)"
    );
    assert_eq!(embed["footer"]["text"], "PythonClassmates");
    // Through a webhook, a link button to the form (the only kind such a webhook can carry).
    assert_eq!(
        message["components"],
        json!([{ "type": 1, "components": [{
            "type": 2, "style": 5, "label": "S’inscrire sur le site",
            "url": "https://pythonclassmates.org/evenements/atelier-git/#inscription"
        }] }])
    );
    // No button where registrations are closed or not offered.
    assert!(delivered[0].body.get("components").is_none());
    assert!(delivered[3].body.get("components").is_none());
    // Other events: closed registrations, no registration, no limit.
    assert_eq!(
        field(&delivered[0].body["embeds"][0], "Places"),
        "Inscriptions closes (0 inscrit·e)"
    );
    assert_eq!(
        field(&delivered[3].body["embeds"][0], "Places"),
        "Entrée libre, sans inscription"
    );
    assert_eq!(
        field(&delivered[4].body["embeds"][0], "Places"),
        "0 inscrit·e, places illimitées"
    );

    // Nothing new: nothing sent.
    let (status, summary) = sync(&h.app).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        summary,
        json!({ "announced": [], "reminders": [], "failed": [] })
    );
    assert_eq!(discord.delivered().len(), 5);
}

async fn concurrent_syncs_send_each_message_once(backend: Backend) {
    let discord = FakeDiscord::start().await;
    // Slow answers: the two syncs overlap for the whole run.
    discord.set_delay(Duration::from_millis(60));
    let h = harness(&backend, &discord).await;
    // Two instances of the function (two Lambda containers) on one store, and one instance
    // running two syncs at once.
    let other = App::with_clock(h.app.config().clone(), h.store.clone(), h.clock.clock()).unwrap();
    let ((s1, a), (s2, b), (s3, c)) = tokio::join!(sync(&h.app), sync(&other), sync(&h.app));
    for (status, summary) in [(s1, &a), (s2, &b), (s3, &c)] {
        assert_eq!(status, StatusCode::OK, "[{}] {summary}", h.backend);
    }
    let mut all: Vec<String> = [&a, &b, &c]
        .iter()
        .flat_map(|s| slugs(&s["announced"]))
        .collect();
    all.sort();
    let mut expected: Vec<String> = UPCOMING.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(all, expected, "[{}] {a} {b} {c}", h.backend);
    let mut titles = discord.delivered_titles();
    assert_eq!(titles.len(), 5, "{titles:?}");
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), 5, "a message was sent twice");

    // Reminders too, with the clock 23 hours before `atelier-git`.
    h.clock.set("2026-12-02T19:00:00Z");
    let ((_, a), (_, b)) = tokio::join!(sync(&h.app), sync(&other));
    let reminders: Vec<&Value> = a["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .chain(b["reminders"].as_array().unwrap())
        .collect();
    assert_eq!(
        reminders,
        vec![&json!({ "slug": "atelier-git", "kind": "reminder-24h" })],
        "[{}] {a} {b}",
        h.backend
    );
    assert_eq!(discord.delivered().len(), 6);
}

async fn rate_limits_are_waited_out(backend: Backend) {
    let discord = FakeDiscord::start().await;
    let h = harness(&backend, &discord).await;
    // The first message gets a 429; the fake refuses anyone back before `retry_after`.
    discord.script(Scripted::RateLimited(0.4));
    let (status, summary) = sync(&h.app).await;
    assert_eq!(status, StatusCode::OK, "[{}] {summary}", h.backend);
    assert_eq!(slugs(&summary["announced"]), UPCOMING);
    let received = discord.received();
    let statuses: Vec<u16> = received.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [429, 200, 200, 200, 200, 200],
        "one 429, no early retry"
    );
    let waited = received[1].at - received[0].at;
    assert!(waited >= Duration::from_millis(390), "{waited:?}");
    assert_eq!(received[0].body, received[1].body, "the same message again");
    assert_eq!(discord.delivered().len(), 5, "posted once");

    // An empty bucket announced in the headers: the next request waits for the reset.
    discord.script(Scripted::EmptyBucket(0.3));
    h.clock.set("2026-11-25T17:30:00Z"); // both reminders of date-limite-passee: one message
    let (status, summary) = sync(&h.app).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        summary["reminders"],
        json!([{ "slug": "date-limite-passee", "kind": "reminder-1h" }])
    );
    h.clock.set("2026-12-02T19:00:00Z"); // 24-hour reminder of atelier-git
    let (status, summary) = sync(&h.app).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    let received = discord.received();
    let last = &received[received.len() - 2..];
    assert!(
        last.iter().all(|r| r.status == 200),
        "{:?}",
        last.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(last[1].at - last[0].at >= Duration::from_millis(290));
}

async fn failed_sends_are_retried_at_the_next_sync(backend: Backend) {
    let discord = FakeDiscord::start().await;
    let h = harness(&backend, &discord).await;
    discord.script(Scripted::Status(500));
    let (status, summary) = sync(&h.app).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "[{}] {summary}", h.backend);
    assert_eq!(slugs(&summary["announced"]), &UPCOMING[1..]);
    let failed = summary["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{summary}");
    assert_eq!(failed[0]["slug"], "date-limite-passee");
    assert_eq!(failed[0]["kind"], "announce");
    let error = failed[0]["error"].as_str().unwrap();
    assert!(error.contains("500"), "{error}");
    assert!(
        !error.contains("fake-token"),
        "the webhook token leaked: {error}"
    );

    let (status, summary) = sync(&h.app).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        summary,
        json!({ "announced": ["date-limite-passee"], "reminders": [], "failed": [] })
    );
    let (_, summary) = sync(&h.app).await;
    assert_eq!(summary["announced"], json!([]));
    let titles: HashSet<String> = discord.delivered_titles().into_iter().collect();
    assert_eq!(titles.len(), 5);
    assert_eq!(discord.delivered().len(), 5);
}

async fn reminders_24_hours_and_one_hour_before(backend: Backend) {
    let discord = FakeDiscord::start().await;
    let h = harness(&backend, &discord).await;
    assert_eq!(sync(&h.app).await.0, StatusCode::OK);
    for i in 0..2 {
        let email = format!("p{i}@example.org");
        assert_eq!(
            h.register("atelier-git", "P", &email).await.0,
            StatusCode::CREATED
        );
    }

    // 25 hours before atelier-git (2026-12-03T18:00Z): too early.
    h.clock.set("2026-12-02T17:00:00Z");
    let (_, summary) = sync(&h.app).await;
    assert_eq!(
        summary,
        json!({ "announced": [], "reminders": [], "failed": [] })
    );
    // 23 hours before.
    h.clock.set("2026-12-02T19:00:00Z");
    let (status, summary) = sync(&h.app).await;
    assert_eq!(status, StatusCode::OK, "[{}] {summary}", h.backend);
    assert_eq!(
        summary,
        json!({ "announced": [], "reminders": [{ "slug": "atelier-git", "kind": "reminder-24h" }], "failed": [] })
    );
    let reminder = discord.delivered().last().unwrap().body.clone();
    assert_eq!(
        reminder["content"],
        "⏰ Rappel : « Atelier Git & GitHub : \\<branches\\> \"avancées\" » commence dans moins de 24 heures."
    );
    assert_eq!(reminder["embeds"][0]["color"], 0xFFD43B);
    assert_eq!(
        field(&reminder["embeds"][0], "Places"),
        "1 place restante sur 3 (2 inscrit·e·s)"
    );
    h.clock.advance(TimeDelta::minutes(15));
    assert_eq!(sync(&h.app).await.1["reminders"], json!([]));

    // A third person registers; 45 minutes before (registrations closed at 11:00Z).
    assert_eq!(
        h.register("atelier-git", "P", "p3@example.org").await.0,
        StatusCode::CREATED
    );
    h.clock.set("2026-12-03T17:15:00Z");
    let (_, summary) = sync(&h.app).await;
    assert_eq!(
        summary,
        json!({ "announced": [], "reminders": [{ "slug": "atelier-git", "kind": "reminder-1h" }], "failed": [] })
    );
    let reminder = discord.delivered().last().unwrap().body.clone();
    assert!(
        reminder["content"]
            .as_str()
            .unwrap()
            .ends_with("commence dans moins d’une heure !"),
        "{reminder}"
    );
    assert_eq!(
        field(&reminder["embeds"][0], "Places"),
        "Inscriptions closes (3 inscrit·e·s)"
    );
    h.clock.advance(TimeDelta::minutes(15));
    assert_eq!(sync(&h.app).await.1["reminders"], json!([]));
    // Started: nothing more.
    h.clock.set("2026-12-03T18:30:00Z");
    assert_eq!(sync(&h.app).await.1["reminders"], json!([]));
    assert_eq!(discord.delivered().len(), 7);
}

async fn late_events_get_a_single_message(backend: Backend) {
    let discord = FakeDiscord::start().await;
    let h = harness(&backend, &discord).await;
    // First sync ever 30 minutes before atelier-git: its announcement covers both reminders.
    h.clock.set("2026-12-03T17:30:00Z");
    let (status, summary) = sync(&h.app).await;
    assert_eq!(status, StatusCode::OK, "[{}] {summary}", h.backend);
    assert_eq!(
        slugs(&summary["announced"]),
        [
            "atelier-git",
            "grand-webinaire",
            "sans-inscription",
            "webinaire-illimite"
        ]
    );
    assert_eq!(summary["reminders"], json!([]));
    h.clock.advance(TimeDelta::minutes(15));
    let (_, summary) = sync(&h.app).await;
    assert_eq!(
        summary,
        json!({ "announced": [], "reminders": [], "failed": [] })
    );
    // Announced 10 hours before grand-webinaire (2026-12-10T18:00Z) by a first sync: the
    // one-hour reminder still comes, the 24-hour one does not.
    let discord2 = FakeDiscord::start().await;
    let h2 = harness(&backend, &discord2).await;
    h2.clock.set("2026-12-10T08:00:00Z");
    let (_, summary) = sync(&h2.app).await;
    assert_eq!(slugs(&summary["announced"])[0], "grand-webinaire");
    h2.clock.set("2026-12-10T09:00:00Z");
    assert_eq!(sync(&h2.app).await.1["reminders"], json!([]));
    h2.clock.set("2026-12-10T17:10:00Z");
    assert_eq!(
        sync(&h2.app).await.1["reminders"],
        json!([{ "slug": "grand-webinaire", "kind": "reminder-1h" }])
    );
}

/// One event whose texts break every limit and try to ping everyone.
fn oversized_manifest(dir: &std::path::Path) -> std::path::PathBuf {
    let title = format!("@everyone @here {}", "Très long titre 🐍 ".repeat(40));
    let event = json!({
        "slug": "enorme",
        "title": title,
        "url": "https://pythonclassmates.org/evenements/enorme/",
        "start": "2026-12-03T19:00:00+01:00",
        "end": "2026-12-03T20:30:00+01:00",
        "when": format!("jeudi 3 décembre 2026 {}", "é".repeat(2000)),
        "capacity": 10,
        "registration": true,
        "registration_deadline": "2026-12-03T12:00:00+01:00",
        "speakers": (0..300).map(|i| format!("Intervenant·e {i}")).collect::<Vec<_>>(),
        "location": "📍".repeat(3000),
        "summary": format!("@everyone {}", "Un résumé interminable. ".repeat(400)),
    });
    let path = dir.join("index.json");
    std::fs::write(
        &path,
        serde_json::to_vec(&json!({ "version": 1, "events": [event] })).unwrap(),
    )
    .unwrap();
    path
}

async fn mentions_never_ping_and_long_texts_fit_discord_limits(backend: Backend) {
    let discord = FakeDiscord::start().await;
    let manifest_dir = tempfile::tempdir().unwrap();
    let manifest = oversized_manifest(manifest_dir.path());
    let url = discord.url.clone();
    let h = Harness::with(&backend, move |config| {
        config.discord_webhook_url = Some(url);
        config.events_manifest = ManifestSource::Path(manifest);
    })
    .await;
    let (status, summary) = sync(&h.app).await;
    assert_eq!(status, StatusCode::OK, "[{}] {summary}", h.backend);
    assert_eq!(summary["announced"], json!(["enorme"]));
    // The fake refuses (400) anything over Discord's limits: it was accepted.
    let delivered = discord.delivered();
    assert_eq!(delivered.len(), 1);
    assert!(!delivered[0].pinged_everyone, "a title pinged @everyone");
    let body = &delivered[0].body;
    assert!(body["content"].as_str().unwrap().contains("@everyone"));
    let embed = &body["embeds"][0];
    let count = |v: &Value| v.as_str().unwrap().chars().count();
    assert_eq!(count(&embed["title"]), 256);
    assert!(embed["title"].as_str().unwrap().ends_with('…'));
    for f in embed["fields"].as_array().unwrap() {
        assert!(count(&f["value"]) <= 1024);
    }
    assert!(field(embed, "Lieu").ends_with('…'));
    let total = count(&embed["title"])
        + embed["description"]
            .as_str()
            .map_or(0, |d| d.chars().count())
        + count(&embed["footer"]["text"])
        + embed["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| count(&f["name"]) + count(&f["value"]))
            .sum::<usize>();
    assert!(total <= 6000, "{total}");
    assert!(
        embed["description"].as_str().unwrap().ends_with('…'),
        "the description is what gives way"
    );

    // The fake itself behaves like Discord: without allowed_mentions, @everyone pings; over
    // the limits, 400.
    let http = reqwest::Client::new();
    let response = http
        .post(format!("{}?wait=true", discord.url))
        .header("content-type", "application/json")
        .body(json!({ "content": "@everyone hello" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(discord.delivered().last().unwrap().pinged_everyone);
    let response = http
        .post(format!("{}?wait=true", discord.url))
        .header("content-type", "application/json")
        .body(json!({ "embeds": [{ "title": "x".repeat(257) }] }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

async fn sync_needs_the_token_and_a_webhook(backend: Backend) {
    let discord = FakeDiscord::start().await;
    let h = harness(&backend, &discord).await;
    for token in [None, Some("wrong-token-wrong-token")] {
        let response = h.app.handle(sync_request(token)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(header(&response, "www-authenticate").is_some());
    }
    let mut get = sync_request(Some(ADMIN_TOKEN));
    *get.method_mut() = http::Method::GET;
    let response = h.app.handle(get).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&response, "allow"), Some("POST, OPTIONS"));
    assert!(discord.received().is_empty());

    // No webhook configured: 503 saying what to set.
    let h = Harness::new(&backend).await;
    let response = h.app.handle(sync_request(Some(ADMIN_TOKEN))).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let error = json_body(&response)["error"].as_str().unwrap().to_owned();
    assert!(error.contains("DISCORD_WEBHOOK_URL"), "{error}");
    // …and still the admin token first.
    let response = h.app.handle(sync_request(None)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // An invalid webhook URL is a configuration error naming the variable, not the value.
    let mut config = Config::new(ADMIN_TOKEN, ManifestSource::Path(fixtures().join("site")));
    config.discord_webhook_url = Some("discord.com/api/webhooks/1/secret".to_owned());
    let err = App::new(config, h.store.clone()).err().unwrap().to_string();
    assert!(
        err.contains("DISCORD_WEBHOOK_URL") && !err.contains("secret"),
        "{err}"
    );
}

async fn discord_outage_never_touches_registrations(backend: Backend) {
    // A webhook on a port where nothing listens.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{closed}/api/webhooks/123/fake-token");
    let h = Harness::with(&backend, move |config| {
        config.discord_webhook_url = Some(url);
    })
    .await;
    let started = std::time::Instant::now();
    let (status, body) = h.register("atelier-git", "Ada", "ada@example.org").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(started.elapsed() < Duration::from_secs(5));

    let (status, summary) = sync(&h.app).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "[{}] {summary}", h.backend);
    assert_eq!(summary["announced"], json!([]));
    assert_eq!(summary["failed"].as_array().unwrap().len(), 5);
    assert!(!summary.to_string().contains("fake-token"), "{summary}");
    // Registrations still work, and the failures are retried later.
    assert_eq!(
        h.register("atelier-git", "Bob", "bob@example.org").await.0,
        StatusCode::CREATED
    );
    let (_, summary) = sync(&h.app).await;
    assert_eq!(summary["failed"].as_array().unwrap().len(), 5);
}

fn claim<'a>(
    slug: &'a str,
    kind: AnnouncementKind,
    id: &'a str,
    now: DateTime<Utc>,
) -> AnnouncementClaim<'a> {
    AnnouncementClaim {
        slug,
        kind,
        claim: id,
        now,
        lease_until: now + TimeDelta::minutes(10),
        keep_until: now + TimeDelta::days(60),
    }
}

async fn claims_are_exclusive_and_leases_end(backend: Backend) {
    use AnnouncementKind::*;
    let h = Harness::new(&backend).await;
    let store = &h.store;
    let now = at(NOW);
    assert_eq!(
        store
            .claim_announcement(&claim("e", Announce, "c1", now))
            .await
            .unwrap(),
        ClaimOutcome::Claimed
    );
    assert_eq!(
        store
            .claim_announcement(&claim("e", Announce, "c2", now + TimeDelta::minutes(9)))
            .await
            .unwrap(),
        ClaimOutcome::Held
    );
    // Other kinds and events are independent.
    for (slug, kind) in [("e", Reminder24h), ("e", Reminder1h), ("f", Announce)] {
        assert_eq!(
            store
                .claim_announcement(&claim(slug, kind, "c9", now))
                .await
                .unwrap(),
            ClaimOutcome::Claimed
        );
    }
    // Only the holder marks or releases.
    assert!(
        !store
            .mark_announcement_sent("e", Announce, "c2", now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .release_announcement("e", Announce, "c2")
            .await
            .unwrap()
    );
    // Lease over (the holder died): taken over; the old holder lost it.
    let later = now + TimeDelta::minutes(11);
    assert_eq!(
        store
            .claim_announcement(&claim("e", Announce, "c3", later))
            .await
            .unwrap(),
        ClaimOutcome::Claimed
    );
    assert!(
        !store
            .mark_announcement_sent("e", Announce, "c1", later)
            .await
            .unwrap()
    );
    assert!(
        store
            .mark_announcement_sent("e", Announce, "c3", later)
            .await
            .unwrap()
    );
    // Sent is final: never claimed again, never released, whatever the time.
    let much_later = later + TimeDelta::days(3);
    assert_eq!(
        store
            .claim_announcement(&claim("e", Announce, "c4", much_later))
            .await
            .unwrap(),
        ClaimOutcome::Sent
    );
    assert!(
        !store
            .release_announcement("e", Announce, "c3")
            .await
            .unwrap()
    );
    // Released: claimable again at once.
    assert!(
        store
            .release_announcement("f", Announce, "c9")
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .claim_announcement(&claim("f", Announce, "c5", now))
            .await
            .unwrap(),
        ClaimOutcome::Claimed
    );

    // Many at once: one winner.
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = Arc::clone(store);
            tokio::spawn(async move {
                let id = format!("racer-{i}");
                store
                    .claim_announcement(&claim("g", Reminder1h, &id, now))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        if task.await.unwrap() == ClaimOutcome::Claimed {
            won += 1;
        }
    }
    assert_eq!(won, 1, "[{}]", h.backend);
}

async fn crashed_claim_is_taken_over_after_the_lease(backend: Backend) {
    let discord = FakeDiscord::start().await;
    let h = harness(&backend, &discord).await;
    // A sync claimed atelier-git's announcement, then died before sending.
    let now = at(NOW);
    assert_eq!(
        h.store
            .claim_announcement(&claim(
                "atelier-git",
                AnnouncementKind::Announce,
                "dead",
                now
            ))
            .await
            .unwrap(),
        ClaimOutcome::Claimed
    );
    let (_, summary) = sync(&h.app).await;
    assert!(
        !slugs(&summary["announced"]).contains(&"atelier-git".to_owned()),
        "{summary}"
    );
    assert_eq!(summary["failed"], json!([]));
    h.clock.advance(TimeDelta::minutes(11));
    let (_, summary) = sync(&h.app).await;
    assert_eq!(
        summary,
        json!({ "announced": ["atelier-git"], "reminders": [], "failed": [] }),
        "[{}]",
        h.backend
    );
    assert_eq!(discord.delivered().len(), 5);
}

/// With the bot configured, the app posts in its channel (Create Message) and the
/// « S'inscrire » button of the message opens the form whose submission registers the member:
/// the whole way from the announcement to a seat, with Discord's documented payloads.
async fn the_app_posts_announcements_whose_button_registers(backend: Backend) {
    use common::interactions::{DiscordKeys, button_click, modal_submit};
    let discord = FakeDiscord::start().await;
    let keys = DiscordKeys::generate();
    let (api_base, public_key) = (discord.api_base.clone(), keys.public_hex());
    let h = Harness::with(&backend, move |config| {
        config.discord_app.bot_token = Some(common::discord::BOT_TOKEN.to_owned());
        config.discord_app.channel_id = Some(common::discord::CHANNEL_ID.to_owned());
        config.discord_app.api_base = api_base;
        config.discord_app.public_key = Some(public_key);
    })
    .await;
    let (status, summary) = sync(&h.app).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["announced"], json!(UPCOMING));
    for received in discord.received() {
        assert_eq!(
            received.path,
            format!("/api/v10/channels/{}/messages", common::discord::CHANNEL_ID)
        );
        assert_eq!(
            received.authorization.as_deref(),
            Some("Bot fake-bot-token")
        );
        assert_eq!(received.status, 200, "{:?}", received.body);
    }
    let message = &discord.delivered()[1].body;
    assert_eq!(message["allowed_mentions"], json!({ "parse": [] }));
    let buttons = message["components"][0]["components"].as_array().unwrap();
    assert_eq!(buttons[0]["style"], 1);
    assert_eq!(buttons[0]["label"], "S’inscrire");
    assert_eq!(buttons[1]["style"], 5);
    assert_eq!(
        buttons[1]["url"],
        "https://pythonclassmates.org/evenements/atelier-git/"
    );
    let custom_id = buttons[0]["custom_id"].as_str().unwrap().to_owned();
    assert_eq!(custom_id, "inscription:atelier-git");

    // A member clicks it, then submits the form.
    let now = (h.clock.clock())().timestamp();
    let modal = json_body(&h.send(keys.request(&button_click(&custom_id), now)).await);
    assert_eq!(modal["type"], 9, "{modal}");
    let form = modal_submit(
        modal["data"]["custom_id"].as_str().unwrap(),
        &[("email", "membre@example.org"), ("name", "Membre Discord")],
    );
    let answer = json_body(&h.send(keys.request(&form, now)).await);
    let text = answer["data"]["content"].as_str().unwrap();
    assert!(text.starts_with("✅ Vous êtes inscrit·e"), "{text}");
    assert!(text.contains("/registrations/"), "{text}");
    assert_eq!(h.counts("atelier-git").await["count"], 1);
    let list = h.list("atelier-git").await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "Membre Discord");

    // A wrong bot token: Discord's 401, reported, retried at the next sync.
    let discord2 = FakeDiscord::start().await;
    let api_base = discord2.api_base.clone();
    let h2 = Harness::with(&backend, move |config| {
        config.discord_app.bot_token = Some("not-the-token".to_owned());
        config.discord_app.channel_id = Some(common::discord::CHANNEL_ID.to_owned());
        config.discord_app.api_base = api_base;
    })
    .await;
    let (status, summary) = sync(&h2.app).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{summary}");
    assert!(discord2.delivered().is_empty());
    assert!(!summary.to_string().contains("not-the-token"), "{summary}");
}

/// With the bot and the guild configured, each upcoming event is one guild scheduled event,
/// even under concurrent syncs; a changed event is updated, a removed one deleted.
async fn scheduled_events_are_created_once_updated_and_deleted(backend: Backend) {
    let discord = FakeDiscord::start().await;
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("evenements")).unwrap();
    let manifest_path = site.path().join("evenements/index.json");
    let original = std::fs::read_to_string(fixtures().join("site/evenements/index.json")).unwrap();
    std::fs::write(&manifest_path, &original).unwrap();
    let (api_base, dir) = (discord.api_base.clone(), site.path().to_owned());
    let h = Harness::with(&backend, move |config| {
        config.events_manifest = ManifestSource::Path(dir);
        config.discord_app.bot_token = Some(common::discord::BOT_TOKEN.to_owned());
        config.discord_app.channel_id = Some(common::discord::CHANNEL_ID.to_owned());
        config.discord_app.guild_id = Some(common::discord::GUILD_ID.to_owned());
        config.discord_app.api_base = api_base;
    })
    .await;

    // Two syncs at once: one scheduled event per upcoming event.
    let (a, b) = tokio::join!(sync(&h.app), sync(&h.app));
    assert_eq!(a.0, StatusCode::OK, "{}", a.1);
    assert_eq!(b.0, StatusCode::OK, "{}", b.1);
    let mut created: Vec<String> = slugs(&a.1["scheduled_events"]["created"]);
    created.extend(slugs(&b.1["scheduled_events"]["created"]));
    created.sort();
    let mut expected: Vec<String> = UPCOMING.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(created, expected);
    let events = discord.scheduled_events();
    assert_eq!(events.len(), 5, "{events:?}");
    let git = events
        .iter()
        .find(|e| e["name"] == "Atelier Git & GitHub : <branches> \"avancées\"")
        .expect("atelier-git scheduled");
    assert_eq!(git["entity_type"], 3);
    assert_eq!(git["privacy_level"], 2);
    assert_eq!(
        git["entity_metadata"]["location"],
        "https://pythonclassmates.org/evenements/atelier-git/"
    );
    assert_eq!(git["scheduled_start_time"], "2026-12-03T18:00:00+00:00");
    assert_eq!(git["scheduled_end_time"], "2026-12-03T19:30:00+00:00");
    assert!(
        git["description"]
            .as_str()
            .unwrap()
            .starts_with("Résumé de l'événement.")
    );

    // Nothing changed: nothing sent.
    let before = discord.received().len();
    let (_, summary) = sync(&h.app).await;
    assert_eq!(
        summary["scheduled_events"],
        json!({ "created": [], "updated": [], "deleted": [], "failed": [] })
    );
    assert_eq!(discord.received().len(), before);

    // A new title for one event, another removed from the site.
    let mut manifest: Value = serde_json::from_str(&original).unwrap();
    let events = manifest["events"].as_array_mut().unwrap();
    events.retain(|e| e["slug"] != "sans-inscription");
    for e in events.iter_mut() {
        if e["slug"] == "grand-webinaire" {
            e["title"] = json!("Grand webinaire (nouveau titre)");
        }
    }
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let (status, summary) = sync(&h.app).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(
        summary["scheduled_events"]["updated"],
        json!(["grand-webinaire"])
    );
    assert_eq!(
        summary["scheduled_events"]["deleted"],
        json!(["sans-inscription"])
    );
    let events = discord.scheduled_events();
    assert_eq!(events.len(), 4);
    assert!(
        events
            .iter()
            .any(|e| e["name"] == "Grand webinaire (nouveau titre)")
    );
    let methods: Vec<String> = discord.received()[before..]
        .iter()
        .filter(|r| r.path.contains("scheduled-events"))
        .map(|r| r.method.clone())
        .collect();
    assert_eq!(methods, ["PATCH", "DELETE"]);
}

async fn a_cancelled_event_is_announced_once_and_leaves_the_events_tab(backend: Backend) {
    let discord = FakeDiscord::start().await;
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("evenements")).unwrap();
    let manifest_path = site.path().join("evenements/index.json");
    let original = std::fs::read_to_string(fixtures().join("site/evenements/index.json")).unwrap();
    std::fs::write(&manifest_path, &original).unwrap();
    let (api_base, dir) = (discord.api_base.clone(), site.path().to_owned());
    let h = Harness::with(&backend, move |config| {
        config.events_manifest = ManifestSource::Path(dir);
        config.discord_app.bot_token = Some(common::discord::BOT_TOKEN.to_owned());
        config.discord_app.channel_id = Some(common::discord::CHANNEL_ID.to_owned());
        config.discord_app.guild_id = Some(common::discord::GUILD_ID.to_owned());
        config.discord_app.api_base = api_base;
    })
    .await;
    let (status, summary) = sync(&h.app).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(discord.scheduled_events().len(), 5);
    let posted = discord.delivered().len();

    // The organisers cancel the big webinar.
    let mut manifest: Value = serde_json::from_str(&original).unwrap();
    for e in manifest["events"].as_array_mut().unwrap() {
        if e["slug"] == "grand-webinaire" {
            e["cancelled"] = json!(true);
        }
    }
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let (status, summary) = sync(&h.app).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(
        summary["cancelled"],
        json!(["grand-webinaire"]),
        "{summary}"
    );
    assert_eq!(
        summary["scheduled_events"]["deleted"],
        json!(["grand-webinaire"])
    );
    let delivered = discord.delivered();
    assert_eq!(delivered.len(), posted + 1, "one message");
    let message = &delivered[posted].body;
    assert_eq!(
        message["content"],
        "❌ Annulé : « Grand webinaire Django » n’aura pas lieu."
    );
    assert_eq!(
        field(&message["embeds"][0], "Places"),
        "Événement annulé : les inscrit·e·s sont prévenu·e·s par e-mail"
    );
    assert!(message.get("components").is_none(), "no register button");
    assert_eq!(discord.scheduled_events().len(), 4);

    // Once: the next syncs post nothing more about it, not even its reminders.
    h.clock.set("2026-12-10T17:30:00Z");
    let (_, summary) = sync(&h.app).await;
    assert!(summary.get("cancelled").is_none(), "{summary}");
    assert!(
        !discord.delivered()[posted + 1..]
            .iter()
            .any(|d| d.body.to_string().contains("Grand webinaire Django")),
        "nothing more about the cancelled event"
    );
}
