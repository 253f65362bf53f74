//! How the function learns which events exist: the manifest from a file (re-read when it
//! changes) or from a URL (cached), and configuration errors at start.

mod common;

use std::sync::Arc;
use std::time::Duration;

use classmates_api::store::SqliteStore;
use classmates_api::{App, Config, ConfigError, ManifestSource, StoreConfig};
use common::*;
use http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Mutex;

fn app_on(source: ManifestSource, ttl: Duration) -> App {
    let mut config = Config::new(ADMIN_TOKEN, source);
    config.manifest_ttl = ttl;
    App::with_clock(
        config,
        Arc::new(SqliteStore::in_memory().unwrap()),
        TestClock::new().clock(),
    )
    .unwrap()
}

async fn status_of(app: &App, path: &str) -> StatusCode {
    app.handle(get(path)).await.status()
}

#[tokio::test]
async fn file_or_site_folder() {
    let folder = app_on(
        ManifestSource::Path(fixtures().join("site")),
        Duration::ZERO,
    );
    let file = app_on(
        ManifestSource::Path(fixtures().join("site/evenements/index.json")),
        Duration::ZERO,
    );
    for app in [folder, file] {
        assert_eq!(status_of(&app, "/events/atelier-git").await, StatusCode::OK);
        assert_eq!(
            status_of(&app, "/events/nouvel-evenement").await,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn changed_file_is_read_again_and_bad_rewrites_are_ignored() {
    let site = tempfile::tempdir().unwrap();
    let path = site.path().join("index.json");
    std::fs::copy(fixtures().join("site/evenements/index.json"), &path).unwrap();
    let app = app_on(ManifestSource::Path(path.clone()), Duration::ZERO);
    assert_eq!(
        status_of(&app, "/events/nouvel-evenement").await,
        StatusCode::NOT_FOUND
    );

    std::fs::copy(fixtures().join("updated/evenements/index.json"), &path).unwrap();
    assert_eq!(
        status_of(&app, "/events/nouvel-evenement").await,
        StatusCode::OK
    );
    let counts = json_body(&app.handle(get("/events/atelier-git")).await);
    assert_eq!(counts["capacity"], 6);

    // Half-written or removed during a rebuild: the last good manifest stays in use.
    std::fs::write(&path, b"{\"version\": 1, \"events\": [").unwrap();
    assert_eq!(
        status_of(&app, "/events/nouvel-evenement").await,
        StatusCode::OK
    );
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        status_of(&app, "/events/nouvel-evenement").await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn missing_manifest_is_503() {
    let app = app_on(
        ManifestSource::Path("/nonexistent/index.json".into()),
        Duration::ZERO,
    );
    let response = app.handle(get("/events/atelier-git")).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        json_body(&response)["error"]
            .as_str()
            .unwrap()
            .starts_with("Le service est momentanément indisponible")
    );
}

/// A one-file HTTP server on loopback that serves whatever `body` holds and counts requests.
async fn serve(body: Arc<Mutex<Vec<u8>>>, hits: Arc<Mutex<u32>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.lock().await.clone();
            *hits.lock().await += 1;
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{address}/evenements/index.json")
}

#[tokio::test]
async fn url_is_fetched_and_cached() {
    let body = Arc::new(Mutex::new(
        std::fs::read(fixtures().join("site/evenements/index.json")).unwrap(),
    ));
    let hits = Arc::new(Mutex::new(0));
    let url = serve(body.clone(), hits.clone()).await;

    let cached = app_on(ManifestSource::Url(url.clone()), Duration::from_secs(60));
    assert_eq!(
        status_of(&cached, "/events/atelier-git").await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(&cached, "/events/grand-webinaire").await,
        StatusCode::OK
    );
    assert_eq!(*hits.lock().await, 1, "one fetch within the TTL");

    *body.lock().await = std::fs::read(fixtures().join("updated/evenements/index.json")).unwrap();
    assert_eq!(
        status_of(&cached, "/events/nouvel-evenement").await,
        StatusCode::NOT_FOUND,
        "still cached"
    );
    let fresh = app_on(ManifestSource::Url(url), Duration::ZERO);
    assert_eq!(
        status_of(&fresh, "/events/nouvel-evenement").await,
        StatusCode::OK
    );

    // A site that does not answer at first: 503, then it works once it answers.
    let unreachable = app_on(
        ManifestSource::Url("http://127.0.0.1:9/index.json".into()),
        Duration::from_secs(60),
    );
    assert_eq!(
        status_of(&unreachable, "/events/atelier-git").await,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn from_config_opens_sqlite_and_reports_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/folder/registrations.sqlite3");
    let mut config = Config::new(ADMIN_TOKEN, ManifestSource::Path(fixtures().join("site")));
    config.store = StoreConfig::Sqlite(db.clone());
    let app = App::from_config(config.clone()).await.unwrap();
    let body = serde_json::json!({ "name": "Ada", "email": "ada@example.org", "consent": true });
    let response = app
        .handle(json_post("/events/webinaire-illimite/registrations", &body))
        .await;
    // The real clock is past the fixture events? Then 403; either way the store was created.
    assert!(matches!(
        response.status(),
        StatusCode::CREATED | StatusCode::FORBIDDEN
    ));
    assert!(db.exists());

    let mut short = config.clone();
    short.admin_token = "short".into();
    assert!(matches!(
        App::from_config(short).await,
        Err(ConfigError::Invalid {
            var: "ADMIN_TOKEN",
            ..
        })
    ));

    let mut dynamo = config.clone();
    dynamo.store = StoreConfig::DynamoDb {
        table: "classmates".into(),
    };
    if !cfg!(feature = "dynamodb") {
        let err = App::from_config(dynamo).await.err().unwrap();
        assert!(err.to_string().contains("dynamodb"), "{err}");
    }

    let mut unwritable = config;
    unwritable.store = StoreConfig::Sqlite("/proc/classmates/registrations.sqlite3".into());
    let err = App::from_config(unwritable).await.err().unwrap();
    assert!(err.to_string().contains("sqlite:/proc/classmates"), "{err}");
}
