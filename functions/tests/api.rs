//! Every outcome of the HTTP API, through `App::handle`, written once and run on each store
//! (`sqlite::…` and `dynamodb::…`).

mod common;

use chrono::TimeDelta;
use common::*;
use http::StatusCode;
use serde_json::{Value, json};

const WORKSHOP: &str = "atelier-git"; // 3 seats
const WORKSHOP_URL: &str = "https://pythonclassmates.org/evenements/atelier-git/";
const REGISTER: &str = "/events/atelier-git/registrations";

store_tests!(
    counts_for_known_and_unknown_events,
    registrations_fill_seats_then_waitlist,
    duplicate_emails_are_refused,
    unknown_event_is_404,
    closed_registrations_are_403,
    invalid_fields_are_422_per_field,
    oversized_body_is_413,
    other_content_types_are_415,
    malformed_json_is_400,
    rate_limit_is_429_per_client,
    rate_limit_zero_disables,
    one_address_is_capped_across_events,
    honeypot_pretends_success_and_stores_nothing,
    forms_are_redirected_with_status,
    cancellation_promotes_and_deletes_data,
    cancel_page_is_self_contained_and_escaped,
    organiser_list_json_csv_and_auth,
    cors_allows_only_the_configured_origin,
    public_answers_never_contain_personal_data,
    unknown_routes_and_methods,
    raised_capacity_promotes_waiting_people_first,
    cancel_links_follow_the_public_base,
);

async fn counts_for_known_and_unknown_events(backend: Backend) {
    let h = Harness::new(&backend).await;
    let response = h.send(get("/events/atelier-git")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "cache-control"),
        Some("public, max-age=5")
    );
    assert_eq!(
        json_body(&response),
        json!({ "slug": "atelier-git", "count": 0, "capacity": 3, "remaining": 3, "waitlist": 0, "open": true })
    );
    let unlimited = h.counts("webinaire-illimite").await;
    assert_eq!(unlimited["capacity"], Value::Null);
    assert_eq!(unlimited["remaining"], Value::Null);
    assert_eq!(unlimited["open"], json!(true));
    assert_eq!(h.counts("evenement-passe").await["open"], json!(false));
    assert_eq!(h.counts("sans-inscription").await["open"], json!(false));

    let response = h.send(get("/events/inconnu")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        json_body(&response),
        json!({ "error": "Événement introuvable." })
    );
}

async fn registrations_fill_seats_then_waitlist(backend: Backend) {
    let h = Harness::new(&backend).await;
    for i in 1..=3 {
        let (status, body) = h
            .register(
                WORKSHOP,
                &format!("Personne {i}"),
                &format!("p{i}@example.org"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["status"], "registered");
        assert!(body.get("position").is_none());
        let cancel_url = body["cancel_url"].as_str().unwrap();
        assert!(
            cancel_url.starts_with("/api/registrations/"),
            "{cancel_url}"
        );
        assert!(token_of(&body["cancel_url"]).len() >= 22);
    }
    for position in 1..=2 {
        let (status, body) = h
            .register(WORKSHOP, "Attente", &format!("w{position}@example.org"))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(body["status"], "waitlisted");
        assert_eq!(body["position"], position);
    }
    assert_eq!(
        h.counts(WORKSHOP).await,
        json!({ "slug": "atelier-git", "count": 3, "capacity": 3, "remaining": 0, "waitlist": 2, "open": true })
    );
    // Unlimited: never a waiting list.
    for i in 0..5 {
        let (status, body) = h
            .register("webinaire-illimite", "X", &format!("u{i}@example.org"))
            .await;
        assert_eq!(
            (status, body["status"].as_str()),
            (StatusCode::CREATED, Some("registered"))
        );
    }
    assert_eq!(h.counts("webinaire-illimite").await["count"], 5);
}

async fn duplicate_emails_are_refused(backend: Backend) {
    let h = Harness::new(&backend).await;
    assert_eq!(
        h.register(WORKSHOP, "Ada", "ada@example.org").await.0,
        StatusCode::CREATED
    );
    for variant in [
        "ada@example.org",
        "ADA@Example.ORG",
        "  ada@example.org\t",
        " Ada@EXAMPLE.org ",
        // Look-alikes: full-width letters (NFKC), invisible characters, a fully qualified domain.
        "ａｄａ@example.org",
        "a\u{200B}da@example.org",
        "\u{FEFF}ada@exam\u{00AD}ple.org",
        "ada@example.org.",
    ] {
        let (status, body) = h.register(WORKSHOP, "Ada bis", variant).await;
        assert_eq!(status, StatusCode::CONFLICT, "{variant:?}");
        assert_eq!(
            body,
            json!({ "error": "Cette adresse e-mail est déjà inscrite à cet événement." })
        );
    }
    // Also against people on the waiting list.
    h.register(WORKSHOP, "B", "b@example.org").await;
    h.register(WORKSHOP, "C", "c@example.org").await;
    let (status, body) = h.register(WORKSHOP, "Wait", "wait@example.org").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::CREATED, Some("waitlisted"))
    );
    assert_eq!(
        h.register(WORKSHOP, "Wait", " WAIT@example.org").await.0,
        StatusCode::CONFLICT
    );
    // Nothing stored by the refusals, and the same person may join another event.
    assert_eq!(h.list(WORKSHOP).await.len(), 4);
    assert_eq!(h.counts(WORKSHOP).await["waitlist"], 1);
    assert_eq!(
        h.register("webinaire-illimite", "Ada", "ada@example.org")
            .await
            .0,
        StatusCode::CREATED
    );
}

