//! The function's state (`App`: settings, store, catalog, limits, Discord, outbox), built once
//! and shared; what every route asks of it (the manifest, an event, a registration, links).
use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};

use crate::catalog::Catalog;
use crate::clock::{Clock, system_clock};
use crate::config::{Config, ConfigError, StoreConfig};
use crate::discord::DiscordClient;
use crate::interactions::discord_app::DiscordApp;
use crate::mail::Mailer;
use crate::mail::fanout::{self, FanoutSummary};
use crate::mail::outbox::{DeliverySummary, Postman, RETRY_EVERY, Soon};
use crate::manifest::{Manifest, ManifestEvent};
use crate::ratelimit::RateLimiter;
use crate::retention::{self, Swept};
use crate::store::{Mailing, SqliteStore, Store, TokenInfo};
use crate::token;

use super::respond::*;

/// What the sync's e-mail part did (no personal data).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MailSyncSummary {
    /// The outbox round: `sent`, `retrying`, `failed`, `dropped`.
    #[serde(flatten)]
    pub delivered: DeliverySummary,
    /// What was recorded for the people of the events: `reminders`, `notices`, `failed`.
    pub recorded: FanoutSummary,
}

/// An event of the manifest in force, found by slug (it keeps that manifest alive).
pub(super) struct KnownEvent {
    pub(super) manifest: Arc<Manifest>,
    pub(super) index: usize,
}

impl KnownEvent {
    pub(super) fn find(manifest: Arc<Manifest>, slug: &str) -> Option<KnownEvent> {
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

/// The registrations function. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct App {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) config: Config,
    pub(super) store: Arc<dyn Store>,
    pub(super) catalog: Catalog,
    pub(super) limiter: RateLimiter,
    /// Attempts per e-mail address, all channels together.
    pub(super) address_limiter: RateLimiter<[u8; 32]>,
    pub(super) clock: Clock,
    /// Built once from `DISCORD_WEBHOOK_URL`, when set.
    pub(super) discord: Option<DiscordClient>,
    /// The Discord application (interactions), from `DISCORD_*`.
    pub(super) discord_app: DiscordApp,
    /// The outbox's sender, when e-mail is on.
    pub(super) postman: Option<Postman>,
}

/// `{base}/registrations/{token}`.
pub(super) fn cancel_link_under(base: &str, token: &str) -> String {
    format!("{base}/registrations/{token}")
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
    pub(super) fn mailing<'a>(&self, link_base: &'a str) -> Option<Mailing<'a>> {
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
    pub(super) async fn send_soon(&self, what: Soon, manifest: &Arc<Manifest>) {
        if let Some(postman) = &self.inner.postman {
            postman.send_soon(what, manifest.clone()).await;
        }
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

    /// The current manifest, or the 503 to answer.
    pub(crate) async fn manifest(&self) -> Result<Arc<Manifest>, Response<Bytes>> {
        self.inner.catalog.manifest().await.map_err(|err| {
            tracing::error!(error = %err, "events manifest unavailable");
            error(StatusCode::SERVICE_UNAVAILABLE, MSG_UNAVAILABLE)
        })
    }

    /// The event `slug` of the current manifest, or the answer to give: 503 without a manifest,
    /// 404 for an event it does not list.
    pub(super) async fn known_event(&self, slug: &str) -> Result<KnownEvent, Response<Bytes>> {
        KnownEvent::find(self.manifest().await?, slug)
            .ok_or_else(|| error(StatusCode::NOT_FOUND, MSG_UNKNOWN_EVENT))
    }

    /// What the well-formed, live `token` stands for (`None`: malformed, unknown or cancelled),
    /// or the 500 to answer when the store fails.
    pub(super) async fn registration_of(
        &self,
        token: &str,
    ) -> Result<Option<TokenInfo>, Response<Bytes>> {
        if !token::is_well_formed(token) {
            return Ok(None);
        }
        self.inner
            .store
            .find(token)
            .await
            .map_err(|err| internal(&err, "token look-up failed"))
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
}
