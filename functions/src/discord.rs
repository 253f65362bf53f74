//! Discord client for the announcements, and the message types it sends, kept within Discord's
//! documented limits: through an incoming webhook ("Execute Webhook", `POST
//! {webhook}?wait=true&with_components=true`), or, with the application's bot, in a channel
//! ("Create Message", `POST {api}/channels/{channel}/messages`, `Authorization: Bot …`).
//!
//! - Buttons: a webhook that no application owns can carry link buttons only; the bot's
//!   messages carry the « S'inscrire » button that opens the registration form.
//!
//! - Every message carries `allowed_mentions: {"parse": []}`: nothing in it (an event title
//!   saying `@everyone`, say) can ever ping anyone.
//! - Text is cut to the limits of the `IncomingWebhookRequestPartial` and `RichEmbed` schemas of
//!   Discord's OpenAPI description (content 2000, 10 embeds, title 256, description 4096, 25
//!   fields, field name 256 and value 1024, footer 2048, author name 256) and to 6000 characters
//!   in all across a message's embeds, on character boundaries, with "…".
//! - Rate limits: a 429 is waited out (`retry_after` from the JSON body, else `Retry-After`) and
//!   retried a bounded number of times; after a response saying `X-RateLimit-Remaining: 0`, the
//!   next request waits `X-RateLimit-Reset-After`.
//! - The webhook URL holds a secret token: it never appears in errors or logs.

use std::time::Duration;

use serde::Serialize;
use thiserror::Error;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// How long a claim to post on Discord (an announcement, a guild scheduled event) is held
/// before another sync may take it over. A send takes at most a few rate-limited attempts of
/// 10 s each, so a live claim is never taken over.
pub const CLAIM_LEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// Discord's limits, in characters (Unicode scalar values).
pub mod limits {
    pub const CONTENT: usize = 2000;
    pub const EMBEDS: usize = 10;
    pub const TITLE: usize = 256;
    pub const DESCRIPTION: usize = 4096;
    pub const FIELDS: usize = 25;
    pub const FIELD_NAME: usize = 256;
    pub const FIELD_VALUE: usize = 1024;
    pub const FOOTER_TEXT: usize = 2048;
    pub const AUTHOR_NAME: usize = 256;
    /// Title, description, field names and values, footer text and author name of all the
    /// embeds of one message, together.
    pub const EMBEDS_TOTAL: usize = 6000;
    /// Longest URL in an embed.
    pub const URL: usize = 2048;
    /// Button label, custom_id, link button URL.
    pub const BUTTON_LABEL: usize = 80;
    pub const CUSTOM_ID: usize = 100;
    pub const BUTTON_URL: usize = 512;
}

/// A button (component type 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Button {
    #[serde(rename = "type")]
    kind: u8,
    /// 1 primary (answers with an interaction), 5 link.
    style: u8,
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

impl Button {
    /// A button that sends the app an interaction naming `custom_id` (at most 100 characters:
    /// `None` beyond).
    pub fn interactive(label: &str, custom_id: String) -> Option<Button> {
        (custom_id.chars().count() <= limits::CUSTOM_ID).then(|| Button {
            kind: 2,
            style: 1,
            label: truncate(label, limits::BUTTON_LABEL),
            custom_id: Some(custom_id),
            url: None,
        })
    }

    /// A button opening `url` (an http(s) URL of at most 512 characters: `None` otherwise).
    pub fn link(label: &str, url: &str) -> Option<Button> {
        let valid = (url.starts_with("https://") || url.starts_with("http://"))
            && url.len() <= limits::BUTTON_URL;
        valid.then(|| Button {
            kind: 2,
            style: 5,
            label: truncate(label, limits::BUTTON_LABEL),
            custom_id: None,
            url: Some(url.to_owned()),
        })
    }
}

/// A row of buttons (component type 1, at most 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionRow {
    #[serde(rename = "type")]
    kind: u8,
    components: Vec<Button>,
}

