//! The registration form in a real browser: `classmates serve` on a fixture site (one upcoming
//! event with 2 seats, one past event) and Debian's headless Chromium driven through
//! chromedriver (WebDriver, fantoccini). Without JavaScript the form posts and comes back to the
//! page with the outcome; with JavaScript the live count, the in-place result with its cancel
//! link and focus, errors next to the fields, the waiting list and cancellation work.
//!
//! Without `/usr/bin/chromium` or `chromedriver` (scripts/test installs both), each test prints
//! a `SKIPPED: …` line and passes. Every process started here is killed by a drop guard, test
//! failure or not.

mod common;

use std::fs::File;
use std::future::Future;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Site;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const EVENT: &str = "/evenements/atelier-deux-places/";
const PAST_EVENT: &str = "/evenements/webinaire-passe/";
/// Longest wait for something to appear in the page.
const WAIT: Duration = Duration::from_secs(10);

/// A process started by a test, killed with its whole process group when dropped.
struct Process {
    child: Child,
}

impl Process {
    fn spawn(command: &mut Command) -> Process {
        // Its own process group, so that the browser started by chromedriver goes with it.
        let child = command
            .process_group(0)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {command:?}: {err}"));
        Process { child }
    }

    fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Status of `GET http://127.0.0.1:{port}{path}`, if something answers.
fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

fn wait_for_http(process: &mut Process, port: u16, path: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        if http_status(port, path) == Some(200) {
            return;
        }
        if process.exited() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(log).unwrap_or_default();
    panic!("nothing answered 200 on 127.0.0.1:{port}{path}:\n{log}");
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// `classmates serve` on a copy of the fixture site, with its own SQLite file.
struct Served {
    // Dropped first: the server stops before its folders go.
    _server: Process,
    _site: Site,
    _store: tempfile::TempDir,
    origin: String,
}

fn serve() -> Served {
    let site = Site::fixture("browser-site");
    let store = tempfile::tempdir().unwrap();
    let port = free_port();
    let log_path = store.path().join("serve.log");
    let log = File::create(&log_path).unwrap();
    let mut server = Process::spawn(
        Command::new(env!("CARGO_BIN_EXE_classmates"))
            .arg("--root")
            .arg(site.root())
            .args(["serve", "--port", &port.to_string()])
            .env(
                "STORE",
                format!(
                    "sqlite:{}",
                    store.path().join("registrations.sqlite3").display()
                ),
            )
            .env("ADMIN_TOKEN", "browser-tests-admin-token")
            .env("RATE_LIMIT", "0")
            .env_remove("EVENTS_MANIFEST")
            .env_remove("ALLOWED_ORIGIN")
            .env_remove("PUBLIC_API_URL")
            .env_remove("DISCORD_WEBHOOK_URL")
            .env_remove("AWS_LAMBDA_FUNCTION_NAME")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(log),
    );
    wait_for_http(&mut server, port, EVENT, &log_path);
    Served {
        _server: server,
        _site: site,
        _store: store,
        origin: format!("http://127.0.0.1:{port}"),
    }
}

/// chromedriver on a free port, once it answers.
fn chromedriver(log: &Path) -> (Process, u16) {
    let port = free_port();
    let mut driver = Process::spawn(
        Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(File::create(log).unwrap()),
    );
    wait_for_http(&mut driver, port, "/status", log);
    (driver, port)
}

async fn open_browser(driver_port: u16, javascript: bool, profile: &Path) -> Client {
    let mut options = json!({
        "binary": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1280,1000",
            format!("--user-data-dir={}", profile.display()),
        ],
    });
    if !javascript {
        options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
    }
    let capabilities = json!({ "browserName": "chrome", "goog:chromeOptions": options });
    let Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a WebDriver session in Chromium")
}

/// Runs `body` with a browser on a fresh `classmates serve`, then closes everything, even when
/// `body` panics (the panic is then raised again).
async fn with_browser<F, Fut>(test: &str, javascript: bool, body: F)
where
    F: FnOnce(Client, String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let missing: Vec<&str> = [
        (!Path::new(CHROMIUM).exists()).then_some(CHROMIUM),
        (!on_path("chromedriver")).then_some("chromedriver"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        // Straight to stderr: the test harness does not capture it.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {test}: browser tests need {} (scripts/test installs chromium and chromium-driver)",
            missing.join(" and ")
        );
        return;
    }
    let served = serve();
    let scratch = tempfile::tempdir().unwrap();
    let profile: PathBuf = scratch.path().join("profile");
    let (driver, driver_port) = chromedriver(&scratch.path().join("chromedriver.log"));
    let client = open_browser(driver_port, javascript, &profile).await;
    let run = tokio::spawn(tokio::time::timeout(
        Duration::from_secs(60),
        body(client.clone(), served.origin.clone()),
    ))
    .await;
    let _ = client.close().await;
    drop(driver);
    drop(served);
    match run {
        Ok(Ok(())) => {}
        Ok(Err(_)) => panic!("{test}: took more than 60 s"),
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(err) => panic!("{test}: {err}"),
    }
}

async fn find(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|err| panic!("no {css}: {err}"))
}

