//! `classmates serve`: builds the site, serves it on 127.0.0.1 and mounts the registrations
//! function under `/api` on the same origin, with SQLite in `.classmates/`: the whole site,
//! registrations included, with one command and no cloud account. It watches the sources and
//! rebuilds what a change affects (`crate::incremental`), then reloads the open pages through
//! server-sent events; while the site has errors, every page shows them over its content.

use std::collections::HashSet;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::response::sse::{Event, KeepAlive, Sse};
use clap::Args;
use classmates_api::config::{MailTransport, ManifestSource, StoreConfig};
use classmates_api::{App, ClientIp, Config as ApiConfig};
use http::{HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use tokio::sync::{broadcast, watch};
use tower_http::services::{ServeDir, ServeFile};

use super::http_server;
use crate::build::{BuildError, BuildOptions};
use crate::incremental::{Rebuild, Session};
use crate::watch::{Batch, Watcher};

/// Git-ignored folder for what `serve` keeps locally (built site, registrations database).
pub const LOCAL_DIR: &str = ".classmates";

/// Path of the server-sent events that reload the pages after a rebuild.
pub const RELOAD_PATH: &str = "/__classmates/reload";

/// How often `--poll` looks at the files.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// How long an API request's body may take to arrive once its headers have (the headers have
/// `http_server::HEADER_READ_TIMEOUT`).
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port d'écoute (sur 127.0.0.1).
    #[arg(long, short, default_value_t = 1111)]
    pub port: u16,
    /// Inclut les brouillons et les contenus programmés plus tard.
    #[arg(long)]
    pub drafts: bool,
    /// Surveille les fichiers en les relisant toutes les 500 ms, au lieu des événements du
    /// système (quand des modifications passent inaperçues : dossier réseau, conteneur, WSL).
    #[arg(long)]
    pub poll: bool,
}

pub fn run(root: &Path, args: ServeArgs) -> ExitCode {
    log_api_requests();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("erreur : démarrage impossible : {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(root, args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            super::report::report_error(&e);
            ExitCode::FAILURE
        }
    }
}

/// Prints on stderr what the registrations function logs, as Lambda's log would show it: one line
/// per API request (method, route template, status, duration) and its warnings and errors. The
/// function never logs an address, a token or a body.
fn log_api_requests() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::filter::Targets::new()
        .with_target("classmates_api", tracing::Level::INFO)
        .with_target(env!("CARGO_CRATE_NAME"), tracing::Level::INFO);
    let format = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .with_target(false);
    // Already set: a test harness or an embedding program logs its own way.
    let _ = tracing_subscriber::registry()
        .with(format)
        .with(filter)
        .try_init();
}

/// What the server shares with the rebuilds.
struct Live {
    /// The problems of the last build, as the terminal shows them (plain text), while the site
    /// has errors.
    errors: RwLock<Option<String>>,
    /// One message per rebuild that changed something: the pages reload.
    reload: broadcast::Sender<()>,
    /// Set when the server stops, to end the event streams.
    stopping: watch::Receiver<bool>,
    /// The files the last rebuild left for later, not yet written: a request for one waits
    /// until it is, and has it written first.
    deferred: Mutex<Deferred>,
    /// Told each time some of them are written.
    deferred_written: watch::Sender<()>,
}

/// The files a rebuild left for later (`Session::defer_deep_pages`), by path relative to the
/// output folder, and those asked for meanwhile.
#[derive(Default)]
struct Deferred {
    paths: HashSet<String>,
    wanted: Vec<String>,
}

/// Files of those left for later written at a time, between two looks at what is asked for.
const DEFERRED_CHUNK: usize = 64;

/// How long a request waits for a file left for later, at most (it is then served as it is).
const DEFERRED_WAIT: Duration = Duration::from_secs(10);

