//! The Discord application endpoint (`POST /discord/interactions`) through `App::handle`, on
//! each store: signatures checked with a real key pair, Discord's documented payloads.

mod common;

use chrono::TimeDelta;
use common::interactions::*;
use common::*;
use http::StatusCode;
use serde_json::Value;

async fn harness(backend: &Backend, keys: &DiscordKeys) -> Harness {
    let key = keys.public_hex();
    Harness::with(backend, move |config| {
        config.discord_app.public_key = Some(key);
    })
    .await
}

/// The harness clock's "now", as Discord's `X-Signature-Timestamp` gives it.
fn now_secs(h: &Harness) -> i64 {
    (h.clock.clock())().timestamp()
}

async fn interact(h: &Harness, keys: &DiscordKeys, interaction: &Value) -> Value {
    let response = h.send(keys.request(interaction, now_secs(h))).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        text_body(&response)
    );
    assert_eq!(
        header(&response, "content-type"),
        Some("application/json; charset=utf-8")
    );
    json_body(&response)
}

async fn ping_gets_pong(backend: Backend) {
    let keys = DiscordKeys::generate();
    let h = harness(&backend, &keys).await;
    assert_eq!(
        interact(&h, &keys, &ping()).await,
        serde_json::json!({ "type": 1 })
    );
}

async fn bad_missing_and_stale_signatures_are_refused(backend: Backend) {
    let keys = DiscordKeys::generate();
    let h = harness(&backend, &keys).await;
    let body = serde_json::to_vec(&ping()).unwrap();
    let now = now_secs(&h);

    // Signed by another key (what Discord sends on purpose to test the endpoint).
    let other = DiscordKeys::generate();
    let response = h.send(other.request_at(&body, now)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // Body changed after signing.
    let mut req = keys.request_at(&body, now);
    *req.body_mut() = bytes::Bytes::from(br#"{"type":1,"id":"x"}"#.to_vec());
    assert_eq!(h.send(req).await.status(), StatusCode::UNAUTHORIZED);

    // Timestamp changed after signing.
    let mut req = keys.request_at(&body, now);
    req.headers_mut().insert(
        "x-signature-timestamp",
        (now - 1).to_string().parse().unwrap(),
    );
    assert_eq!(h.send(req).await.status(), StatusCode::UNAUTHORIZED);

    // No signature at all, or not hex.
    for drop in ["x-signature-ed25519", "x-signature-timestamp"] {
        let mut req = keys.request_at(&body, now);
        req.headers_mut().remove(drop);
        assert_eq!(
            h.send(req).await.status(),
            StatusCode::UNAUTHORIZED,
            "{drop}"
        );
    }
    let mut req = keys.request_at(&body, now);
    req.headers_mut()
        .insert("x-signature-ed25519", "zz".parse().unwrap());
    assert_eq!(h.send(req).await.status(), StatusCode::UNAUTHORIZED);

    // Validly signed, but six minutes old: a replay.
    let stale = now - TimeDelta::minutes(6).num_seconds();
    assert_eq!(
        h.send(keys.request_at(&body, stale)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Four minutes old is fine.
    let recent = now - TimeDelta::minutes(4).num_seconds();
    assert_eq!(
        h.send(keys.request_at(&body, recent)).await.status(),
        StatusCode::OK
    );
}

async fn without_a_public_key_the_endpoint_says_what_to_set(backend: Backend) {
    let keys = DiscordKeys::generate();
    let h = Harness::new(&backend).await;
    let response = h.send(keys.request(&ping(), now_secs(&h))).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(text_body(&response).contains("DISCORD_PUBLIC_KEY"));
    let response = h.send(get("/discord/interactions")).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

async fn evenements_lists_upcoming_events_with_places(backend: Backend) {
    let keys = DiscordKeys::generate();
    let h = harness(&backend, &keys).await;
    for i in 0..3 {
        let (status, _) = h
            .register(
                "atelier-git",
                &format!("P{i}"),
                &format!("p{i}@example.org"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    h.register("grand-webinaire", "Q", "q@example.org").await;

    let answer = interact(&h, &keys, &slash_command("evenements")).await;
    assert_eq!(answer["type"], 4, "{answer}");
    assert_eq!(answer["data"]["flags"], 64);
    assert_eq!(
        answer["data"]["allowed_mentions"]["parse"],
        serde_json::json!([])
    );
    let embed = &answer["data"]["embeds"][0];
    assert_eq!(embed["title"], "Prochains événements");
    let text = embed["description"].as_str().unwrap();
    // The past event is gone; the others come in order, each with its page and places.
    assert!(!text.contains("evenement-passe"), "{text}");
    let expected = [
        (
            "date-limite-passee",
            "mercredi 25 novembre 2026, 19 h 00 – 20 h 30",
            "inscriptions closes",
        ),
        (
            "atelier-git",
            "jeudi 3 décembre 2026, 19 h 00 – 20 h 30",
            "complet, liste d’attente",
        ),
        (
            "grand-webinaire",
            "jeudi 10 décembre 2026, 19 h 00 – 20 h 30",
            "24 places restantes",
        ),
        (
            "sans-inscription",
            "samedi 12 décembre 2026, 19 h 00 – 20 h 30",
            "entrée libre, sans inscription",
        ),
        (
            "webinaire-illimite",
            "jeudi 17 décembre 2026, 19 h 00 – 20 h 30",
            "places illimitées",
        ),
    ];
    let mut at = 0;
    for (slug, when, places) in expected {
        let found = text[at..]
            .find(&format!("/{slug}/)**\n📅 {when}\n🎟️ {places}"))
            .unwrap_or_else(|| panic!("{slug} not listed as expected in:\n{text}"));
        at += found + 1;
    }
}

async fn unknown_commands_and_buttons_get_a_friendly_answer(backend: Backend) {
    let keys = DiscordKeys::generate();
    let h = harness(&backend, &keys).await;
    let answer = interact(&h, &keys, &slash_command("autre")).await;
    assert_eq!(answer["data"]["flags"], 64);
    assert!(
        answer["data"]["content"]
            .as_str()
            .unwrap()
            .contains("commande")
    );
    let response = h.send(keys.request_at(b"{not json", now_secs(&h))).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

store_tests!(
    ping_gets_pong,
    bad_missing_and_stale_signatures_are_refused,
    without_a_public_key_the_endpoint_says_what_to_set,
    evenements_lists_upcoming_events_with_places,
    unknown_commands_and_buttons_get_a_friendly_answer,
);
