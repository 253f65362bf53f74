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

async fn propose(h: &Harness, keys: &DiscordKeys, message: serde_json::Value) -> String {
    let answer = interact(h, keys, &message_command("Proposer au site", message)).await;
    assert_eq!(answer["type"], 4, "{answer}");
    assert_eq!(answer["data"]["flags"], 64);
    assert_eq!(
        answer["data"]["allowed_mentions"]["parse"],
        serde_json::json!([])
    );
    answer["data"]["content"].as_str().unwrap().to_owned()
}

async fn suggestions(h: &Harness) -> Vec<Value> {
    let mut req = get("/suggestions");
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
    json_body(&response)["suggestions"]
        .as_array()
        .unwrap()
        .clone()
}

async fn a_proposed_message_becomes_suggestions_once(backend: Backend) {
    let keys = DiscordKeys::generate();
    let h = harness(&backend, &keys).await;
    let mut shared = message(
        "1330000000000000001",
        "Super tuto sur les f-strings https://realpython.com/python-f-strings/?utm_source=discord \
         et le tuto officiel <https://docs.python.org/fr/3/tutorial> (gif : https://tenor.com/view/x)",
        "Grace H",
    );
    shared["embeds"] = serde_json::json!([{
        "type": "article",
        "url": "https://realpython.com/python-f-strings/",
        "title": "Python's F-String for String Interpolation and Formatting",
        "description": "Python f-strings provide a quick way to interpolate and format strings."
    }]);
    let answer = propose(&h, &keys, shared.clone()).await;
    assert!(
        answer.starts_with("Merci ! Les mainteneurs relisent"),
        "{answer}"
    );
    assert!(
        answer.contains("✅ <https://realpython.com/python-f-strings/> : proposé."),
        "{answer}"
    );
    assert!(
        answer.contains(
            "déjà sur le site : https://pythonclassmates.org/ressources/tutoriel-python/"
        ),
        "{answer}"
    );
    assert!(
        answer.contains("<https://tenor.com/view/x> : lien Discord ou GIF"),
        "{answer}"
    );

    let list = suggestions(&h).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let s = &list[0];
    assert_eq!(s["url"], "https://realpython.com/python-f-strings/");
    assert_eq!(s["key"], "realpython.com/python-f-strings");
    assert_eq!(s["author"], "Grace H");
    assert_eq!(s["proposed_by"], "Ada L.");
    assert_eq!(s["message_id"], "1330000000000000001");
    assert_eq!(s["channel_id"], CHANNEL_ID);
    assert_eq!(s["guild_id"], GUILD_ID);
    assert_eq!(s["channel_name"], "partage-de-liens");
    assert_eq!(s["message_at"], "2026-11-18T20:15:00.000000+00:00");
    assert_eq!(
        s["embed_title"],
        "Python's F-String for String Interpolation and Formatting"
    );
    assert!(s["content"].as_str().unwrap().starts_with("Super tuto"));
    // No e-mail, no user id.
    let text = s.to_string();
    assert!(!text.contains(MEMBER_ID) && !text.contains('@'), "{text}");

    // The same page again, from another message: not stored twice, the answer says who.
    let again = message(
        "1330000000000000002",
        "http://www.realpython.com/python-f-strings",
        "Linus",
    );
    let answer = propose(&h, &keys, again).await;
    assert!(!answer.contains("Merci"), "{answer}");
    assert!(
        answer.contains("déjà proposé par Ada L.")
            && answer.contains(&format!(
                "https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/1330000000000000001"
            )),
        "{answer}"
    );
    assert_eq!(suggestions(&h).await.len(), 1);

    // Taken by an import: no longer listed, still known.
    let mut req = json_post(
        "/suggestions/taken",
        &serde_json::json!({ "keys": ["realpython.com/python-f-strings"] }),
    );
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {ADMIN_TOKEN}").parse().unwrap(),
    );
    let response = h.send(req).await;
    assert_eq!(json_body(&response)["taken"], 1, "{}", text_body(&response));
    assert!(suggestions(&h).await.is_empty());
    let answer = propose(&h, &keys, shared).await;
    assert!(answer.contains("déjà proposé"), "{answer}");
    assert!(suggestions(&h).await.is_empty());
}

