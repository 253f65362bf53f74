//! Configuration of the function: read once from environment variables at start (Lambda) or
//! built in code (`classmates serve`, tests), and checked before any request is served.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use thiserror::Error;

/// Default `STORE`: a SQLite file in the working directory's `.classmates` folder.
pub const DEFAULT_STORE: &str = "sqlite:.classmates/registrations.sqlite3";
/// Default `RATE_LIMIT`: registration attempts per minute and client.
pub const DEFAULT_RATE_LIMIT: u32 = 10;
/// Default `PUBLIC_API_URL`: where `classmates serve` mounts the function.
pub const DEFAULT_PUBLIC_API_URL: &str = "/api";
/// How long a manifest fetched over HTTP is trusted before it is fetched again.
pub const DEFAULT_MANIFEST_TTL: Duration = Duration::from_secs(60);
/// Days the personal data of an event is kept after it ends (`RETENTION_DAYS`).
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
/// The longest retention `RETENTION_DAYS` accepts: ten years.
const MAX_RETENTION_DAYS: u32 = 3650;
/// Shortest accepted `ADMIN_TOKEN`: it guards personal data.
pub const MIN_ADMIN_TOKEN_LEN: usize = 16;
/// Default `DISCORD_API_BASE`: Discord's REST API, version 10.
pub const DEFAULT_DISCORD_API_BASE: &str = "https://discord.com/api/v10";

/// A configuration problem found at start; the message names the variable.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("missing environment variable {0}")]
    Missing(&'static str),
    #[error("invalid {var}: {reason}")]
    Invalid { var: &'static str, reason: String },
    #[error("STORE={0} needs classmates-api built with the `dynamodb` feature")]
    DynamoDbDisabled(String),
    #[error("cannot open the store ({store}): {reason}")]
    Store { store: String, reason: String },
}

/// Where the events manifest comes from (`EVENTS_MANIFEST`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestSource {
    /// Fetched over HTTP(S) and cached for [`Config::manifest_ttl`].
    Url(String),
    /// Read from disk and read again whenever its modification time or size changes. Either the
    /// manifest file itself or a built site's root folder (then `evenements/index.json` inside).
    Path(PathBuf),
}

impl ManifestSource {
    /// `http://…` and `https://…` are URLs, anything else is a path.
    pub fn parse(value: &str) -> ManifestSource {
        let value = value.trim();
        let lower = value.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            ManifestSource::Url(value.to_owned())
        } else {
            ManifestSource::Path(PathBuf::from(value))
        }
    }
}

/// Which store keeps the registrations (`STORE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// `sqlite:PATH`: an embedded SQLite database file (created with its folder if missing).
    Sqlite(PathBuf),
    /// `dynamodb:TABLE`: a DynamoDB table (feature `dynamodb`), credentials and region from the
    /// usual AWS environment.
    DynamoDb { table: String },
}

impl StoreConfig {
    /// Parses `sqlite:PATH` or `dynamodb:TABLE`.
    pub fn parse(value: &str) -> Result<StoreConfig, ConfigError> {
        let invalid = |reason: &str| ConfigError::Invalid {
            var: "STORE",
            reason: reason.to_owned(),
        };
        if let Some(path) = value.strip_prefix("sqlite:") {
            if path.trim().is_empty() {
                return Err(invalid("expected sqlite:PATH with a non-empty path"));
            }
            Ok(StoreConfig::Sqlite(PathBuf::from(path)))
        } else if let Some(table) = value.strip_prefix("dynamodb:") {
            let valid = (3..=255).contains(&table.len())
                && table
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
            if !valid {
                return Err(invalid(
                    "expected dynamodb:TABLE with a valid DynamoDB table name",
                ));
            }
            Ok(StoreConfig::DynamoDb {
                table: table.to_owned(),
            })
        } else {
            Err(invalid("expected sqlite:PATH or dynamodb:TABLE"))
        }
    }
}