async fn unknown_event_is_404(backend: Backend) {
    let h = Harness::new(&backend).await;
    let body = json!({ "name": "Ada", "email": "ada@example.org", "consent": true });
    let response = h
        .send(json_post("/events/inconnu/registrations", &body))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(json_body(&response)["error"], "Événement introuvable.");
    let response = h
        .send(form_post("/events/inconnu/registrations", "name=Ada"))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

async fn closed_registrations_are_403(backend: Backend) {
    let h = Harness::new(&backend).await;
    let cases = [
        (
            "sans-inscription",
            "Cet événement ne prend pas d’inscriptions.",
        ),
        (
            "date-limite-passee",
            "Les inscriptions à cet événement sont closes.",
        ),
        ("evenement-passe", "Cet événement est terminé."),
    ];
    for (slug, message) in cases {
        let (status, body) = h.register(slug, "Ada", "ada@example.org").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{slug}");
        assert_eq!(body, json!({ "error": message }));
        assert_eq!(h.counts(slug).await["count"], 0);
    }
    // The same event before and after its deadline (12:00 +01:00) and end, by the clock.
    h.clock.set("2026-12-03T10:59:59Z");
    assert_eq!(
        h.register(WORKSHOP, "Ada", "ada@example.org").await.0,
        StatusCode::CREATED
    );
    h.clock.set("2026-12-03T11:00:00Z");
    let (status, body) = h.register(WORKSHOP, "Bob", "bob@example.org").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (
            StatusCode::FORBIDDEN,
            Some("Les inscriptions à cet événement sont closes.")
        )
    );
    assert_eq!(h.counts(WORKSHOP).await["open"], json!(false));
    h.clock.set("2026-12-03T19:30:00Z");
    let (status, body) = h.register(WORKSHOP, "Bob", "bob@example.org").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("Cet événement est terminé."))
    );
    assert_eq!(h.counts(WORKSHOP).await["count"], 1);
}

