//! The registrations function under `serve`: its settings (a local store, `.eml` files, the
//! admin token kept in `.classmates/`), and the requests forwarded to it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use classmates_api::config::{MailTransport, ManifestSource, StoreConfig};
use classmates_api::{App, ClientIp, Config as ApiConfig};
use http::{HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, Limited};

/// Git-ignored folder for what `serve` keeps locally (built site, registrations database).
pub const LOCAL_DIR: &str = ".classmates";

/// How long an API request's body may take to arrive once its headers have (the headers have
/// `http_server::HEADER_READ_TIMEOUT`).
pub(super) const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Prints on stderr what the registrations function logs, as Lambda's log would show it: one line
/// per API request (method, route template, status, duration) and its warnings and errors. The
/// function never logs an address, a token or a body.
pub(super) fn log_api_requests() {
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

/// The API configuration: the same environment variables as in Lambda, with local defaults.
pub(super) fn api_config(root: &Path, output: &Path) -> Result<ApiConfig> {
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
pub(super) fn local_admin_token(root: &Path) -> String {
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
pub(super) fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
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
pub(super) struct Forward {
    pub(super) api: App,
    pub(super) base: String,
}

/// Hands a request under `/api` to the registrations function, path relative to its base.
pub(super) async fn forward(
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
pub(super) fn api_error(
    parts: &http::request::Parts,
    status: StatusCode,
    message: &str,
) -> Response {
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