async fn serve(root: &Path, args: ServeArgs) -> Result<()> {
    // Absolute, so that the watcher's paths and the session's agree.
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let root = root.as_path();
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let origin = format!("http://{address}");
    let output = create_local_dir(root)
        .with_context(|| format!("création de {}", root.join(LOCAL_DIR).display()))?
        .join("site");
    // The API is configured first: the pages' forms must post to this server's own API, never
    // to the production function that site.yaml's `registration_api` may name.
    let api_config = api_config(root, &output)?;
    // A site under a path (a GitHub project page, `https://org.github.io/repo/`) is served under
    // the same path, so that an address leaving it shows here as it would online.
    let prefix = crate::config::Config::load(root)
        .map(|c| c.base_path().to_string())
        .unwrap_or_default();
    let options = BuildOptions {
        root: root.to_path_buf(),
        output: output.clone(),
        drafts: args.drafts,
        now: chrono::Utc::now(),
        base_url: Some(format!("{origin}{prefix}")),
        // Put under the prefix with every site path of the pages (`render::prefix`).
        registration_api: Some(api_config.base_path().to_string()),
    };
    let mut session = Session::new(options);
    // A new article shifts every page of its lists: those after the first are written after
    // the others (and at once when asked for), so that the page in view reloads fast.
    session.defer_deep_pages(true);
    // Watching from before the first build: a change during it is rebuilt right after.
    let watcher = Watcher::new(root, args.poll.then_some(POLL_INTERVAL))
        .context("surveillance des fichiers du site")?;
    let (stop, stopping) = watch::channel(false);
    let live = Arc::new(Live {
        errors: RwLock::new(None),
        reload: broadcast::channel(16).0,
        stopping,
        deferred: Mutex::new(Deferred::default()),
        deferred_written: watch::channel(()).0,
    });
    let result = session.rebuild();
    if let Ok(report) = &result {
        eprintln!(
            "Site construit : {} pages en {} ms",
            report.total_pages,
            report.elapsed.as_millis()
        );
    }
    let mut warnings = String::new();
    publish(&live, result, "construction", &mut warnings);
    if live.errors.read().expect("not poisoned").is_some() {
        eprintln!(
            "Le site contient des erreurs : elles s'affichent aussi dans le navigateur. Le serveur démarre quand même et reconstruit le site à chaque enregistrement."
        );
    }

    let rebuilds = live.clone();
    let watched = root.to_path_buf();
    std::thread::Builder::new()
        .name("classmates-rebuild".into())
        .spawn(move || rebuild_loop(watcher, session, &watched, &rebuilds, warnings))
        .context("démarrage des reconstructions")?;

    let api = App::from_config(api_config)
        .await
        .context("démarrage de l'API d'inscription")?;
    let api_base = format!("{prefix}{}", api.config().base_path());
    let api_shown = api_base.clone();
    match api.outbox_dir() {
        Some(dir) => eprintln!(
            "E-mails écrits dans {} (fichiers .eml ; définissez SMTP_URL et MAIL_FROM pour les envoyer)",
            dir.display()
        ),
        None => eprintln!("E-mails envoyés par SMTP (SMTP_URL)"),
    }
    // Messages that could not leave at once (SMTP down, slow) are tried again.
    api.spawn_outbox_retries();
    let not_found = ServeFile::new(output.join("404.html"));
    let files = ServeDir::new(&output)
        .append_index_html_on_directories(true)
        .not_found_service(not_found);
    let site = Router::new()
        .fallback_service(files)
        .layer(axum::middleware::from_fn_with_state(live.clone(), inject));
    let site = if prefix.is_empty() {
        site
    } else {
        site.layer(axum::middleware::from_fn_with_state(
            Arc::<str>::from(prefix.as_str()),
            under_prefix,
        ))
    };
    let reload = Router::new()
        .route(RELOAD_PATH, axum::routing::get(reload_events))
        .with_state(live.clone());
    let app = Router::new()
        .route(
            &format!("{api_base}/{{*path}}"),
            axum::routing::any(forward),
        )
        .with_state(Forward {
            api,
            base: api_base,
        })
        .merge(reload)
        .fallback_service(site);

    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| {
            format!("impossible d'écouter sur {address} (port déjà pris ? essayez --port)")
        })?;
    eprintln!(
        "Site servi sur {origin}{prefix}/ (API d'inscription sur {origin}{api_shown}). Les pages se rechargent à chaque enregistrement{}. Ctrl+C pour arrêter.",
        if args.poll {
            " (fichiers relus toutes les 500 ms)"
        } else {
            ""
        }
    );
    let shutdown = async move {
        let _ = tokio::signal::ctrl_c().await;
        let _ = stop.send(true);
    };
    http_server::run(listener, app, shutdown)
        .await
        .context("serveur HTTP")
}

