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
use crate::interactions::{self, DiscordApp};
use crate::mail::Mailer;
use crate::mail::fanout::{self, FanoutSummary};
use crate::mail::outbox::{DeliverySummary, Postman, RETRY_EVERY, Soon};
use crate::manifest::{Manifest, ManifestEvent};
use crate::ratelimit::RateLimiter;
use crate::retention::{self, Swept};
use crate::store::{Mailing, SqliteStore, Store, TokenInfo};
use crate::suggestions;
use crate::token;

mod organiser;
mod register;

pub use register::{EnrolError, Enrolled};

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

/// What the sync's e-mail part did (no personal data).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MailSyncSummary {
    /// The outbox round: `sent`, `retrying`, `failed`, `dropped`.
    #[serde(flatten)]
    pub delivered: DeliverySummary,
    /// What was recorded for the people of the events: `reminders`, `notices`, `failed`.
    pub recorded: FanoutSummary,
}

/// A route's answer: `Err` holds a refusal already made into a response, so that each step can
/// give up with `?`.
type Answer = Result<Response<Bytes>, Response<Bytes>>;

/// An event of the manifest in force, found by slug (it keeps that manifest alive).
struct KnownEvent {
    manifest: Arc<Manifest>,
    index: usize,
}

impl KnownEvent {
    fn find(manifest: Arc<Manifest>, slug: &str) -> Option<KnownEvent> {
        let index = manifest.index_of(slug)?;
        Some(KnownEvent { manifest, index })
    }
}

impl std::ops::Deref for KnownEvent {
    type Target = ManifestEvent;

    fn deref(&self) -> &ManifestEvent {
        &self.manifest.events[self.index]
    }
}

const MSG_NOT_FOUND: &str = "Ressource introuvable.";
const MSG_UNKNOWN_EVENT: &str = "Événement introuvable.";
const MSG_METHOD: &str = "Méthode non autorisée.";
const MSG_UNAVAILABLE: &str =
    "Le service est momentanément indisponible, réessayez dans un instant.";
const MSG_INTERNAL: &str = "Une erreur est survenue, réessayez plus tard.";
const MSG_TOKEN_UNKNOWN: &str = "Inscription introuvable ou déjà annulée.";
const MSG_UNAUTHORIZED: &str = "Authentification requise.";
const MSG_NO_WEBHOOK: &str = "Les annonces Discord ne sont pas configurées : définissez la variable DISCORD_WEBHOOK_URL de la fonction (ou DISCORD_BOT_TOKEN et DISCORD_CHANNEL_ID pour publier avec l’application).";

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
    /// Attempts per e-mail address, all channels together.
    address_limiter: RateLimiter<[u8; 32]>,
    clock: Clock,
    /// Built once from `DISCORD_WEBHOOK_URL`, when set.
    discord: Option<DiscordClient>,
    /// The Discord application (interactions), from `DISCORD_*`.
    discord_app: DiscordApp,
    /// The outbox's sender, when e-mail is on.
    postman: Option<Postman>,
}

