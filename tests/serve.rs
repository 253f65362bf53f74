//! `classmates serve` as an author uses it: the real binary on a copy of a fixture site, on a
//! free port. A change to a file sends a `reload` event to the open pages
//! (`/__classmates/reload`), the pages carry the reload script (added when served, never
//! written), a broken file shows its diagnostics over every page until it is fixed, and the
//! server keeps running throughout.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::Site;

/// Longest wait for the server or for an event.
const WAIT: Duration = Duration::from_secs(20);

/// `classmates serve`, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(site: &Site, store: &std::path::Path) -> Server {
        Server::start_with(site, store, |_| {})
    }

    /// Like [`Server::start`], after `adjust` changed the command (its environment).
    fn start_with(
        site: &Site,
        store: &std::path::Path,
        adjust: impl FnOnce(&mut std::process::Command),
    ) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = store.join("serve.log");
        let mut command = common::serve_command(site.root(), port, store);
        adjust(&mut command);
        let child = command
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("classmates serve starts");
        let mut server = Server { child, port, log };
        let started = Instant::now();
        while get(port, "/").is_none() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("serve exited ({status}):\n{}", server.log());
            }
            assert!(
                started.elapsed() < WAIT,
                "serve never answered:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `GET path`: status and body.
    fn get(&self, path: &str) -> (u16, String) {
        get(self.port, path).unwrap_or_else(|| panic!("no answer for {path}:\n{}", self.log()))
    }

    /// Opens the reload event stream, past its headers.
    fn events(&self) -> Events {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        write!(
            stream,
            "GET /__classmates/reload HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        let mut events = Events {
            stream,
            seen: String::new(),
        };
        let headers = events.wait_for("\r\n\r\n", "the stream's headers");
        assert!(headers.starts_with("HTTP/1.1 200"), "{headers}");
        assert!(
            headers
                .to_lowercase()
                .contains("content-type: text/event-stream"),
            "{headers}"
        );
        events
    }
}

/// The reload event stream, read as raw bytes.
struct Events {
    stream: TcpStream,
    seen: String,
}

impl Events {
    /// Reads until `text` comes and gives what was read up to it, or fails after [`WAIT`].
    #[track_caller]
    fn wait_for(&mut self, text: &str, what: &str) -> String {
        let started = Instant::now();
        let mut buffer = [0u8; 4096];
        while !self.seen.contains(text) {
            assert!(
                started.elapsed() < WAIT,
                "no {what} (read so far: {:?})",
                self.seen
            );
            match self.stream.read(&mut buffer) {
                Ok(0) => panic!("the event stream closed (read: {:?})", self.seen),
                Ok(n) => self.seen.push_str(&String::from_utf8_lossy(&buffer[..n])),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("reading the event stream: {e}"),
            }
        }
        let at = self.seen.find(text).unwrap() + text.len();
        self.seen.drain(..at).collect()
    }

    #[track_caller]
    fn reload(&mut self) {
        self.wait_for("data: reload", "reload event");
    }
}

/// `GET path` on the local server: status and body, `None` when nothing answers.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response.get(9..12)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

