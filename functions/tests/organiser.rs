//! The organisers' tools, on each store (`sqlite::…` and `dynamodb::…`): the private join link
//! (stored, changed, cleared, never public), the per-event organiser token and what it opens,
//! and the organisers' list.

mod common;

use bytes::Bytes;
use chrono::TimeDelta;
use classmates_api::token::organiser_token;
use common::smtp::Mailbox;
use common::*;
use http::{Request, StatusCode};
use serde_json::json;

const WORKSHOP: &str = "atelier-git";
const JOIN: &str = "/events/atelier-git/join-url";

store_tests!(
    join_links_are_set_changed_and_cleared_per_event,
    join_url_route_sets_validates_and_clears,
    organiser_tokens_open_their_event_only,
    organiser_list_has_counts_rows_and_the_join_link,
    organiser_list_shows_delivery_failures,
);

fn with_bearer(mut req: Request<Bytes>, token: &str) -> Request<Bytes> {
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    req
}

fn put_join(path: &str, body: &str, token: &str) -> Request<Bytes> {
    with_bearer(
        request("PUT", path, Some("application/json"), body.to_owned()),
        token,
    )
}

fn delete_join(path: &str, token: &str) -> Request<Bytes> {
    with_bearer(request("DELETE", path, None, Bytes::new()), token)
}