async fn invalid_fields_are_422_per_field(backend: Backend) {
    let h = Harness::new(&backend).await;
    let valid = json!({ "name": "Ada", "email": "ada@example.org", "discord": "ada#1815", "consent": true });
    let with = |key: &str, value: Value| {
        let mut body = valid.clone();
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value;
        }
        body
    };
    let cases = [
        (with("name", Value::Null), "name", "Indiquez votre nom."),
        (with("name", json!("   ")), "name", "Indiquez votre nom."),
        (
            with("name", json!("a".repeat(101))),
            "name",
            "Votre nom ne doit pas dépasser 100 caractères.",
        ),
        (
            with("name", json!(42)),
            "name",
            "Le nom doit être du texte.",
        ),
        (
            with("email", Value::Null),
            "email",
            "Indiquez votre adresse e-mail.",
        ),
        (
            with("email", json!("pas-une-adresse")),
            "email",
            "Cette adresse e-mail ne semble pas valide.",
        ),
        (
            with("email", json!("a@b")),
            "email",
            "Cette adresse e-mail ne semble pas valide.",
        ),
        (
            with(
                "email",
                json!(format!("{}@{}.fr", "a".repeat(60), "b".repeat(200))),
            ),
            "email",
            "L'adresse e-mail ne doit pas dépasser 254 caractères.",
        ),
        (
            with("discord", json!("d".repeat(65))),
            "discord",
            "Le pseudo Discord ne doit pas dépasser 64 caractères.",
        ),
        (
            with("consent", Value::Null),
            "consent",
            "Vous devez accepter que vos données soient utilisées pour cette inscription.",
        ),
        (
            with("consent", json!(false)),
            "consent",
            "Vous devez accepter que vos données soient utilisées pour cette inscription.",
        ),
        (
            with("consent", json!("non")),
            "consent",
            "Vous devez accepter que vos données soient utilisées pour cette inscription.",
        ),
    ];
    for (body, field, message) in cases {
        let response = h.send(json_post(REGISTER, &body)).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {body}"
        );
        let answer = json_body(&response);
        assert_eq!(answer["error"], "Certains champs sont invalides.");
        assert_eq!(answer["fields"], json!({ field: message }), "{body}");
    }
    // Several faults at once, all reported; nothing stored.
    let response = h.send(json_post(REGISTER, &json!({ "email": "x" }))).await;
    let fields = json_body(&response)["fields"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(fields, ["consent", "email", "name"]);
    assert_eq!(h.counts(WORKSHOP).await["count"], 0);
    // Limits are inclusive and the name is trimmed.
    let body = with("name", json!(format!("  {}  ", "é".repeat(100))));
    let body = json!({ "name": body["name"], "email": "ada@example.org", "discord": "d".repeat(64), "consent": "on" });
    assert_eq!(
        h.send(json_post(REGISTER, &body)).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(h.list(WORKSHOP).await[0]["name"], "é".repeat(100));
}

async fn oversized_body_is_413(backend: Backend) {
    let h = Harness::new(&backend).await;
    let body = json!({ "name": "Ada", "email": "ada@example.org", "consent": true, "pad": "x".repeat(8 * 1024) });
    let response = h.send(json_post(REGISTER, &body)).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        json_body(&response)["error"],
        "La requête est trop volumineuse."
    );
    let form = format!(
        "name=Ada&email=ada%40example.org&consent=on&pad={}",
        "x".repeat(8 * 1024)
    );
    let response = h.send(form_post(REGISTER, &form)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header(&response, "location"),
        Some(&*format!(
            "{WORKSHOP_URL}?inscription=invalid#inscription-invalid"
        ))
    );
    assert_eq!(h.counts(WORKSHOP).await["count"], 0);
}

async fn other_content_types_are_415(backend: Backend) {
    let h = Harness::new(&backend).await;
    for content_type in [
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        Some("application/xml"),
        None,
    ] {
        let req = request(
            "POST",
            REGISTER,
            content_type,
            "name=Ada&email=ada%40example.org&consent=on",
        );
        let response = h.send(req).await;
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert!(
            json_body(&response)["error"]
                .as_str()
                .unwrap()
                .starts_with("Format non pris en charge")
        );
    }
    // Parameters and case do not matter.
    let body = r#"{"name":"Ada","email":"ada@example.org","consent":true}"#;
    let req = request(
        "POST",
        REGISTER,
        Some("Application/JSON; charset=UTF-8"),
        body,
    );
    assert_eq!(h.send(req).await.status(), StatusCode::CREATED);
}

async fn malformed_json_is_400(backend: Backend) {
    let h = Harness::new(&backend).await;
    for body in ["{", "[]", "\"texte\"", ""] {
        let response = h
            .send(request("POST", REGISTER, Some("application/json"), body))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body:?}");
        assert_eq!(
            json_body(&response)["error"],
            "Le corps de la requête doit être un objet JSON."
        );
    }
}

