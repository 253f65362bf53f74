//! The HTTP API of the function as plain async code: [`App::handle`] takes an
//! `http::Request<Bytes>` whose path is relative to the function base and returns the response,
//! whether the caller is the Lambda runtime, `classmates serve` or a test.
//!
//! Privacy: request bodies, names and e-mail addresses are never logged nor echoed back; tokens
//! are secrets, so logs name routes (`/registrations/{token}`), not paths.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use crate::announcements;
use crate::catalog::Catalog;
use crate::clock::{Clock, system_clock};
use crate::config::{Config, ConfigError, StoreConfig};
use crate::discord::DiscordClient;
use crate::html;
use crate::manifest::{ClosedReason, Manifest, ManifestEvent};
use crate::ratelimit::RateLimiter;
use crate::store::{NewRegistration, RegisterOutcome, SqliteStore, Store};
use crate::token;
use crate::validation::RawRegistration;

/// Largest request body accepted (larger: 413).
pub const MAX_BODY_BYTES: usize = 8 * 1024;

/// The client's address, put in the request extensions by the caller: the Lambda entry point
/// from the request context, `classmates serve` from the peer address of the connection. When
/// absent, the first address of `X-Forwarded-For` is used; without either, no rate limit applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientIp(pub IpAddr);

/// The public base URL of the function as this request reached it (`https://{function URL
/// host}`), put in the request extensions by the Lambda entry point when `PUBLIC_API_URL` is not
/// configured: a Function URL cannot know its own address in advance. It then replaces
/// [`Config::public_api_url`] in the cancellation links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBase(pub String);

const MSG_NOT_FOUND: &str = "Ressource introuvable.";
const MSG_UNKNOWN_EVENT: &str = "Événement introuvable.";
const MSG_METHOD: &str = "Méthode non autorisée.";
const MSG_UNAVAILABLE: &str =
    "Le service est momentanément indisponible, réessayez dans un instant.";
const MSG_INTERNAL: &str = "Une erreur est survenue, réessayez plus tard.";
const MSG_TOO_LARGE: &str = "La requête est trop volumineuse.";
const MSG_MEDIA_TYPE: &str = "Format non pris en charge : envoyez du JSON ou un formulaire (application/x-www-form-urlencoded).";
const MSG_BAD_JSON: &str = "Le corps de la requête doit être un objet JSON.";
const MSG_LIMITED: &str = "Trop de tentatives depuis votre connexion. Réessayez dans une minute.";
const MSG_INVALID: &str = "Certains champs sont invalides.";
const MSG_DUPLICATE: &str = "Cette adresse e-mail est déjà inscrite à cet événement.";
const MSG_TOKEN_UNKNOWN: &str = "Inscription introuvable ou déjà annulée.";
const MSG_UNAUTHORIZED: &str = "Authentification requise.";
const MSG_NO_WEBHOOK: &str = "Les annonces Discord ne sont pas configurées : définissez la variable DISCORD_WEBHOOK_URL de la fonction.";

fn closed_message(reason: ClosedReason) -> &'static str {
    match reason {
        ClosedReason::NotOffered => "Cet événement ne prend pas d’inscriptions.",
        ClosedReason::Over => "Cet événement est terminé.",
        ClosedReason::DeadlinePassed => "Les inscriptions à cet événement sont closes.",
    }
}

/// The registrations function. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    store: Arc<dyn Store>,
    catalog: Catalog,
    limiter: RateLimiter,
    clock: Clock,
    /// Built once from `DISCORD_WEBHOOK_URL`, when set.
    discord: Option<DiscordClient>,
}

