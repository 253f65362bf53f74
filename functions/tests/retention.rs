//! Personal data is kept `RETENTION_DAYS` after the event, no longer: the sweep (run by the sync
//! and by serve's background task) deletes the registrations of events past it, follows events
//! that moved, and leaves the other events alone. On both stores.

mod common;

use std::path::Path;

use chrono::TimeDelta;
use classmates_api::retention::Swept;
use classmates_api::store::Purged;
use classmates_api::{App, Config, ManifestSource};
use common::*;
use http::StatusCode;
use serde_json::Value;

store_tests!(
    registrations_go_retention_days_after_the_event,
    a_moved_event_keeps_its_data_until_its_new_end,
);

const WORKSHOP: &str = "atelier-git";
/// The workshop's end in the fixture manifest.
const WORKSHOP_END: &str = "2026-12-03T19:30:00Z";
const WEBINAR: &str = "grand-webinaire";

/// Whether the cancel link of a registration answer still leads to a registration.
async fn still_known(h: &Harness, registered: &Value) -> bool {
    let response = h
        .send(get(&format!(
            "/registrations/{}",
            token_of(&registered["cancel_url"])
        )))
        .await;
    match response.status() {
        StatusCode::OK => true,
        StatusCode::NOT_FOUND => false,
        other => panic!("unexpected {other}: {}", text_body(&response)),
    }
}

async fn registrations_go_retention_days_after_the_event(backend: Backend) {
    let h = Harness::with(&backend, |config| config.retention_days = 30).await;
    let (status, ada) = h.register(WORKSHOP, "Ada", "ada@example.org").await;
    assert_eq!(status, StatusCode::CREATED, "{ada}");
    h.register(WORKSHOP, "Linus", "linus@example.org").await;
    let (_, grace) = h.register(WEBINAR, "Grace", "grace@example.org").await;

    // 30 days after the end, to the second: still kept.
    h.clock.set(WORKSHOP_END);
    h.clock.advance(TimeDelta::days(30));
    assert_eq!(h.app.apply_retention().await, Some(Swept::default()));
    assert_eq!(h.list(WORKSHOP).await.len(), 2);
    assert!(still_known(&h, &ada).await);

    // One second later: the workshop's people go, the webinar's stay.
    h.clock.advance(TimeDelta::seconds(1));
    let swept = h.app.apply_retention().await.unwrap();
    assert_eq!(
        swept.purged,
        Purged {
            events: 1,
            registrations: 2
        }
    );
    assert!(h.list(WORKSHOP).await.is_empty());
    assert_eq!(h.counts(WORKSHOP).await["count"], 0);
    assert!(!still_known(&h, &ada).await);
    assert!(still_known(&h, &grace).await);
    assert_eq!(h.list(WEBINAR).await.len(), 1);

    // Nothing more to do on the next run.
    assert_eq!(h.app.apply_retention().await, Some(Swept::default()));
}

/// A copy of the fixture manifest in `dir` where the workshop ends on `end`.
fn manifest_with_workshop_ending(dir: &Path, end: &str) -> ManifestSource {
    let source = fixtures().join("site/evenements/index.json");
    let mut manifest: Value = serde_json::from_slice(&std::fs::read(source).unwrap()).unwrap();
    let events = manifest["events"].as_array_mut().unwrap();
    let workshop = events.iter_mut().find(|e| e["slug"] == WORKSHOP).unwrap();
    workshop["end"] = Value::from(end);
    std::fs::create_dir_all(dir.join("evenements")).unwrap();
    std::fs::write(
        dir.join("evenements/index.json"),
        serde_json::to_vec(&manifest).unwrap(),
    )
    .unwrap();
    ManifestSource::Path(dir.to_owned())
}

async fn a_moved_event_keeps_its_data_until_its_new_end(backend: Backend) {
    let h = Harness::with(&backend, |config| config.retention_days = 30).await;
    let (status, ada) = h.register(WORKSHOP, "Ada", "ada@example.org").await;
    assert_eq!(status, StatusCode::CREATED, "{ada}");

    // The organisers move the workshop to mid-January; the next sweep follows.
    let moved = tempfile::tempdir().unwrap();
    let mut config = Config::new(
        ADMIN_TOKEN,
        manifest_with_workshop_ending(moved.path(), "2027-01-15T20:30:00+01:00"),
    );
    config.retention_days = 30;
    let app = App::with_clock(config, h.store.clone(), h.clock.clock()).unwrap();
    let swept = app.apply_retention().await.unwrap();
    assert_eq!(swept.moved, 1, "{swept:?}");
    // Once only.
    assert_eq!(app.apply_retention().await.unwrap().moved, 0);

    // Past the old end's retention: kept, the workshop has not happened yet.
    h.clock.set(WORKSHOP_END);
    h.clock.advance(TimeDelta::days(31));
    assert_eq!(
        app.apply_retention().await.unwrap().purged,
        Purged::default()
    );
    assert!(still_known(&h, &ada).await);

    // Past the new end's: gone.
    h.clock.set("2027-01-15T19:30:00Z");
    h.clock.advance(TimeDelta::days(31));
    let swept = app.apply_retention().await.unwrap();
    assert_eq!(swept.purged.registrations, 1, "{swept:?}");
    assert!(!still_known(&h, &ada).await);
}