/// Rebuilds after each batch of changes, for as long as the watcher runs. `warnings`: the
/// warnings printed last.
fn rebuild_loop(
    mut watcher: Watcher,
    mut session: Session,
    root: &Path,
    live: &Live,
    mut warnings: String,
) {
    loop {
        // Time moves on: at the next instant the site changes by itself (a scheduled article
        // is due, an event ends), it is built again at that instant.
        let deadline = session.next_change().map(|at| {
            let left = (at - chrono::Utc::now()).to_std().unwrap_or_default();
            std::time::Instant::now() + left
        });
        let Some(batch) = watcher.next_batch_until(deadline) else {
            break;
        };
        if batch.is_empty() {
            session.set_now(chrono::Utc::now());
        }
        if batch.everything {
            session.changed_everything();
        }
        for path in &batch.paths {
            session.changed(path);
        }
        let result = session.rebuild();
        let what = describe(&batch, root);
        let had_errors = live.errors.read().expect("not poisoned").is_some();
        if let Ok(report) = &result {
            eprintln!(
                "↻ {what} : {} en {} ms",
                summary(report),
                batch.first_seen.elapsed().as_millis()
            );
        }
        let changed = match &result {
            Ok(report) => report.files + report.deleted + report.deferred > 0 || had_errors,
            Err(_) => true,
        };
        publish(live, result, &what, &mut warnings);
        // Known as waiting before the pages reload: asked for, they are written first.
        let deferred = session.deferred_paths();
        live.deferred.lock().expect("not poisoned").paths = deferred.into_iter().collect();
        if changed {
            let _ = live.reload.send(());
        }
        write_deferred(&mut session, live);
    }
}

/// Writes the files the last rebuild left for later, those asked for first.
fn write_deferred(session: &mut Session, live: &Live) {
    let started = std::time::Instant::now();
    let mut count = 0;
    loop {
        let wanted = std::mem::take(&mut live.deferred.lock().expect("not poisoned").wanted);
        match session.render_deferred(&wanted, DEFERRED_CHUNK) {
            Ok(done) if done.is_empty() => break,
            Ok(done) => {
                count += done.len();
                let mut deferred = live.deferred.lock().expect("not poisoned");
                for path in &done {
                    deferred.paths.remove(path);
                }
                drop(deferred);
                live.deferred_written.send_replace(());
            }
            Err(error) => {
                eprintln!("erreur en écrivant les pages restantes : {error:#}");
                break;
            }
        }
    }
    let mut deferred = live.deferred.lock().expect("not poisoned");
    deferred.paths.clear();
    deferred.wanted.clear();
    drop(deferred);
    live.deferred_written.send_replace(());
    if count > 0 {
        eprintln!(
            "  puis {count} pages plus loin dans les listes en {} ms",
            started.elapsed().as_millis()
        );
    }
}

/// Waits, when the file at `path` (a site path, as asked for) is one the last rebuild left
/// for later, until it is written (it is written first).
async fn wait_if_deferred(live: &Live, path: &str) {
    let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let file = crate::urls::file_for_url(&path);
    let mut written = live.deferred_written.subscribe();
    let waited = tokio::time::timeout(DEFERRED_WAIT, async {
        loop {
            {
                let mut deferred = live.deferred.lock().expect("not poisoned");
                // A folder's address is its `index.html`.
                let at = [file.clone(), format!("{file}/index.html")]
                    .into_iter()
                    .find(|f| deferred.paths.contains(f));
                let Some(at) = at else {
                    return;
                };
                if !deferred.wanted.contains(&at) {
                    deferred.wanted.push(at);
                }
            }
            if written.changed().await.is_err() {
                return;
            }
        }
    });
    let _ = waited.await;
}

/// Shows the outcome of a build: prints its problems (warnings only when they changed since
/// `printed`, the warnings printed last), and keeps them for the pages while the site has
/// errors.
fn publish(live: &Live, result: Result<Rebuild, BuildError>, what: &str, printed: &mut String) {
    let plain = annotate_snippets::Renderer::plain();
    let errors = match result {
        Ok(report) => {
            let text = super::report::report_text(report.warnings.clone(), &plain);
            if text != *printed {
                super::report::report(report.warnings);
                *printed = text;
            }
            None
        }
        Err(BuildError::Invalid(diagnostics)) => {
            printed.clear();
            let text = super::report::report_text(diagnostics.clone(), &plain);
            let count = diagnostics.error_count();
            super::report::report(diagnostics);
            eprintln!("✗ {what} : {count} erreur(s), affichées aussi dans le navigateur");
            Some(text)
        }
        Err(BuildError::Other(e)) => {
            printed.clear();
            super::report::report_error(&e);
            eprintln!("✗ {what} : la construction a échoué, erreur affichée dans le navigateur");
            Some(super::report::error_text(&e))
        }
    };
    *live.errors.write().expect("not poisoned") = errors;
}

