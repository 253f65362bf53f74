//! Shared test harness: an `App` on a real store (SQLite in a temporary folder, or DynamoDB on
//! the endpoint in `DYNAMODB_ENDPOINT`, a fresh table per test), the fixture manifest, a clock the
//! tests move, and request helpers. `store_tests!` runs one test body on every store; `discord`
//! is a fake Discord webhook.

#![allow(dead_code)]

pub mod discord;
pub mod interactions;
pub mod smtp;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use classmates_api::store::SqliteStore;
use classmates_api::{App, ClientIp, Clock, Config, ManifestSource, Store, StoreConfig};
use http::{Request, Response, StatusCode};
use serde_json::Value;

pub const ADMIN_TOKEN: &str = "secret-admin-token-for-tests";
/// "Now" at the start of every test: 2026-11-20T12:00:00Z (see tests/fixtures/README.md).
pub const NOW: &str = "2026-11-20T12:00:00Z";

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A clock the test sets and moves.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn new() -> TestClock {
        TestClock(Arc::new(Mutex::new(
            DateTime::parse_from_rfc3339(NOW).unwrap().to_utc(),
        )))
    }

    pub fn set(&self, rfc3339: &str) {
        *self.0.lock().unwrap() = DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc();
    }

    pub fn advance(&self, delta: TimeDelta) {
        *self.0.lock().unwrap() += delta;
    }

    pub fn clock(&self) -> Clock {
        let inner = self.0.clone();
        Arc::new(move || *inner.lock().unwrap())
    }
}

/// Which store a test runs on.
#[derive(Clone)]
pub enum Backend {
    Sqlite,
    #[cfg(feature = "dynamodb")]
    DynamoDb(aws_sdk_dynamodb::Client),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            #[cfg(feature = "dynamodb")]
            Backend::DynamoDb(_) => "dynamodb",
        }
    }

    /// The DynamoDB backend on `DYNAMODB_ENDPOINT`, or `None` (after a visible SKIPPED line)
    /// when it is not set or does not answer.
    #[cfg(feature = "dynamodb")]
    pub async fn dynamodb(test: &str) -> Option<Backend> {
        use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
        let skip = |why: String| {
            // Straight to stderr, not through eprintln!, which the test harness captures; once
            // per test binary.
            static ONCE: std::sync::Once = std::sync::Once::new();
            ONCE.call_once(|| {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED: DynamoDB tests need DYNAMODB_ENDPOINT (start functions/scripts/moto.sh, then \
                     export DYNAMODB_ENDPOINT=http://127.0.0.1:8000): {why}; first skipped: {test}"
                );
            });
            None
        };
        let endpoint = match std::env::var("DYNAMODB_ENDPOINT") {
            Ok(endpoint) if !endpoint.trim().is_empty() => endpoint.trim().to_owned(),
            _ => return skip("DYNAMODB_ENDPOINT is not set".to_owned()),
        };
        let Ok(url) = reqwest::Url::parse(&endpoint) else {
            return skip(format!("{endpoint} is not a URL"));
        };
        let address = format!(
            "{}:{}",
            url.host_str().unwrap_or("127.0.0.1"),
            url.port_or_known_default().unwrap_or(80)
        );
        let reachable = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            tokio::net::TcpStream::connect(&address),
        )
        .await;
        if !matches!(reachable, Ok(Ok(_))) {
            return skip(format!("{endpoint} does not answer"));
        }
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
            .build();
        Some(Backend::DynamoDb(aws_sdk_dynamodb::Client::from_conf(
            config,
        )))
    }

    /// A new, empty store of this kind, kept alive by the returned guard.
    pub async fn open(&self, dir: &Path) -> Arc<dyn Store> {
        match self {
            Backend::Sqlite => Arc::new(
                SqliteStore::open(dir.join("registrations.sqlite3"))
                    .await
                    .unwrap(),
            ),
            #[cfg(feature = "dynamodb")]
            Backend::DynamoDb(client) => {
                let mut suffix = [0u8; 8];
                getrandom::fill(&mut suffix).unwrap();
                let table = format!(
                    "registrations-{}",
                    suffix
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>()
                );
                let store = classmates_api::store::DynamoStore::new(client.clone(), table);
                store.create_table().await.unwrap();
                Arc::new(store)
            }
        }
    }
}

/// An app on a fresh store, with the fixture manifest and a test clock.
pub struct Harness {
    pub app: App,
    pub clock: TestClock,
    pub store: Arc<dyn Store>,
    pub backend: &'static str,
    /// Folder holding the SQLite file and, when copied, the manifest.
    pub dir: tempfile::TempDir,
}