/// How e-mails leave (`SMTP_URL`).
#[derive(Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// No e-mail: nothing is recorded in the outbox (Lambda without `SMTP_URL`).
    Off,
    /// `SMTP_URL`: `smtp://[user:password@]host:port` (`?tls=required` for STARTTLS) or
    /// `smtps://…` (implicit TLS). A secret: never logged.
    Smtp(String),
    /// Each message written as an `.eml` file in this folder (`classmates serve` without
    /// `SMTP_URL`).
    Files(PathBuf),
}

/// The e-mail settings.
#[derive(Clone)]
pub struct MailConfig {
    pub transport: MailTransport,
    /// `MAIL_FROM`: `Name <address>` or an address; required with `SMTP_URL`.
    pub from: Option<String>,
    /// `MAIL_REPLY_TO`: the organisers' address, optional.
    pub reply_to: Option<String>,
}

/// `From` of the `.eml` files written without `MAIL_FROM`.
pub const LOCAL_FROM: &str = "PythonClassmates <inscriptions@localhost>";

impl MailConfig {
    /// The sender and reply-to addresses, checked (and the SMTP URL, without connecting
    /// anywhere); `None` when e-mail is off.
    pub fn addresses(&self) -> Result<Option<(Mailbox, Option<Mailbox>)>, ConfigError> {
        let from = match (&self.transport, &self.from) {
            (MailTransport::Off, _) => return Ok(None),
            (_, Some(from)) => mailbox("MAIL_FROM", from)?,
            (MailTransport::Smtp(_), None) => return Err(ConfigError::Missing("MAIL_FROM")),
            (MailTransport::Files(_), None) => mailbox("MAIL_FROM", LOCAL_FROM)?,
        };
        let reply_to = match &self.reply_to {
            Some(reply_to) => Some(mailbox("MAIL_REPLY_TO", reply_to)?),
            None => None,
        };
        if let MailTransport::Smtp(url) = &self.transport {
            smtp_builder(url)?;
        }
        Ok(Some((from, reply_to)))
    }
}

/// The address `value` of the setting `var`.
fn mailbox(var: &'static str, value: &str) -> Result<Mailbox, ConfigError> {
    value.parse().map_err(|_| ConfigError::Invalid {
        var,
        reason: "expected an address or `Name <address>`".to_owned(),
    })
}

/// The SMTP transport of `SMTP_URL`, not connected yet.
pub fn smtp_builder(
    url: &str,
) -> Result<lettre::transport::smtp::AsyncSmtpTransportBuilder, ConfigError> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url.trim()).map_err(|_| ConfigError::Invalid {
        var: "SMTP_URL",
        // The value may hold a password: not repeated.
        reason: "expected smtp://[user:password@]host:port[?tls=required] or smtps://…".to_owned(),
    })
}

impl Default for MailConfig {
    fn default() -> MailConfig {
        MailConfig {
            transport: MailTransport::Off,
            from: None,
            reply_to: None,
        }
    }
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let transport = match &self.transport {
            MailTransport::Off => "off".to_owned(),
            MailTransport::Smtp(_) => "smtp <hidden>".to_owned(),
            MailTransport::Files(dir) => format!("files in {}", dir.display()),
        };
        f.debug_struct("MailConfig")
            .field("transport", &transport)
            .field("from", &self.from)
            .field("reply_to", &self.reply_to)
            .finish()
    }
}

