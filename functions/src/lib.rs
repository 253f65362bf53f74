//! The registrations function: takes webinar registrations from the event pages and posts
//! announcements to Discord. The same handler runs in Lambda, under `classmates serve` and in tests.
//!
//! Entry points:
//! - [`Config`] (from the environment with [`Config::from_env`], or built in code with
//!   [`Config::new`]) and [`App::from_config`], which opens the configured [`Store`];
//! - [`App::handle`], which answers one request whose path is relative to the function base
//!   (`/events/{slug}`, not `/api/events/{slug}`). The caller may put a [`ClientIp`] in the
//!   request extensions; it is used for rate limiting;
//! - `POST /announcements/sync` ([`announcements`]): the Discord announcements and reminders
//!   that are due, each sent once ([`discord`] is the webhook client);
//! - `POST /discord/interactions` ([`interactions`]): the Discord application (commands,
//!   buttons, forms), every request verified with the application's public key.
//! - e-mail ([`mail`]): each registration's confirmation and each promotion is recorded in the
//!   store's outbox with the change, then sent by SMTP (or written as `.eml` files under
//!   `classmates serve`), never lost, never twice.

pub mod announcements;
pub mod app;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod discord;
mod html;
pub mod ical;
pub mod interactions;
pub mod links;
pub mod mail;
pub mod manifest;
mod ratelimit;
pub mod retention;
pub mod scheduled_events;
pub mod store;
pub mod suggestions;
pub mod token;
pub mod validation;

pub use app::{App, ClientIp, MAX_BODY_BYTES, MailSyncSummary, PublicBase, route_template};
pub use interactions::MAX_INTERACTION_BYTES;

/// Largest body any route accepts (each route then applies its own limit and answers 413): what
/// a front end such as `classmates serve` must read before calling [`App::handle`].
pub const MAX_REQUEST_BYTES: usize = if MAX_INTERACTION_BYTES > MAX_BODY_BYTES {
    MAX_INTERACTION_BYTES
} else {
    MAX_BODY_BYTES
};
pub use clock::{Clock, system_clock};
pub use config::{Config, ConfigError, MailConfig, MailTransport, ManifestSource, StoreConfig};
pub use store::{Store, StoreError};