/// "content/articles/x.md", "content/articles/x.md et 2 autres fichiers": named after a file
/// that still exists if any (not a folder, nor the temporary file an editor saved through).
fn describe(batch: &Batch, root: &Path) -> String {
    let first = batch
        .paths
        .iter()
        .find(|p| p.is_file())
        .or(batch.paths.first());
    let Some(first) = first else {
        return if batch.is_empty() {
            "l'heure est venue (publication programmée, fin d'un événement ou des inscriptions)"
                .into()
        } else {
            "fichiers".into()
        };
    };
    let first = first.strip_prefix(root).unwrap_or(first).display();
    match batch.paths.len() {
        1 => first.to_string(),
        2 => format!("{first} et 1 autre fichier"),
        n => format!("{first} et {} autres fichiers", n - 1),
    }
}

/// "14 pages écrites", "1 page écrite, 2 autres fichiers, 1 supprimé".
fn summary(report: &Rebuild) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n > 1 { many } else { one });
    let mut text = plural(report.pages, "page écrite", "pages écrites");
    let others = report.files - report.pages;
    if others > 0 {
        text.push_str(&format!(
            ", {}",
            plural(others, "autre fichier", "autres fichiers")
        ));
    }
    if report.deleted > 0 {
        text.push_str(&format!(
            ", {}",
            plural(report.deleted, "supprimé", "supprimés")
        ));
    }
    if report.deferred > 0 {
        text.push_str(&format!(
            " ({} à suivre, plus loin dans les listes)",
            report.deferred
        ));
    }
    text
}