/// Everything the function needs to know at start. Its `Debug` form hides the secrets.
#[derive(Clone)]
pub struct Config {
    /// `ADMIN_TOKEN`: bearer token for the organisers' list (at least 16 characters).
    pub admin_token: String,
    /// `DISCORD_WEBHOOK_URL`: the Discord webhook that `POST /announcements/sync` posts to
    /// (optional: without it that route answers 503). A secret: never logged.
    pub discord_webhook_url: Option<String>,
    /// `EVENTS_MANIFEST`: URL or path of the events manifest.
    pub events_manifest: ManifestSource,
    /// `ALLOWED_ORIGIN`: the one origin allowed by CORS (`https://example.org`); `None` when the
    /// pages and the function share an origin (`classmates serve`). Required in Lambda.
    pub allowed_origin: Option<String>,
    /// `STORE`.
    pub store: StoreConfig,
    /// `RATE_LIMIT`: registration attempts per minute and client IP; 0 disables the limit.
    pub rate_limit: u32,
    /// `PUBLIC_API_URL`: public base of the function, absolute or root-relative, without a
    /// trailing slash; used to build `cancel_url`.
    pub public_api_url: String,
    /// How long a manifest fetched from a URL is cached.
    pub manifest_ttl: Duration,
    /// `RETENTION_DAYS`: the registrations of an event (names, addresses, the messages about
    /// them) are deleted this many days after it ends.
    pub retention_days: u32,
    /// The Discord application (all optional; see [`DiscordAppConfig`]).
    pub discord_app: DiscordAppConfig,
    /// `SMTP_URL`, `MAIL_FROM`, `MAIL_REPLY_TO`.
    pub mail: MailConfig,
}

/// The Discord application answering interactions over HTTP (`POST /discord/interactions`)
/// and, with a bot token, posting through Discord's REST API. Every field is optional: a feature
/// whose settings are missing answers 503 saying which variable to set.
#[derive(Clone, PartialEq, Eq)]
pub struct DiscordAppConfig {
    /// `DISCORD_PUBLIC_KEY`: the application's Ed25519 public key (64 hex digits), which
    /// verifies every interaction.
    pub public_key: Option<String>,
    /// `DISCORD_APPLICATION_ID`.
    pub application_id: Option<String>,
    /// `DISCORD_BOT_TOKEN`: a secret, never logged.
    pub bot_token: Option<String>,
    /// `DISCORD_GUILD_ID`: the server whose commands and scheduled events the app manages.
    pub guild_id: Option<String>,
    /// `DISCORD_CHANNEL_ID`: where the app posts the announcements.
    pub channel_id: Option<String>,
    /// `DISCORD_API_BASE` (default [`DEFAULT_DISCORD_API_BASE`]), without a trailing slash.
    pub api_base: String,
}

impl Default for DiscordAppConfig {
    fn default() -> DiscordAppConfig {
        DiscordAppConfig {
            public_key: None,
            application_id: None,
            bot_token: None,
            guild_id: None,
            channel_id: None,
            api_base: DEFAULT_DISCORD_API_BASE.to_owned(),
        }
    }
}

impl std::fmt::Debug for DiscordAppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscordAppConfig")
            .field("public_key", &self.public_key)
            .field("application_id", &self.application_id)
            .field(
                "bot_token",
                &if self.bot_token.is_some() {
                    "<hidden>"
                } else {
                    "<unset>"
                },
            )
            .field("guild_id", &self.guild_id)
            .field("channel_id", &self.channel_id)
            .field("api_base", &self.api_base)
            .finish()
    }
}

