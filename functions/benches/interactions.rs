//! Handling time of Discord interactions in-process, through `App::handle`, on the SQLite store
//! in a temporary file: Discord waits 3 seconds for the first answer, so every interaction is
//! answered at once and this measures how far below that budget we are. Requests are signed
//! beforehand with a real Ed25519 key; the time includes verifying the signature, parsing the
//! interaction, reading the store and writing the answer. Prints a Markdown table.
//!
//! Run: `cargo bench -p classmates-api --bench interactions` (release profile).
//! Optional: `BENCH_REQUESTS=2000` (requests per scenario).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{TimeDelta, Utc};
use classmates_api::store::SqliteStore;
use classmates_api::{App, Config, ManifestSource, StoreConfig};
use ed25519_dalek::{Signer, SigningKey};
use http::{Request, StatusCode};
use serde_json::json;

/// Events in the benchmark manifest (all upcoming: `/evenements` lists the first ten).
const EVENTS: usize = 12;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn write_manifest(dir: &std::path::Path) -> std::path::PathBuf {
    let events: Vec<_> = (0..EVENTS)
        .map(|i| {
            let start = Utc::now() + TimeDelta::days(7 * (i as i64 + 1));
            json!({
                "slug": format!("webinaire-{i}"),
                "title": format!("Webinaire numéro {i}"),
                "url": format!("https://pythonclassmates.org/evenements/webinaire-{i}/"),
                "start": start.to_rfc3339(),
                "end": (start + TimeDelta::minutes(90)).to_rfc3339(),
                "when": "jeudi 3 décembre 2026, 19 h 00 – 20 h 30",
                "capacity": 30,
                "registration": true,
                "registration_deadline": start.to_rfc3339(),
                "speakers": ["Ada Lovelace"],
                "location": null,
                "summary": "Mesures.",
            })
        })
        .collect();
    let path = dir.join("index.json");
    std::fs::write(
        &path,
        serde_json::to_vec(&json!({ "version": 1, "events": events })).unwrap(),
    )
    .unwrap();
    path
}

fn signed(key: &SigningKey, body: &serde_json::Value) -> Request<Bytes> {
    let body = serde_json::to_vec(body).unwrap();
    let timestamp = Utc::now().timestamp().to_string();
    let mut message = timestamp.as_bytes().to_vec();
    message.extend_from_slice(&body);
    Request::builder()
        .method("POST")
        .uri("/discord/interactions")
        .header("content-type", "application/json")
        .header(
            "x-signature-ed25519",
            hex::encode(key.sign(&message).to_bytes()),
        )
        .header("x-signature-timestamp", timestamp)
        .body(Bytes::from(body))
        .unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

async fn run(app: &App, requests: Vec<Request<Bytes>>) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(requests.len());
    for req in requests {
        let t = Instant::now();
        let response = app.handle(req).await;
        latencies.push(t.elapsed());
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(response.body())
        );
    }
    latencies.sort_unstable();
    latencies
}

fn main() {
    let requests = env_usize("BENCH_REQUESTS", 2000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).unwrap();
        let key = SigningKey::from_bytes(&seed);
        let dir = tempfile::tempdir().unwrap();
        let manifest = write_manifest(dir.path());
        let db = dir.path().join("registrations.sqlite3");
        let mut config = Config::new(
            "benchmark-admin-token-0123456789",
            ManifestSource::Path(manifest),
        );
        config.store = StoreConfig::Sqlite(db.clone());
        config.discord_app.public_key = Some(hex::encode(key.verifying_key().to_bytes()));
        let store = Arc::new(SqliteStore::open(&db).await.unwrap());
        let app = App::new(config, store).unwrap();

        let ping = json!({ "id": "1", "application_id": "2", "type": 1, "token": "t", "version": 1 });
        let evenements = json!({
            "id": "1", "application_id": "2", "type": 2, "token": "t", "version": 1,
            "guild_id": "3", "channel_id": "4",
            "member": { "user": { "id": "5", "username": "ada", "global_name": "Ada" }, "nick": null },
            "data": { "id": "6", "name": "evenements", "type": 1 },
        });
        // Warm-up.
        run(&app, (0..100).map(|_| signed(&key, &evenements)).collect()).await;

        let scenarios = [("PING", &ping), ("/evenements (10 listed)", &evenements)];
        println!("| interaction | requests | p50 (ms) | p99 (ms) | max (ms) |");
        println!("|---|---:|---:|---:|---:|");
        for (name, body) in scenarios {
            let prepared: Vec<_> = (0..requests).map(|_| signed(&key, body)).collect();
            let latencies = run(&app, prepared).await;
            println!(
                "| {name} | {} | {} | {} | {} |",
                latencies.len(),
                ms(percentile(&latencies, 0.50)),
                ms(percentile(&latencies, 0.99)),
                ms(*latencies.last().unwrap()),
            );
        }
        println!();
        println!("One client; Discord's budget for the first answer is 3000 ms.");
    });
}
