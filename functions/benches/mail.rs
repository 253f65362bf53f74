//! Registrations with e-mail on: the latency of `POST /events/{slug}/registrations` when each one
//! also records its confirmation in the outbox and sends it over SMTP within the request's bounded
//! wait, on the SQLite store, with 1 and 4 clients; then the time from sending a registration to
//! its confirmation being written by a real SMTP server on loopback (aiosmtpd). Prints Markdown.
//!
//! Run (the server is the tests' one):
//!   eval "$(bash functions/scripts/smtp.sh start 2525 | grep ^export)"
//!   cargo bench -p classmates-api --bench mail
//! Optional: `BENCH_REQUESTS=500` (registrations per latency row), `BENCH_ARRIVALS=200`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{TimeDelta, Utc};
use classmates_api::store::SqliteStore;
use classmates_api::{App, Config, MailConfig, MailTransport, ManifestSource, StoreConfig};
use http::{Request, StatusCode};

const SLUG: &str = "webinaire-courrier";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A manifest with one open event of unlimited capacity, a month from now.
fn write_manifest(dir: &Path) -> PathBuf {
    let start = Utc::now() + TimeDelta::days(30);
    let event = serde_json::json!({
        "slug": SLUG,
        "title": "Webinaire de mesure",
        "url": format!("https://pythonclassmates.org/evenements/{SLUG}/"),
        "start": start.to_rfc3339(),
        "end": (start + TimeDelta::minutes(90)).to_rfc3339(),
        "when": "dans un mois",
        "capacity": null,
        "registration": true,
        "registration_deadline": start.to_rfc3339(),
        "speakers": ["Ada Lovelace"],
        "location": null,
        "summary": "Mesures.",
    });
    let path = dir.join("index.json");
    std::fs::write(
        &path,
        serde_json::to_vec(&serde_json::json!({ "version": 1, "events": [event] })).unwrap(),
    )
    .unwrap();
    path
}

fn registration(i: usize) -> Request<Bytes> {
    let body =
        format!(r#"{{"name":"Personne {i}","email":"personne{i}@example.org","consent":true}}"#);
    Request::builder()
        .method("POST")
        .uri(format!("/events/{SLUG}/registrations"))
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(Bytes::from(body))
        .unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// `requests` registrations from `clients` clients, each waiting for its answer; sorted latencies.
async fn registrations(app: &App, first: usize, requests: usize, clients: usize) -> Vec<Duration> {
    let per_client = requests / clients;
    let mut tasks = Vec::new();
    for client in 0..clients {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            for k in 0..per_client {
                let req = registration(first + client * per_client + k);
                let t = Instant::now();
                let response = app.handle(req).await;
                latencies.push(t.elapsed());
                assert_eq!(response.status(), StatusCode::CREATED);
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    latencies.sort_unstable();
    latencies
}

/// Messages the server has written for this run so far.
fn spooled(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .count()
    })
}

fn main() {
    let (Ok(port), Ok(spool)) = (
        std::env::var("SMTP_TEST_PORT"),
        std::env::var("SMTP_TEST_SPOOL"),
    ) else {
        eprintln!(
            "this benchmark needs a real SMTP server: eval \"$(bash functions/scripts/smtp.sh start 2525 | grep ^export)\" first"
        );
        std::process::exit(2);
    };
    let requests = env_usize("BENCH_REQUESTS", 500);
    let arrivals = env_usize("BENCH_ARRIVALS", 200);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let manifest = write_manifest(dir.path());
        let db = dir.path().join("registrations.sqlite3");
        let mut config = Config::new("benchmark-admin-token-0123456789", ManifestSource::Path(manifest));
        config.store = StoreConfig::Sqlite(db.clone());
        config.rate_limit = 0;
        // The spool folder is named after the envelope sender: one per run.
        let sender = format!("bench{}", std::process::id());
        config.mail = MailConfig {
            transport: MailTransport::Smtp(format!("smtp://127.0.0.1:{port}")),
            from: Some(format!("Classmates <{sender}@example.org>")),
            reply_to: None,
        };
        let outbox = Path::new(&spool).join(&sender);
        let store = Arc::new(SqliteStore::open(&db).await.unwrap());
        let app = App::new(config, store).unwrap();

        registrations(&app, 0, 50, 1).await; // warm-up: statements, the SMTP connection pool
        let one = registrations(&app, 1_000_000, requests, 1).await;
        let four = registrations(&app, 2_000_000, requests, 4).await;

        // From the request to the message on the server's disk, one registration at a time.
        let mut delays = Vec::with_capacity(arrivals);
        for i in 0..arrivals {
            let before = spooled(&outbox);
            let t = Instant::now();
            let response = app.handle(registration(3_000_000 + i)).await;
            assert_eq!(response.status(), StatusCode::CREATED);
            while spooled(&outbox) == before {
                assert!(t.elapsed() < Duration::from_secs(30), "no message arrived");
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            delays.push(t.elapsed());
        }
        delays.sort_unstable();
        let expected = 50 + 2 * (requests / 4 * 4).min(requests) + arrivals;
        let deadline = Instant::now() + Duration::from_secs(30);
        while spooled(&outbox) < expected && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        println!("| scenario | clients | requests | p50 (ms) | p99 (ms) | max (ms) |");
        println!("|---|---:|---:|---:|---:|---:|");
        for (name, clients, sorted) in [
            ("POST registration, e-mail on", 1, &one),
            ("POST registration, e-mail on", 4, &four),
            ("registration → message on the SMTP server", 1, &delays),
        ] {
            println!(
                "| {name} | {clients} | {} | {} | {} | {} |",
                sorted.len(),
                ms(percentile(sorted, 0.50)),
                ms(percentile(sorted, 0.99)),
                ms(*sorted.last().unwrap()),
            );
        }
        println!();
        println!(
            "Messages received by the server: {} of {expected} registrations (each confirmation once).",
            spooled(&outbox)
        );
        let _ = std::fs::remove_dir_all(&outbox);
    });
}