impl DiscordAppConfig {
    /// Checks the formats (hex key, numeric ids, http(s) base) and trims the base's slash.
    fn validate(&mut self) -> Result<(), ConfigError> {
        if let Some(key) = &self.public_key {
            let valid = key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
            if !valid {
                return Err(ConfigError::Invalid {
                    var: "DISCORD_PUBLIC_KEY",
                    reason: "expected the application's public key: 64 hexadecimal digits"
                        .to_owned(),
                });
            }
        }
        for (var, value) in [
            ("DISCORD_APPLICATION_ID", &self.application_id),
            ("DISCORD_GUILD_ID", &self.guild_id),
            ("DISCORD_CHANNEL_ID", &self.channel_id),
        ] {
            if let Some(id) = value {
                if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ConfigError::Invalid {
                        var,
                        reason: "expected a Discord id (digits only)".to_owned(),
                    });
                }
            }
        }
        if let Some(token) = &self.bot_token {
            // Not repeated in the message: it is a secret.
            if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(ConfigError::Invalid {
                    var: "DISCORD_BOT_TOKEN",
                    reason:
                        "the token must not contain spaces (give the token alone, without \"Bot \")"
                            .to_owned(),
                });
            }
        }
        let base = self.api_base.trim().trim_end_matches('/').to_owned();
        let valid = reqwest::Url::parse(&base)
            .is_ok_and(|url| matches!(url.scheme(), "https" | "http") && url.host_str().is_some());
        if !valid {
            return Err(ConfigError::Invalid {
                var: "DISCORD_API_BASE",
                reason: "expected an http(s) URL such as https://discord.com/api/v10".to_owned(),
            });
        }
        self.api_base = base;
        Ok(())
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |set: bool| if set { "<hidden>" } else { "<unset>" };
        f.debug_struct("Config")
            .field("admin_token", &hidden(true))
            .field(
                "discord_webhook_url",
                &hidden(self.discord_webhook_url.is_some()),
            )
            .field("events_manifest", &self.events_manifest)
            .field("allowed_origin", &self.allowed_origin)
            .field("store", &self.store)
            .field("rate_limit", &self.rate_limit)
            .field("public_api_url", &self.public_api_url)
            .field("manifest_ttl", &self.manifest_ttl)
            .field("retention_days", &self.retention_days)
            .field("discord_app", &self.discord_app)
            .field("mail", &self.mail)
            .finish()
    }
}

impl Config {
    /// A configuration with the defaults for everything but the two required values.
    pub fn new(admin_token: impl Into<String>, events_manifest: ManifestSource) -> Config {
        Config {
            admin_token: admin_token.into(),
            discord_webhook_url: None,
            events_manifest,
            allowed_origin: None,
            store: StoreConfig::Sqlite(PathBuf::from(&DEFAULT_STORE["sqlite:".len()..])),
            rate_limit: DEFAULT_RATE_LIMIT,
            public_api_url: DEFAULT_PUBLIC_API_URL.to_owned(),
            manifest_ttl: DEFAULT_MANIFEST_TTL,
            retention_days: DEFAULT_RETENTION_DAYS,
            discord_app: DiscordAppConfig::default(),
            mail: MailConfig::default(),
        }
    }

