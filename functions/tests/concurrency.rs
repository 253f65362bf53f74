//! Hundreds of simultaneous registrations through `App::handle`: the capacity is never exceeded,
//! waiting-list positions are unique and gap-free, and an e-mail is never taken twice.

mod common;

use std::collections::HashSet;

use common::*;
use http::StatusCode;
use serde_json::json;

store_tests!(
    three_hundred_for_twenty_five_seats,
    same_email_at_once_registers_once
);

async fn three_hundred_for_twenty_five_seats(backend: Backend) {
    let h = Harness::new(&backend).await;
    let app = h.app.clone();
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let body = json!({ "name": format!("Personne {i}"), "email": format!("p{i}@example.org"), "consent": true });
                let response = app.handle(json_post("/events/grand-webinaire/registrations", &body)).await;
                (response.status(), json_body(&response))
            })
        })
        .collect();
    let mut registered = 0;
    let mut positions = Vec::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        match body["status"].as_str().unwrap() {
            "registered" => registered += 1,
            "waitlisted" => positions.push(body["position"].as_u64().unwrap()),
            other => panic!("unexpected status {other}"),
        }
    }
    positions.sort_unstable();
    assert_eq!(registered, 25, "[{}]", h.backend);
    assert_eq!(positions, (1..=275).collect::<Vec<_>>(), "[{}]", h.backend);

    let counts = h.counts("grand-webinaire").await;
    assert_eq!(
        counts,
        json!({ "slug": "grand-webinaire", "count": 25, "capacity": 25, "remaining": 0, "waitlist": 275, "open": true })
    );
    let list = h.list("grand-webinaire").await;
    assert_eq!(list.len(), 300);
    let emails: HashSet<_> = list
        .iter()
        .map(|r| r["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(emails.len(), 300, "no duplicate");
    assert_eq!(
        list.iter().filter(|r| r["status"] == "registered").count(),
        25
    );
    let listed: Vec<u64> = list.iter().filter_map(|r| r["position"].as_u64()).collect();
    assert_eq!(listed, (1..=275).collect::<Vec<_>>());
}

async fn same_email_at_once_registers_once(backend: Backend) {
    let h = Harness::new(&backend).await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let app = h.app.clone();
            // Case and spaces vary: still one person.
            let email = if i % 2 == 0 {
                " Ada@Example.org".to_owned()
            } else {
                "ada@example.org ".to_owned()
            };
            tokio::spawn(async move {
                let body = json!({ "name": "Ada", "email": email, "consent": true });
                app.handle(json_post("/events/grand-webinaire/registrations", &body))
                    .await
                    .status()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        19,
        "{statuses:?}"
    );
    assert_eq!(h.counts("grand-webinaire").await["count"], 1);
}
