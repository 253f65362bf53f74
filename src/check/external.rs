//! External links (`url`, `recording`, `slides`, http(s) links and images of bodies), for
//! `classmates check --external`: each address is requested once, politely (a global limit, a
//! few requests at a time per host, spaced), with retries on server errors and timeouts, and
//! the addresses found alive are remembered for a week in `.classmates/link-cache.json` so that
//! reruns only ask for what is new or was broken.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::diagnostics::Diagnostic;

/// The cache of addresses found alive, under the site root (git-ignored with `.classmates/`).
pub const CACHE_FILE: &str = ".classmates/link-cache.json";

/// An external address where it is written: `at` is a warning located on it, whose message is
/// filled in if the address turns out to be broken.
#[derive(Debug, Clone)]
pub struct Occurrence {
    pub url: String,
    pub at: Diagnostic,
}

/// How to check external links.
#[derive(Debug, Clone)]
pub struct Options {
    /// Requests in flight at once, all hosts together.
    pub concurrency: usize,
    /// Requests in flight at once to one host.
    pub per_host: usize,
    /// Minimum time between the starts of two requests to one host.
    pub host_delay: Duration,
    /// Time allowed for one request, until the response headers.
    pub timeout: Duration,
    /// New tries after a server error (5xx, 429) or a timeout.
    pub retries: u32,
    /// Wait before the first retry, doubled at each new one.
    pub backoff: Duration,
    /// How long an address found alive is not asked again.
    pub cache_ttl: Duration,
    /// Check addresses on this machine too (`localhost`, `127.0.0.1`); they are skipped by
    /// default, since tutorials link to the reader's own development server.
    pub check_local: bool,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            concurrency: 8,
            per_host: 2,
            host_delay: Duration::from_millis(250),
            timeout: Duration::from_secs(15),
            retries: 2,
            backoff: Duration::from_secs(1),
            cache_ttl: Duration::from_secs(7 * 24 * 3600),
            check_local: false,
            progress: false,
        }
    }
}

impl Options {
    /// Whether `url` is to be checked with these options.
    pub fn wants(&self, url: &str) -> bool {
        self.check_local || !host(url).is_some_and(|h| is_local(&h))
    }
}

/// The lowercase host of an http(s) address, without user or port; `None` for anything else.
pub fn host(url: &str) -> Option<String> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return None;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or("");
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    (!host.is_empty() && !url.contains(char::is_whitespace)).then(|| host.to_ascii_lowercase())
}

/// Whether `host` is this machine (a tutorial's development server), never another site.
pub(crate) fn is_local(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host.starts_with("127.")
        || host == "0.0.0.0"
        || host == "[::1]"
}

/// What became of an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Answered with this success status (after redirects).
    Alive(u16),
    /// Answered with a client error (404, 410…): the page is gone.
    Broken(String),
    /// No answer, or only server errors, after every try.
    Unreachable(String),
}

/// Checks the addresses of `links` (each once), and returns a warning for every place where a
/// broken or unreachable one is written. `cache` is read and updated.
pub fn check(links: Vec<Occurrence>, cache: &Path, options: &Options) -> Vec<Diagnostic> {
    if links.is_empty() {
        return Vec::new();
    }
    let now = Utc::now();
    let mut known = Cache::load(cache);
    known.forget_before(now, options.cache_ttl);
    let unique: BTreeSet<&str> = links.iter().map(|l| l.url.as_str()).collect();
    let to_check: Vec<String> = unique
        .into_iter()
        .filter(|url| !known.links.contains_key(*url))
        .map(str::to_owned)
        .collect();
    let outcomes = check_urls(to_check, options);

    let mut problems = Vec::new();
    for (url, outcome) in &outcomes {
        if let Outcome::Alive(status) = outcome {
            known.links.insert(
                url.clone(),
                CachedLink {
                    checked: now,
                    status: *status,
                },
            );
        }
    }
    if let Err(e) = known.save(cache) {
        problems.push(
            Diagnostic::warning(
                CACHE_FILE,
                format!("cache des liens externes non enregistré : {e}"),
            )
            .with_help("la prochaine vérification redemandera toutes les adresses"),
        );
    }
    for link in links {
        let (message, help) = match outcomes.get(&link.url) {
            Some(Outcome::Broken(reason)) => (
                format!("lien externe cassé ({reason}) : {}", link.url),
                "la page n'existe plus à cette adresse : corrigez le lien, ou remplacez-le par une copie archivée (web.archive.org)",
            ),
            Some(Outcome::Unreachable(reason)) => (
                format!("lien externe injoignable ({reason}) : {}", link.url),
                "le site est peut-être en panne : vérifiez l'adresse dans un navigateur",
            ),
            Some(Outcome::Alive(_)) | None => continue,
        };
        let mut d = link.at;
        d.message = message;
        problems.push(d.with_help(help));
    }
    problems
}

