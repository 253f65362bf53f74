//! What the SQLite store leaves on disk: its files are private to their owner, and a cancelled
//! registration's name and address survive neither in the database file nor in its write-ahead
//! log (RGPD: deleted means gone, not merely unlinked).

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use http::StatusCode;

const WORKSHOP: &str = "atelier-git";

/// The database file and its log files, as far as they exist.
fn store_files(dir: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| dir.join(format!("registrations.sqlite3{suffix}")))
        .filter(|path| path.exists())
        .collect()
}

/// Which of `dir`'s store files hold `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    store_files(dir)
        .into_iter()
        .filter(|path| {
            let bytes = std::fs::read(path).unwrap();
            bytes
                .windows(needle.len())
                .any(|window| window == needle.as_bytes())
        })
        .collect()
}

/// Cancels the registration whose cancel link is `cancel_url`, as its owner would.
async fn cancel(h: &Harness, cancel_url: &serde_json::Value) {
    let token = token_of(cancel_url);
    let response = h
        .send(json_post(
            &format!("/registrations/{token}/cancel"),
            &serde_json::json!({}),
        ))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        text_body(&response)
    );
}

/// Waits (5 s at most) until none of `needles` can be read in `dir`'s store files.
async fn wait_until_gone(dir: &Path, needles: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let holding: Vec<_> = needles
            .iter()
            .flat_map(|needle| files_holding(dir, needle))
            .collect();
        if holding.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "deleted data is still readable in {holding:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn cancelled_data_does_not_linger_in_the_file_or_its_log() {
    let h = Harness::new(&Backend::Sqlite).await;
    let dir = h.dir.path();
    let email = "lingering.ghost@example.org";
    let name = "Zéphyrine Oubliée";
    // A neighbour who stays, so the pages are not simply freed.
    h.register(WORKSHOP, "Ada", "ada@example.org").await;
    let (status, body) = h.register(WORKSHOP, name, email).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        !files_holding(dir, email).is_empty(),
        "the address is written somewhere before the cancellation: the check below can fail"
    );

    cancel(&h, &body["cancel_url"]).await;
    // The log is emptied by the checkpoint thread right after the cancellation.
    wait_until_gone(dir, &[email, name]).await;
    // The neighbour is still there.
    assert_eq!(h.counts(WORKSHOP).await["count"], 1);
}

#[cfg(unix)]
#[tokio::test]
async fn store_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let h = Harness::new(&Backend::Sqlite).await;
    h.register(WORKSHOP, "Ada", "ada@example.org").await;
    let files = store_files(h.dir.path());
    assert!(files.len() >= 2, "database and log: {files:?}");
    for file in files {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}: {mode:o}", file.display());
    }
}

#[tokio::test]
async fn a_delivered_message_leaves_no_address_in_the_file_or_its_log() {
    let outbox = tempfile::tempdir().unwrap();
    let folder = outbox.path().to_owned();
    let h = Harness::with(&Backend::Sqlite, |config| {
        config.mail = classmates_api::config::MailConfig {
            transport: classmates_api::config::MailTransport::Files(folder),
            from: None,
            reply_to: None,
        };
    })
    .await;
    let dir = h.dir.path();
    let email = "delivered.once@example.org";
    let (status, body) = h.register(WORKSHOP, "Ada", email).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The confirmation is written as a file, and the registration itself keeps the address:
    // what must go is the outbox record once delivered. Cancelling removes the rest.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_dir(outbox.path()).unwrap().count() == 0 {
        assert!(
            Instant::now() < deadline,
            "the confirmation was never written"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cancel(&h, &body["cancel_url"]).await;
    wait_until_gone(dir, &[email]).await;
}

#[tokio::test]
async fn data_past_its_retention_does_not_linger_in_the_file_or_its_log() {
    let h = Harness::with(&Backend::Sqlite, |config| config.retention_days = 30).await;
    let dir = h.dir.path();
    let email = "expired.visitor@example.org";
    let name = "Aurélien Périmé";
    h.register("grand-webinaire", "Ada", "ada@example.org")
        .await;
    let (status, body) = h.register(WORKSHOP, name, email).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(!files_holding(dir, email).is_empty());

    // The workshop ends on 3 December 2026 at 19:30 UTC.
    h.clock.set("2027-01-03T12:00:00Z");
    let swept = h.app.apply_retention().await.unwrap();
    assert_eq!(swept.purged.registrations, 1, "{swept:?}");
    wait_until_gone(dir, &[email, name]).await;
    assert_eq!(h.list("grand-webinaire").await.len(), 1);
}