impl ActionRow {
    pub fn new(buttons: impl IntoIterator<Item = Button>) -> ActionRow {
        ActionRow {
            kind: 1,
            components: buttons.into_iter().take(5).collect(),
        }
    }
}

/// Longest wait for one HTTP exchange with Discord.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per message when Discord answers 429.
pub const MAX_ATTEMPTS: u32 = 4;
/// Longest rate-limit wait accepted; a longer one fails the send (retried at the next sync)
/// rather than holding the function.
pub const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(15);

const ELLIPSIS: char = '…';

/// `text` cut to at most `max` characters, ending with "…" when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push(ELLIPSIS);
    out
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// The `allowed_mentions` object. Only the empty form is ever built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllowedMentions {
    parse: [&'static str; 0],
}

impl AllowedMentions {
    /// Pings nobody, whatever the text says.
    pub const NONE: AllowedMentions = AllowedMentions { parse: [] };
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmbedField {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmbedFooter {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmbedAuthor {
    pub name: String,
}

/// A rich embed (the subset this project uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Embed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// 0xRRGGBB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<u32>,
    /// RFC 3339; Discord shows it in each reader's time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<EmbedAuthor>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<EmbedField>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub footer: Option<EmbedFooter>,
}

impl Embed {
    /// Characters counted against [`limits::EMBEDS_TOTAL`].
    pub fn total_chars(&self) -> usize {
        self.title.as_deref().map_or(0, chars)
            + self.description.as_deref().map_or(0, chars)
            + self
                .fields
                .iter()
                .map(|f| chars(&f.name) + chars(&f.value))
                .sum::<usize>()
            + self.footer.as_ref().map_or(0, |f| chars(&f.text))
            + self.author.as_ref().map_or(0, |a| chars(&a.name))
    }

    /// Cuts every part to its own limit, drops fields past the 25th and a URL Discord would
    /// refuse, and empties nothing that must not be empty (field names and values).
    fn fit_parts(&mut self) {
        let cut = |text: &mut String, max: usize| {
            if chars(text) > max {
                *text = truncate(text, max);
            }
        };
        if let Some(title) = &mut self.title {
            cut(title, limits::TITLE);
        }
        if let Some(description) = &mut self.description {
            cut(description, limits::DESCRIPTION);
        }
        if self
            .url
            .as_deref()
            .is_some_and(|url| url.len() > limits::URL)
        {
            self.url = None;
        }
        self.fields.truncate(limits::FIELDS);
        for field in &mut self.fields {
            if field.name.trim().is_empty() {
                field.name = "\u{200b}".to_owned();
            }
            if field.value.trim().is_empty() {
                field.value = "\u{200b}".to_owned();
            }
            cut(&mut field.name, limits::FIELD_NAME);
            cut(&mut field.value, limits::FIELD_VALUE);
        }
        if let Some(footer) = &mut self.footer {
            cut(&mut footer.text, limits::FOOTER_TEXT);
        }
        if let Some(author) = &mut self.author {
            cut(&mut author.name, limits::AUTHOR_NAME);
        }
    }

    /// Shrinks the embed to at most `budget` counted characters: the description first, then
    /// field values (last first), the footer, the author, field names, the title. Returns false
    /// when even the shortest form does not fit.
    fn shrink_to(&mut self, budget: usize) -> bool {
        let mut excess = self.total_chars().saturating_sub(budget);
        // Cuts `text` by up to `excess` characters, keeping at least `keep`.
        let mut shrink = |text: &mut String, keep: usize| {
            if excess == 0 {
                return;
            }
            let len = chars(text);
            let target = len.saturating_sub(excess).max(keep.min(len));
            if target < len {
                *text = truncate(text, target);
                excess -= len - target;
            }
        };
        if let Some(description) = &mut self.description {
            shrink(description, 0);
        }
        for field in self.fields.iter_mut().rev() {
            shrink(&mut field.value, 1);
        }
        if let Some(footer) = &mut self.footer {
            shrink(&mut footer.text, 0);
        }
        if let Some(author) = &mut self.author {
            shrink(&mut author.name, 0);
        }
        for field in self.fields.iter_mut().rev() {
            shrink(&mut field.name, 1);
        }
        if let Some(title) = &mut self.title {
            shrink(title, 1);
        }
        if self.description.as_deref() == Some("") {
            self.description = None;
        }
        if self.footer.as_ref().is_some_and(|f| f.text.is_empty()) {
            self.footer = None;
        }
        if self.author.as_ref().is_some_and(|a| a.name.is_empty()) {
            self.author = None;
        }
        self.total_chars() <= budget
    }
}

/// The JSON body of "Execute Webhook".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookMessage {
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    embeds: Vec<Embed>,
    allowed_mentions: AllowedMentions,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<ActionRow>,
}

impl WebhookMessage {
    /// A message within Discord's limits, pinging nobody: `content` is cut to 2000 characters,
    /// embeds past the tenth are dropped, each embed is cut to its limits and all of them to
    /// 6000 characters together (an embed that cannot fit is dropped).
    pub fn new(content: Option<String>, embeds: Vec<Embed>) -> WebhookMessage {
        let content = content
            .map(|c| truncate(&c, limits::CONTENT))
            .filter(|c| !c.is_empty());
        let mut budget = limits::EMBEDS_TOTAL;
        let mut fitted = Vec::new();
        for mut embed in embeds.into_iter().take(limits::EMBEDS) {
            embed.fit_parts();
            if embed.shrink_to(budget) {
                budget -= embed.total_chars();
                fitted.push(embed);
            }
        }
        WebhookMessage {
            content,
            embeds: fitted,
            allowed_mentions: AllowedMentions::NONE,
            components: Vec::new(),
        }
    }