/// Checks each address, concurrently, and tells what became of each.
pub fn check_urls(urls: Vec<String>, options: &Options) -> HashMap<String, Outcome> {
    if urls.is_empty() {
        return HashMap::new();
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let reason = format!("vérification impossible : {e}");
            return urls
                .into_iter()
                .map(|u| (u, Outcome::Unreachable(reason.clone())))
                .collect();
        }
    };
    runtime.block_on(check_all(urls, options))
}

/// One host's share of the politeness: its own limit, and when its next request may start.
struct Host {
    permits: Semaphore,
    next_start: Mutex<Instant>,
}

impl Host {
    /// Waits until a request to this host may start, and books the next slot.
    async fn wait_turn(&self, delay: Duration) {
        let at = {
            let mut next = self.next_start.lock().unwrap_or_else(|e| e.into_inner());
            let at = (*next).max(Instant::now());
            *next = at + delay;
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

async fn check_all(urls: Vec<String>, options: &Options) -> HashMap<String, Outcome> {
    let client = match reqwest::Client::builder()
        .timeout(options.timeout)
        .connect_timeout(options.timeout)
        .redirect(reqwest::redirect::Policy::limited(10))
        .user_agent(concat!(
            "classmates-link-checker/",
            env!("CARGO_PKG_VERSION"),
            " (PythonClassmates)"
        ))
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            let reason = format!("client HTTP indisponible : {e}");
            return urls
                .into_iter()
                .map(|u| (u, Outcome::Unreachable(reason.clone())))
                .collect();
        }
    };
    let bar = if options.progress {
        let bar = ProgressBar::new(urls.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} liens externes {pos}/{len} [{bar:30}] {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    } else {
        ProgressBar::hidden()
    };
    let global = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut hosts: HashMap<String, Arc<Host>> = HashMap::new();
    let mut tasks = JoinSet::new();
    for url in urls {
        let host = hosts
            .entry(host(&url).unwrap_or_default())
            .or_insert_with(|| {
                Arc::new(Host {
                    permits: Semaphore::new(options.per_host.max(1)),
                    next_start: Mutex::new(Instant::now()),
                })
            })
            .clone();
        let (client, global, options) = (client.clone(), global.clone(), options.clone());
        tasks.spawn(async move {
            // The host's permit first: waiting for a busy host must not hold a global one.
            let _host_permit = host.permits.acquire().await;
            let _global_permit = global.acquire().await;
            let outcome = check_url(&client, &url, &host, &options).await;
            (url, outcome)
        });
    }
    let mut outcomes = HashMap::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok((url, outcome)) = joined {
            bar.set_message(url.clone());
            bar.inc(1);
            outcomes.insert(url, outcome);
        }
    }
    bar.finish_and_clear();
    outcomes
}

/// The result of one try (a HEAD, then a GET if the HEAD was refused).
enum Attempt {
    Alive(u16),
    Status(StatusCode),
    Timeout,
    Failed(String),
}

async fn check_url(client: &reqwest::Client, url: &str, host: &Host, options: &Options) -> Outcome {
    let mut last = String::new();
    for attempt in 0..=options.retries {
        if attempt > 0 {
            tokio::time::sleep(options.backoff * 2u32.saturating_pow(attempt - 1)).await;
        }
        match probe(client, url, host, options).await {
            Attempt::Alive(status) => return Outcome::Alive(status),
            Attempt::Status(status)
                if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS =>
            {
                last = status.to_string();
            }
            Attempt::Timeout => last = format!("pas de réponse en {}", duration(options.timeout)),
            Attempt::Status(status) => return Outcome::Broken(status.to_string()),
            Attempt::Failed(reason) => return Outcome::Unreachable(reason),
        }
    }
    let tries = options.retries + 1;
    Outcome::Unreachable(if tries > 1 {
        format!("{last}, {tries} essais")
    } else {
        last
    })
}

/// A HEAD, and a GET when the server refuses the HEAD (many answer 403, 404 or 405 to it).
async fn probe(client: &reqwest::Client, url: &str, host: &Host, options: &Options) -> Attempt {
    host.wait_turn(options.host_delay).await;
    match request(client, Method::HEAD, url).await {
        Attempt::Status(_) => {
            host.wait_turn(options.host_delay).await;
            request(client, Method::GET, url).await
        }
        other => other,
    }
}

async fn request(client: &reqwest::Client, method: Method, url: &str) -> Attempt {
    // The body of a GET is never read: the headers tell all, and dropping the response
    // closes the connection.
    match client.request(method, url).send().await {
        Ok(response) if response.status().is_success() => {
            Attempt::Alive(response.status().as_u16())
        }
        Ok(response) => Attempt::Status(response.status()),
        Err(e) if e.is_timeout() => Attempt::Timeout,
        Err(e) => Attempt::Failed(describe(&e)),
    }
}

/// A short French description of a network error, with its innermost cause.
fn describe(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let what = if error.is_connect() {
        "connexion impossible"
    } else if error.is_redirect() {
        "trop de redirections"
    } else if error.is_builder() {
        "adresse invalide"
    } else {
        "erreur réseau"
    };
    format!("{what} : {cause}")
}

fn duration(d: Duration) -> String {
    if d.as_millis() < 1000 || d.subsec_millis() != 0 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} s", d.as_secs())
    }
}