async fn rate_limit_is_429_per_client(backend: Backend) {
    let h = Harness::with(&backend, |config| config.rate_limit = 3).await;
    let attempt = |email: &str| {
        json_post(
            REGISTER,
            &json!({ "name": "Ada", "email": email, "consent": true }),
        )
    };
    // Attempts count whatever their outcome (here: 201, 409, 422).
    assert_eq!(
        h.send(with_ip(attempt("a@example.org"), "192.0.2.10"))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        h.send(with_ip(attempt("a@example.org"), "192.0.2.10"))
            .await
            .status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        h.send(with_ip(attempt("invalid"), "192.0.2.10"))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let response = h
        .send(with_ip(attempt("b@example.org"), "192.0.2.10"))
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        json_body(&response)["error"],
        "Trop de tentatives depuis votre connexion. Réessayez dans une minute."
    );
    // Forms come back to the page.
    let response = h
        .send(with_ip(
            form_post(REGISTER, "name=B&email=b%40example.org&consent=on"),
            "192.0.2.10",
        ))
        .await;
    assert_eq!(
        header(&response, "location"),
        Some(&*format!(
            "{WORKSHOP_URL}?inscription=limited#inscription-limited"
        ))
    );
    // Another client is not affected; X-Forwarded-For identifies clients without ClientIp.
    assert_eq!(
        h.send(with_ip(attempt("b@example.org"), "192.0.2.11"))
            .await
            .status(),
        StatusCode::CREATED
    );
    for expected in [
        StatusCode::CREATED,
        StatusCode::CONFLICT,
        StatusCode::CONFLICT,
        StatusCode::TOO_MANY_REQUESTS,
    ] {
        let mut req = attempt("c@example.org");
        req.headers_mut()
            .insert("x-forwarded-for", "198.51.100.7, 10.0.0.1".parse().unwrap());
        assert_eq!(h.send(req).await.status(), expected);
    }
    // A minute later the first client may try again.
    h.clock.advance(TimeDelta::seconds(61));
    assert_eq!(
        h.send(with_ip(attempt("d@example.org"), "192.0.2.10"))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(h.counts(WORKSHOP).await["count"], 3);
}

async fn one_address_is_capped_across_events(backend: Backend) {
    let h = &Harness::new(&backend).await;
    let register = |slug: &'static str| async move {
        let (status, body) = h.register(slug, "Ada", "ada@example.org").await;
        (status, body)
    };
    let cancel = |body: Value| async move {
        let token = token_of(&body["cancel_url"]);
        let path = format!("/registrations/{token}/cancel");
        let response = h.send(json_post(&path, &json!({}))).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{}",
            text_body(&response)
        );
    };
    // Five registrations of one address in the hour, each sending it a message, across events
    // and after cancelling: someone typing a stranger's address again and again.
    for slug in ["grand-webinaire", "webinaire-illimite"] {
        assert_eq!(register(slug).await.0, StatusCode::CREATED);
    }
    for _ in 0..3 {
        let (status, body) = register(WORKSHOP).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        cancel(body).await;
    }
    let (status, body) = register(WORKSHOP).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(
        body["error"],
        "Trop de tentatives d'inscription avec cette adresse e-mail. Réessayez dans une heure."
    );
    // The same address written otherwise is the same address.
    let (status, _) = h.register(WORKSHOP, "Ada", " ADA@example.org").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Other addresses are not held back; this one is let through again an hour later.
    let (status, _) = h.register(WORKSHOP, "Linus", "linus@example.org").await;
    assert_eq!(status, StatusCode::CREATED);
    h.clock.advance(chrono::TimeDelta::minutes(61));
    assert_eq!(register(WORKSHOP).await.0, StatusCode::CREATED);
}

async fn rate_limit_zero_disables(backend: Backend) {
    let h = Harness::with(&backend, |config| config.rate_limit = 0).await;
    for i in 0..25 {
        let req = json_post(
            "/events/webinaire-illimite/registrations",
            &json!({ "name": "X", "email": format!("x{i}@example.org"), "consent": true }),
        );
        assert_eq!(
            h.send(with_ip(req, "192.0.2.1")).await.status(),
            StatusCode::CREATED
        );
    }
}

