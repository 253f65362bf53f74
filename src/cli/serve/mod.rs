//! `classmates serve`: builds the site, serves it on 127.0.0.1 and mounts the registrations
//! function under `/api` on the same origin, with SQLite in `.classmates/`: the whole site,
//! registrations included, with one command and no cloud account. It watches the sources and
//! rebuilds what a change affects (`crate::incremental`), then reloads the open pages through
//! server-sent events; while the site has errors, every page shows them over its content.

mod api;
mod live;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use clap::Args;
use classmates_api::App;
use tokio::sync::{broadcast, watch};
use tower_http::services::{ServeDir, ServeFile};

use super::http_server;
use crate::build::BuildOptions;
use crate::incremental::{Rebuild, Session};
use crate::watch::{Batch, Watcher};

use api::*;
pub use api::{LOCAL_DIR, admin_token_path, create_local_dir, stored_admin_token};
pub use live::RELOAD_PATH;
use live::*;

/// How often `--poll` looks at the files.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

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
            crate::cli::report::report_error(&e);
            ExitCode::FAILURE
        }
    }
}

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