#[test]
fn a_change_reloads_the_pages_and_a_broken_file_shows_its_errors_until_fixed() {
    let site = Site::fixture("incremental");
    let store = tempfile::tempdir().unwrap();
    let server = Server::start(&site, store.path());
    let page = "/articles/pytest-les-bases/";

    // Pages carry the reload script; the built files do not.
    let (status, html) = server.get(page);
    assert_eq!(status, 200);
    assert!(html.contains("/__classmates/reload"), "{html}");
    assert!(!html.contains("classmates-errors"), "no errors yet");
    let built = site
        .root()
        .join(".classmates/site/articles/pytest-les-bases/index.html");
    let built = std::fs::read_to_string(built).unwrap();
    assert!(
        !built.contains("__classmates"),
        "the script is added when served"
    );
    let event = "/api/events/webinaire-pytest";
    assert_eq!(server.get(event).0, 200, "the API reads the built manifest");

    // A change: a reload event, and the page shows it.
    let mut events = server.events();
    let article = site.root().join("content/articles/pytest-les-bases.md");
    let good = std::fs::read_to_string(&article).unwrap();
    std::fs::write(&article, format!("{good}\nUne phrase ajoutée en direct.\n")).unwrap();
    events.reload();
    assert!(server.get(page).1.contains("Une phrase ajoutée en direct."));
    assert!(
        server
            .log()
            .contains("↻ content/articles/pytest-les-bases.md : "),
        "one line per rebuild:\n{}",
        server.log()
    );

    // An editor's temporary file changes nothing.
    std::fs::write(
        site.root()
            .join("content/articles/.pytest-les-bases.md.swp"),
        "brouillon de l'éditeur",
    )
    .unwrap();

    // A broken file: a reload event, every page shows the diagnostics, escaped.
    std::fs::write(
        &article,
        good.replace("date: 2026-10-10", "date: <10/10/2026>"),
    )
    .unwrap();
    events.reload();
    for path in [page, "/", "/page-qui-n-existe-pas/"] {
        let html = server.get(path).1;
        assert!(html.contains("id=\"classmates-errors\""), "{path}: {html}");
        assert!(
            html.contains("date invalide « &lt;10/10/2026&gt; »"),
            "{path}: {html}"
        );
        assert!(
            html.contains("content/articles/pytest-les-bases.md:3:7"),
            "{path}: {html}"
        );
    }
    assert!(server.log().contains("date invalide"), "the terminal too");

    // Fixed: a reload event, the errors are gone.
    std::fs::write(&article, &good).unwrap();
    events.reload();
    let html = server.get(page).1;
    assert!(!html.contains("classmates-errors"), "{html}");
    assert!(!html.contains("Une phrase ajoutée en direct."));
    assert_eq!(
        server.get(event).0,
        200,
        "the manifest stays where the API reads it"
    );
    assert!(!server.log().contains(".swp"), "{}", server.log());
}

#[test]
fn time_moves_on_a_scheduled_article_appears_and_an_event_ends_while_serving() {
    let site = Site::fixture("incremental");
    // Due a few seconds after the server starts: seconds are allowed in RFC 3339 dates.
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(4))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let an_hour_ago = (chrono::Utc::now() - chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    site.write(
        "content/articles/programme.md",
        &format!(
            "---\ntitle: \"Un article programmé\"\ndate: {soon}\nauthors: [marc]\n---\nPublié tout seul.\n"
        ),
    );
    site.write(
        "content/events/en-cours.md",
        &format!(
            "---\ntitle: \"Un atelier en cours\"\nstart: {an_hour_ago}\nend: {soon}\nregistration: false\n---\nIl se termine bientôt.\n"
        ),
    );
    let store = tempfile::tempdir().unwrap();
    let server = Server::start(&site, store.path());
    assert_eq!(server.get("/articles/programme/").0, 404, "not yet due");
    let event = server.get("/evenements/en-cours/").1;
    assert!(!event.contains("Cet événement est terminé"), "{event}");

    // Nothing is edited: the server rebuilds at the instant the site changes by itself.
    let mut events = server.events();
    events.reload();
    let (status, article) = server.get("/articles/programme/");
    assert_eq!(status, 200, "{}", server.log());
    assert!(article.contains("Publié tout seul."));
    let event = server.get("/evenements/en-cours/").1;
    assert!(event.contains("Cet événement est terminé"), "{event}");
    assert!(
        server.log().contains("↻ l'heure est venue"),
        "the rebuild says why:\n{}",
        server.log()
    );
}

/// Sends `request` as it is on a new connection and reads until the server closes it: the
/// answer, and how long the server took to close.
fn exchange(port: u16, request: &[u8], wait: Duration) -> (String, Duration) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    let sent = Instant::now();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(err) => panic!("the server kept the connection open for {wait:?}: {err}"),
        }
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        sent.elapsed(),
    )
}

