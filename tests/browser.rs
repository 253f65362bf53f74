//! The theme's scripts in a real browser: `classmates serve` on a fixture site and Debian's
//! headless Chromium driven through chromedriver (WebDriver, fantoccini).
//!
//! - Registration form (`browser-site`: one upcoming event with 2 seats, one past event): without
//!   JavaScript the form posts and comes back to the page with the outcome; with JavaScript the
//!   live count, the in-place result with its cancel link and focus, errors next to the fields,
//!   the waiting list and cancellation work.
//! - Search (`browser-search`): results as you type, accents ignored, filters, no result.
//! - Theme toggle (`browser-site`): applied at once, kept after a reload and on another page.
//! - Copy button of code blocks (`browser-code`): the exact code in the real clipboard.
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

fn serve(fixture: &str) -> Served {
    let site = Site::fixture(fixture);
    let store = tempfile::tempdir().unwrap();
    let port = free_port();
    let log_path = store.path().join("serve.log");
    let log = File::create(&log_path).unwrap();
    let mut server = Process::spawn(
        common::serve_command(site.root(), port, store.path())
            .stdout(Stdio::null())
            .stderr(log),
    );
    wait_for_http(&mut server, port, "/", &log_path);
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

/// Runs `body` with a browser on a fresh `classmates serve` of the site `fixture`, then closes
/// everything, even when `body` panics (the panic is then raised again).
async fn with_browser<F, Fut>(test: &str, fixture: &str, javascript: bool, body: F)
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
    let served = serve(fixture);
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
        "browser-site",
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
        "browser-site",
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
            // Announced: the field's description is the message, read when the field gets focus.
            let described = email
                .attr("aria-describedby")
                .await
                .unwrap()
                .unwrap_or_default();
            assert!(
                described.split(' ').any(|id| id == "reg-email-error"),
                "{described}"
            );
            assert!(displayed(&c, "#reg-email-error").await);
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

/// The page's address, as the address bar shows it.
async fn address(c: &Client) -> String {
    c.current_url().await.unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_link_survives_a_reload_and_leaves_the_address_bar() {
    with_browser(
        "cancel_link_survives_a_reload_and_leaves_the_address_bar",
        "browser-site",
        true,
        |c, origin| async move {
            let result = "[data-registration-result]";
            let page = format!("{origin}{EVENT}");
            c.goto(&page).await.unwrap();
            wait_text(&c, "[data-registration-count]", |t| t == "0 inscrit sur 2").await;

            // Registered in place, then the page is reloaded: the cancel link is still there.
            submit_form(&c, "Ada Lovelace", "ada@example.org").await;
            wait_text(&c, result, |t| t.contains("C’est noté")).await;
            let href = |c: Client, css: &'static str| async move {
                find(&c, css).await.prop("href").await.unwrap().unwrap()
            };
            let ada_cancel = href(c.clone(), "[data-registration-result] a").await;
            c.refresh().await.unwrap();
            wait_text(&c, result, |t| t.contains("inscrit·e à cet événement")).await;
            assert_eq!(href(c.clone(), "[data-registration-result] a").await, ada_cancel);
            // Only the link is kept on the device, not the name nor the address.
            let stored = c
                .execute("return JSON.stringify(Object.assign({}, localStorage));", vec![])
                .await
                .unwrap();
            let stored = stored.as_str().unwrap_or_default().to_string();
            assert!(stored.contains("/api/registrations/"), "{stored}");
            assert!(
                !stored.contains("ada@example.org") && !stored.contains("Lovelace"),
                "{stored}"
            );

            // A form posted without the script (as when it had not loaded yet): back with the
            // token in the address, which leaves it once the link is shown.
            for (css, value) in [("#reg-name", "Bob"), ("#reg-email", "bob@example.org")] {
                find(&c, css).await.send_keys(value).await.unwrap();
            }
            find(&c, "#reg-consent").await.click().await.unwrap();
            c.execute("document.querySelector('.registration-form').submit();", vec![])
                .await
                .unwrap();
            let shown = wait_text(&c, result, |t| t.contains("annuler mon inscription")).await;
            assert!(shown.contains("C’est noté"), "{shown}");
            assert!(
                !displayed(&c, "#inscription-registered").await,
                "the block asking to keep the address is hidden"
            );
            let bob_cancel = href(c.clone(), "[data-registration-result] a").await;
            assert_ne!(bob_cancel, ada_cancel);
            let url = address(&c).await;
            assert_eq!(url, page, "the address is the event's again");

            // Reloaded: the link is kept here.
            c.refresh().await.unwrap();
            wait_text(&c, result, |t| t.contains("inscrit·e à cet événement")).await;
            assert_eq!(href(c.clone(), "[data-registration-result] a").await, bob_cancel);

            // Cancelled: nothing is kept any more.
            cancel(&c, &bob_cancel).await;
            c.goto(&page).await.unwrap();
            wait_text(&c, "[data-registration-count]", |t| t == "1 inscrit sur 2").await;
            assert!(!displayed(&c, result).await);

            // A kept link that no longer works (cancelled elsewhere) is dropped on arrival.
            c.execute(
                "localStorage.setItem(arguments[0], JSON.stringify({status: 'registered', url: arguments[1]}));",
                vec![json!("classmates:inscription:atelier-deux-places"), json!(ada_cancel)],
            )
            .await
            .unwrap();
            c.refresh().await.unwrap();
            wait_text(&c, result, |t| t.contains("inscrit·e à cet événement")).await;
            cancel(&c, &ada_cancel).await;
            c.execute(
                "localStorage.setItem(arguments[0], JSON.stringify({status: 'registered', url: arguments[1]}));",
                vec![json!("classmates:inscription:atelier-deux-places"), json!(ada_cancel)],
            )
            .await
            .unwrap();
            c.goto(&page).await.unwrap();
            let deadline = Instant::now() + WAIT;
            while displayed(&c, result).await {
                assert!(Instant::now() < deadline, "a dead link is still shown");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_event_has_no_form() {
    with_browser(
        "past_event_has_no_form",
        "browser-site",
        true,
        |c, origin| async move {
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
        },
    )
    .await;
}

/// Titles of the search results shown, in order.
async fn result_titles(c: &Client) -> Vec<String> {
    let script = "return Array.from(document.querySelectorAll('#recherche-resultats li h2 a'))\
                  .map(function (a) { return a.textContent; });";
    serde_json::from_value(c.execute(script, vec![]).await.unwrap()).unwrap()
}

/// Waits until the search results are `expected` (titles, in order).
async fn wait_results(c: &Client, expected: &[&str]) {
    let deadline = Instant::now() + WAIT;
    loop {
        let titles = result_titles(c).await;
        if titles == expected {
            return;
        }
        if Instant::now() > deadline {
            panic!("the results are {titles:?}, expected {expected:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Empties the search field and types `query` in it, key by key.
async fn type_query(c: &Client, query: &str) {
    let input = find(c, "#recherche-q").await;
    input.clear().await.unwrap();
    input.send_keys(query).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_pages_as_you_type() {
    with_browser(
        "search_finds_pages_as_you_type",
        "browser-search",
        true,
        |c, origin| async move {
            c.goto(&format!("{origin}/recherche/")).await.unwrap();
            type_query(&c, "djang").await;
            // Title matches first, then newest first.
            wait_results(
                &c,
                &["Débuter avec Django", "Le tutoriel officiel de Django"],
            )
            .await;
            assert_eq!(text(&c, "#recherche-statut").await, "2 résultats.");
            let link = find(&c, "#recherche-resultats li h2 a").await;
            assert_eq!(
                link.attr("href").await.unwrap().as_deref(),
                Some("/articles/debuter-django/")
            );
            // Two words: pages holding both.
            type_query(&c, "fixture python").await;
            wait_results(&c, &["Les fixtures de pytest"]).await;
            // The query is kept in the address: the page opened from it shows the same results.
            let url = wait_url(&c, "q=fixture+python").await;
            c.goto(&url).await.unwrap();
            wait_results(&c, &["Les fixtures de pytest"]).await;
            assert_eq!(
                find(&c, "#recherche-q").await.prop("value").await.unwrap(),
                Some("fixture python".into())
            );
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_ignores_accents_and_case() {
    with_browser(
        "search_ignores_accents_and_case",
        "browser-search",
        true,
        |c, origin| async move {
            c.goto(&format!("{origin}/recherche/")).await.unwrap();
            type_query(&c, "integration").await;
            wait_results(&c, &["Écrire des tests d'intégration"]).await;
            // Capitals too; the title counts more than the body ("écrire" in both pages).
            type_query(&c, "ECRIRE TESTS").await;
            wait_results(
                &c,
                &[
                    "Écrire des tests d'intégration",
                    "La documentation de pytest",
                ],
            )
            .await;
            // Accents typed where the text has others: "première" in the body of one page.
            type_query(&c, "prémière vue").await;
            wait_results(&c, &["Débuter avec Django"]).await;
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_filters_narrow_the_results() {
    with_browser(
        "search_filters_narrow_the_results",
        "browser-search",
        true,
        |c, origin| async move {
            c.goto(&format!("{origin}/recherche/")).await.unwrap();
            type_query(&c, "python").await;
            wait_text(&c, "#recherche-statut", |t| t == "5 résultats.").await;
            find(&c, "#recherche-type")
                .await
                .select_by_value("resource")
                .await
                .unwrap();
            wait_results(
                &c,
                &[
                    "La documentation de pytest",
                    "Le tutoriel officiel de Django",
                ],
            )
            .await;
            assert_eq!(text(&c, "#recherche-statut").await, "2 résultats.");
            find(&c, "#recherche-etiquette")
                .await
                .select_by_value("Django")
                .await
                .unwrap();
            wait_results(&c, &["Le tutoriel officiel de Django"]).await;
            assert_eq!(text(&c, "#recherche-statut").await, "1 résultat.");
            // A category instead of the tag; then the filters alone, with no word typed.
            find(&c, "#recherche-etiquette")
                .await
                .select_by_value("")
                .await
                .unwrap();
            find(&c, "#recherche-categorie")
                .await
                .select_by_value("Outils")
                .await
                .unwrap();
            wait_results(&c, &["La documentation de pytest"]).await;
            type_query(&c, "").await;
            find(&c, "#recherche-type")
                .await
                .select_by_value("article")
                .await
                .unwrap();
            wait_results(&c, &["Écrire des tests d'intégration"]).await;
            let url = c.current_url().await.unwrap().to_string();
            assert!(
                url.ends_with("/recherche/?type=article&categorie=Outils"),
                "{url}"
            );
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_shows_twenty_results_then_more_on_demand() {
    with_browser(
        "search_shows_twenty_results_then_more_on_demand",
        "browser-search-more",
        true,
        |c, origin| async move {
            c.goto(&format!("{origin}/recherche/")).await.unwrap();
            assert!(
                !displayed(&c, "#recherche-plus").await,
                "no button before a search"
            );
            type_query(&c, "astuce").await;
            // Newest first: numbers 25 down to 6, then the button for the 5 others.
            let first: Vec<String> = (6..=25)
                .rev()
                .map(|i| format!("Astuce numéro {i:02}"))
                .collect();
            let first: Vec<&str> = first.iter().map(String::as_str).collect();
            wait_results(&c, &first).await;
            assert_eq!(
                text(&c, "#recherche-statut").await,
                "25 résultats (les 20 premiers affichés)."
            );
            assert!(displayed(&c, "#recherche-plus").await, "the button shows");
            find(&c, "#recherche-plus").await.click().await.unwrap();
            let all: Vec<String> = (1..=25)
                .rev()
                .map(|i| format!("Astuce numéro {i:02}"))
                .collect();
            let all: Vec<&str> = all.iter().map(String::as_str).collect();
            wait_results(&c, &all).await;
            wait_text(&c, "#recherche-statut", |t| t == "25 résultats.").await;
            assert!(
                !displayed(&c, "#recherche-plus").await,
                "nothing more to show: the button hides"
            );
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_says_when_nothing_matches() {
    with_browser(
        "search_says_when_nothing_matches",
        "browser-search",
        true,
        |c, origin| async move {
            c.goto(&format!("{origin}/recherche/")).await.unwrap();
            type_query(&c, "django").await;
            wait_results(
                &c,
                &["Débuter avec Django", "Le tutoriel officiel de Django"],
            )
            .await;
            type_query(&c, "djangoxyz").await;
            let status = wait_text(&c, "#recherche-statut", |t| t.starts_with("Aucun")).await;
            assert_eq!(
                status,
                "Aucun résultat. Essayez un autre mot ou retirez un filtre."
            );
            assert!(result_titles(&c).await.is_empty());
            // A filter with nothing in it says the same.
            type_query(&c, "").await;
            find(&c, "#recherche-type")
                .await
                .select_by_value("event")
                .await
                .unwrap();
            wait_text(&c, "#recherche-statut", |t| t.starts_with("Aucun résultat")).await;
            assert!(result_titles(&c).await.is_empty());
        },
    )
    .await;
}

/// The theme the page shows: its `data-theme` and the background colour of its body.
async fn theme(c: &Client) -> (Value, Value) {
    let script = "return [document.documentElement.getAttribute('data-theme'), \
                  getComputedStyle(document.body).backgroundColor];";
    let shown = c.execute(script, vec![]).await.unwrap();
    (shown[0].clone(), shown[1].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn theme_toggle_switches_and_remembers() {
    with_browser(
        "theme_toggle_switches_and_remembers",
        "browser-site",
        true,
        |c, origin| async move {
            let light = (Value::Null, json!("rgb(255, 255, 255)"));
            let dark = (json!("dark"), json!("rgb(20, 24, 29)"));
            // Headless Chromium asks for the light scheme; no choice made yet.
            c.goto(&format!("{origin}{EVENT}")).await.unwrap();
            assert_eq!(theme(&c).await, light);
            let toggle = "[data-theme-toggle]";
            assert!(displayed(&c, toggle).await);
            assert_eq!(
                find(&c, toggle)
                    .await
                    .attr("aria-pressed")
                    .await
                    .unwrap()
                    .as_deref(),
                Some("false")
            );

            find(&c, toggle).await.click().await.unwrap();
            assert_eq!(theme(&c).await, dark);
            assert_eq!(
                find(&c, toggle)
                    .await
                    .attr("aria-pressed")
                    .await
                    .unwrap()
                    .as_deref(),
                Some("true")
            );
            // Kept after a reload, and on another page.
            c.refresh().await.unwrap();
            assert_eq!(theme(&c).await, dark);
            c.goto(&format!("{origin}{PAST_EVENT}")).await.unwrap();
            assert_eq!(theme(&c).await, dark);
            assert_eq!(
                find(&c, toggle)
                    .await
                    .attr("aria-pressed")
                    .await
                    .unwrap()
                    .as_deref(),
                Some("true")
            );

            // Back to light, chosen this time: kept too.
            find(&c, toggle).await.click().await.unwrap();
            let chosen_light = (json!("light"), light.1.clone());
            assert_eq!(theme(&c).await, chosen_light);
            c.goto(&format!("{origin}/")).await.unwrap();
            assert_eq!(theme(&c).await, chosen_light);
        },
    )
    .await;
}

/// A WebDriver command of the session that POSTs `body` to `session/{id}/{path}`: the W3C
/// Permissions extension (`permissions`) and chromedriver's DevTools bridge (`goog/cdp/execute`).
#[derive(Debug)]
struct SessionPost {
    path: &'static str,
    body: Value,
}

/// Grants `permission` (`clipboard-read`, …) to the pages of the session.
fn grant_permission(permission: &str) -> SessionPost {
    SessionPost {
        path: "permissions",
        body: json!({ "descriptor": { "name": permission }, "state": "granted" }),
    }
}

/// Lets the pages of the session download into `dir` without asking (Chromium's DevTools
/// command `Browser.setDownloadBehavior`).
fn allow_downloads(dir: String) -> SessionPost {
    SessionPost {
        path: "goog/cdp/execute",
        body: json!({ "cmd": "Browser.setDownloadBehavior",
                      "params": { "behavior": "allow", "downloadPath": dir } }),
    }
}

impl fantoccini::wd::WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_button_puts_the_code_in_the_clipboard() {
    with_browser(
        "copy_button_puts_the_code_in_the_clipboard",
        "browser-code",
        true,
        |c, origin| async move {
            c.goto(&format!("{origin}/articles/copier-du-code/"))
                .await
                .unwrap();
            for permission in ["clipboard-read", "clipboard-write"] {
                c.issue_cmd(grant_permission(permission)).await.unwrap();
            }
            // Something else in the clipboard first, so that an old content cannot pass.
            let read = "navigator.clipboard.readText().then(arguments[0], \
                        function (e) { arguments[0]('error: ' + e); });";
            c.execute_async(
                "navigator.clipboard.writeText('avant').then(arguments[0]);",
                vec![],
            )
            .await
            .unwrap();
            assert_eq!(c.execute_async(read, vec![]).await.unwrap(), json!("avant"));

            let button = find(&c, ".code-block .copy-code").await;
            assert_eq!(button.text().await.unwrap(), "Copier");
            button.click().await.unwrap();
            wait_text(&c, ".code-block .copy-code", |t| t == "Copié !").await;
            let code = "def saluer(nom: str) -> str:\n    \
                        if nom and len(nom) < 20 & 1:\n        \
                        return f\"Bonjour, {nom} ! « À bientôt »\"\n    \
                        return 'personne'\n";
            assert_eq!(c.execute_async(read, vec![]).await.unwrap(), json!(code));
            // Said to screen readers too; the label comes back.
            assert_eq!(
                c.execute(
                    "return document.querySelector('p.visually-hidden[aria-live]').textContent;",
                    vec![]
                )
                .await
                .unwrap(),
                json!("Code copié dans le presse-papiers.")
            );
            wait_text(&c, ".code-block .copy-code", |t| t == "Copier").await;
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_blocks_at_a_phone_width_scroll_by_keyboard_and_stay_readable() {
    with_browser(
        "code_blocks_at_a_phone_width_scroll_by_keyboard_and_stay_readable",
        "browser-code",
        true,
        |c, origin| async move {
            c.set_window_rect(0, 0, 360, 740).await.unwrap();
            c.goto(&format!("{origin}/articles/copier-du-code/"))
                .await
                .unwrap();
            // For each block: whether it scrolls, its tab index and name, and whether the
            // « Copier » button covers any of its text, at the start and scrolled to the end.
            let script = "return Array.from(document.querySelectorAll('.code-block')).map(function (w) {\
                var pre = w.querySelector('pre'), b = w.querySelector('.copy-code').getBoundingClientRect();\
                var range = document.createRange(); range.selectNodeContents(pre.querySelector('code'));\
                function covered() { return Array.from(range.getClientRects()).some(function (r) {\
                  return r.width > 0 && r.right > b.left && r.left < b.right && r.bottom > b.top && r.top < b.bottom; }); }\
                var start = covered(); pre.scrollLeft = pre.scrollWidth; var end = covered(); pre.scrollLeft = 0;\
                return { width: window.innerWidth, scrolls: pre.scrollWidth > pre.clientWidth,\
                  tabindex: pre.getAttribute('tabindex'), name: pre.getAttribute('aria-label'),\
                  role: pre.getAttribute('role'), oneLine: w.classList.contains('one-line'),\
                  covered: start || end }; });";
            let blocks = c.execute(script, vec![]).await.unwrap();
            let blocks = blocks.as_array().unwrap();
            assert_eq!(blocks.len(), 4, "{blocks:?}");
            assert!(blocks[0]["width"].as_u64().unwrap() <= 400, "{blocks:?}");
            for (i, block) in blocks.iter().enumerate() {
                assert_eq!(block["covered"], json!(false), "block {i}: {block}");
                assert_eq!(block["role"], json!("group"), "block {i}: {block}");
                // Only the blocks that scroll are stops of the tab order.
                let scrolls = block["scrolls"].as_bool().unwrap();
                let expected = if scrolls { json!("0") } else { Value::Null };
                assert_eq!(block["tabindex"], expected, "block {i}: {block}");
            }
            assert_eq!(blocks[1]["name"], json!("Code bash"));
            // `pytest -v` fits: its end is kept clear on the right; the two long lines scroll.
            assert_eq!(blocks[1]["oneLine"], json!(true), "{blocks:?}");
            assert_eq!(blocks[1]["scrolls"], json!(false), "{blocks:?}");
            assert_eq!(blocks[2]["scrolls"], json!(true), "{blocks:?}");
            assert_eq!(blocks[3]["scrolls"], json!(true), "{blocks:?}");
            // Focused, the long block scrolls with the arrow keys (smoothly: wait for it).
            c.execute(
                "document.querySelectorAll('pre.code')[3].focus(); return null;",
                vec![],
            )
            .await
            .unwrap();
            let focused = find(&c, "pre.code:focus").await;
            focused.send_keys("\u{E014}\u{E014}\u{E014}").await.unwrap();
            let deadline = Instant::now() + WAIT;
            loop {
                let left = c
                    .execute(
                        "return document.querySelectorAll('pre.code')[3].scrollLeft;",
                        vec![],
                    )
                    .await
                    .unwrap();
                if left.as_f64().unwrap() > 0.0 {
                    break;
                }
                assert!(Instant::now() < deadline, "not scrolled: {left}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_works_on_a_site_under_a_path() {
    // A GitHub project page (`https://org.github.io/repo/`), served under /repo/ by `serve`:
    // the search script fetches its index there and its results link there.
    if !Path::new(CHROMIUM).exists() || !on_path("chromedriver") {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: search_works_on_a_site_under_a_path: browser tests need chromium and chromedriver"
        );
        return;
    }
    let site = Site::fixture("browser-search");
    let config = std::fs::read_to_string(site.root().join("site.yaml")).unwrap();
    site.write(
        "site.yaml",
        &config.replace(
            "base_url: https://club.example.org",
            "base_url: https://org.github.io/repo/",
        ),
    );
    let store = tempfile::tempdir().unwrap();
    let port = free_port();
    let log = store.path().join("serve.log");
    let mut server = Process::spawn(
        common::serve_command(site.root(), port, store.path())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap()),
    );
    wait_for_http(&mut server, port, "/repo/", &log);
    let (driver, driver_port) = chromedriver(&store.path().join("chromedriver.log"));
    let c = open_browser(driver_port, true, &store.path().join("profile")).await;
    let run = tokio::time::timeout(Duration::from_secs(60), async {
        c.goto(&format!("http://127.0.0.1:{port}/repo/recherche/"))
            .await
            .unwrap();
        type_query(&c, "djang").await;
        wait_results(
            &c,
            &["Débuter avec Django", "Le tutoriel officiel de Django"],
        )
        .await;
        let link = find(&c, "#recherche-resultats li h2 a").await;
        assert_eq!(
            link.attr("href").await.unwrap().as_deref(),
            Some("/repo/articles/debuter-django/")
        );
        // The result's page is there, under the path.
        c.goto(&format!(
            "http://127.0.0.1:{port}/repo/articles/debuter-django/"
        ))
        .await
        .unwrap();
        assert_eq!(text(&c, "h1").await, "Débuter avec Django");
    })
    .await;
    let _ = c.close().await;
    drop(driver);
    drop(server);
    run.expect("took more than 60 s");
}

/// The bytes of `dir/name` once Chromium has finished writing it.
async fn downloaded(dir: &Path, name: &str) -> Vec<u8> {
    let deadline = Instant::now() + WAIT;
    let path = dir.join(name);
    loop {
        let partial = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .any(|e| e.file_name().to_string_lossy().ends_with(".crdownload"))
            })
            .unwrap_or(false);
        if !partial && let Ok(bytes) = std::fs::read(&path) {
            return bytes;
        }
        if Instant::now() > deadline {
            let names: Vec<String> = std::fs::read_dir(dir)
                .map(|e| {
                    e.filter_map(Result::ok)
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            panic!(
                "{name} was not downloaded into {}: {names:?}",
                dir.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `classmates token SLUG` on the browser site, with the admin token `classmates serve` runs
/// with in these tests (`common::serve_command`).
fn organiser_token(slug: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_classmates"))
        .arg("--root")
        .arg(common::repo_root().join("tests/fixtures/browser-site"))
        .args(["token", slug])
        .env("ADMIN_TOKEN", "serve-tests-admin-token")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// End to end against `classmates serve`: two people register on the event page (which says
/// the join link comes by e-mail); on /organisateurs/ a wrong token gets the French message and
/// is not kept; the token from `classmates token` shows the counts and the list (times in the
/// site's time zone), kept in sessionStorage only and never in the address; the join link is
/// set (a bad one refused with the function's message), survives a reload and stays off the
/// event page; the CSV for Excel (BOM, `;`, quoted, formula-safe), the plain CSV and the JSON
/// are downloaded and read byte for byte; the e-mail addresses go to the clipboard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organisers_page_end_to_end() {
    let token = organiser_token("atelier-deux-places");
    with_browser(
        "organisers_page_end_to_end",
        "browser-site",
        true,
        move |c, origin| async move {
            let downloads = tempfile::tempdir().unwrap();
            let page = format!("{origin}{EVENT}");
            c.goto(&page).await.unwrap();
            let join = text(&c, ".registration-join").await;
            assert!(join.contains("par e-mail") && join.contains("lien"), "{join}");
            let consent = text(&c, "#reg-consent-help").await;
            assert!(consent.contains("30 jours après la fin"), "{consent}");
            submit_form(&c, "Ada Lovelace", "ada@example.org").await;
            wait_text(&c, "[data-registration-result]", |t| t.contains("C’est noté")).await;
            c.goto(&page).await.unwrap();
            find(&c, "#reg-discord").await.send_keys("@bob").await.unwrap();
            submit_form(&c, "=SOMME(1;2)", "bob@example.org").await;
            wait_text(&c, "[data-registration-result]", |t| t.contains("C’est noté")).await;

            let organisers = format!("{origin}/organisateurs/");
            c.goto(&organisers).await.unwrap();
            let robots = find(&c, "meta[name=robots]").await.attr("content").await.unwrap();
            assert_eq!(robots.as_deref(), Some("noindex, nofollow"));
            // The events come from the manifest; the past one has no registrations list of use
            // but is listed too (its list stays until the retention ends).
            wait_text(&c, "#orga-event", |t| t.contains("Atelier à deux places")).await;
            find(&c, "#orga-event option[value=atelier-deux-places]")
                .await
                .click()
                .await
                .unwrap();

            // A wrong token: the message, no list, nothing kept.
            find(&c, "#orga-token").await.send_keys("pas-le-bon-jeton").await.unwrap();
            find(&c, "#orga-form button[type=submit]").await.click().await.unwrap();
            let error = wait_text(&c, "#orga-error", |t| !t.is_empty()).await;
            assert!(error.starts_with("Jeton refusé"), "{error}");
            assert!(!displayed(&c, "#orga-panel").await);
            let session = "return JSON.stringify(Object.assign({}, sessionStorage));";
            let kept = c.execute(session, vec![]).await.unwrap();
            assert!(!kept.as_str().unwrap().contains("pas-le-bon-jeton"), "{kept}");

            // The right token.
            let input = find(&c, "#orga-token").await;
            input.clear().await.unwrap();
            input.send_keys(&token).await.unwrap();
            find(&c, "#orga-form button[type=submit]").await.click().await.unwrap();
            wait_text(&c, "#orga-status", |t| t == "Liste chargée : 2 personnes.").await;
            assert!(!displayed(&c, "#orga-error").await);
            assert_eq!(text(&c, "#orga-registered").await, "2 sur 2");
            assert_eq!(text(&c, "#orga-waitlisted").await, "0");
            assert_eq!(text(&c, "#orga-remaining").await, "0");
            let rows = text(&c, "#orga-rows").await;
            assert!(rows.contains("Ada Lovelace") && rows.contains("=SOMME(1;2)"), "{rows}");
            assert!(rows.contains("@bob") && rows.contains("inscrit·e"), "{rows}");
            assert!(!rows.contains("ada@example.org"), "the table shows no address");
            // The time of registration in the site's time zone (Europe/Paris), in French.
            let paris = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Paris);
            let month = [
                "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                "septembre", "octobre", "novembre", "décembre",
            ][chrono::Datelike::month0(&paris) as usize];
            assert!(rows.contains(month), "{rows}");
            assert!(text(&c, "#orga-failed-none").await.starts_with("Aucun"));
            // Kept in this tab only, never on the device nor in the address.
            let kept = c.execute(session, vec![]).await.unwrap();
            assert!(kept.as_str().unwrap().contains(&token), "{kept}");
            let local = "return JSON.stringify(Object.assign({}, localStorage));";
            let device = c.execute(local, vec![]).await.unwrap();
            assert!(!device.as_str().unwrap().contains(&token), "{device}");
            assert!(!address(&c).await.contains(&token));

            // The join link: a bad one is refused with the function's message, then set.
            let url_input = find(&c, "#orga-join-url").await;
            url_input.send_keys("http://meet.example.org/atelier").await.unwrap();
            find(&c, "#orga-join-form button[type=submit]").await.click().await.unwrap();
            let error = wait_text(&c, "#orga-error", |t| t.contains("https://")).await;
            assert!(error.starts_with("Le lien de connexion doit"), "{error}");
            url_input.clear().await.unwrap();
            url_input.send_keys("https://meet.example.org/atelier-secret").await.unwrap();
            find(&c, "#orga-join-form button[type=submit]").await.click().await.unwrap();
            wait_text(&c, "#orga-status", |t| t == "Lien de connexion enregistré.").await;
            assert!(text(&c, "#orga-join-current").await.contains("https://meet.example.org/atelier-secret"));
            // A reload loads the list again from the tab's token, link included.
            c.refresh().await.unwrap();
            wait_text(&c, "#orga-join-current", |t| t.contains("atelier-secret")).await;
            assert!(displayed(&c, "#orga-join-clear").await);

            // Downloads, read byte for byte.
            c.issue_cmd(allow_downloads(downloads.path().display().to_string()))
                .await
                .unwrap();
            find(&c, "#orga-csv-excel").await.click().await.unwrap();
            let excel = downloaded(downloads.path(), "inscriptions-atelier-deux-places-excel.csv").await;
            assert_eq!(&excel[..3], b"\xEF\xBB\xBF", "UTF-8 with BOM");
            let excel = String::from_utf8(excel[3..].to_vec()).unwrap();
            let lines: Vec<&str> = excel.split("\r\n").collect();
            assert_eq!(lines[0], "\"Nom\";\"E-mail\";\"Discord\";\"Statut\";\"Position\";\"Inscription\"");
            let time = format!("{}", paris.format("%Y-%m-%d "));
            assert!(
                lines[1].starts_with("\"Ada Lovelace\";\"ada@example.org\";\"\";\"inscrit·e\";\"\";\"")
                    && lines[1].contains(&time),
                "{}",
                lines[1]
            );
            assert!(
                lines[2].starts_with("\"'=SOMME(1;2)\";\"bob@example.org\";\"'@bob\";\"inscrit·e\";\"\";\""),
                "formula-safe: {}",
                lines[2]
            );
            assert_eq!(lines.len(), 4, "two rows and the final line break: {excel:?}");

            find(&c, "#orga-csv").await.click().await.unwrap();
            let plain = downloaded(downloads.path(), "inscriptions-atelier-deux-places.csv").await;
            assert_ne!(&plain[..3], b"\xEF\xBB\xBF", "no BOM");
            let plain = String::from_utf8(plain).unwrap();
            assert!(plain.starts_with("\"Nom\",\"E-mail\",\"Discord\",\"Statut\",\"Position\",\"Inscription\"\r\n\"Ada Lovelace\",\"ada@example.org\",\"\",\"inscrit·e\",\"\",\""), "{plain}");
            assert!(plain.contains("\"'=SOMME(1;2)\",\"bob@example.org\",\"'@bob\""), "{plain}");

            find(&c, "#orga-json").await.click().await.unwrap();
            let json_file = downloaded(downloads.path(), "inscriptions-atelier-deux-places.json").await;
            let list: Value = serde_json::from_slice(&json_file).unwrap();
            assert_eq!(list["counts"]["registered"], 2);
            assert_eq!(list["registrations"][1]["email"], "bob@example.org");
            assert_eq!(list["join_url"]["url"], "https://meet.example.org/atelier-secret");

            // The e-mail addresses in the real clipboard.
            for permission in ["clipboard-read", "clipboard-write"] {
                c.issue_cmd(grant_permission(permission)).await.unwrap();
            }
            c.execute_async("navigator.clipboard.writeText('avant').then(arguments[0]);", vec![])
                .await
                .unwrap();
            find(&c, "#orga-copy").await.click().await.unwrap();
            wait_text(&c, "#orga-status", |t| t.starts_with("2 adresses e-mail copiées")).await;
            let read = "navigator.clipboard.readText().then(arguments[0], \
                        function (e) { arguments[0]('error: ' + e); });";
            assert_eq!(
                c.execute_async(read, vec![]).await.unwrap(),
                json!("ada@example.org, bob@example.org")
            );

            // The link stays private: not on the event page, not in the public numbers.
            c.goto(&page).await.unwrap();
            let source = c.source().await.unwrap();
            assert!(!source.contains("atelier-secret"));
            c.goto(&format!("{origin}/api/events/atelier-deux-places")).await.unwrap();
            assert!(!c.source().await.unwrap().contains("atelier-secret"));
            c.goto(&format!("{origin}/evenements/index.json")).await.unwrap();
            assert!(!c.source().await.unwrap().contains("atelier-secret"));
        },
    )
    .await;
}