    /// The message with a row of `buttons` (none: no row).
    pub fn with_buttons(mut self, buttons: Vec<Button>) -> WebhookMessage {
        if !buttons.is_empty() {
            self.components = vec![ActionRow::new(buttons)];
        }
        self
    }

    pub fn components(&self) -> &[ActionRow] {
        &self.components
    }

    pub fn content(&self) -> Option<&str> {
        self.content.as_deref()
    }

    pub fn embeds(&self) -> &[Embed] {
        &self.embeds
    }
}

/// Escapes Discord markdown in text put into `content`, so a title shows as written.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '<' | '>' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Why a message was not delivered. Never contains the webhook URL.
#[derive(Debug, Error)]
pub enum DiscordError {
    #[error("Discord unreachable: {0}")]
    Transport(String),
    #[error("Discord answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("Discord rate limit: retry in {0:.1} s")]
    RateLimited(f64),
}

/// Sends messages to one webhook. Build it once and share it: it serialises the sends and
/// remembers when Discord said the rate limit bucket was empty.
pub struct DiscordClient {
    http: reqwest::Client,
    url: reqwest::Url,
    /// `Bot {token}` for the application's bot; `None` for a webhook (its URL holds its token).
    authorization: Option<String>,
    /// The REST API base, for the bot.
    api_base: Option<reqwest::Url>,
    /// Sends wait in line; holds the instant before which the next request must not leave.
    gate: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for DiscordClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL is a secret.
        f.debug_struct("DiscordClient").finish_non_exhaustive()
    }
}

/// Seconds from a header value, if it is a finite non-negative number.
fn header_seconds(headers: &reqwest::header::HeaderMap, name: &str) -> Option<f64> {
    headers
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
}

fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or(MAX_RATE_LIMIT_WAIT)
}