/// `GET /__classmates/reload`: one `reload` event after each rebuild that changed something.
async fn reload_events(
    State(live): State<Arc<Live>>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let events = (live.reload.subscribe(), live.stopping.clone());
    let stream = futures_util::stream::unfold(events, |(mut reload, mut stopping)| async move {
        if *stopping.borrow() {
            return None;
        }
        tokio::select! {
            received = reload.recv() => match received {
                Ok(()) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    Some((Ok(Event::default().data("reload")), (reload, stopping)))
                }
                Err(broadcast::error::RecvError::Closed) => None,
            },
            _ = stopping.changed() => None,
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// For a site under a path: `/` leads to it, a request under it is served from the built site
/// with the path taken off, and anything else is the site's 404 page (as online, where the
/// host's root is not the site's).
async fn under_prefix(
    State(prefix): State<Arc<str>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path == "/" {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::FOUND;
        if let Ok(location) = HeaderValue::from_str(&format!("{prefix}/")) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        return response;
    }
    let inside = path
        .strip_prefix(&*prefix)
        .filter(|rest| rest.is_empty() || rest.starts_with('/'));
    let served = match inside {
        Some("") => "/".to_string(),
        Some(rest) => rest.to_string(),
        // No built file lives there: ServeDir answers with the 404 page.
        None => "/__classmates/hors-du-site/".to_string(),
    };
    let uri = match request.uri().query() {
        Some(query) => format!("{served}?{query}"),
        None => served,
    };
    if let Ok(uri) = uri.parse() {
        *request.uri_mut() = uri;
    }
    next.run(request).await
}

/// The script `serve` adds to every HTML page it serves (never to built files).
const RELOAD_SCRIPT: &str = "<script>/* classmates serve */(()=>{const s=new EventSource(\"/__classmates/reload\");s.onmessage=()=>location.reload();})();</script>";

/// Adds the reload script to the HTML pages, and the problems of the site over them while it
/// has errors. Conditional and range requests are served whole: a cached page would miss
/// the script or show stale problems.
async fn inject(State(live): State<Arc<Live>>, mut request: Request, next: Next) -> Response {
    for name in [
        header::IF_MODIFIED_SINCE,
        header::IF_NONE_MATCH,
        header::IF_RANGE,
        header::RANGE,
    ] {
        request.headers_mut().remove(name);
    }
    wait_if_deferred(&live, request.uri().path()).await;
    let response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let missing = response.status() == StatusCode::NOT_FOUND && !is_html;
    if !is_html && !missing {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let html = if missing {
        // No page, not even `404.html`: the site was never built.
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Page introuvable</title></head><body><p>Page introuvable.</p></body></html>".to_string()
    } else {
        match body.collect().await {
            Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
            Err(_) => return Response::from_parts(parts, Body::empty()),
        }
    };
    let errors = live.errors.read().expect("not poisoned").clone();
    let html = with_live_reload(&html, errors.as_deref());
    for name in [header::CONTENT_LENGTH, header::ETAG, header::LAST_MODIFIED] {
        parts.headers.remove(name);
    }
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Response::from_parts(parts, Body::from(html))
}

/// `html` with the reload script, and with `errors` (as the terminal shows them) over the page,
/// before `</body>`.
pub fn with_live_reload(html: &str, errors: Option<&str>) -> String {
    let mut added = String::new();
    if let Some(errors) = errors {
        added.push_str(concat!(
            "<div id=\"classmates-errors\" role=\"alert\" style=\"position:fixed;inset:0;z-index:2147483647;",
            "overflow:auto;margin:0;padding:1.5rem;background:rgba(24,24,27,.96);color:#f4f4f5;",
            "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace\">",
            "<p style=\"margin:0 0 1rem;font-weight:bold;color:#fca5a5\">La construction du site a échoué : ",
            "corrigez le fichier, la page se rechargera d'elle-même. ",
            "<button type=\"button\" onclick=\"this.closest('div').remove()\">Masquer</button></p>",
            "<pre style=\"margin:0;white-space:pre-wrap\">",
        ));
        added.push_str(&crate::text::escape_html(errors));
        added.push_str("</pre></div>");
    }
    added.push_str(RELOAD_SCRIPT);
    let at = html
        .to_ascii_lowercase()
        .rfind("</body>")
        .unwrap_or(html.len());
    format!("{}{added}{}", &html[..at], &html[at..])
}

/// The API configuration: the same environment variables as in Lambda, with local defaults.
fn api_config(root: &Path, output: &Path) -> Result<ApiConfig> {
    let local = |name: &str| -> Option<String> {
        match name {
            "EVENTS_MANIFEST" => std::env::var(name).ok().or_else(|| {
                Some(
                    output
                        .join(classmates_api::manifest::MANIFEST_PATH)
                        .to_string_lossy()
                        .into_owned(),
                )
            }),
            "ADMIN_TOKEN" => std::env::var(name)
                .ok()
                .or_else(|| Some(local_admin_token(root))),
            _ => std::env::var(name).ok(),
        }
    };
    let mut config = ApiConfig::from_vars(local).context("configuration de l'API d'inscription")?;
    if let StoreConfig::Sqlite(path) = &config.store
        && path.is_relative()
    {
        config.store = StoreConfig::Sqlite(root.join(path));
    }
    // Without SMTP_URL, each e-mail is written as an .eml file a mail client opens.
    if config.mail.transport == MailTransport::Off {
        config.mail.transport = MailTransport::Files(root.join(LOCAL_DIR).join("outbox"));
    }
    if let ManifestSource::Path(path) = &config.events_manifest {
        eprintln!("Événements lus dans {}", path.display());
    }
    if let StoreConfig::Sqlite(path) = &config.store {
        eprintln!("Inscriptions enregistrées dans {}", path.display());
    }
    Ok(config)
}

/// Where `serve` keeps its local admin token.
pub fn admin_token_path(root: &Path) -> PathBuf {
    root.join(LOCAL_DIR).join("admin-token")
}

/// The admin token kept at `path` by an earlier `serve`, if there is a usable one.
pub fn stored_admin_token(path: &Path) -> Option<String> {
    let token = std::fs::read_to_string(path).ok()?;
    let token = token.trim();
    if token.len() < classmates_api::config::MIN_ADMIN_TOKEN_LEN {
        return None;
    }
    // Made by an older version, perhaps readable by others.
    #[cfg(unix)]
    let _ = std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600));
    Some(token.to_owned())
}

/// A random admin token kept in `.classmates/admin-token`, so the organiser's list can be
/// fetched locally without configuring anything.
fn local_admin_token(root: &Path) -> String {
    let path = admin_token_path(root);
    if let Some(token) = stored_admin_token(&path) {
        return token;
    }
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    match write_private(&path, &token) {
        Ok(()) => eprintln!("Jeton d'administration local écrit dans {}", path.display()),
        Err(err) => eprintln!(
            "attention : jeton d'administration local non enregistré dans {} ({err}) : il changera au prochain démarrage",
            path.display()
        ),
    }
    token
}

/// `.classmates/`, created readable by its owner only: it holds the admin token and the
/// registrations database.
pub fn create_local_dir(root: &Path) -> std::io::Result<PathBuf> {
    let dir = root.join(LOCAL_DIR);
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir)?;
    #[cfg(unix)]
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    Ok(dir)
}

/// Writes a secret to `path`, readable and writable by its owner only (never, even for an
/// instant, by others: the mode is set when the file is created).
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path)?;
        // An older file keeps its mode when opened: narrow it.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(contents.as_bytes())
    }
    #[cfg(not(unix))]
    options.open(path)?.write_all(contents.as_bytes())
}