/// The routes, with the path parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    Event(&'a str),
    Registrations(&'a str),
    Token(&'a str),
    Cancel(&'a str),
    AnnouncementsSync,
    Unknown,
}

impl Route<'_> {
    fn parse(path: &str) -> Route<'_> {
        let path = path.strip_suffix('/').unwrap_or(path);
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        match segments.as_slice() {
            ["events", slug] if !slug.is_empty() => Route::Event(slug),
            ["events", slug, "registrations"] if !slug.is_empty() => Route::Registrations(slug),
            ["registrations", token] if !token.is_empty() => Route::Token(token),
            ["registrations", token, "cancel"] if !token.is_empty() => Route::Cancel(token),
            ["announcements", "sync"] => Route::AnnouncementsSync,
            _ => Route::Unknown,
        }
    }

    /// The route template, safe to log.
    fn name(&self) -> &'static str {
        match self {
            Route::Event(_) => "/events/{slug}",
            Route::Registrations(_) => "/events/{slug}/registrations",
            Route::Token(_) => "/registrations/{token}",
            Route::Cancel(_) => "/registrations/{token}/cancel",
            Route::AnnouncementsSync => "/announcements/sync",
            Route::Unknown => "unknown",
        }
    }

    fn allowed_methods(&self) -> &'static str {
        match self {
            Route::Event(_) | Route::Token(_) => "GET, HEAD, OPTIONS",
            Route::Registrations(_) => "GET, POST, OPTIONS",
            Route::Cancel(_) | Route::AnnouncementsSync => "POST, OPTIONS",
            Route::Unknown => "",
        }
    }
}

/// How a POST body is encoded, from `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Json,
    Form,
    Other,
}

fn body_kind(headers: &HeaderMap) -> BodyKind {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return BodyKind::Other;
    };
    let media = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media == "application/json"
        || (media.starts_with("application/") && media.ends_with("+json"))
    {
        BodyKind::Json
    } else if media == "application/x-www-form-urlencoded" {
        BodyKind::Form
    } else {
        BodyKind::Other
    }
}

fn accepts_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("application/json"))
}

/// The client address for rate limiting: [`ClientIp`] first, then `X-Forwarded-For`.
fn client_ip<B>(req: &Request<B>) -> Option<IpAddr> {
    if let Some(ClientIp(ip)) = req.extensions().get::<ClientIp>() {
        return Some(*ip);
    }
    req.headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(|first| first.trim().parse().ok())
}

// ---------------------------------------------------------------------------------------------
// Response builders