impl DiscordClient {
    /// A client for the webhook at `webhook_url` (`https://discord.com/api/webhooks/ID/TOKEN`,
    /// possibly with `?thread_id=…`). The error message does not repeat the URL.
    pub fn new(webhook_url: &str) -> Result<DiscordClient, String> {
        let mut url = reqwest::Url::parse(webhook_url.trim())
            .map_err(|err| format!("not a valid URL ({err})"))?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
            return Err("expected an https:// webhook URL".to_owned());
        }
        // Without wait=true Discord answers 204 before the message is stored, and a message
        // it drops afterwards reports no error. with_components=true lets a webhook that no
        // application owns carry link buttons.
        let query: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "wait" && k != "with_components")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(query)
            .append_pair("wait", "true")
            .append_pair("with_components", "true");
        DiscordClient::build(url, None)
    }

    /// A client posting as the application's bot in `channel_id` ("Create Message" under
    /// `api_base`, such as `https://discord.com/api/v10`). The error does not repeat the token.
    pub fn bot(api_base: &str, token: &str, channel_id: &str) -> Result<DiscordClient, String> {
        let mut client = DiscordClient::rest(api_base, token)?;
        client.url = reqwest::Url::parse(&format!(
            "{}/channels/{channel_id}/messages",
            api_base.trim_end_matches('/')
        ))
        .map_err(|err| format!("not a valid URL ({err})"))?;
        Ok(client)
    }

    /// A client for Discord's REST API as the bot ([`DiscordClient::api`]), such as
    /// `classmates discord commands` uses.
    pub fn rest(api_base: &str, token: &str) -> Result<DiscordClient, String> {
        let base = reqwest::Url::parse(api_base.trim_end_matches('/'))
            .map_err(|err| format!("not a valid URL ({err})"))?;
        let mut client = DiscordClient::build(base.clone(), Some(format!("Bot {}", token.trim())))?;
        client.api_base = Some(base);
        Ok(client)
    }

    /// Whether it posts as the application (its messages can carry interactive buttons).
    pub fn posts_as_app(&self) -> bool {
        self.authorization.is_some()
    }

    fn build(url: reqwest::Url, authorization: Option<String>) -> Result<DiscordClient, String> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!(
                "classmates-api/",
                env!("CARGO_PKG_VERSION"),
                " (PythonClassmates announcements)"
            ))
            .build()
            .map_err(|err| format!("HTTP client: {}", err.without_url()))?;
        Ok(DiscordClient {
            http,
            url,
            authorization,
            api_base: None,
            gate: Mutex::new(None),
        })
    }

    /// Posts `message`, waiting out rate limits (bounded). Ok once Discord stored it.
    pub async fn execute(&self, message: &WebhookMessage) -> Result<(), DiscordError> {
        let body = serde_json::to_vec(message)
            .map_err(|err| DiscordError::Transport(format!("JSON: {err}")))?;
        self.send(reqwest::Method::POST, self.url.clone(), Some(body))
            .await
            .map(|_| ())
    }

    /// A request to Discord's REST API as the bot (`path` under the API base, such as
    /// `/guilds/1/scheduled-events`), rate limits waited out like [`DiscordClient::execute`].
    /// The JSON answer (`null` for 204).
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, DiscordError> {
        let Some(base) = &self.api_base else {
            return Err(DiscordError::Transport(
                "Discord's REST API needs the bot token".to_owned(),
            ));
        };
        let url = reqwest::Url::parse(&format!("{}{path}", base.as_str().trim_end_matches('/')))
            .map_err(|err| DiscordError::Transport(format!("URL: {err}")))?;
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|err| DiscordError::Transport(format!("JSON: {err}")))?;
        let bytes = self.send(method, url, body).await?;
        Ok(serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: reqwest::Url,
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, DiscordError> {
        let mut gate = self.gate.lock().await;
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(not_before) = gate.take() {
                tokio::time::sleep_until(not_before).await;
            }
            let mut request = self.http.request(method.clone(), url.clone());
            if let Some(authorization) = &self.authorization {
                request = request.header(reqwest::header::AUTHORIZATION, authorization);
            }
            if let Some(body) = &body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let response = request
                .send()
                .await
                .map_err(|err| DiscordError::Transport(err.without_url().to_string()))?;
            let status = response.status();
            let headers = response.headers().clone();
            // The bucket is empty: the next request waits until it refills.
            if headers
                .get("x-ratelimit-remaining")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim() == "0")
            {
                if let Some(reset) = header_seconds(&headers, "x-ratelimit-reset-after") {
                    let wait = seconds(reset).min(MAX_RATE_LIMIT_WAIT);
                    *gate = Some(Instant::now() + wait);
                }
            }
            let bytes = response.bytes().await.unwrap_or_default();
            if status.is_success() {
                return Ok(bytes.to_vec());
            }
            let json: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
            if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                let retry_after = json
                    .as_ref()
                    .and_then(|j| j.get("retry_after"))
                    .and_then(serde_json::Value::as_f64)
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .or_else(|| header_seconds(&headers, "retry-after"))
                    .unwrap_or(1.0);
                let wait = seconds(retry_after);
                if wait > MAX_RATE_LIMIT_WAIT || attempt >= MAX_ATTEMPTS {
                    return Err(DiscordError::RateLimited(retry_after));
                }
                tracing::warn!(
                    retry_after,
                    attempt,
                    "Discord rate limit, waiting before retrying"
                );
                *gate = Some(Instant::now() + wait);
                continue;
            }
            let message = json
                .as_ref()
                .and_then(|j| j.get("message"))
                .and_then(serde_json::Value::as_str)
                .map(|m| truncate(m, 200))
                .unwrap_or_else(|| {
                    status
                        .canonical_reason()
                        .unwrap_or("unexpected answer")
                        .to_owned()
                });
            return Err(DiscordError::Status {
                status: status.as_u16(),
                message,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
        assert_eq!(truncate("ééééé", 4), "ééé…");
        assert_eq!(truncate("🐍🐍🐍", 2), "🐍…");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(chars(&truncate(&"é".repeat(5000), 4096)), 4096);
    }

    #[test]
    fn messages_fit_every_limit() {
        let long = "x".repeat(10_000);
        let embed = Embed {
            title: Some(long.clone()),
            description: Some(long.clone()),
            fields: (0..40)
                .map(|_| EmbedField {
                    name: long.clone(),
                    value: long.clone(),
                    inline: false,
                })
                .collect(),
            footer: Some(EmbedFooter { text: long.clone() }),
            author: Some(EmbedAuthor { name: long.clone() }),
            ..Embed::default()
        };
        let message = WebhookMessage::new(Some(long.clone()), vec![embed.clone(); 12]);
        assert_eq!(chars(message.content().unwrap()), limits::CONTENT);
        assert!(!message.embeds().is_empty() && message.embeds().len() <= limits::EMBEDS);
        let total: usize = message.embeds().iter().map(Embed::total_chars).sum();
        assert!(total <= limits::EMBEDS_TOTAL, "{total}");
        for embed in message.embeds() {
            assert!(chars(embed.title.as_deref().unwrap()) <= limits::TITLE);
            assert!(embed.fields.len() <= limits::FIELDS);
            for field in &embed.fields {
                assert!(!field.name.is_empty() && !field.value.is_empty());
            }
        }
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(json["allowed_mentions"], serde_json::json!({ "parse": [] }));
    }

    #[test]
    fn small_embeds_are_left_alone() {
        let embed = Embed {
            title: Some("Atelier".into()),
            description: Some("Résumé".into()),
            ..Embed::default()
        };
        let message = WebhookMessage::new(None, vec![embed.clone()]);
        assert_eq!(message.embeds(), &[embed]);
        assert_eq!(message.content(), None);
    }

    #[test]
    fn markdown_is_escaped() {
        assert_eq!(escape_markdown("a*b_c\nd"), "a\\*b\\_c d");
    }

    #[test]
    fn webhook_url_gets_wait_and_stays_secret() {
        let client =
            DiscordClient::new("https://discord.com/api/webhooks/1/secret?thread_id=9&wait=false")
                .unwrap();
        assert_eq!(
            client.url.as_str(),
            "https://discord.com/api/webhooks/1/secret?thread_id=9&wait=true&with_components=true"
        );
        assert!(!format!("{client:?}").contains("secret"));
        assert!(DiscordClient::new("ftp://x/y").is_err());
        assert!(DiscordClient::new("pas une url").is_err());
    }
}