#[derive(Clone)]
struct Forward {
    api: App,
    base: String,
}

/// Hands a request under `/api` to the registrations function, path relative to its base.
async fn forward(
    State(forward): State<Forward>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let relative = path_and_query
        .strip_prefix(forward.base.as_str())
        .unwrap_or(path_and_query);
    let relative = if relative.starts_with('/') {
        relative.to_string()
    } else {
        format!("/{relative}")
    };
    parts.uri = relative
        .parse()
        .unwrap_or_else(|_| "/".parse().expect("a valid URI"));
    // Read one byte more than the largest limit so the function itself answers 413. A client that
    // stops sending its body is let go after BODY_READ_TIMEOUT.
    let limited = Limited::new(body, classmates_api::MAX_REQUEST_BYTES + 1).collect();
    let bytes = match tokio::time::timeout(BODY_READ_TIMEOUT, limited).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        // Too large: pass on a body just over the limit, the function answers 413 as in Lambda.
        Ok(Err(err)) if err.is::<http_body_util::LengthLimitError>() => {
            bytes::Bytes::from(vec![0u8; classmates_api::MAX_REQUEST_BYTES + 1])
        }
        // Not a valid HTTP body (a malformed chunk, a connection cut in the middle).
        Ok(Err(_)) => {
            return api_error(
                &parts,
                StatusCode::BAD_REQUEST,
                "Le corps de la requête est mal formé.",
            );
        }
        Err(_) => {
            return api_error(
                &parts,
                StatusCode::REQUEST_TIMEOUT,
                "Le corps de la requête n'est pas arrivé à temps.",
            );
        }
    };
    let mut request = http::Request::from_parts(parts, bytes);
    request.extensions_mut().insert(ClientIp(peer.ip()));
    let response = forward.api.handle(request).await;
    response.map(Body::from)
}

/// An answer of `serve` itself to an API request the function never saw (the body could not be
/// read), as JSON like the function's own errors, and logged like them.
fn api_error(parts: &http::request::Parts, status: StatusCode, message: &str) -> Response {
    tracing::info!(
        method = %parts.method,
        route = %classmates_api::route_template(parts.uri.path()),
        status = status.as_u16(),
        "request"
    );
    let body = serde_json::json!({ "error": message }).to_string();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(deferred: &[&str]) -> Arc<Live> {
        Arc::new(Live {
            errors: RwLock::new(None),
            reload: broadcast::channel(1).0,
            stopping: watch::channel(false).1,
            deferred: Mutex::new(Deferred {
                paths: deferred.iter().map(|p| p.to_string()).collect(),
                wanted: Vec::new(),
            }),
            deferred_written: watch::channel(()).0,
        })
    }

    #[tokio::test]
    async fn a_request_for_a_file_left_for_later_asks_for_it_and_waits_until_it_is_written() {
        let page = "articles/%C3%A9t%C3%A9/page/2/index.html";
        let file = "articles/été/page/2/index.html";
        let live = live(&[file, "recherche/index.json"]);
        let waiting = tokio::spawn({
            let live = live.clone();
            async move { wait_if_deferred(&live, "/articles/%C3%A9t%C3%A9/page/2/").await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "{page} is not written yet");
        assert_eq!(live.deferred.lock().unwrap().wanted, [file]);
        // Other files are written first: it still waits.
        live.deferred
            .lock()
            .unwrap()
            .paths
            .remove("recherche/index.json");
        live.deferred_written.send_replace(());
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        live.deferred.lock().unwrap().paths.remove(file);
        live.deferred_written.send_replace(());
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("served once written")
            .unwrap();
    }

    #[tokio::test]
    async fn a_request_for_any_other_file_does_not_wait() {
        let live = live(&["articles/page/2/index.html"]);
        let quick = tokio::time::timeout(Duration::from_secs(1), async {
            wait_if_deferred(&live, "/articles/").await;
            wait_if_deferred(&live, "/articles/page/3/").await;
            wait_if_deferred(&live, "/style.css").await;
        });
        quick.await.expect("no wait");
        assert!(live.deferred.lock().unwrap().wanted.is_empty());
    }
}