/// The routes, with the path parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    Event(&'a str),
    Registrations(&'a str),
    JoinUrl(&'a str),
    Token(&'a str),
    Cancel(&'a str),
    AnnouncementsSync,
    DiscordInteractions,
    Suggestions,
    SuggestionsTaken,
    Unknown,
}

impl Route<'_> {
    fn parse(path: &str) -> Route<'_> {
        let path = path.strip_suffix('/').unwrap_or(path);
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        match segments.as_slice() {
            ["events", slug] if !slug.is_empty() => Route::Event(slug),
            ["events", slug, "registrations"] if !slug.is_empty() => Route::Registrations(slug),
            ["events", slug, "join-url"] if !slug.is_empty() => Route::JoinUrl(slug),
            ["registrations", token] if !token.is_empty() => Route::Token(token),
            ["registrations", token, "cancel"] if !token.is_empty() => Route::Cancel(token),
            ["announcements", "sync"] => Route::AnnouncementsSync,
            ["discord", "interactions"] => Route::DiscordInteractions,
            ["suggestions"] => Route::Suggestions,
            ["suggestions", "taken"] => Route::SuggestionsTaken,
            _ => Route::Unknown,
        }
    }

    /// The route template, safe to log.
    fn name(&self) -> &'static str {
        match self {
            Route::Event(_) => "/events/{slug}",
            Route::Registrations(_) => "/events/{slug}/registrations",
            Route::JoinUrl(_) => "/events/{slug}/join-url",
            Route::Token(_) => "/registrations/{token}",
            Route::Cancel(_) => "/registrations/{token}/cancel",
            Route::AnnouncementsSync => "/announcements/sync",
            Route::DiscordInteractions => "/discord/interactions",
            Route::Suggestions => "/suggestions",
            Route::SuggestionsTaken => "/suggestions/taken",
            Route::Unknown => "unknown",
        }
    }

    fn allowed_methods(&self) -> &'static str {
        match self {
            Route::Event(_) | Route::Token(_) => "GET, HEAD, OPTIONS",
            Route::Registrations(_) => "GET, POST, OPTIONS",
            Route::JoinUrl(_) => "PUT, DELETE, OPTIONS",
            Route::Cancel(_)
            | Route::AnnouncementsSync
            | Route::DiscordInteractions
            | Route::SuggestionsTaken => "POST, OPTIONS",
            Route::Suggestions => "GET, HEAD, OPTIONS",
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

pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response<Bytes> {
    response(
        status,
        "application/json; charset=utf-8",
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

pub(crate) fn error(status: StatusCode, message: &str) -> Response<Bytes> {
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

/// Logs a failure of the store (or of writing an answer) and gives the 500 to answer.
fn internal(err: &dyn std::fmt::Display, what: &'static str) -> Response<Bytes> {
    tracing::error!(error = %err, "{what}");
    error(StatusCode::INTERNAL_SERVER_ERROR, MSG_INTERNAL)
}

/// 401 asking for the admin bearer token.
pub(crate) fn unauthorized() -> Response<Bytes> {
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

/// The route template of `path` (`/events/{slug}/registrations`, `unknown`), for logs that must
/// not carry the slug's token or any other value taken from the address.
pub fn route_template(path: &str) -> &'static str {
    Route::parse(path).name()
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
        // The application's bot when configured, else the webhook.
        let bot = &config.discord_app;
        let discord = match (&bot.bot_token, &bot.channel_id, &config.discord_webhook_url) {
            (Some(token), Some(channel), _) => Some(
                DiscordClient::bot(&bot.api_base, token, channel).map_err(|reason| {
                    ConfigError::Invalid {
                        var: "DISCORD_API_BASE",
                        reason,
                    }
                })?,
            ),
            (_, _, Some(url)) => {
                Some(
                    DiscordClient::new(url).map_err(|reason| ConfigError::Invalid {
                        var: "DISCORD_WEBHOOK_URL",
                        reason,
                    })?,
                )
            }
            _ => None,
        };
        let discord_app = DiscordApp::new(&config).map_err(|reason| ConfigError::Invalid {
            var: "DISCORD_PUBLIC_KEY",
            reason,
        })?;
        let postman = Mailer::new(&config.mail)?
            .map(|mailer| Postman::new(store.clone(), Arc::new(mailer), clock.clone()));
        Ok(App {
            inner: Arc::new(Inner {
                config,
                store,
                catalog,
                limiter,
                address_limiter: RateLimiter::per_address(),
                clock,
                discord,
                discord_app,
                postman,
            }),
        })
    }

    /// The configuration in force (validated).
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The folder where messages are written as `.eml` files, when they are.
    pub fn outbox_dir(&self) -> Option<&std::path::Path> {
        self.inner.postman.as_ref()?.mailer().files_dir()
    }

    /// Sends the outbox messages that are due (new, or whose retry time came). `None` when
    /// e-mail is off or the manifest is unavailable (then nothing can be composed).
    pub async fn deliver_outbox(&self) -> Option<DeliverySummary> {
        let postman = self.inner.postman.as_ref()?;
        let manifest = self.inner.catalog.manifest().await.ok()?;
        Some(postman.deliver_due(&manifest, usize::MAX).await)
    }

    /// Deletes the personal data of the events past their retention and follows events that
    /// moved ([`crate::retention::sweep`]). Logged (counts only); `None` when the manifest or
    /// the store failed, which the next run retries.
    pub async fn apply_retention(&self) -> Option<Swept> {
        let manifest = self.inner.catalog.manifest().await.ok()?;
        let days = self.inner.config.retention_days;
        match retention::sweep(self.inner.store.as_ref(), &manifest, days, self.now()).await {
            Ok(swept) => {
                if swept != Swept::default() {
                    tracing::info!(
                        moved = swept.moved,
                        events = swept.purged.events,
                        registrations = swept.purged.registrations,
                        "personal data past its retention deleted"
                    );
                }
                Some(swept)
            }
            Err(err) => {
                tracing::error!(error = %err, "retention sweep failed");
                None
            }
        }
    }

    /// The sync's e-mail part: records the reminders and change notices now due
    /// ([`fanout::enqueue`], cancellation links under `link_base`), then sends whatever the
    /// outbox holds that is due. `None` when e-mail is off.
    pub(crate) async fn mail_sync(
        &self,
        manifest: &Manifest,
        link_base: &str,
    ) -> Option<MailSyncSummary> {
        let postman = self.inner.postman.as_ref()?;
        let recorded = fanout::enqueue(&self.inner.store, manifest, self.now(), link_base).await;
        let delivered = postman.deliver_due(manifest, usize::MAX).await;
        Some(MailSyncSummary {
            delivered,
            recorded,
        })
    }

    /// [`App::mail_sync`] with the configured links, `None` also without a manifest: what a
    /// host runs on its own clock (serve's rounds, Lambda's scheduled event).
    pub async fn mail_round(&self) -> Option<MailSyncSummary> {
        let manifest = self.inner.catalog.manifest().await.ok()?;
        self.mail_sync(&manifest, &self.inner.config.public_api_url)
            .await
    }

    /// Runs [`App::mail_round`] and [`App::apply_retention`] every 20 seconds, for a
    /// long-running host (`classmates serve`); Lambda has its scheduled sync instead.
    pub fn spawn_outbox_retries(&self) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(RETRY_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                app.mail_round().await;
                app.apply_retention().await;
            }
        })
    }

    /// What the store needs to record the messages of a change made now, with cancellation
    /// links under `link_base`; `None` when e-mail is off.
    fn mailing<'a>(&self, link_base: &'a str) -> Option<Mailing<'a>> {
        self.inner.postman.as_ref().map(|_| Mailing {
            link_base,
            now: self.now(),
        })
    }

    /// After the join link of `slug` was set or changed: records it at once for the registered
    /// people already reminded (each once per link value, see [`fanout::enqueue_event`]) and
    /// sends it within the request's bounded wait; the next sync sends what is left.
    pub(crate) async fn send_join_link(&self, slug: &str, req: &Request<Bytes>) {
        let (Some(mailing), Ok(event)) = (
            self.mailing(self.link_base(req)),
            self.known_event(slug).await,
        ) else {
            return;
        };
        let mut summary = FanoutSummary::default();
        if let Err(err) =
            fanout::enqueue_event(&self.inner.store, &event, mailing, &mut summary).await
        {
            tracing::warn!(slug, error = %err, "join link not recorded, the next sync will");
            return;
        }
        if summary.join_links > 0 {
            self.send_soon(Soon::Due(summary.join_links as usize), &event.manifest)
                .await;
        }
    }

    /// Sends `what` before answering, within a bounded wait (nothing when e-mail is off).
    async fn send_soon(&self, what: Soon, manifest: &Arc<Manifest>) {
        if let Some(postman) = &self.inner.postman {
            postman.send_soon(what, manifest.clone()).await;
        }
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
            route = %route.name(),
            status = response.status().as_u16(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "request"
        );
        response
    }

    async fn dispatch(&self, route: &Route<'_>, req: &Request<Bytes>) -> Response<Bytes> {
        let method = req.method();
        let get = method == Method::GET || method == Method::HEAD;
        let answer = match *route {
            Route::Event(slug) if get => self.event_counts(slug).await,
            Route::Registrations(slug) if method == Method::POST => self.register(slug, req).await,
            Route::Registrations(slug) if method == Method::GET => {
                self.organiser_list(slug, req).await
            }
            Route::JoinUrl(slug) if method == Method::PUT => self.set_join_url(slug, req).await,
            Route::JoinUrl(slug) if method == Method::DELETE => {
                self.clear_join_url(slug, req).await
            }
            Route::Token(token) if get => self.cancel_page(token, req).await,
            Route::Cancel(token) if method == Method::POST => self.cancel(token, req).await,
            Route::AnnouncementsSync if method == Method::POST => {
                self.announcements_sync(req).await
            }
            Route::DiscordInteractions if method == Method::POST => {
                Ok(interactions::handle(self, req).await)
            }
            Route::Suggestions if get => Ok(suggestions::list(self, req).await),
            Route::SuggestionsTaken if method == Method::POST => {
                Ok(suggestions::take(self, req).await)
            }
            Route::Unknown => Err(error(StatusCode::NOT_FOUND, MSG_NOT_FOUND)),
            _ => Err(method_not_allowed(route)),
        };
        answer.unwrap_or_else(|refusal| refusal)
    }

    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        (self.inner.clock)()
    }

    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    pub(crate) fn discord_app(&self) -> &DiscordApp {
        &self.inner.discord_app
    }

    /// Whether one more registration attempt keyed `client` is allowed now (the rate limit of
    /// the form, for channels that identify their clients otherwise than by address).
    pub(crate) fn allow_attempt(&self, client: IpAddr) -> bool {
        self.inner.limiter.allow(client, self.now())
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

    /// The current manifest, or the 503 to answer.
    pub(crate) async fn manifest(&self) -> Result<Arc<Manifest>, Response<Bytes>> {
        self.inner.catalog.manifest().await.map_err(|err| {
            tracing::error!(error = %err, "events manifest unavailable");
            error(StatusCode::SERVICE_UNAVAILABLE, MSG_UNAVAILABLE)
        })
    }

    /// The event `slug` of the current manifest, or the answer to give: 503 without a manifest,
    /// 404 for an event it does not list.
    async fn known_event(&self, slug: &str) -> Result<KnownEvent, Response<Bytes>> {
        KnownEvent::find(self.manifest().await?, slug)
            .ok_or_else(|| error(StatusCode::NOT_FOUND, MSG_UNKNOWN_EVENT))
    }

    /// What the well-formed, live `token` stands for (`None`: malformed, unknown or cancelled),
    /// or the 500 to answer when the store fails.
    async fn registration_of(&self, token: &str) -> Result<Option<TokenInfo>, Response<Bytes>> {
        if !token::is_well_formed(token) {
            return Ok(None);
        }
        self.inner
            .store
            .find(token)
            .await
            .map_err(|err| internal(&err, "token look-up failed"))
    }

    /// `GET /events/{slug}`: public numbers, never names nor addresses.
    async fn event_counts(&self, slug: &str) -> Answer {
        let event = self.known_event(slug).await?;
        let counts = self
            .inner
            .store
            .counts(slug)
            .await
            .map_err(|err| internal(&err, "counting registrations failed"))?;
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
        Ok(response)
    }

    /// The cancellation link of `token`, under [`Config::public_api_url`].
    pub fn cancel_link(&self, token: &str) -> String {
        cancel_link_under(&self.inner.config.public_api_url, token)
    }

    /// The base of cancellation links for this request: its [`PublicBase`] when the host put
    /// one, else [`Config::public_api_url`].
    pub(crate) fn link_base<'r>(&'r self, req: &'r Request<Bytes>) -> &'r str {
        match req.extensions().get::<PublicBase>() {
            Some(PublicBase(base)) => base.trim_end_matches('/'),
            None => &self.inner.config.public_api_url,
        }
    }

    /// The cancellation link of `token` for this request (see [`App::link_base`]).
    pub(crate) fn cancel_url(&self, req: &Request<Bytes>, token: &str) -> String {
        cancel_link_under(self.link_base(req), token)
    }

    /// `GET /registrations/{token}`: the cancellation page.
    async fn cancel_page(&self, token: &str, req: &Request<Bytes>) -> Answer {
        let Some(info) = self.registration_of(token).await? else {
            return Ok(html_response(StatusCode::NOT_FOUND, html::not_found_page()));
        };
        // The page still works without the manifest, only less descriptive.
        let manifest = self.inner.catalog.manifest().await.ok();
        let event = manifest.as_ref().and_then(|m| m.event(&info.slug));
        let action = format!("{}/cancel", self.cancel_url(req, token));
        Ok(html_response(
            StatusCode::OK,
            html::cancel_page(event, &info, &action),
        ))
    }

    /// `POST /registrations/{token}/cancel`.
    async fn cancel(&self, token: &str, req: &Request<Bytes>) -> Answer {
        let json = accepts_json(req.headers());
        let not_found = || {
            if json {
                error(StatusCode::NOT_FOUND, MSG_TOKEN_UNKNOWN)
            } else {
                html_response(StatusCode::NOT_FOUND, html::not_found_page())
            }
        };
        let Some(info) = self.registration_of(token).await? else {
            return Err(not_found());
        };
        // The capacity decides who moves up: without the manifest, wait rather than guess.
        let manifest = self.manifest().await?;
        let event = manifest.event(&info.slug);
        // An event gone from the manifest promotes nobody.
        let capacity = event.map_or(Some(0), |e| e.capacity);
        let cancelled = self
            .inner
            .store
            .cancel(token, capacity, self.mailing(self.link_base(req)))
            .await
            .map_err(|err| internal(&err, "cancellation failed"))?
            .ok_or_else(not_found)?;
        tracing::info!(slug = %cancelled.slug, promoted = cancelled.promoted, "registration cancelled");
        if cancelled.promoted > 0 {
            self.send_soon(Soon::Due(cancelled.promoted as usize), &manifest)
                .await;
        }
        Ok(if json {
            json_response(StatusCode::OK, &json!({ "status": "cancelled" }))
        } else if let Some(event) = event {
            see_other(&result_location(&event.url, "cancelled", None, None))
        } else {
            html_response(StatusCode::OK, html::cancelled_page(None))
        })
    }

    /// `POST /announcements/sync` (admin token): records the reminders and change notices due and
    /// sends the e-mails of the outbox that are due (when e-mail is on: [`App::mail_sync`]), then the Discord announcements and reminders that are due. 200
    /// with the summary, 502 with the summary when some announcement failed (retried at the
    /// next sync), 503 without a webhook (after the e-mails, and unless e-mail is on: then 200
    /// with the e-mail part only).
    async fn announcements_sync(&self, req: &Request<Bytes>) -> Answer {
        if !self.authorized(req.headers()) {
            tracing::warn!("announcements sync refused: missing or wrong token");
            return Err(unauthorized());
        }
        self.sync(self.link_base(req)).await
    }

    /// What Lambda runs on the EventBridge schedule: exactly [`App::announcements_sync`]'s work
    /// (the e-mail part always, Discord's when configured), with the configured links
    /// ([`Config::public_api_url`]). Returns the status and body the route would answer.
    pub async fn scheduled_sync(&self) -> (StatusCode, Value) {
        let response = self
            .sync(&self.inner.config.public_api_url)
            .await
            .unwrap_or_else(|refusal| refusal);
        let body = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
        (response.status(), body)
    }

    /// The sync behind the route and the schedule, cancellation links under `link_base`.
    async fn sync(&self, link_base: &str) -> Answer {
        let manifest = self.manifest().await?;
        self.apply_retention().await;
        let mail = self.mail_sync(&manifest, link_base).await;
        let Some(discord) = &self.inner.discord else {
            return match mail {
                Some(mail) => Ok(json_response(
                    StatusCode::OK,
                    &json!({ "announced": [], "reminders": [], "failed": [], "discord": MSG_NO_WEBHOOK, "mail": mail }),
                )),
                None => Err(error(StatusCode::SERVICE_UNAVAILABLE, MSG_NO_WEBHOOK)),
            };
        };
        let mut summary =
            announcements::sync(&self.inner.store, discord, &manifest, &self.inner.clock).await;
        if let (true, Some(guild)) = (
            discord.posts_as_app(),
            &self.inner.config.discord_app.guild_id,
        ) {
            summary.scheduled_events = Some(
                crate::scheduled_events::sync(
                    &self.inner.store,
                    discord,
                    guild,
                    &manifest,
                    &self.inner.clock,
                )
                .await,
            );
        }
        tracing::info!(
            announced = summary.announced.len(),
            reminders = summary.reminders.len(),
            failed = summary.failed.len(),
            "announcements sync"
        );
        let scheduled_failed = summary
            .scheduled_events
            .as_ref()
            .is_some_and(|s| !s.failed.is_empty());
        let status = if summary.failed.is_empty() && !scheduled_failed {
            StatusCode::OK
        } else {
            StatusCode::BAD_GATEWAY
        };
        let mut body = json!(summary);
        if let Some(mail) = mail {
            body["mail"] = json!(mail);
        }
        Ok(json_response(status, &body))
    }
}

/// `{base}/registrations/{token}`.
fn cancel_link_under(base: &str, token: &str) -> String {
    format!("{base}/registrations/{token}")
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
        assert_eq!(Route::parse("/events/a/join-url"), Route::JoinUrl("a"));
        assert_eq!(Route::parse("/registrations/t"), Route::Token("t"));
        assert_eq!(Route::parse("/registrations/t/cancel"), Route::Cancel("t"));
        assert_eq!(
            Route::parse("/announcements/sync"),
            Route::AnnouncementsSync
        );
        assert_eq!(
            Route::parse("/discord/interactions"),
            Route::DiscordInteractions
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
}