#[test]
fn slow_or_broken_clients_are_let_go_and_api_requests_are_logged_without_personal_data() {
    let site = Site::fixture("incremental");
    let store = tempfile::tempdir().unwrap();
    // No ADMIN_TOKEN: serve makes its local one.
    let server = Server::start_with(&site, store.path(), |command| {
        command.env_remove("ADMIN_TOKEN");
    });

    // Headers that never end: the connection is closed within 30 s.
    let port = server.port;
    let slow = std::thread::spawn(move || {
        exchange(
            port,
            b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n",
            Duration::from_secs(40),
        )
    });

    // A malformed chunked body: 400, not 413.
    let (answer, _) = exchange(
        server.port,
        b"POST /api/events/inconnu/registrations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        WAIT,
    );
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("mal formé"), "{answer}");

    // A well-formed request with an address in its body.
    let body = r#"{"name":"Ada","email":"ada.secrete@example.org","consent":true}"#;
    let request = format!(
        "POST /api/events/inconnu/registrations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (answer, _) = exchange(server.port, request.as_bytes(), WAIT);
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    let (answer, _) = exchange(
        server.port,
        b"GET /api/registrations/jeton-secret-de-test-1234 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        WAIT,
    );
    assert!(answer.starts_with("HTTP/1.1 "), "{answer}");

    let (answer, took) = slow.join().unwrap();
    assert!(took <= Duration::from_secs(32), "closed after {took:?}");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );

    // Each API request is one log line: method, route template, status, duration.
    let log = server.log();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("request")).collect();
    assert!(
        lines.iter().any(|l| l.contains("method=POST")
            && l.contains("route=/events/{slug}/registrations")
            && l.contains("status=400")),
        "{log}"
    );
    assert!(
        lines.iter().any(|l| l.contains("method=POST")
            && l.contains("route=/events/{slug}/registrations")
            && l.contains("status=404")
            && l.contains("elapsed_us=")),
        "{log}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("route=/registrations/{token}")),
        "{log}"
    );
    for secret in ["ada.secrete", "jeton-secret-de-test"] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }

    // Local secrets are the owner's only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let local = site.root().join(".classmates");
        let mode =
            |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&local), 0o700);
        assert_eq!(mode(&local.join("admin-token")), 0o600);
    }
}

#[test]
fn a_site_under_a_path_is_served_under_it_with_its_api() {
    // A GitHub project page: every page, file and API call lives under /repo/.
    let site = Site::fixture("browser-site");
    let config = std::fs::read_to_string(site.root().join("site.yaml")).unwrap();
    let config: String = config
        .lines()
        .map(|l| {
            if l.starts_with("base_url:") {
                "base_url: https://org.github.io/repo/".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    site.write("site.yaml", &config);
    let store = tempfile::tempdir().unwrap();
    let server = Server::start(&site, store.path());

    assert_eq!(server.get("/").0, 302, "the root leads to the site");
    let (status, home) = server.get("/repo/");
    assert_eq!(status, 200, "{}", server.log());
    assert!(home.contains(r#"href="/repo/style.css""#), "{home}");
    assert!(home.contains(r#"class="brand" href="/repo/""#), "{home}");
    assert_eq!(server.get("/repo/style.css").0, 200);
    assert_eq!(server.get("/repo/theme.js").0, 200);
    // What leaves the path is not found, as online.
    let (status, page) = server.get("/style.css");
    assert_eq!(status, 404);
    assert!(
        page.contains(r#"href="/repo/style.css""#),
        "the site's 404 page"
    );
    assert_eq!(server.get("/articles/").0, 404);

    // The event's form posts to the API under the path, which answers there.
    let (status, event) = server.get("/repo/evenements/atelier-deux-places/");
    assert_eq!(status, 200);
    assert!(event.contains(r#"data-api="/repo/api""#), "{event}");
    let (status, body) = server.get("/repo/api/events/atelier-deux-places");
    assert_eq!(status, 200, "{body}\n{}", server.log());
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert!(json.is_object(), "{json}");
    assert_eq!(server.get("/api/events/atelier-deux-places").0, 404);
}

#[test]
fn a_new_article_reloads_the_page_in_view_first_and_pages_deep_in_lists_are_served_new() {
    let site = Site::fixture("pagination");
    let store = tempfile::tempdir().unwrap();
    let server = Server::start(&site, store.path());
    let page_2 = "/articles/page/2/";
    let (status, html) = server.get(page_2);
    assert_eq!(status, 200);
    assert!(!html.contains("Article numéro 02"), "{html}");

    // The newest article: every card of the list moves one place down. Page 2 is written
    // after the reload event (deferred); asked for at once, it is served new.
    let mut events = server.events();
    site.write(
        "content/articles/nouveau.md",
        "---\ntitle: \"Un article tout neuf\"\ndate: 2026-06-01\nauthors: [lea]\n---\nLe contenu.\n",
    );
    events.reload();
    let html = server.get(page_2).1;
    assert!(html.contains("Article numéro 02"), "{html}");
    assert!(server.get("/articles/").1.contains("Un article tout neuf"));
    let log = server.log();
    assert!(log.contains("à suivre, plus loin dans les listes"), "{log}");
    assert!(log.contains("pages plus loin dans les listes en"), "{log}");
}