fn response(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Bytes> {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn json_response(status: StatusCode, value: &Value) -> Response<Bytes> {
    response(
        status,
        "application/json; charset=utf-8",
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

fn error(status: StatusCode, message: &str) -> Response<Bytes> {
    json_response(status, &json!({ "error": message }))
}

fn html_response(status: StatusCode, page: String) -> Response<Bytes> {
    let mut response = response(status, "text/html; charset=utf-8", page);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"),
    );
    // The URL holds the cancellation token: do not leak it to other sites.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    response
}

/// Percent-encodes what a `Location` header cannot carry (non-ASCII, spaces, controls).
fn header_safe_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        if c.is_ascii_graphic() {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    out
}

fn see_other(location: &str) -> Response<Bytes> {
    let mut response = response(
        StatusCode::SEE_OTHER,
        "text/plain; charset=utf-8",
        Bytes::new(),
    );
    if let Ok(value) = HeaderValue::from_str(&header_safe_url(location)) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// 401 asking for the admin bearer token.
fn unauthorized() -> Response<Bytes> {
    let mut response = error(StatusCode::UNAUTHORIZED, MSG_UNAUTHORIZED);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"classmates\""),
    );
    response
}

fn method_not_allowed(route: &Route<'_>) -> Response<Bytes> {
    let mut response = error(StatusCode::METHOD_NOT_ALLOWED, MSG_METHOD);
    response.headers_mut().insert(
        header::ALLOW,
        HeaderValue::from_static(route.allowed_methods()),
    );
    response
}

/// `{event.url}?inscription={status}[&position=N][&jeton=T]#inscription-{status}`.
fn result_location(
    event_url: &str,
    status: &str,
    position: Option<u32>,
    token: Option<&str>,
) -> String {
    let base = event_url
        .split_once('#')
        .map_or(event_url, |(base, _)| base);
    let separator = if base.contains('?') { '&' } else { '?' };
    let mut location = format!("{base}{separator}inscription={status}");
    if let Some(position) = position {
        location.push_str(&format!("&position={position}"));
    }
    if let Some(token) = token {
        location.push_str(&format!("&jeton={token}"));
    }
    location.push_str(&format!("#inscription-{status}"));
    location
}

/// A failed registration, answered as JSON or, for a plain form, as a redirect to the event.
struct Failure {
    status: StatusCode,
    message: &'static str,
    /// Status word for the redirect (`?inscription=…`).
    form_status: &'static str,
}

impl Failure {
    fn new(status: StatusCode, message: &'static str, form_status: &'static str) -> Failure {
        Failure {
            status,
            message,
            form_status,
        }
    }
}

impl App {
    /// Opens the configured store and builds the app. Errors name the faulty setting.
    pub async fn from_config(mut config: Config) -> Result<App, ConfigError> {
        config.validate()?;
        let store: Arc<dyn Store> = match &config.store {
            StoreConfig::Sqlite(path) => {
                let store = SqliteStore::open(path)
                    .await
                    .map_err(|err| ConfigError::Store {
                        store: format!("sqlite:{}", path.display()),
                        reason: err.to_string(),
                    })?;
                Arc::new(store)
            }
            #[cfg(feature = "dynamodb")]
            StoreConfig::DynamoDb { table } => {
                let store = crate::store::DynamoStore::from_env(table.clone()).await;
                store
                    .check_table()
                    .await
                    .map_err(|err| ConfigError::Store {
                        store: format!("dynamodb:{table}"),
                        reason: err.to_string(),
                    })?;
                Arc::new(store)
            }
            #[cfg(not(feature = "dynamodb"))]
            StoreConfig::DynamoDb { table } => {
                return Err(ConfigError::DynamoDbDisabled(format!("dynamodb:{table}")));
            }
        };
        App::new(config, store)
    }

    /// Builds the app on a store of the caller's choice, with the system clock.
    pub fn new(config: Config, store: Arc<dyn Store>) -> Result<App, ConfigError> {
        App::with_clock(config, store, system_clock())
    }

    /// Builds the app with a given clock (tests decide what "now" is).
    pub fn with_clock(
        mut config: Config,
        store: Arc<dyn Store>,
        clock: Clock,
    ) -> Result<App, ConfigError> {
        config.validate()?;
        let catalog = Catalog::new(config.events_manifest.clone(), config.manifest_ttl);
        let limiter = RateLimiter::new(config.rate_limit);
        let discord = match &config.discord_webhook_url {
            Some(url) => Some(
                DiscordClient::new(url).map_err(|reason| ConfigError::Invalid {
                    var: "DISCORD_WEBHOOK_URL",
                    reason,
                })?,
            ),
            None => None,
        };
        Ok(App {
            inner: Arc::new(Inner {
                config,
                store,
                catalog,
                limiter,
                clock,
                discord,
            }),
        })
    }

    /// The configuration in force (validated).
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Answers one request. `req.uri().path()` is relative to the function base
    /// (`/events/{slug}`, `/events/{slug}/registrations`, `/registrations/{token}`,
    /// `/registrations/{token}/cancel`, `/announcements/sync`). Never panics on bad input.
    pub async fn handle(&self, req: Request<Bytes>) -> Response<Bytes> {
        let started = Instant::now();
        let path = req.uri().path().to_owned();
        let route = Route::parse(&path);
        let method = req.method().clone();
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);

        let mut response = if method == Method::OPTIONS && route != Route::Unknown {
            self.preflight(&route, origin.as_deref())
        } else {
            self.dispatch(&route, &req).await
        };
        if method == Method::HEAD {
            *response.body_mut() = Bytes::new();
        }
        self.add_cors(origin.as_deref(), &mut response);
        tracing::info!(
            method = %method,
            route = route.name(),
            status = response.status().as_u16(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "request"
        );
        response
    }

    async fn dispatch(&self, route: &Route<'_>, req: &Request<Bytes>) -> Response<Bytes> {
        let method = req.method();
        let get = method == Method::GET || method == Method::HEAD;
        match *route {
            Route::Event(slug) if get => self.event_counts(slug).await,
            Route::Registrations(slug) if method == Method::POST => self.register(slug, req).await,
            Route::Registrations(slug) if method == Method::GET => {
                self.organiser_list(slug, req).await
            }
            Route::Token(token) if get => self.cancel_page(token, req).await,
            Route::Cancel(token) if method == Method::POST => self.cancel(token, req).await,
            Route::AnnouncementsSync if method == Method::POST => {
                self.announcements_sync(req).await
            }
            Route::Unknown => error(StatusCode::NOT_FOUND, MSG_NOT_FOUND),
            _ => method_not_allowed(route),
        }
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        (self.inner.clock)()
    }

    fn origin_allowed(&self, origin: Option<&str>) -> bool {
        match (&self.inner.config.allowed_origin, origin) {
            (Some(allowed), Some(origin)) => allowed.as_bytes().ct_eq(origin.as_bytes()).into(),
            _ => false,
        }
    }

    fn add_cors(&self, origin: Option<&str>, response: &mut Response<Bytes>) {
        if self.inner.config.allowed_origin.is_none() {
            return;
        }
        let headers = response.headers_mut();
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
        if self.origin_allowed(origin) {
            if let Some(value) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
                headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
            }
        }
    }

    /// CORS preflight: the allowed origin gets the methods and headers; others get nothing that
    /// would let their browser go on.
    fn preflight(&self, route: &Route<'_>, origin: Option<&str>) -> Response<Bytes> {
        let mut response = response(
            StatusCode::NO_CONTENT,
            "text/plain; charset=utf-8",
            Bytes::new(),
        );
        let headers = response.headers_mut();
        headers.insert(
            header::ALLOW,
            HeaderValue::from_static(route.allowed_methods()),
        );
        if self.origin_allowed(origin) {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(route.allowed_methods()),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("Content-Type, Accept, Authorization"),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
        }
        response
    }

    async fn manifest(&self) -> Result<Arc<Manifest>, Response<Bytes>> {
        self.inner.catalog.manifest().await.map_err(|err| {
            tracing::error!(error = %err, "events manifest unavailable");
            error(StatusCode::SERVICE_UNAVAILABLE, MSG_UNAVAILABLE)
        })
    }

    /// `GET /events/{slug}`: public numbers, never names nor addresses.
    async fn event_counts(&self, slug: &str) -> Response<Bytes> {
        let manifest = match self.manifest().await {
            Ok(manifest) => manifest,
            Err(response) => return response,
        };
        let Some(event) = manifest.event(slug) else {
            return error(StatusCode::NOT_FOUND, MSG_UNKNOWN_EVENT);
        };
        let counts = match self.inner.store.counts(slug).await {
            Ok(counts) => counts,
            Err(err) => {
                tracing::error!(error = %err, slug, "counting registrations failed");
                return error(StatusCode::INTERNAL_SERVER_ERROR, MSG_INTERNAL);
            }
        };
        let body = json!({
            "slug": event.slug,
            "count": counts.registered,
            "capacity": event.capacity,
            "remaining": event.capacity.map(|c| c.saturating_sub(counts.registered)),
            "waitlist": counts.waitlisted,
            "open": event.registration_open_at(self.now()),
        });
        let mut response = json_response(StatusCode::OK, &body);
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=5"),
        );
        response
    }

    fn cancel_url(&self, req: &Request<Bytes>, token: &str) -> String {
        let base = match req.extensions().get::<PublicBase>() {
            Some(PublicBase(base)) => base.trim_end_matches('/'),
            None => self.inner.config.public_api_url.as_str(),
        };
        format!("{base}/registrations/{token}")
    }

    /// `POST /events/{slug}/registrations`.
    async fn register(&self, slug: &str, req: &Request<Bytes>) -> Response<Bytes> {
        let headers = req.headers();
        let kind = body_kind(headers);
        let redirect = kind == BodyKind::Form && !accepts_json(headers);
        let manifest = match self.manifest().await {
            Ok(manifest) => manifest,
            Err(response) => return response,
        };
        // Without an event there is no page to send a form back to: JSON 404 in all cases.
        let Some(event) = manifest.event(slug) else {
            return error(StatusCode::NOT_FOUND, MSG_UNKNOWN_EVENT);
        };
        let fail = |failure: Failure| {
            if redirect {
                see_other(&result_location(
                    &event.url,
                    failure.form_status,
                    None,
                    None,
                ))
            } else {
                error(failure.status, failure.message)
            }
        };

        if let Some(ip) = client_ip(req) {
            if !self.inner.limiter.allow(ip, self.now()) {
                tracing::warn!(slug, "registration attempts over the rate limit");
                return fail(Failure::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    MSG_LIMITED,
                    "limited",
                ));
            }
        }
        let body = req.body();
        if body.len() > MAX_BODY_BYTES {
            return fail(Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                MSG_TOO_LARGE,
                "invalid",
            ));
        }
        let raw = match kind {
            BodyKind::Json => match RawRegistration::from_json(body) {
                Ok(raw) => raw,
                Err(_) => return error(StatusCode::BAD_REQUEST, MSG_BAD_JSON),
            },
            BodyKind::Form => RawRegistration::from_form(body),
            BodyKind::Other => return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, MSG_MEDIA_TYPE),
        };
        if let Some(reason) = event.closed_reason_at(self.now()) {
            return fail(Failure::new(
                StatusCode::FORBIDDEN,
                closed_message(reason),
                "closed",
            ));
        }
        if raw.is_bot() {
            // Honeypot filled: answer exactly as a success would (a bot that sees a refusal
            // learns to avoid the field) but store nothing. The token leads nowhere.
            tracing::info!(slug, "honeypot filled, registration dropped");
            return match token::generate() {
                Ok(token) => self.registered_response(
                    req,
                    event,
                    RegisterOutcome::Registered,
                    &token,
                    redirect,
                ),
                Err(_) => fail(Failure::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    MSG_INTERNAL,
                    "error",
                )),
            };
        }
        let registration = match raw.validate() {
            Ok(registration) => registration,
            Err(fields) => {
                if redirect {
                    return see_other(&result_location(&event.url, "invalid", None, None));
                }
                return json_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &json!({ "error": MSG_INVALID, "fields": fields }),
                );
            }
        };
        let token = match token::generate() {
            Ok(token) => token,
            Err(err) => {
                tracing::error!(error = %err, "no randomness for a token");
                return fail(Failure::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    MSG_INTERNAL,
                    "error",
                ));
            }
        };
        let new = NewRegistration {
            token: token.clone(),
            name: registration.name,
            email: registration.email,
            email_key: registration.email_key,
            discord: registration.discord,
            registered_at: self.now(),
        };
        match self.inner.store.register(slug, event.capacity, new).await {
            Ok(RegisterOutcome::Duplicate) => {
                tracing::info!(slug, "duplicate registration refused");
                fail(Failure::new(
                    StatusCode::CONFLICT,
                    MSG_DUPLICATE,
                    "duplicate",
                ))
            }
            Ok(outcome) => {
                tracing::info!(slug, outcome = ?outcome, "registration recorded");
                self.registered_response(req, event, outcome, &token, redirect)
            }
            Err(err) => {
                tracing::error!(error = %err, slug, "registration failed");
                fail(Failure::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    MSG_INTERNAL,
                    "error",
                ))
            }
        }
    }

    fn registered_response(
        &self,
        req: &Request<Bytes>,
        event: &ManifestEvent,
        outcome: RegisterOutcome,
        token: &str,
        redirect: bool,
    ) -> Response<Bytes> {
        let (status, position) = match outcome {
            RegisterOutcome::Waitlisted { position } => ("waitlisted", Some(position)),
            _ => ("registered", None),
        };
        if redirect {
            return see_other(&result_location(&event.url, status, position, Some(token)));
        }
        let mut body = json!({ "status": status, "cancel_url": self.cancel_url(req, token) });
        if let Some(position) = position {
            body["position"] = json!(position);
        }
        json_response(StatusCode::CREATED, &body)
    }

    /// `GET /registrations/{token}`: the cancellation page.
    async fn cancel_page(&self, token: &str, req: &Request<Bytes>) -> Response<Bytes> {
        if !token::is_well_formed(token) {
            return html_response(StatusCode::NOT_FOUND, html::not_found_page());
        }
        let info = match self.inner.store.find(token).await {
            Ok(Some(info)) => info,
            Ok(None) => return html_response(StatusCode::NOT_FOUND, html::not_found_page()),
            Err(err) => {
                tracing::error!(error = %err, "token look-up failed");
                return error(StatusCode::INTERNAL_SERVER_ERROR, MSG_INTERNAL);
            }
        };
        // The page still works without the manifest, only less descriptive.
        let manifest = self.inner.catalog.manifest().await.ok();
        let event = manifest.as_ref().and_then(|m| m.event(&info.slug));
        let action = format!("{}/cancel", self.cancel_url(req, token));
        html_response(StatusCode::OK, html::cancel_page(event, &info, &action))
    }

    /// `POST /registrations/{token}/cancel`.
    async fn cancel(&self, token: &str, req: &Request<Bytes>) -> Response<Bytes> {
        let json = accepts_json(req.headers());
        let not_found = || {
            if json {
                error(StatusCode::NOT_FOUND, MSG_TOKEN_UNKNOWN)
            } else {
                html_response(StatusCode::NOT_FOUND, html::not_found_page())
            }
        };
        if !token::is_well_formed(token) {
            return not_found();
        }
        let info = match self.inner.store.find(token).await {
            Ok(Some(info)) => info,
            Ok(None) => return not_found(),
            Err(err) => {
                tracing::error!(error = %err, "token look-up failed");
                return error(StatusCode::INTERNAL_SERVER_ERROR, MSG_INTERNAL);
            }
        };
        // The capacity decides who moves up: without the manifest, wait rather than guess.
        let manifest = match self.manifest().await {
            Ok(manifest) => manifest,
            Err(response) => return response,
        };
        let event = manifest.event(&info.slug);
        // An event gone from the manifest promotes nobody.
        let capacity = event.map_or(Some(0), |e| e.capacity);
        match self.inner.store.cancel(token, capacity).await {
            Ok(Some(cancelled)) => {
                tracing::info!(slug = %cancelled.slug, promoted = cancelled.promoted, "registration cancelled");
                if json {
                    json_response(StatusCode::OK, &json!({ "status": "cancelled" }))
                } else if let Some(event) = event {
                    see_other(&result_location(&event.url, "cancelled", None, None))
                } else {
                    html_response(StatusCode::OK, html::cancelled_page(None))
                }
            }
            Ok(None) => not_found(),
            Err(err) => {
                tracing::error!(error = %err, "cancellation failed");
                error(StatusCode::INTERNAL_SERVER_ERROR, MSG_INTERNAL)
            }
        }
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        let Some((scheme, credentials)) = value.trim().split_once(' ') else {
            return false;
        };
        let expected = self.inner.config.admin_token.trim().as_bytes();
        scheme.eq_ignore_ascii_case("bearer")
            && bool::from(credentials.trim().as_bytes().ct_eq(expected))
    }

    /// `POST /announcements/sync` (admin token): sends the Discord announcements and reminders
    /// that are due. 200 with the summary, 502 with the summary when some failed (they are
    /// retried at the next sync), 503 without a webhook.
    async fn announcements_sync(&self, req: &Request<Bytes>) -> Response<Bytes> {
        if !self.authorized(req.headers()) {
            tracing::warn!("announcements sync refused: missing or wrong token");
            return unauthorized();
        }
        let Some(discord) = &self.inner.discord else {
            return error(StatusCode::SERVICE_UNAVAILABLE, MSG_NO_WEBHOOK);
        };
        let manifest = match self.manifest().await {
            Ok(manifest) => manifest,
            Err(response) => return response,
        };
        let summary =
            announcements::sync(&self.inner.store, discord, &manifest, &self.inner.clock).await;
        tracing::info!(
            announced = summary.announced.len(),
            reminders = summary.reminders.len(),
            failed = summary.failed.len(),
            "announcements sync"
        );
        let status = if summary.failed.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::BAD_GATEWAY
        };
        json_response(status, &json!(summary))
    }

    /// `GET /events/{slug}/registrations`: the organisers' list, JSON or `?format=csv`.
    async fn organiser_list(&self, slug: &str, req: &Request<Bytes>) -> Response<Bytes> {
        if !self.authorized(req.headers()) {
            tracing::warn!(slug, "organiser list refused: missing or wrong token");
            return unauthorized();
        }
        let manifest = match self.manifest().await {
            Ok(manifest) => manifest,
            Err(response) => return response,
        };
        if manifest.event(slug).is_none() {
            return error(StatusCode::NOT_FOUND, MSG_UNKNOWN_EVENT);
        }
        let list = match self.inner.store.list(slug).await {
            Ok(list) => list,
            Err(err) => {
                tracing::error!(error = %err, slug, "listing registrations failed");
                return error(StatusCode::INTERNAL_SERVER_ERROR, MSG_INTERNAL);
            }
        };
        let csv = req.uri().query().is_some_and(|q| {
            form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "format" && v == "csv")
        });
        if !csv {
            return json_response(StatusCode::OK, &json!(list));
        }
        match to_csv(&list) {
            Ok(body) => {
                let mut response = response(StatusCode::OK, "text/csv; charset=utf-8", body);
                let disposition = format!("attachment; filename=\"inscriptions-{slug}.csv\"");
                if let Ok(value) = HeaderValue::from_str(&disposition) {
                    response
                        .headers_mut()
                        .insert(header::CONTENT_DISPOSITION, value);
                }
                response
            }
            Err(err) => {
                tracing::error!(error = %err, slug, "writing CSV failed");
                error(StatusCode::INTERNAL_SERVER_ERROR, MSG_INTERNAL)
            }
        }
    }
}