async fn displayed(c: &Client, css: &str) -> bool {
    find(c, css).await.is_displayed().await.unwrap()
}

async fn text(c: &Client, css: &str) -> String {
    find(c, css).await.text().await.unwrap()
}

/// Waits until `css` shows a text for which `ok` holds; returns it.
async fn wait_text(c: &Client, css: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(element) = c.find(Locator::Css(css)).await {
            if let Ok(text) = element.text().await {
                if ok(&text) {
                    return text;
                }
                if Instant::now() > deadline {
                    panic!("{css} still shows {text:?}");
                }
            }
        }
        if Instant::now() > deadline {
            panic!("no {css}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_url(c: &Client, fragment: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let url = c.current_url().await.unwrap().to_string();
        if url.contains(fragment) {
            return url;
        }
        if Instant::now() > deadline {
            panic!("the page is still {url}, expected {fragment}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Types into the form (emptied first) and submits it.
async fn submit_form(c: &Client, name: &str, email: &str) {
    for (css, value) in [("#reg-name", name), ("#reg-email", email)] {
        let input = find(c, css).await;
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }
    let consent = find(c, "#reg-consent").await;
    if !consent.is_selected().await.unwrap() {
        consent.click().await.unwrap();
    }
    find(c, ".registration-form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
}

async fn is_focused(c: &Client, css: &str) -> bool {
    let script = "return document.activeElement === document.querySelector(arguments[0]);";
    c.execute(script, vec![json!(css)]).await.unwrap() == json!(true)
}

/// Follows a cancellation link and confirms on the cancellation page.
async fn cancel(c: &Client, cancel_url: &str) {
    c.goto(cancel_url).await.unwrap();
    find(c, "form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    wait_url(c, "inscription=cancelled").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_works_without_javascript() {
    with_browser(
        "form_works_without_javascript",
        false,
        |c, origin| async move {
            let page = format!("{origin}{EVENT}");
            c.goto(&page).await.unwrap();
            // JavaScript is really off: the count is the one written in the page.
            assert!(
                text(&c, "[data-registration-count]")
                    .await
                    .starts_with("2 places")
            );
            assert!(!displayed(&c, "#inscription-registered").await);

            submit_form(&c, "Ada Lovelace", "ada@example.org").await;
            let url = wait_url(&c, "inscription=registered").await;
            assert!(url.starts_with(&page), "{url}");
            assert!(
                url.contains("&jeton=") && url.ends_with("#inscription-registered"),
                "{url}"
            );
            assert!(displayed(&c, "#inscription-registered").await);
            assert!(!displayed(&c, "#inscription-duplicate").await);

            // The same address again, from a fresh page.
            c.goto(&page).await.unwrap();
            submit_form(&c, "Ada", "ADA@example.org").await;
            wait_url(&c, "inscription=duplicate").await;
            assert!(displayed(&c, "#inscription-duplicate").await);
            assert!(!displayed(&c, "#inscription-registered").await);
            assert!(
                text(&c, "#inscription-duplicate")
                    .await
                    .contains("déjà inscrite")
            );
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_works_in_place_with_javascript() {
    with_browser(
        "form_works_in_place_with_javascript",
        true,
        |c, origin| async move {
            let count = "[data-registration-count]";
            let result = "[data-registration-result]";
            let page = format!("{origin}{EVENT}");
            c.goto(&page).await.unwrap();
            wait_text(&c, count, |t| t == "0 inscrit sur 2").await;

            // Registered in place: message, cancel link, focus on the result.
            submit_form(&c, "Ada Lovelace", "ada@example.org").await;
            wait_text(&c, result, |t| t.contains("C’est noté")).await;
            let link = find(&c, "[data-registration-result] a").await;
            assert_eq!(link.text().await.unwrap(), "annuler mon inscription");
            let ada_cancel = link.prop("href").await.unwrap().unwrap();
            assert!(
                ada_cancel.starts_with(&format!("{origin}/api/registrations/")),
                "{ada_cancel}"
            );
            assert!(is_focused(&c, result).await, "focus moves to the result");
            wait_text(&c, count, |t| t == "1 inscrit sur 2").await;

            // The button stays disabled after a success (no double submission): someone else
            // registers from a fresh page. 422: an address the browser would refuse, sent anyway.
            c.goto(&page).await.unwrap();
            wait_text(&c, count, |t| t == "1 inscrit sur 2").await;
            c.execute(
                "document.querySelector('.registration-form').noValidate = true;",
                vec![],
            )
            .await
            .unwrap();
            submit_form(&c, "Bob", "pas-une-adresse").await;
            let error = wait_text(&c, "#reg-email-error", |t| !t.is_empty()).await;
            assert_eq!(error, "Cette adresse e-mail ne semble pas valide.");
            let email = find(&c, "#reg-email").await;
            assert_eq!(
                email.attr("aria-invalid").await.unwrap().as_deref(),
                Some("true")
            );
            assert!(
                is_focused(&c, "#reg-email").await,
                "focus moves to the field"
            );
            assert!(!displayed(&c, "#reg-name-error").await);

            // The second seat, then the waiting list.
            submit_form(&c, "Bob", "bob@example.org").await;
            wait_text(&c, count, |t| t.starts_with("complet")).await;
            assert!(
                !displayed(&c, "#reg-email-error").await,
                "old errors are cleared"
            );
            c.goto(&page).await.unwrap();
            wait_text(&c, count, |t| t.starts_with("complet")).await;
            submit_form(&c, "Chloé", "chloe@example.org").await;
            let waiting = wait_text(&c, result, |t| t.contains("attente")).await;
            assert!(
                waiting.contains("liste d’attente") && waiting.contains("position 1"),
                "{waiting}"
            );
            wait_text(&c, count, |t| {
                t == "complet, liste d’attente (1 en attente)"
            })
            .await;
            let chloe_cancel = find(&c, "[data-registration-result] a")
                .await
                .prop("href")
                .await
                .unwrap()
                .unwrap();

            // Cancelling from the links: confirmed, back on the page, the numbers go down.
            cancel(&c, &chloe_cancel).await;
            assert!(displayed(&c, "#inscription-cancelled").await);
            wait_text(&c, count, |t| t == "complet, liste d’attente").await;
            cancel(&c, &ada_cancel).await;
            assert!(displayed(&c, "#inscription-cancelled").await);
            wait_text(&c, count, |t| t == "1 inscrit sur 2").await;
            // A used link leads nowhere.
            c.goto(&ada_cancel).await.unwrap();
            assert!(
                find(&c, "body")
                    .await
                    .text()
                    .await
                    .unwrap()
                    .contains("introuvable")
            );
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_event_has_no_form() {
    with_browser("past_event_has_no_form", true, |c, origin| async move {
        c.goto(&format!("{origin}{PAST_EVENT}")).await.unwrap();
        let body = text(&c, "body").await;
        assert!(body.contains("Cet événement est terminé."), "{body}");
        assert!(c.find_all(Locator::Css("form")).await.unwrap().is_empty());
        assert!(
            c.find_all(Locator::Css("script[src$='registration.js']"))
                .await
                .unwrap()
                .is_empty()
        );
        // The upcoming one does have it.
        c.goto(&format!("{origin}{EVENT}")).await.unwrap();
        assert!(displayed(&c, ".registration-form").await);
    })
    .await;
}