async fn honeypot_pretends_success_and_stores_nothing(backend: Backend) {
    let h = Harness::new(&backend).await;
    let body = json!({ "name": "Bot", "email": "bot@example.org", "consent": true, "website": "https://spam.example" });
    let response = h.send(json_post(REGISTER, &body)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let answer = json_body(&response);
    assert_eq!(answer["status"], "registered");
    let token = token_of(&answer["cancel_url"]);
    assert_eq!(
        h.send(get(&format!("/registrations/{token}")))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    let response = h
        .send(form_post(
            REGISTER,
            "name=Bot&email=bot2%40example.org&consent=on&website=x",
        ))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = header(&response, "location").unwrap();
    assert!(
        location.starts_with(&format!("{WORKSHOP_URL}?inscription=registered&jeton=")),
        "{location}"
    );

    assert_eq!(h.counts(WORKSHOP).await["count"], 0);
    assert!(h.list(WORKSHOP).await.is_empty());
    // The same address can still register for real.
    assert_eq!(
        h.register(WORKSHOP, "Bot", "bot@example.org").await.0,
        StatusCode::CREATED
    );
}

async fn forms_are_redirected_with_status(backend: Backend) {
    let h = Harness::new(&backend).await;
    let location = |response: &http::Response<bytes::Bytes>| {
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{}",
            text_body(response)
        );
        header(response, "location").unwrap().to_owned()
    };
    let form =
        |email: &str| format!("name=Ada+Lovelace&email={email}&discord=ada&consent=on&website=");

    let registered = location(
        &h.send(form_post(REGISTER, &form("ada%40example.org")))
            .await,
    );
    let prefix = format!("{WORKSHOP_URL}?inscription=registered&jeton=");
    assert!(
        registered.starts_with(&prefix) && registered.ends_with("#inscription-registered"),
        "{registered}"
    );
    let token = &registered[prefix.len()..registered.len() - "#inscription-registered".len()];
    let page = h.send(get(&format!("/registrations/{token}"))).await;
    assert_eq!(page.status(), StatusCode::OK);

    let duplicate = location(
        &h.send(form_post(REGISTER, &form("ADA%40example.org")))
            .await,
    );
    assert_eq!(
        duplicate,
        format!("{WORKSHOP_URL}?inscription=duplicate#inscription-duplicate")
    );
    // `consent=true` is accepted as well as the checkbox's `on`.
    location(
        &h.send(form_post(
            REGISTER,
            "name=B&email=b%40example.org&consent=true",
        ))
        .await,
    );
    location(&h.send(form_post(REGISTER, &form("c%40example.org"))).await);
    let waitlisted = location(&h.send(form_post(REGISTER, &form("d%40example.org"))).await);
    let prefix = format!("{WORKSHOP_URL}?inscription=waitlisted&position=1&jeton=");
    assert!(
        waitlisted.starts_with(&prefix) && waitlisted.ends_with("#inscription-waitlisted"),
        "{waitlisted}"
    );

    let invalid = location(
        &h.send(form_post(REGISTER, "name=&email=x&consent=on"))
            .await,
    );
    assert_eq!(
        invalid,
        format!("{WORKSHOP_URL}?inscription=invalid#inscription-invalid")
    );
    let no_consent = location(
        &h.send(form_post(REGISTER, "name=E&email=e%40example.org"))
            .await,
    );
    assert_eq!(
        no_consent,
        format!("{WORKSHOP_URL}?inscription=invalid#inscription-invalid")
    );
    let closed = location(
        &h.send(form_post(
            "/events/evenement-passe/registrations",
            &form("e%40example.org"),
        ))
        .await,
    );
    assert_eq!(
        closed,
        "https://pythonclassmates.org/evenements/evenement-passe/?inscription=closed#inscription-closed"
    );

    // A form body asking for JSON gets JSON.
    let mut req = form_post(REGISTER, &form("f%40example.org"));
    req.headers_mut()
        .insert("accept", "application/json".parse().unwrap());
    let response = h.send(req).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(json_body(&response)["position"], 2);
}

async fn cancellation_promotes_and_deletes_data(backend: Backend) {
    let h = Harness::new(&backend).await;
    let mut tokens = Vec::new();
    for (i, who) in ["a", "b", "c", "d", "e", "f"].iter().enumerate() {
        h.clock.advance(TimeDelta::seconds(1));
        let (status, body) = h
            .register(
                WORKSHOP,
                &format!("Nom {who}"),
                &format!("{who}@example.org"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        if i >= 3 {
            assert_eq!(body["position"], i - 2);
        }
        tokens.push(token_of(&body["cancel_url"]));
    }
    let cancel = |token: &str| {
        let mut req = request("POST", &format!("/registrations/{token}/cancel"), None, "");
        req.headers_mut()
            .insert("accept", "application/json".parse().unwrap());
        req
    };
    // b (registered) cancels: d (first waiting) gets the seat, e and f move up.
    let response = h.send(cancel(&tokens[1])).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_body(&response), json!({ "status": "cancelled" }));
    let list = h.list(WORKSHOP).await;
    let standing: Vec<(String, String, Value)> = list
        .iter()
        .map(|r| {
            (
                r["email"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
                r["position"].clone(),
            )
        })
        .collect();
    assert_eq!(
        standing,
        [
            (
                "a@example.org".to_owned(),
                "registered".to_owned(),
                Value::Null
            ),
            (
                "c@example.org".to_owned(),
                "registered".to_owned(),
                Value::Null
            ),
            (
                "d@example.org".to_owned(),
                "registered".to_owned(),
                Value::Null
            ),
            (
                "e@example.org".to_owned(),
                "waitlisted".to_owned(),
                json!(1)
            ),
            (
                "f@example.org".to_owned(),
                "waitlisted".to_owned(),
                json!(2)
            ),
        ]
    );
    assert!(
        !serde_json::to_string(&list).unwrap().contains("Nom b"),
        "b's data is deleted"
    );
    assert_eq!(h.counts(WORKSHOP).await["waitlist"], 2);

    // The same token is dead now; so is its page.
    let response = h.send(cancel(&tokens[1])).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        json_body(&response)["error"],
        "Inscription introuvable ou déjà annulée."
    );
    assert_eq!(
        h.send(get(&format!("/registrations/{}", tokens[1])))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // b may register again (at the end of the queue).
    let (_, body) = h.register(WORKSHOP, "Nom b", "b@example.org").await;
    assert_eq!(body["position"], 3);

    // e (waiting, 1st) cancels from the page's form: f moves up, b becomes 2nd.
    let response = h
        .send(request(
            "POST",
            &format!("/registrations/{}/cancel", tokens[4]),
            Some("application/x-www-form-urlencoded"),
            "",
        ))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header(&response, "location"),
        Some(&*format!(
            "{WORKSHOP_URL}?inscription=cancelled#inscription-cancelled"
        ))
    );
    let page = text_body(&h.send(get(&format!("/registrations/{}", tokens[5]))).await);
    assert!(page.contains("en position 1"), "{page}");
    let list = h.list(WORKSHOP).await;
    assert_eq!(list.len(), 5);
    assert_eq!(
        list.iter().filter(|r| r["status"] == "registered").count(),
        3
    );
    assert!(list.iter().all(|r| r["email"] != "e@example.org"));

    // A registered person cancels with nobody... but f and b waiting: f gets the seat.
    let response = h.send(cancel(&tokens[0])).await;
    assert_eq!(response.status(), StatusCode::OK);
    let counts = h.counts(WORKSHOP).await;
    assert_eq!(
        (counts["count"].as_u64(), counts["waitlist"].as_u64()),
        (Some(3), Some(1))
    );
    // Cancelling the last waiting person leaves the seats alone.
    let b_token = token_of(&body["cancel_url"]);
    assert_eq!(h.send(cancel(&b_token)).await.status(), StatusCode::OK);
    let counts = h.counts(WORKSHOP).await;
    assert_eq!(
        (counts["count"].as_u64(), counts["waitlist"].as_u64()),
        (Some(3), Some(0))
    );
    // And a registered one with nobody waiting frees a seat.
    assert_eq!(h.send(cancel(&tokens[2])).await.status(), StatusCode::OK);
    assert_eq!(h.counts(WORKSHOP).await["remaining"], 1);
    // Malformed tokens never reach the store.
    assert_eq!(
        h.send(cancel("../../etc")).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn cancel_page_is_self_contained_and_escaped(backend: Backend) {
    let h = Harness::new(&backend).await;
    let (_, body) = h
        .register(WORKSHOP, "<script>alert(1)</script>", "ada@example.org")
        .await;
    let token = token_of(&body["cancel_url"]);
    let response = h.send(get(&format!("/registrations/{token}"))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(header(&response, "referrer-policy"), Some("no-referrer"));
    assert!(
        header(&response, "content-security-policy")
            .unwrap()
            .starts_with("default-src 'none'")
    );
    let page = text_body(&response);
    assert!(
        page.contains("Annuler votre inscription à «\u{a0}Atelier Git &amp; GitHub : &lt;branches&gt; &quot;avancées&quot;\u{a0}»"),
        "{page}"
    );
    assert!(page.contains("jeudi 3 décembre 2026, 19 h 00 – 20 h 30"));
    assert!(page.contains(&format!(
        "<form method=\"post\" action=\"/api/registrations/{token}/cancel\">"
    )));
    assert!(
        !page.contains("<branches>")
            && !page.contains("<script")
            && !page.contains("ada@example.org")
    );
    assert!(
        !page.contains("src=") && !page.contains("<link"),
        "no external resource"
    );

    let response = h.send(get("/registrations/AAAAAAAAAAAAAAAAAAAAAAAA")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(text_body(&response).contains("Inscription introuvable"));
}

async fn organiser_list_json_csv_and_auth(backend: Backend) {
    let h = Harness::new(&backend).await;
    h.register(WORKSHOP, "Ada Lovelace", "ada@example.org")
        .await;
    h.clock.advance(TimeDelta::seconds(1));
    let body = json!({ "name": "=HYPERLINK(\"x\")", "email": "Bob@Example.org", "discord": "bob, \"le\" dev", "consent": true });
    h.send(json_post(REGISTER, &body)).await;
    for who in ["c", "d"] {
        h.clock.advance(TimeDelta::seconds(1));
        h.register(WORKSHOP, who, &format!("{who}@example.org"))
            .await;
    }
    let path = "/events/atelier-git/registrations";
    for authorization in [
        None,
        Some("Bearer wrong-token-wrong-token"),
        Some(&*format!("Basic {ADMIN_TOKEN}")),
        Some("Bearer"),
    ] {
        let mut req = get(path);
        if let Some(value) = authorization {
            req.headers_mut()
                .insert("authorization", value.parse().unwrap());
        }
        let response = h.send(req).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{authorization:?}"
        );
        assert!(
            header(&response, "www-authenticate")
                .unwrap()
                .starts_with("Bearer")
        );
        assert!(!text_body(&response).contains("example.org"));
    }

    let list = h.list(WORKSHOP).await;
    assert_eq!(list.len(), 4);
    assert_eq!(
        list[0],
        json!({ "name": "Ada Lovelace", "discord": null, "email": "ada@example.org", "status": "registered",
                "position": null, "registered_at": "2026-11-20T12:00:00Z" })
    );
    assert_eq!(list[1]["email"], "Bob@Example.org", "stored as typed");
    assert_eq!(list[3]["status"], "waitlisted");
    assert_eq!(list[3]["position"], 1);

    let mut req = get(&format!("{path}?format=csv"));
    req.headers_mut().insert(
        "authorization",
        format!("bearer {ADMIN_TOKEN}").parse().unwrap(),
    );
    let response = h.send(req).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/csv; charset=utf-8")
    );
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    let csv = text_body(&response);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "name,discord,email,status,time");
    assert_eq!(
        lines[1],
        "Ada Lovelace,,ada@example.org,registered,2026-11-20T12:00:00Z"
    );
    assert_eq!(
        lines[2],
        "\"'=HYPERLINK(\"\"x\"\")\",\"bob, \"\"le\"\" dev\",Bob@Example.org,registered,2026-11-20T12:00:01Z"
    );
    assert_eq!(lines[4], "d,,d@example.org,waitlisted,2026-11-20T12:00:03Z");

    let mut req = get("/events/inconnu/registrations");
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {ADMIN_TOKEN}").parse().unwrap(),
    );
    assert_eq!(h.send(req).await.status(), StatusCode::NOT_FOUND);
}

async fn cors_allows_only_the_configured_origin(backend: Backend) {
    let h = Harness::with(&backend, |config| {
        config.allowed_origin = Some("https://pythonclassmates.org".into())
    })
    .await;
    let preflight = |origin: &str| {
        let mut req = request("OPTIONS", REGISTER, None, "");
        req.headers_mut().insert("origin", origin.parse().unwrap());
        req.headers_mut()
            .insert("access-control-request-method", "POST".parse().unwrap());
        req.headers_mut().insert(
            "access-control-request-headers",
            "content-type".parse().unwrap(),
        );
        req
    };
    let response = h.send(preflight("https://pythonclassmates.org")).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some("https://pythonclassmates.org")
    );
    assert!(
        header(&response, "access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    assert!(
        header(&response, "access-control-allow-headers")
            .unwrap()
            .contains("Content-Type")
    );
    assert_eq!(header(&response, "vary"), Some("Origin"));

    let response = h.send(preflight("https://evil.example")).await;
    assert!(header(&response, "access-control-allow-origin").is_none());
    assert!(header(&response, "access-control-allow-methods").is_none());

    let mut req = get("/events/atelier-git");
    req.headers_mut()
        .insert("origin", "https://pythonclassmates.org".parse().unwrap());
    let response = h.send(req).await;
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some("https://pythonclassmates.org")
    );
    let mut req = json_post(
        REGISTER,
        &json!({ "name": "A", "email": "a@example.org", "consent": true }),
    );
    req.headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    let response = h.send(req).await;
    assert!(header(&response, "access-control-allow-origin").is_none());
    assert_eq!(header(&response, "vary"), Some("Origin"));

    // Without ALLOWED_ORIGIN (same origin under `serve`), no CORS header at all.
    let h = Harness::new(&backend).await;
    let response = h.send(preflight("https://pythonclassmates.org")).await;
    assert!(header(&response, "access-control-allow-origin").is_none());
}

async fn public_answers_never_contain_personal_data(backend: Backend) {
    let h = Harness::new(&backend).await;
    let people = [
        ("Ada Lovelace", "ada.secret@example.org"),
        ("Grace Hopper", "grace.secret@example.org"),
        ("Alan Turing", "alan.secret@example.org"),
        ("Linus T", "linus.secret@example.org"),
    ];
    let mut public = Vec::new();
    for (name, email) in people {
        let body = json!({ "name": name, "email": email, "discord": format!("{name}#0001"), "consent": true });
        public.push(text_body(&h.send(json_post(REGISTER, &body)).await));
        public.push(text_body(&h.send(json_post(REGISTER, &body)).await)); // 409
    }
    public.push(text_body(
        &h.send(json_post(
            REGISTER,
            &json!({ "name": "X", "email": "bad secret@example.org", "consent": true }),
        ))
        .await,
    ));
    public.push(text_body(&h.send(get("/events/atelier-git")).await));
    for text in &public {
        for (name, email) in people {
            assert!(!text.contains(email) && !text.contains(name), "{text}");
        }
        assert!(!text.contains("secret@"), "{text}");
    }
}

async fn unknown_routes_and_methods(backend: Backend) {
    let h = Harness::new(&backend).await;
    for path in [
        "/",
        "/events",
        "/api/events/atelier-git",
        "/events/atelier-git/other",
        "/registrations",
    ] {
        let response = h.send(get(path)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            json_body(&response),
            json!({ "error": "Ressource introuvable." })
        );
    }
    let response = h
        .send(request("DELETE", "/events/atelier-git", None, ""))
        .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&response, "allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(json_body(&response)["error"], "Méthode non autorisée.");
    let response = h
        .send(get("/registrations/AAAAAAAAAAAAAAAAAAAAAAAA/cancel"))
        .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let response = h
        .send(request("HEAD", "/events/atelier-git", None, ""))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.body().is_empty());
}