/// `.classmates/link-cache.json`: the addresses found alive, with when.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Cache {
    links: BTreeMap<String, CachedLink>,
}

#[derive(Debug, Serialize, Deserialize)]
struct CachedLink {
    checked: DateTime<Utc>,
    status: u16,
}

impl Cache {
    /// The cache at `path`; empty when absent or unreadable (it is only an optimisation).
    fn load(path: &Path) -> Cache {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    /// Drops the entries older than `ttl` (or dated in the future, from a wrong clock).
    fn forget_before(&mut self, now: DateTime<Utc>, ttl: Duration) {
        let ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
        self.links
            .retain(|_, link| link.checked <= now && now - link.checked < ttl);
    }

    /// Writes the cache through a temporary file, so that an interrupted run never leaves it
    /// half written.
    fn save(&self, path: &Path) -> std::io::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        text.push('\n');
        let temporary = tempfile::NamedTempFile::new_in(dir)?;
        std::fs::write(temporary.path(), text)?;
        temporary.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_from_http_addresses_only() {
        assert_eq!(
            host("https://Docs.Python.org/fr/3/").as_deref(),
            Some("docs.python.org")
        );
        assert_eq!(
            host("http://user@127.0.0.1:8000/x").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(host("http://[::1]:80/").as_deref(), Some("[::1]"));
        assert_eq!(host("mailto:a@b.org"), None);
        assert_eq!(host("https://"), None);
    }

    #[test]
    fn local_addresses_are_skipped_unless_asked() {
        let options = Options::default();
        assert!(!options.wants("http://localhost:8000/"));
        assert!(!options.wants("http://127.0.0.1:8000/admin/"));
        assert!(options.wants("https://docs.python.org/"));
        let local = Options {
            check_local: true,
            ..Options::default()
        };
        assert!(local.wants("http://127.0.0.1:8000/"));
    }

    #[test]
    fn old_cache_entries_are_forgotten() {
        let now = Utc::now();
        let mut cache = Cache::default();
        for (url, days) in [("https://a.org/", 1), ("https://b.org/", 8)] {
            cache.links.insert(
                url.into(),
                CachedLink {
                    checked: now - chrono::Duration::days(days),
                    status: 200,
                },
            );
        }
        cache.forget_before(now, Options::default().cache_ttl);
        assert_eq!(
            cache.links.keys().collect::<Vec<_>>(),
            vec!["https://a.org/"]
        );
    }
}