/// `PUT /events/{slug}/join-url`: sets (200, changed or not), refuses what is not a join link
/// with a clear 400 (or 415/413), 404 for an unknown event; `DELETE` removes it; the link never
/// appears in a public answer.
async fn join_url_route_sets_validates_and_clears(backend: Backend) {
    let h = Harness::new(&backend).await;
    let (_, registered) = h.register(WORKSHOP, "Ada", "ada@example.org").await;
    let url = "https://meet.example.org/salle-secrete?pwd=42";
    let body = json!({ "url": url }).to_string();

    let response = h.send(put_join(JOIN, &body, ADMIN_TOKEN)).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        text_body(&response)
    );
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    let answer = json_body(&response);
    assert_eq!(answer["changed"], true);
    assert_eq!(answer["join_url"]["url"], url);
    assert_eq!(answer["join_url"]["set_at"], "2026-11-20T12:00:00Z");
    assert_eq!(h.store.join_url(WORKSHOP).await.unwrap().unwrap().url, url);
    // The same link again: not changed.
    h.clock.advance(TimeDelta::minutes(1));
    let answer = json_body(&h.send(put_join(JOIN, &body, ADMIN_TOKEN)).await);
    assert_eq!(answer["changed"], false);
    assert_eq!(answer["join_url"]["set_at"], "2026-11-20T12:00:00Z");

    // Public answers never carry it: counts, the cancel page.
    let public = text_body(&h.send(get("/events/atelier-git")).await);
    assert!(!public.contains("salle-secrete"), "{public}");
    let token = token_of(&registered["cancel_url"]);
    let page = text_body(&h.send(get(&format!("/registrations/{token}"))).await);
    assert!(!page.contains("salle-secrete"));

    // What is not a join link: 400 with the rule, nothing changed.
    for bad in [
        json!({ "url": "http://meet.example.org/x" }),
        json!({ "url": "meet.example.org/x" }),
        json!({ "url": "javascript:alert(1)" }),
        json!({ "url": "" }),
        json!({ "url": 42 }),
        json!({ "lien": url }),
        json!([url]),
    ] {
        let response = h.send(put_join(JOIN, &bad.to_string(), ADMIN_TOKEN)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        let message = json_body(&response)["error"].as_str().unwrap().to_owned();
        assert!(message.contains("https://"), "{message}");
    }
    let response = h.send(put_join(JOIN, "{not json", ADMIN_TOKEN)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let form = with_bearer(
        request(
            "PUT",
            JOIN,
            Some("application/x-www-form-urlencoded"),
            "url=https%3A%2F%2Fa.org",
        ),
        ADMIN_TOKEN,
    );
    assert_eq!(
        h.send(form).await.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let huge = json!({ "url": format!("https://a.org/{}", "a".repeat(9000)) }).to_string();
    assert_eq!(
        h.send(put_join(JOIN, &huge, ADMIN_TOKEN)).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(h.store.join_url(WORKSHOP).await.unwrap().unwrap().url, url);
    // http on the local machine is accepted (trying things under `classmates serve`).
    let local = json!({ "url": "http://localhost:8080/salle" }).to_string();
    assert_eq!(
        h.send(put_join(JOIN, &local, ADMIN_TOKEN)).await.status(),
        StatusCode::OK
    );

    // Unknown event: 404, with a valid token.
    let response = h
        .send(put_join("/events/inconnu/join-url", &body, ADMIN_TOKEN))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        json_body(&response),
        json!({ "error": "Événement introuvable." })
    );
    assert_eq!(
        h.send(delete_join("/events/inconnu/join-url", ADMIN_TOKEN))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Other methods: 405 with Allow.
    let response = h.send(with_bearer(get(JOIN), ADMIN_TOKEN)).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&response, "allow"), Some("PUT, DELETE, OPTIONS"));

    // DELETE removes it; a second DELETE says there was none.
    let response = h.send(delete_join(JOIN, ADMIN_TOKEN)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        json_body(&response),
        json!({ "join_url": null, "removed": true })
    );
    assert_eq!(h.store.join_url(WORKSHOP).await.unwrap(), None);
    let response = h.send(delete_join(JOIN, ADMIN_TOKEN)).await;
    assert_eq!(
        json_body(&response),
        json!({ "join_url": null, "removed": false })
    );
}

/// The organiser token of an event opens its list and its join link, nothing else: not another
/// event (403: it is a real token, for another event), not the sync nor the suggestions (401);
/// a wrong token is 401; the admin token still opens everything.
async fn organiser_tokens_open_their_event_only(backend: Backend) {
    let h = Harness::new(&backend).await;
    h.register(WORKSHOP, "Ada", "ada@example.org").await;
    h.register("webinaire-illimite", "Bob", "bob@example.org")
        .await;
    let mine = organiser_token(ADMIN_TOKEN, WORKSHOP);
    let theirs = organiser_token(ADMIN_TOKEN, "webinaire-illimite");
    let list =
        |slug: &str, token: &str| with_bearer(get(&format!("/events/{slug}/registrations")), token);
    let body = json!({ "url": "https://meet.example.org/a" }).to_string();

    // Its own event: the list and the join link.
    let response = h.send(list(WORKSHOP, &mine)).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        text_body(&response)
    );
    assert!(text_body(&response).contains("ada@example.org"));
    assert_eq!(
        h.send(put_join(JOIN, &body, &mine)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        h.send(delete_join(JOIN, &mine)).await.status(),
        StatusCode::OK
    );

    // Another event's list and join link: 403, saying why, without its data.
    let response = h.send(list(WORKSHOP, &theirs)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_body(&response),
        json!({ "error": "Ce jeton d’organisateur est celui d’un autre événement." })
    );
    let response = h.send(list("webinaire-illimite", &mine)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(!text_body(&response).contains("bob@example.org"));
    assert_eq!(
        h.send(put_join(
            "/events/webinaire-illimite/join-url",
            &body,
            &mine
        ))
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        h.send(delete_join("/events/webinaire-illimite/join-url", &mine))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(h.store.join_url("webinaire-illimite").await.unwrap(), None);

    // Not the sync, not the suggestions: 401 (only the admin token opens them).
    let sync = with_bearer(
        request("POST", "/announcements/sync", None, Bytes::new()),
        &mine,
    );
    let response = h.send(sync).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        header(&response, "www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(
        h.send(with_bearer(get("/suggestions"), &mine))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let taken = with_bearer(
        json_post("/suggestions/taken", &json!({ "keys": [] })),
        &mine,
    );
    assert_eq!(h.send(taken).await.status(), StatusCode::UNAUTHORIZED);

    // A wrong token, a truncated one, one derived from another admin token: 401.
    for wrong in [
        "wrong-token-wrong-token".to_owned(),
        mine[..mine.len() - 1].to_owned(),
        organiser_token("another-admin-token-0000", WORKSHOP),
    ] {
        let response = h.send(list(WORKSHOP, &wrong)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{wrong}");
        assert_eq!(
            h.send(put_join(JOIN, &body, &wrong)).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Without a token: 401 on each organiser route.
    assert_eq!(
        h.send(get("/events/atelier-git/registrations"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let anonymous = request("PUT", JOIN, Some("application/json"), body.clone());
    assert_eq!(h.send(anonymous).await.status(), StatusCode::UNAUTHORIZED);

    // The admin token opens every event, the sync and the suggestions.
    for slug in [WORKSHOP, "webinaire-illimite"] {
        assert_eq!(
            h.send(list(slug, ADMIN_TOKEN)).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        h.send(with_bearer(get("/suggestions"), ADMIN_TOKEN))
            .await
            .status(),
        StatusCode::OK
    );
    let sync = with_bearer(
        request("POST", "/announcements/sync", None, Bytes::new()),
        ADMIN_TOKEN,
    );
    // No Discord nor e-mail in this harness: the sync answers 503 after authorising.
    assert_ne!(h.send(sync).await.status(), StatusCode::UNAUTHORIZED);
}

/// The store's join link: absent, set, the same address again (no change, same time), another
/// address (changed, new time), per event, cleared.
async fn join_links_are_set_changed_and_cleared_per_event(backend: Backend) {
    let h = Harness::new(&backend).await;
    let store = &h.store;
    assert_eq!(store.join_url(WORKSHOP).await.unwrap(), None);
    assert!(!store.clear_join_url(WORKSHOP).await.unwrap());

    let first = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    assert!(
        store
            .set_join_url(WORKSHOP, "https://meet.example.org/abc", first)
            .await
            .unwrap()
    );
    let link = store.join_url(WORKSHOP).await.unwrap().unwrap();
    assert_eq!(link.url, "https://meet.example.org/abc");
    assert_eq!(link.set_at, first);

    // The same address later: nothing changes, not even the time.
    let later = first + TimeDelta::minutes(5);
    assert!(
        !store
            .set_join_url(WORKSHOP, "https://meet.example.org/abc", later)
            .await
            .unwrap()
    );
    assert_eq!(
        store.join_url(WORKSHOP).await.unwrap().unwrap().set_at,
        first
    );

    // Another address: changed, with its time.
    assert!(
        store
            .set_join_url(WORKSHOP, "https://meet.example.org/xyz", later)
            .await
            .unwrap()
    );
    let link = store.join_url(WORKSHOP).await.unwrap().unwrap();
    assert_eq!(
        (link.url.as_str(), link.set_at),
        ("https://meet.example.org/xyz", later)
    );

    // Per event: another event has none, and clearing one leaves the other.
    assert_eq!(store.join_url("webinaire-illimite").await.unwrap(), None);
    store
        .set_join_url("webinaire-illimite", "https://other.example.org/", later)
        .await
        .unwrap();
    assert!(store.clear_join_url(WORKSHOP).await.unwrap());
    assert_eq!(store.join_url(WORKSHOP).await.unwrap(), None);
    assert!(!store.clear_join_url(WORKSHOP).await.unwrap());
    assert_eq!(
        store
            .join_url("webinaire-illimite")
            .await
            .unwrap()
            .unwrap()
            .url,
        "https://other.example.org/"
    );
    // Registrations and counts are untouched by a join link.
    assert_eq!(h.counts(WORKSHOP).await["count"], 0);
    assert!(h.list(WORKSHOP).await.is_empty());
}

/// The organisers' JSON: the event, counts matching the rows, each registration (name, Discord,
/// e-mail, status, position, time), no failure, and the join link once set, for the admin and
/// for the event's token alike.
async fn organiser_list_has_counts_rows_and_the_join_link(backend: Backend) {
    let h = Harness::new(&backend).await;
    for (i, who) in ["ada", "bob", "cy", "dee", "eve"].iter().enumerate() {
        let body = json!({ "name": format!("Personne {who}"), "email": format!("{who}@example.org"),
                           "discord": (i == 1).then_some("bob#dev"), "consent": true });
        h.send(json_post("/events/atelier-git/registrations", &body))
            .await;
        h.clock.advance(TimeDelta::seconds(1));
    }
    let list = h.organiser_list(WORKSHOP).await;
    assert_eq!(list["event"]["slug"], WORKSHOP);
    assert_eq!(
        list["event"]["url"],
        "https://pythonclassmates.org/evenements/atelier-git/"
    );
    assert_eq!(
        list["event"]["when"],
        "jeudi 3 décembre 2026, 19 h 00 – 20 h 30"
    );
    assert!(
        list["event"]["title"]
            .as_str()
            .unwrap()
            .starts_with("Atelier Git")
    );
    assert_eq!(
        list["counts"],
        json!({ "registered": 3, "waitlisted": 2, "capacity": 3, "remaining": 0 })
    );
    let rows = list["registrations"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows[1],
        json!({ "name": "Personne bob", "discord": "bob#dev", "email": "bob@example.org",
                "status": "registered", "position": null, "registered_at": "2026-11-20T12:00:01Z" })
    );
    assert_eq!(
        (rows[4]["status"].as_str(), rows[4]["position"].as_u64()),
        (Some("waitlisted"), Some(2))
    );
    assert_eq!(list["failed_messages"], json!([]));
    assert_eq!(list["join_url"], json!(null));

    let url = "https://meet.example.org/atelier";
    h.send(put_join(
        JOIN,
        &json!({ "url": url }).to_string(),
        ADMIN_TOKEN,
    ))
    .await;
    let mine = organiser_token(ADMIN_TOKEN, WORKSHOP);
    let response = h
        .send(with_bearer(get("/events/atelier-git/registrations"), &mine))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let list = json_body(&response);
    assert_eq!(
        list["join_url"],
        json!({ "url": url, "set_at": "2026-11-20T12:00:05Z" })
    );
    assert_eq!(list["registrations"].as_array().unwrap().len(), 5);
    // The public numbers do not carry it.
    assert!(!text_body(&h.send(get("/events/atelier-git")).await).contains("meet.example.org"));
}

/// A message the SMTP server refuses for good (550 at RCPT) is listed as a delivery failure of
/// its event: kind, recipient, attempts and the server's reason; not on another event.
async fn organiser_list_shows_delivery_failures(backend: Backend) {
    let Some(mailbox) = Mailbox::open("organiser_list_shows_delivery_failures") else {
        return;
    };
    let h = Harness::with(&backend, |config| mailbox.configure(config)).await;
    h.register(WORKSHOP, "Ada", "ada@example.org").await;
    let (status, _) = h
        .register(WORKSHOP, "Nobody", "nobody@refused.classmates.test")
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a refused address never fails registering"
    );
    // Ada's confirmation arrives; the refused one is failed at once (a permanent refusal).
    assert_eq!(
        mailbox
            .wait_for(1, std::time::Duration::from_secs(20))
            .await
            .len(),
        1
    );
    let mut failed = json!([]);
    for _ in 0..200 {
        failed = h.organiser_list(WORKSHOP).await["failed_messages"].clone();
        if failed.as_array().is_some_and(|f| !f.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let failed = failed.as_array().unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["kind"], "confirmation");
    assert_eq!(failed[0]["recipient"], "nobody@refused.classmates.test");
    assert_eq!(failed[0]["attempts"], 1);
    assert!(
        failed[0]["error"].as_str().unwrap().contains("550"),
        "{}",
        failed[0]["error"]
    );
    assert_eq!(
        h.organiser_list("webinaire-illimite").await["failed_messages"],
        json!([])
    );
    // Both stay in the list of registrations.
    assert_eq!(h.list(WORKSHOP).await.len(), 2);
}