    /// Reads the process environment. `ALLOWED_ORIGIN` is required when running in Lambda
    /// (`AWS_LAMBDA_FUNCTION_NAME` is set).
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_vars(|name| std::env::var(name).ok())
    }

    /// Same as [`Config::from_env`] with variables looked up through `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let admin_token = get("ADMIN_TOKEN").ok_or(ConfigError::Missing("ADMIN_TOKEN"))?;
        let manifest = get("EVENTS_MANIFEST").ok_or(ConfigError::Missing("EVENTS_MANIFEST"))?;
        let mut config = Config::new(admin_token, ManifestSource::parse(&manifest));
        config.discord_webhook_url = get("DISCORD_WEBHOOK_URL");
        config.allowed_origin = get("ALLOWED_ORIGIN");
        if config.allowed_origin.is_none() && get("AWS_LAMBDA_FUNCTION_NAME").is_some() {
            return Err(ConfigError::Missing("ALLOWED_ORIGIN"));
        }
        if let Some(store) = get("STORE") {
            config.store = StoreConfig::parse(&store)?;
        }
        if let Some(limit) = get("RATE_LIMIT") {
            config.rate_limit = limit.parse().map_err(|_| ConfigError::Invalid {
                var: "RATE_LIMIT",
                reason: "expected a whole number of attempts per minute (0 disables)".to_owned(),
            })?;
        }
        if let Some(days) = get("RETENTION_DAYS") {
            config.retention_days = days
                .parse()
                .ok()
                .filter(|days| *days <= MAX_RETENTION_DAYS)
                .ok_or_else(|| ConfigError::Invalid {
                    var: "RETENTION_DAYS",
                    reason: format!(
                        "expected a whole number of days after the event, 0 to {MAX_RETENTION_DAYS}"
                    ),
                })?;
        }
        if let Some(url) = get("PUBLIC_API_URL") {
            config.public_api_url = url;
        }
        config.discord_app = DiscordAppConfig {
            public_key: get("DISCORD_PUBLIC_KEY").map(|k| k.to_ascii_lowercase()),
            application_id: get("DISCORD_APPLICATION_ID"),
            bot_token: get("DISCORD_BOT_TOKEN"),
            guild_id: get("DISCORD_GUILD_ID"),
            channel_id: get("DISCORD_CHANNEL_ID"),
            api_base: get("DISCORD_API_BASE")
                .unwrap_or_else(|| DEFAULT_DISCORD_API_BASE.to_owned()),
        };
        if let Some(url) = get("SMTP_URL") {
            config.mail.transport = MailTransport::Smtp(url);
        }
        config.mail.from = get("MAIL_FROM");
        config.mail.reply_to = get("MAIL_REPLY_TO");
        config.validate()?;
        Ok(config)
    }

    /// Checks values that [`Config::new`] and field assignments cannot check, and normalises
    /// `public_api_url` and `allowed_origin` (no trailing slash).
    pub fn validate(&mut self) -> Result<(), ConfigError> {
        if self.admin_token.trim().chars().count() < MIN_ADMIN_TOKEN_LEN {
            return Err(ConfigError::Invalid {
                var: "ADMIN_TOKEN",
                reason: format!("must be at least {MIN_ADMIN_TOKEN_LEN} characters long"),
            });
        }
        let base = self.public_api_url.trim().trim_end_matches('/').to_owned();
        let absolute = base.starts_with("https://") || base.starts_with("http://");
        if !(absolute || base.is_empty() || base.starts_with('/')) || base.starts_with("//") {
            return Err(ConfigError::Invalid {
                var: "PUBLIC_API_URL",
                reason: "expected an absolute http(s) URL or a path starting with /".to_owned(),
            });
        }
        self.public_api_url = base;
        if let Some(origin) = &self.allowed_origin {
            let origin = origin.trim().trim_end_matches('/').to_owned();
            if !is_origin(&origin) {
                return Err(ConfigError::Invalid {
                    var: "ALLOWED_ORIGIN",
                    reason:
                        "expected one origin such as https://example.org (no wildcard, no path)"
                            .to_owned(),
                });
            }
            self.allowed_origin = Some(origin);
        }
        if let Some(webhook) = &self.discord_webhook_url {
            let valid = reqwest::Url::parse(webhook.trim()).is_ok_and(|url| {
                matches!(url.scheme(), "https" | "http") && url.host_str().is_some()
            });
            if !valid {
                // The value is a secret: not repeated in the message.
                return Err(ConfigError::Invalid {
                    var: "DISCORD_WEBHOOK_URL",
                    reason: "expected the webhook's https:// URL".to_owned(),
                });
            }
        }
        self.discord_app.validate()?;
        self.mail.addresses()?;
        if let ManifestSource::Url(url) = &self.events_manifest {
            if reqwest::Url::parse(url).is_err() {
                return Err(ConfigError::Invalid {
                    var: "EVENTS_MANIFEST",
                    reason: "not a valid URL".to_owned(),
                });
            }
        }
        Ok(())
    }

    /// The path part of `public_api_url` (`/api` for both `/api` and `https://x.org/api`), which
    /// a front end strips from incoming paths before calling [`crate::App::handle`].
    pub fn base_path(&self) -> &str {
        let url = self.public_api_url.as_str();
        match url.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
            None => url,
        }
    }
}