/// A spreadsheet cell that cannot start a formula (`=`, `+`, `-`, `@`, tab, carriage return):
/// such values get a leading apostrophe.
fn csv_cell(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

fn to_csv(list: &[crate::store::Registration]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["name", "discord", "email", "status", "time"])?;
    for r in list {
        let time = r
            .registered_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        writer.write_record([
            csv_cell(&r.name).as_ref(),
            csv_cell(r.discord.as_deref().unwrap_or("")).as_ref(),
            csv_cell(&r.email).as_ref(),
            r.status.as_str(),
            time.as_str(),
        ])?;
    }
    writer
        .into_inner()
        .map_err(|err| csv::Error::from(err.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(Route::parse("/events/a"), Route::Event("a"));
        assert_eq!(Route::parse("/events/a/"), Route::Event("a"));
        assert_eq!(
            Route::parse("/events/a/registrations"),
            Route::Registrations("a")
        );
        assert_eq!(Route::parse("/registrations/t"), Route::Token("t"));
        assert_eq!(Route::parse("/registrations/t/cancel"), Route::Cancel("t"));
        assert_eq!(
            Route::parse("/announcements/sync"),
            Route::AnnouncementsSync
        );
        assert_eq!(Route::parse("/events/"), Route::Unknown);
        assert_eq!(Route::parse("/api/events/a"), Route::Unknown);
        assert_eq!(Route::parse(""), Route::Unknown);
    }

    #[test]
    fn locations() {
        assert_eq!(
            result_location("https://x.org/e/a/#top", "waitlisted", Some(3), Some("tok")),
            "https://x.org/e/a/?inscription=waitlisted&position=3&jeton=tok#inscription-waitlisted"
        );
        assert_eq!(
            result_location("/e?a=1", "closed", None, None),
            "/e?a=1&inscription=closed#inscription-closed"
        );
        assert_eq!(
            header_safe_url("https://x.org/événement/ a"),
            "https://x.org/%C3%A9v%C3%A9nement/%20a"
        );
    }

    #[test]
    fn csv_cells_cannot_be_formulas() {
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("Ada"), "Ada");
    }
}