impl Harness {
    pub async fn new(backend: &Backend) -> Harness {
        Harness::with(backend, |_| {}).await
    }

    /// Like [`Harness::new`], after `tweak` adjusted the configuration. The manifest is the
    /// `site` fixture folder unless `tweak` changes it.
    pub async fn with(backend: &Backend, tweak: impl FnOnce(&mut Config)) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(ADMIN_TOKEN, ManifestSource::Path(fixtures().join("site")));
        config.store = StoreConfig::Sqlite(dir.path().join("registrations.sqlite3"));
        tweak(&mut config);
        let store = backend.open(dir.path()).await;
        let clock = TestClock::new();
        let app = App::with_clock(config, store.clone(), clock.clock()).unwrap();
        Harness {
            app,
            clock,
            store,
            backend: backend.name(),
            dir,
        }
    }

    pub async fn send(&self, req: Request<Bytes>) -> Response<Bytes> {
        self.app.handle(req).await
    }

    /// Registers `name <email>` for `slug` with JSON; returns status and body.
    pub async fn register(&self, slug: &str, name: &str, email: &str) -> (StatusCode, Value) {
        let body = serde_json::json!({ "name": name, "email": email, "consent": true });
        let response = self
            .send(json_post(&format!("/events/{slug}/registrations"), &body))
            .await;
        (response.status(), json_body(&response))
    }

    pub async fn counts(&self, slug: &str) -> Value {
        let response = self.send(get(&format!("/events/{slug}"))).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{}",
            text_body(&response)
        );
        json_body(&response)
    }

    /// The registrations of the organisers' JSON list.
    pub async fn list(&self, slug: &str) -> Vec<Value> {
        self.organiser_list(slug).await["registrations"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// The organisers' whole JSON answer (`event`, `counts`, `registrations`,
    /// `failed_messages`, `join_url`), with the admin token.
    pub async fn organiser_list(&self, slug: &str) -> Value {
        let mut req = get(&format!("/events/{slug}/registrations"));
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {ADMIN_TOKEN}").parse().unwrap(),
        );
        let response = self.send(req).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{}",
            text_body(&response)
        );
        json_body(&response)
    }
}

pub fn request(
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<Bytes>,
) -> Request<Bytes> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    builder.body(body.into()).unwrap()
}

pub fn get(path: &str) -> Request<Bytes> {
    request("GET", path, None, Bytes::new())
}

pub fn json_post(path: &str, body: &Value) -> Request<Bytes> {
    let mut req = request(
        "POST",
        path,
        Some("application/json"),
        serde_json::to_vec(body).unwrap(),
    );
    req.headers_mut()
        .insert("accept", "application/json".parse().unwrap());
    req
}

pub fn form_post(path: &str, body: &str) -> Request<Bytes> {
    let mut req = request(
        "POST",
        path,
        Some("application/x-www-form-urlencoded"),
        body.to_owned(),
    );
    req.headers_mut().insert(
        "accept",
        "text/html,application/xhtml+xml,*/*;q=0.8".parse().unwrap(),
    );
    req
}

pub fn with_ip(mut req: Request<Bytes>, ip: &str) -> Request<Bytes> {
    req.extensions_mut()
        .insert(ClientIp(ip.parse::<IpAddr>().unwrap()));
    req
}

pub fn json_body(response: &Response<Bytes>) -> Value {
    serde_json::from_slice(response.body())
        .unwrap_or_else(|_| panic!("not JSON ({}): {}", response.status(), text_body(response)))
}

pub fn text_body(response: &Response<Bytes>) -> String {
    String::from_utf8_lossy(response.body()).into_owned()
}

pub fn header<'a>(response: &'a Response<Bytes>, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

/// The token at the end of a `cancel_url`.
pub fn token_of(cancel_url: &Value) -> String {
    cancel_url
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

/// Defines each listed `async fn NAME(backend: Backend)` of the calling file as a test on
/// SQLite (`sqlite::NAME`) and, with the `dynamodb` feature, on DynamoDB (`dynamodb::NAME`).
#[macro_export]
macro_rules! store_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::common::Backend::Sqlite).await;
                }
            )*
        }

        #[cfg(feature = "dynamodb")]
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(backend) = super::common::Backend::dynamodb(stringify!($name)).await else {
                        return;
                    };
                    super::$name(backend).await;
                }
            )*
        }

        #[cfg(not(feature = "dynamodb"))]
        #[test]
        fn dynamodb_store_not_built() {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: DynamoDB tests need `--features dynamodb` (and DYNAMODB_ENDPOINT)"
            );
        }
    };
}