async fn raised_capacity_promotes_waiting_people_first(backend: Backend) {
    // The manifest is a copy that the test rewrites, as a `serve` rebuild would.
    let site = tempfile::tempdir().unwrap();
    let manifest = site.path().join("evenements/index.json");
    std::fs::create_dir_all(manifest.parent().unwrap()).unwrap();
    std::fs::copy(fixtures().join("site/evenements/index.json"), &manifest).unwrap();
    let root = site.path().to_owned();
    let h = Harness::with(&backend, |config| {
        config.events_manifest = classmates_api::ManifestSource::Path(root)
    })
    .await;
    for who in ["a", "b", "c", "d", "e"] {
        h.register(WORKSHOP, who, &format!("{who}@example.org"))
            .await;
    }
    assert_eq!(h.counts(WORKSHOP).await["waitlist"], 2);
    // Rebuilt with 6 seats: d and e move up before the newcomer, who gets the 6th seat.
    std::fs::copy(fixtures().join("updated/evenements/index.json"), &manifest).unwrap();
    assert_eq!(h.counts(WORKSHOP).await["capacity"], 6);
    let (_, body) = h.register(WORKSHOP, "f", "f@example.org").await;
    assert_eq!(body["status"], "registered");
    let counts = h.counts(WORKSHOP).await;
    assert_eq!(
        (counts["count"].as_u64(), counts["waitlist"].as_u64()),
        (Some(6), Some(0))
    );
    assert!(
        h.list(WORKSHOP)
            .await
            .iter()
            .all(|r| r["status"] == "registered")
    );
}