async fn messages_without_links_or_from_bots_get_a_friendly_answer(backend: Backend) {
    let keys = DiscordKeys::generate();
    let h = harness(&backend, &keys).await;
    let answer = propose(
        &h,
        &keys,
        message("1330000000000000003", "Bonjour à tous !", "Ada"),
    )
    .await;
    assert!(answer.contains("ne contient pas de lien"), "{answer}");
    let mut bot = message(
        "1330000000000000004",
        "https://example.org/annonce",
        "Robot",
    );
    bot["author"]["bot"] = serde_json::json!(true);
    let answer = propose(&h, &keys, bot).await;
    assert!(answer.contains("robots"), "{answer}");
    assert!(suggestions(&h).await.is_empty());
    // The list needs the admin token.
    assert_eq!(
        h.send(get("/suggestions")).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// Members proposing the same link at the same moment: one suggestion.
async fn concurrent_proposals_store_one_suggestion(backend: Backend) {
    let keys = DiscordKeys::generate();
    let h = std::sync::Arc::new(harness(&backend, &keys).await);
    let keys = std::sync::Arc::new(keys);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (h, keys) = (h.clone(), keys.clone());
        tasks.push(tokio::spawn(async move {
            let shared = message(
                &format!("13300000000000001{i:02}"),
                "https://fastapi.tiangolo.com/tutorial/",
                "Ada",
            );
            propose(&h, &keys, shared).await
        }));
    }
    let mut stored = 0;
    for task in tasks {
        if task.await.unwrap().contains("✅") {
            stored += 1;
        }
    }
    assert_eq!(stored, 1);
    assert_eq!(suggestions(&h).await.len(), 1);
}

async fn the_register_button_opens_a_form_that_registers_once(backend: Backend) {
    let keys = DiscordKeys::generate();
    let h = harness(&backend, &keys).await;
    // atelier-git has 3 seats: two are taken on the site.
    h.register("atelier-git", "P1", "p1@example.org").await;
    h.register("atelier-git", "P2", "p2@example.org").await;

    let modal = interact(&h, &keys, &button_click("inscription:atelier-git")).await;
    assert_eq!(modal["type"], 9, "{modal}");
    let data = &modal["data"];
    assert_eq!(data["custom_id"], "inscription:atelier-git");
    assert!(data["title"].as_str().unwrap().chars().count() <= 45);
    let components = data["components"].as_array().unwrap();
    assert_eq!(components[0]["type"], 10);
    // The form's consent text, word for word.
    assert!(
        components[0]["content"]
            .as_str()
            .unwrap()
            .contains("j'accepte que PythonClassmates conserve mon nom, mon adresse e-mail et mon pseudo Discord pour gérer ma place à cet événement."),
        "{modal}"
    );
    assert_eq!(components[1]["type"], 18);
    assert_eq!(components[1]["component"]["custom_id"], "email");
    assert_eq!(components[2]["component"]["custom_id"], "name");
    assert_eq!(
        components[2]["component"]["value"], "Ada L.",
        "prefilled with the display name"
    );

    let submit = |email: &str| {
        modal_submit(
            "inscription:atelier-git",
            &[("email", email), ("name", "Ada Lovelace")],
        )
    };
    let answer = interact(&h, &keys, &submit("Ada@Example.org")).await;
    assert_eq!(answer["type"], 4);
    assert_eq!(answer["data"]["flags"], 64);
    let text = answer["data"]["content"].as_str().unwrap();
    assert!(
        text.starts_with("✅ Vous êtes inscrit·e à « Atelier"),
        "{text}"
    );
    let cancel = text
        .split_whitespace()
        .find(|w| w.contains("/registrations/"))
        .unwrap_or_else(|| panic!("no cancel link in {text}"));
    let token = cancel.rsplit('/').next().unwrap();
    assert_eq!(
        h.send(get(&format!("/registrations/{token}")))
            .await
            .status(),
        StatusCode::OK
    );
    // The organisers' list has the member once, with their Discord username.
    let list = h.list("atelier-git").await;
    assert_eq!(list.len(), 3);
    let ada: Vec<&Value> = list
        .iter()
        .filter(|r| r["name"] == "Ada Lovelace")
        .collect();
    assert_eq!(ada.len(), 1, "{list:?}");
    assert_eq!(ada[0]["discord"], "ada_lovelace");
    assert_eq!(ada[0]["email"], "Ada@Example.org");

    // Same address again: the site's duplicate message; nothing stored.
    let answer = interact(&h, &keys, &submit("ada@example.org")).await;
    assert_eq!(
        answer["data"]["content"],
        "Cette adresse e-mail est déjà inscrite à cet événement."
    );
    assert_eq!(h.list("atelier-git").await.len(), 3);

    // The event is full now: the next one waits, with a position.
    let answer = interact(&h, &keys, &submit("grace@example.org")).await;
    let text = answer["data"]["content"].as_str().unwrap();
    assert!(
        text.contains("liste d’attente") && text.contains("en position 1"),
        "{text}"
    );

    // Invalid address: the form's message.
    let answer = interact(&h, &keys, &submit("pas-une-adresse")).await;
    let text = answer["data"]["content"].as_str().unwrap();
    assert!(
        text.contains("Cette adresse e-mail ne semble pas valide."),
        "{text}"
    );

    // A closed event gives no form, with the site's message; so does a submitted one.
    let answer = interact(&h, &keys, &button_click("inscription:date-limite-passee")).await;
    assert_eq!(answer["type"], 4);
    assert_eq!(
        answer["data"]["content"],
        "Les inscriptions à cet événement sont closes."
    );
    let answer = interact(
        &h,
        &keys,
        &modal_submit(
            "inscription:date-limite-passee",
            &[("email", "x@example.org"), ("name", "X")],
        ),
    )
    .await;
    assert_eq!(
        answer["data"]["content"],
        "Les inscriptions à cet événement sont closes."
    );
    let answer = interact(&h, &keys, &button_click("inscription:inconnu")).await;
    assert_eq!(answer["data"]["content"], "Événement introuvable.");
}

/// `classmates discord commands`: both commands declared for the guild, the same ids again on
/// a second run.
#[tokio::test]
async fn commands_are_overwritten_idempotently() {
    use classmates_api::discord::DiscordClient;
    use classmates_api::interactions::commands;
    let discord = common::discord::FakeDiscord::start().await;
    let client = DiscordClient::rest(&discord.api_base, common::discord::BOT_TOKEN).unwrap();
    let app = common::discord::APPLICATION_ID;
    let guild = common::discord::GUILD_ID;
    let names = commands::register(&client, app, guild).await.unwrap();
    assert_eq!(names, ["evenements", "Proposer au site"]);
    let first = discord.commands();
    assert_eq!(first[0]["type"], 1);
    assert_eq!(first[1]["type"], 3);
    commands::register(&client, app, guild).await.unwrap();
    assert_eq!(discord.commands(), first, "a second run changes nothing");
    // The names are the ones the endpoint answers to.
    assert_eq!(
        first[0]["name"],
        classmates_api::interactions::EVENTS_COMMAND
    );
    assert_eq!(
        first[1]["name"],
        classmates_api::interactions::propose::PROPOSE_COMMAND
    );
    // A wrong token: Discord's 401.
    let wrong = DiscordClient::rest(&discord.api_base, "nope").unwrap();
    let err = commands::register(&wrong, app, guild).await.unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
}

store_tests!(
    the_register_button_opens_a_form_that_registers_once,
    a_proposed_message_becomes_suggestions_once,
    messages_without_links_or_from_bots_get_a_friendly_answer,
    concurrent_proposals_store_one_suggestion,
    ping_gets_pong,
    bad_missing_and_stale_signatures_are_refused,
    without_a_public_key_the_endpoint_says_what_to_set,
    evenements_lists_upcoming_events_with_places,
    unknown_commands_and_buttons_get_a_friendly_answer,
);

/// A registration from Discord sends its confirmation with a cancel link under the address the
/// request came through, as the form's do: in Lambda without `PUBLIC_API_URL`, only the request
/// knows the function's address.
#[tokio::test]
async fn a_registration_from_discord_is_confirmed_with_the_requests_own_links() {
    let keys = DiscordKeys::generate();
    let outbox = tempfile::tempdir().unwrap();
    let folder = outbox.path().to_owned();
    let key = keys.public_hex();
    let h = Harness::with(&Backend::Sqlite, move |config| {
        config.discord_app.public_key = Some(key);
        config.mail = classmates_api::config::MailConfig {
            transport: classmates_api::config::MailTransport::Files(folder),
            from: None,
            reply_to: None,
        };
    })
    .await;
    let base = "https://fonction.example.net";
    let submit = modal_submit(
        "inscription:atelier-git",
        &[("email", "ada@example.org"), ("name", "Ada Lovelace")],
    );
    let mut request = keys.request(&submit, now_secs(&h));
    request
        .extensions_mut()
        .insert(classmates_api::PublicBase(base.to_owned()));
    let response = h.send(request).await;
    let text = json_body(&response)["data"]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains(&format!("{base}/registrations/")), "{text}");

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let message = loop {
        let files: Vec<_> = std::fs::read_dir(outbox.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        if let Some(file) = files.first() {
            break std::fs::read_to_string(file).unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no confirmation written"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    // Quoted-printable soft line breaks joined again.
    let message = message.replace("=\r\n", "").replace("=\n", "");
    assert!(
        message.contains(&format!("{base}/registrations/")),
        "the confirmation's cancel link is not under {base}:\n{message}"
    );
}
