//! `classmates serve`: builds the site, serves it on 127.0.0.1 and mounts the registrations
//! function under `/api` on the same origin, with SQLite in `.classmates/`: the whole site,
//! registrations included, with one command and no cloud account.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use clap::Args;
use classmates_api::config::{ManifestSource, StoreConfig};
use classmates_api::{App, ClientIp, Config as ApiConfig};
use http_body_util::{BodyExt, Limited};
use tower_http::services::{ServeDir, ServeFile};

use crate::build::{BuildError, BuildOptions, build_site};

/// Git-ignored folder for what `serve` keeps locally (built site, registrations database).
pub const LOCAL_DIR: &str = ".classmates";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port d'écoute (sur 127.0.0.1).
    #[arg(long, short, default_value_t = 1111)]
    pub port: u16,
    /// Inclut les brouillons et les contenus programmés plus tard.
    #[arg(long)]
    pub drafts: bool,
}

pub fn run(root: &Path, args: ServeArgs) -> ExitCode {
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
            super::report_error(&e);
            ExitCode::FAILURE
        }
    }
}

async fn serve(root: &Path, args: ServeArgs) -> Result<()> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let origin = format!("http://{address}");
    let output = root.join(LOCAL_DIR).join("site");
    let options = BuildOptions {
        root: root.to_path_buf(),
        output: output.clone(),
        drafts: args.drafts,
        now: chrono::Utc::now(),
        base_url: Some(origin.clone()),
    };
    match build_site(&options) {
        Ok(report) => {
            super::report(report.warnings);
            eprintln!(
                "Site construit : {} pages en {} ms",
                report.pages,
                report.elapsed.as_millis()
            );
        }
        Err(BuildError::Invalid(diagnostics)) => {
            super::report(diagnostics);
            anyhow::bail!(
                "le site contient des erreurs : corrigez-les puis relancez `classmates serve`"
            );
        }
        Err(BuildError::Other(e)) => return Err(e),
    }

    let api = App::from_config(api_config(root, &output)?)
        .await
        .context("démarrage de l'API d'inscription")?;
    let api_base = api.config().base_path().to_string();
    let not_found = ServeFile::new(output.join("404.html"));
    let site = ServeDir::new(&output)
        .append_index_html_on_directories(true)
        .not_found_service(not_found);
    let app = Router::new()
        .route(
            &format!("{api_base}/{{*path}}"),
            axum::routing::any(forward),
        )
        .with_state(Forward {
            api,
            base: api_base,
        })
        .fallback_service(site);

    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| {
            format!("impossible d'écouter sur {address} (port déjà pris ? essayez --port)")
        })?;
    eprintln!(
        "Site servi sur {origin}/ (API d'inscription sur {origin}/api). Ctrl+C pour arrêter."
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serveur HTTP")
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
    if let ManifestSource::Path(path) = &config.events_manifest {
        eprintln!("Événements lus dans {}", path.display());
    }
    if let StoreConfig::Sqlite(path) = &config.store {
        eprintln!("Inscriptions enregistrées dans {}", path.display());
    }
    Ok(config)
}

/// A random admin token kept in `.classmates/admin-token`, so the organiser's list can be
/// fetched locally without configuring anything.
fn local_admin_token(root: &Path) -> String {
    let path: PathBuf = root.join(LOCAL_DIR).join("admin-token");
    if let Ok(token) = std::fs::read_to_string(&path)
        && token.trim().len() >= 16
    {
        return token.trim().to_string();
    }
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let _ = std::fs::create_dir_all(root.join(LOCAL_DIR));
    let _ = std::fs::write(&path, &token);
    eprintln!("Jeton d'administration local écrit dans {}", path.display());
    token
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
    // Read one byte more than the limit so the function itself answers 413.
    let bytes = match Limited::new(body, classmates_api::MAX_BODY_BYTES + 1)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        // Too large: pass on a body just over the limit, the function answers 413 as in Lambda.
        Err(_) => bytes::Bytes::from(vec![0u8; classmates_api::MAX_BODY_BYTES + 1]),
    };
    let mut request = http::Request::from_parts(parts, bytes);
    request.extensions_mut().insert(ClientIp(peer.ip()));
    let response = forward.api.handle(request).await;
    response.map(Body::from)
}
