//! Throughput and latency of the registrations function in-process, through `App::handle`, on
//! the SQLite store in a temporary file: registrations (`POST`) and public counts (`GET`), one
//! client at a time and with concurrent clients. Prints a Markdown table.
//!
//! Run: `cargo bench -p classmates-api --bench registrations` (release profile).
//! Optional: `BENCH_REQUESTS=5000` (requests per scenario), `BENCH_CONCURRENCY=32`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{TimeDelta, Utc};
use classmates_api::store::SqliteStore;
use classmates_api::{App, Config, ManifestSource, StoreConfig};
use http::{Request, StatusCode};

const SLUG: &str = "webinaire-bench";
/// Seats of the benchmark event: most registrations land on the waiting list, the costlier path.
const CAPACITY: u32 = 100;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A manifest with one open event, a month from now.
fn write_manifest(dir: &std::path::Path) -> std::path::PathBuf {
    let start = Utc::now() + TimeDelta::days(30);
    let event = serde_json::json!({
        "slug": SLUG,
        "title": "Webinaire de mesure",
        "url": format!("https://pythonclassmates.org/evenements/{SLUG}/"),
        "start": start.to_rfc3339(),
        "end": (start + TimeDelta::minutes(90)).to_rfc3339(),
        "when": "dans un mois",
        "capacity": CAPACITY,
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
    let body = format!(
        r#"{{"name":"Personne {i}","email":"personne{i}@example.org","discord":"p{i}","consent":true}}"#
    );
    Request::builder()
        .method("POST")
        .uri(format!("/events/{SLUG}/registrations"))
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(Bytes::from(body))
        .unwrap()
}

fn counts(_: usize) -> Request<Bytes> {
    Request::builder()
        .method("GET")
        .uri(format!("/events/{SLUG}"))
        .body(Bytes::new())
        .unwrap()
}

struct Row {
    scenario: &'static str,
    requests: usize,
    concurrency: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

/// Sends `requests` requests made by `make(i)` from `concurrency` clients, each waiting for its
/// answer before sending the next.
async fn run(
    app: &App,
    scenario: &'static str,
    first: usize,
    requests: usize,
    concurrency: usize,
    make: fn(usize) -> Request<Bytes>,
    expected: StatusCode,
) -> Row {
    let started = Instant::now();
    let per_client = requests / concurrency;
    let mut tasks = Vec::new();
    for client in 0..concurrency {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            for k in 0..per_client {
                let req = make(first + client * per_client + k);
                let t = Instant::now();
                let response = app.handle(req).await;
                latencies.push(t.elapsed());
                assert_eq!(
                    response.status(),
                    expected,
                    "{}",
                    String::from_utf8_lossy(response.body())
                );
            }
            latencies
        }));
    }
    let mut latencies = Vec::with_capacity(requests);
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Row {
        scenario,
        requests: latencies.len(),
        concurrency,
        elapsed,
        latencies,
    }
}

fn main() {
    let requests = env_usize("BENCH_REQUESTS", 5000);
    let concurrency = env_usize("BENCH_CONCURRENCY", 32).max(1);
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
        let store = Arc::new(SqliteStore::open(&db).await.unwrap());
        let app = App::new(config, store).unwrap();

        // Warm-up: caches, prepared statements, the first seats.
        run(&app, "warm-up", 0, 200, 1, registration, StatusCode::CREATED).await;
        run(&app, "warm-up", 0, 200, 1, counts, StatusCode::OK).await;

        let rows = vec![
            run(&app, "POST registration", 1_000_000, requests, 1, registration, StatusCode::CREATED).await,
            run(&app, "POST registration", 2_000_000, requests, 4, registration, StatusCode::CREATED).await,
            run(&app, "POST registration", 3_000_000, requests, concurrency, registration, StatusCode::CREATED).await,
            run(&app, "GET /events/{slug}", 0, requests, 1, counts, StatusCode::OK).await,
            run(&app, "GET /events/{slug}", 0, requests, concurrency, counts, StatusCode::OK).await,
        ];
        println!("| scenario | requests | concurrent clients | req/s | p50 (ms) | p99 (ms) | max (ms) |");
        println!("|---|---:|---:|---:|---:|---:|---:|");
        for row in &rows {
            println!(
                "| {} | {} | {} | {:.0} | {} | {} | {} |",
                row.scenario,
                row.requests,
                row.concurrency,
                row.requests as f64 / row.elapsed.as_secs_f64(),
                ms(percentile(&row.latencies, 0.50)),
                ms(percentile(&row.latencies, 0.99)),
                ms(*row.latencies.last().unwrap()),
            );
        }
        let total = 200 + 3 * requests;
        println!();
        println!(
            "One event of {CAPACITY} seats and {total} registrations in all: nearly all join the waiting list. \
             Each client sends its next request when the previous one is answered; with several clients, \
             latency includes the wait for the single SQLite writer."
        );
    });
}