/// Behind a Function URL (no `PUBLIC_API_URL`), the Lambda entry point passes the address the
/// request came to; cancellation links then point there.
async fn cancel_links_follow_the_public_base(backend: Backend) {
    let h = Harness::new(&backend).await;
    let body = json!({ "name": "Ada", "email": "ada@example.org", "consent": true });
    let mut req = json_post(REGISTER, &body);
    req.extensions_mut().insert(classmates_api::PublicBase(
        "https://abc123.lambda-url.eu-west-3.on.aws".to_owned(),
    ));
    let response = h.send(req).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let cancel_url = json_body(&response)["cancel_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        cancel_url.starts_with("https://abc123.lambda-url.eu-west-3.on.aws/registrations/"),
        "{cancel_url}"
    );
    let token = cancel_url.rsplit('/').next().unwrap();
    let mut page = get(&format!("/registrations/{token}"));
    page.extensions_mut().insert(classmates_api::PublicBase(
        "https://abc123.lambda-url.eu-west-3.on.aws/".to_owned(),
    ));
    let response = h.send(page).await;
    assert!(
        text_body(&response).contains(&format!(
            "action=\"https://abc123.lambda-url.eu-west-3.on.aws/registrations/{token}/cancel\""
        )),
        "{}",
        text_body(&response)
    );
}