/// `scheme://host[:port]` with nothing after.
fn is_origin(value: &str) -> bool {
    let Some((scheme, rest)) = value.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn reads_defaults_and_values() {
        let config = Config::from_vars(vars(&[
            ("ADMIN_TOKEN", "0123456789abcdef"),
            ("EVENTS_MANIFEST", "public"),
        ]))
        .unwrap();
        assert_eq!(
            config.store,
            StoreConfig::Sqlite(".classmates/registrations.sqlite3".into())
        );
        assert_eq!(config.rate_limit, 10);
        assert_eq!(config.retention_days, 30);
        assert_eq!(config.public_api_url, "/api");
        assert_eq!(config.base_path(), "/api");
        assert_eq!(
            config.events_manifest,
            ManifestSource::Path("public".into())
        );

        let config = Config::from_vars(vars(&[
            ("ADMIN_TOKEN", "0123456789abcdef"),
            (
                "EVENTS_MANIFEST",
                "https://example.org/evenements/index.json",
            ),
            ("STORE", "dynamodb:classmates"),
            ("RATE_LIMIT", "0"),
            ("RETENTION_DAYS", "7"),
            ("PUBLIC_API_URL", "https://api.example.org/prod/"),
            ("ALLOWED_ORIGIN", "https://example.org/"),
        ]))
        .unwrap();
        assert_eq!(
            config.store,
            StoreConfig::DynamoDb {
                table: "classmates".into()
            }
        );
        assert_eq!(config.rate_limit, 0);
        assert_eq!(config.retention_days, 7);
        assert_eq!(config.public_api_url, "https://api.example.org/prod");
        assert_eq!(config.base_path(), "/prod");
        assert_eq!(
            config.allowed_origin.as_deref(),
            Some("https://example.org")
        );
        assert!(matches!(config.events_manifest, ManifestSource::Url(_)));
        let mut config = config;
        config.discord_webhook_url = Some("https://discord.com/api/webhooks/1/secret".into());
        config.discord_app.bot_token = Some("bot-secret".into());
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("secret") && !debug.contains("0123456789abcdef"),
            "{debug}"
        );
    }

    #[test]
    fn errors_name_the_variable() {
        let err = Config::from_vars(vars(&[("EVENTS_MANIFEST", "x")])).unwrap_err();
        assert!(err.to_string().contains("ADMIN_TOKEN"));
        let err = Config::from_vars(vars(&[("ADMIN_TOKEN", "0123456789abcdef")])).unwrap_err();
        assert!(err.to_string().contains("EVENTS_MANIFEST"));
        let base = [
            ("ADMIN_TOKEN", "0123456789abcdef"),
            ("EVENTS_MANIFEST", "x"),
        ];
        for (var, value) in [
            ("STORE", "postgres:x"),
            ("RATE_LIMIT", "ten"),
            ("RETENTION_DAYS", "-1"),
            ("RETENTION_DAYS", "4000"),
            ("PUBLIC_API_URL", "api"),
            ("ALLOWED_ORIGIN", "*"),
            ("ADMIN_TOKEN", "short"),
            ("DISCORD_WEBHOOK_URL", "discord.com/api/webhooks/1/secret"),
            ("DISCORD_PUBLIC_KEY", "not-hex"),
            ("DISCORD_APPLICATION_ID", "app"),
            ("DISCORD_GUILD_ID", "12a"),
            ("DISCORD_CHANNEL_ID", "-1"),
            ("DISCORD_BOT_TOKEN", "Bot secret"),
            ("DISCORD_API_BASE", "discord.com/api"),
        ] {
            let mut pairs = base.to_vec();
            pairs.retain(|(k, _)| *k != var);
            pairs.push((var, value));
            let err = Config::from_vars(vars(&pairs)).unwrap_err();
            assert!(err.to_string().contains(var), "{err}");
            assert!(!err.to_string().contains("secret"), "{err}");
        }
        let mut pairs = base.to_vec();
        pairs.push(("AWS_LAMBDA_FUNCTION_NAME", "registrations"));
        let err = Config::from_vars(vars(&pairs)).unwrap_err();
        assert!(err.to_string().contains("ALLOWED_ORIGIN"));
    }
}
