//! `classmates check --external`, against a small HTTP server on the loopback interface started
//! by each test: alive, broken (404), flaky (500 then 200: retried), redirected, too slow
//! (timeout), HEAD refused (GET fallback); at most two requests at once per host; and the cache
//! of live addresses, which spares the second run its requests.

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use classmates::check::external::{self, Outcome};
use classmates::check::{CheckOptions, check};
use classmates::diagnostics::Severity;
use common::Site;

/// The requests the server received: (method, path).
type Log = Arc<Mutex<Vec<(String, String)>>>;

struct Server {
    port: u16,
    log: Log,
    max_in_flight: Arc<AtomicUsize>,
}

impl Server {
    /// Starts the server on 127.0.0.1, on a free port. Its threads end with the test process.
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the loopback");
        let port = listener.local_addr().unwrap().port();
        let log: Log = Arc::default();
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let (log2, max2) = (log.clone(), max_in_flight.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                let (log, in_flight, max) = (log2.clone(), in_flight.clone(), max2.clone());
                std::thread::spawn(move || handle(stream, &log, &in_flight, &max));
            }
        });
        Server {
            port,
            log,
            max_in_flight,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The requests received for `path`, by method, in order.
    fn requests(&self, path: &str) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, p)| p == path)
            .map(|(m, _)| m.clone())
            .collect()
    }
}

fn handle(mut stream: TcpStream, log: &Log, in_flight: &AtomicUsize, max: &AtomicUsize) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut first = head.lines().next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let path = first.next().unwrap_or("").to_string();
    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    max.fetch_max(now, Ordering::SeqCst);
    let count = {
        let mut log = log.lock().unwrap();
        log.push((method.clone(), path.clone()));
        log.iter().filter(|(_, p)| *p == path).count()
    };
    let (status, location) = match path.as_str() {
        "/ok" => ("200 OK", None),
        "/down" => ("503 Service Unavailable", None),
        "/absent" => ("404 Not Found", None),
        // Fails twice (the HEAD and the GET of the first try), then recovers.
        "/flaky" if count <= 2 => ("500 Internal Server Error", None),
        "/flaky" => ("200 OK", None),
        "/redirect" => ("301 Moved Permanently", Some("/ok")),
        "/no-head" if method == "HEAD" => ("405 Method Not Allowed", None),
        "/no-head" => ("200 OK", None),
        "/slow" => {
            // Longer than the client's timeout, then hang up without an answer.
            std::thread::sleep(Duration::from_secs(4));
            in_flight.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        p if p.starts_with("/delay") => {
            std::thread::sleep(Duration::from_millis(150));
            ("200 OK", None)
        }
        _ => ("404 Not Found", None),
    };
    let mut response = format!("HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n");
    if let Some(location) = location {
        response.push_str(&format!("Location: {location}\r\n"));
    }
    response.push_str("\r\n");
    if method != "HEAD" {
        response.push_str("ok");
    }
    let _ = stream.write_all(response.as_bytes());
    in_flight.fetch_sub(1, Ordering::SeqCst);
}

/// Quick settings for tests: short timeout and backoff, loopback allowed.
fn options() -> external::Options {
    external::Options {
        timeout: Duration::from_secs(1),
        backoff: Duration::from_millis(20),
        host_delay: Duration::from_millis(5),
        check_local: true,
        ..external::Options::default()
    }
}

#[test]
fn each_kind_of_answer() {
    let server = Server::start();
    let paths = ["/ok", "/absent", "/flaky", "/redirect", "/slow", "/no-head"];
    let outcomes: HashMap<String, Outcome> =
        external::check_urls(paths.iter().map(|p| server.url(p)).collect(), &options());
    let outcome = |path: &str| outcomes[&server.url(path)].clone();

    assert_eq!(outcome("/ok"), Outcome::Alive(200));
    assert_eq!(
        server.requests("/ok"),
        ["HEAD", "HEAD"],
        "itself, then after /redirect"
    );

    assert_eq!(outcome("/absent"), Outcome::Broken("404 Not Found".into()));
    assert_eq!(
        server.requests("/absent"),
        ["HEAD", "GET"],
        "a 404 is not retried"
    );

    assert_eq!(outcome("/flaky"), Outcome::Alive(200));
    assert_eq!(server.requests("/flaky"), ["HEAD", "GET", "HEAD"]);

    assert_eq!(outcome("/redirect"), Outcome::Alive(200));
    assert_eq!(server.requests("/redirect"), ["HEAD"]);

    assert_eq!(
        outcome("/slow"),
        Outcome::Unreachable("pas de réponse en 1 s, 3 essais".into())
    );
    assert_eq!(
        server.requests("/slow"),
        ["HEAD", "HEAD", "HEAD"],
        "a timeout is retried twice, without a GET"
    );

    assert_eq!(outcome("/no-head"), Outcome::Alive(200));
    assert_eq!(server.requests("/no-head"), ["HEAD", "GET"]);
}

#[test]
fn a_server_that_keeps_failing_is_unreachable() {
    let server = Server::start();
    let down = server.url("/down");
    let outcomes = external::check_urls(vec![down.clone()], &options());
    assert_eq!(
        outcomes[&down],
        Outcome::Unreachable("503 Service Unavailable, 3 essais".into())
    );
    assert_eq!(
        server.requests("/down"),
        ["HEAD", "GET", "HEAD", "GET", "HEAD", "GET"]
    );
}

#[test]
fn at_most_two_requests_at_once_per_host() {
    let server = Server::start();
    let urls: Vec<String> = (0..6).map(|i| server.url(&format!("/delay{i}"))).collect();
    let outcomes = external::check_urls(urls, &options());
    assert!(outcomes.values().all(|o| *o == Outcome::Alive(200)));
    assert_eq!(server.max_in_flight.load(Ordering::SeqCst), 2);
}

/// Copies the `check-external` fixture with the server's port in its addresses.
fn site_for(server: &Server) -> Site {
    let site = Site::fixture("check-external");
    for file in [
        "content/resources/documentation.md",
        "content/events/webinaire.md",
        "content/articles/liens.md",
    ] {
        let text = std::fs::read_to_string(site.root().join(file)).unwrap();
        site.write(file, &text.replace("PORT", &server.port.to_string()));
    }
    site
}

#[test]
fn broken_links_are_warnings_where_they_are_written_and_the_cache_spares_requests() {
    let server = Server::start();
    let site = site_for(&server);
    let run = || {
        let options = CheckOptions {
            now: chrono::Utc::now(),
            external: Some(options()),
        };
        check(site.root(), &options).sorted()
    };
    let found: Vec<(String, String)> = run()
        .into_iter()
        .inspect(|d| assert_eq!(d.severity, Severity::Warning, "{d}"))
        .map(|d| (d.location(), d.message))
        .collect();
    let url = |path: &str| server.url(path);
    assert_eq!(
        found,
        vec![
            (
                "content/articles/liens.md:6:9".to_string(),
                format!("lien externe cassé (404 Not Found) : {}", url("/absent"))
            ),
            (
                "content/articles/liens.md:7:4".to_string(),
                format!(
                    "lien externe injoignable (pas de réponse en 1 s, 3 essais) : {}",
                    url("/slow")
                )
            ),
            (
                "content/events/webinaire.md:5:12".to_string(),
                format!("lien externe cassé (404 Not Found) : {}", url("/absent"))
            ),
        ]
    );
    // Each address asked once however many times it is written; code blocks and example
    // addresses are not links to check.
    assert_eq!(server.requests("/absent"), ["HEAD", "GET"]);
    assert!(server.requests("/pas-un-lien").is_empty());

    let cache = site.root().join(".classmates/link-cache.json");
    let cached: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cache).expect("the cache is written"))
            .unwrap();
    let mut alive: Vec<&String> = cached["links"].as_object().unwrap().keys().collect();
    alive.sort();
    assert_eq!(alive, [&url("/flaky"), &url("/ok"), &url("/redirect")]);

    // Second run: the live addresses come from the cache, the broken ones are asked again.
    let before_ok = server.requests("/ok").len();
    let before_flaky = server.requests("/flaky").len();
    let second = run();
    assert_eq!(second.len(), 3);
    assert_eq!(server.requests("/ok").len(), before_ok);
    assert_eq!(server.requests("/flaky").len(), before_flaky);
    assert!(server.requests("/redirect").len() == 1);
    assert_eq!(server.requests("/absent"), ["HEAD", "GET", "HEAD", "GET"]);
}

#[test]
fn the_command_skips_local_addresses() {
    // Through the real command line, `--external` leaves this machine's addresses alone (they
    // are the reader's development server in tutorials): no request reaches the server.
    let server = Server::start();
    let site = site_for(&server);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_classmates"))
        .arg("--root")
        .arg(site.root())
        .args(["check", "--external"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "Aucun problème trouvé.\n"
    );
    assert!(server.log.lock().unwrap().is_empty());
}
