//! A fake Discord on loopback: the webhook's "Execute Webhook" and the bot's "Create Message"
//! (`POST /api/v10/channels/{id}/messages` with `Authorization: Bot …`; 401 without the token),
//! faithful to the documented behaviour (`IncomingWebhookRequestPartial`, `MessageCreateRequest`,
//! `RichEmbed`, `ActionRow` and `Button` in Discord's OpenAPI description): it checks
//! the JSON shape and every length limit and answers 400 like Discord when one is broken,
//! answers `?wait=true` with the created message, tracks the rate limit bucket it announces
//! (`X-RateLimit-Remaining: 0` + `X-RateLimit-Reset-After`, 429 with `retry_after` to anyone who
//! comes back too early), decides whether a message would ping @everyone (`allowed_mentions`),
//! and records everything. Tests can script the next answers (429, 500, empty bucket).
//!
//! Stricter than Discord in one way: unknown top-level keys are refused, to catch typos.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The path of the fake webhook (id 123, token `fake-token`).
pub const WEBHOOK_PATH: &str = "/api/webhooks/123/fake-token";
/// The bot token the fake accepts.
pub const BOT_TOKEN: &str = "fake-bot-token";
/// The channel the fake's bot may post in.
pub const CHANNEL_ID: &str = "1300000000000000003";
/// The guild whose scheduled events the fake's bot manages.
pub const GUILD_ID: &str = "1300000000000000002";
/// The application whose commands the fake keeps.
pub const APPLICATION_ID: &str = "1300000000000000001";

/// An answer the fake gives to the next valid message instead of delivering it normally.
#[derive(Debug, Clone, Copy)]
pub enum Scripted {
    /// 429 with this `retry_after` (seconds); the bucket stays closed that long.
    RateLimited(f64),
    /// This status (500, 502…) with Discord's error body; nothing is delivered.
    Status(u16),
    /// Delivered, with `X-RateLimit-Remaining: 0` and this `X-RateLimit-Reset-After`.
    EmptyBucket(f64),
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: Value,
    pub at: Instant,
    /// The status the fake answered.
    pub status: u16,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
}

/// A message Discord would have stored and shown.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub body: Value,
    pub at: Instant,
    /// Whether it would have pinged @everyone / @here.
    pub pinged_everyone: bool,
}

#[derive(Default)]
struct State {
    script: VecDeque<Scripted>,
    received: Vec<Received>,
    delivered: Vec<Delivered>,
    /// The bucket is empty until then: earlier requests get 429.
    blocked_until: Option<Instant>,
    /// Pause before each answer, to widen race windows.
    delay: Duration,
    next_id: u64,
    /// The guild's scheduled events, by id.
    scheduled: std::collections::BTreeMap<String, Value>,
    /// The application's commands in the guild, as last overwritten.
    commands: Vec<Value>,
}

pub struct FakeDiscord {
    /// The webhook URL to configure (`http://127.0.0.1:PORT/api/webhooks/123/fake-token`).
    pub url: String,
    /// The REST API base to configure (`DISCORD_API_BASE`: `http://127.0.0.1:PORT/api/v10`).
    pub api_base: String,
    state: Arc<Mutex<State>>,
    server: JoinHandle<()>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, state).await;
                });
            }
        });
        FakeDiscord {
            url: format!("http://127.0.0.1:{port}{WEBHOOK_PATH}"),
            api_base: format!("http://127.0.0.1:{port}/api/v10"),
            state,
            server,
        }
    }

    /// Queues an answer for the next valid message.
    pub fn script(&self, answer: Scripted) {
        self.state.lock().unwrap().script.push_back(answer);
    }

    pub fn set_delay(&self, delay: Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn delivered(&self) -> Vec<Delivered> {
        self.state.lock().unwrap().delivered.clone()
    }

    /// The guild's scheduled events as Discord would list them.
    pub fn scheduled_events(&self) -> Vec<Value> {
        self.state
            .lock()
            .unwrap()
            .scheduled
            .values()
            .cloned()
            .collect()
    }

    /// The application's commands in the guild.
    pub fn commands(&self) -> Vec<Value> {
        self.state.lock().unwrap().commands.clone()
    }

    /// Deletes a scheduled event, as a moderator would in Discord.
    pub fn delete_scheduled_event(&self, id: &str) {
        self.state.lock().unwrap().scheduled.remove(id);
    }

    /// The event title of each delivered message (first embed's title).
    pub fn delivered_titles(&self) -> Vec<String> {
        self.delivered()
            .iter()
            .map(|d| {
                d.body["embeds"][0]["title"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned()
            })
            .collect()
    }
}

/// A minimal HTTP/1.1 exchange: one request per connection, answered with `Connection: close`.
async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buffer.len() > 1 << 20 {
            return Ok(());
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let mut content_length = 0usize;
    let mut content_type = String::new();
    let mut authorization = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = value.trim().parse().unwrap_or(0),
                "content-type" => content_type = value.trim().to_ascii_lowercase(),
                "authorization" => authorization = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    let mut body = buffer[header_end..].to_vec();
    while body.len() < content_length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let (path, query) = target
        .split_once('?')
        .map_or((target.clone(), String::new()), |(p, q)| {
            (p.to_owned(), q.to_owned())
        });

    let delay = state.lock().unwrap().delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let (status, headers, answer) = {
        let mut state = state.lock().unwrap();
        let (status, headers, answer) = respond(
            &mut state,
            &method,
            &path,
            &query,
            &content_type,
            authorization.as_deref(),
            &body,
        );
        state.received.push(Received {
            method,
            path,
            query,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            at: Instant::now(),
            status,
            authorization,
        });
        (status, headers, answer)
    };
    let reason = match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        _ => "Error",
    };
    let body = answer.map(|v| v.to_string()).unwrap_or_default();
    let mut response = format!("HTTP/1.1 {status} {reason}\r\nconnection: close\r\n");
    for (name, value) in headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        response.push_str("content-type: application/json\r\n");
    }
    response.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

type Answer = (u16, Vec<(String, String)>, Option<Value>);

fn bucket_headers(remaining: u32, reset_after: f64) -> Vec<(String, String)> {
    vec![
        ("x-ratelimit-limit".into(), "5".into()),
        ("x-ratelimit-remaining".into(), remaining.to_string()),
        (
            "x-ratelimit-reset-after".into(),
            format!("{reset_after:.3}"),
        ),
        ("x-ratelimit-bucket".into(), "fake-bucket".into()),
    ]
}

fn rate_limited(retry_after: f64) -> Answer {
    let mut headers = bucket_headers(0, retry_after);
    headers.push((
        "retry-after".into(),
        (retry_after.ceil() as u64).to_string(),
    ));
    headers.push(("x-ratelimit-scope".into(), "shared".into()));
    (
        429,
        headers,
        Some(
            json!({ "message": "You are being rate limited.", "retry_after": retry_after, "global": false }),
        ),
    )
}

fn invalid_form(errors: Vec<String>) -> Answer {
    (
        400,
        Vec::new(),
        Some(json!({ "code": 50035, "message": "Invalid Form Body", "errors": errors })),
    )
}

#[allow(clippy::too_many_arguments)]
fn respond(
    state: &mut State,
    method: &str,
    path: &str,
    query: &str,
    content_type: &str,
    authorization: Option<&str>,
    body: &[u8],
) -> Answer {
    let bot_path = format!("/api/v10/channels/{CHANNEL_ID}/messages");
    let as_bot = path == bot_path;
    if as_bot && authorization != Some(&format!("Bot {BOT_TOKEN}")) {
        return (
            401,
            Vec::new(),
            Some(json!({ "message": "401: Unauthorized", "code": 0 })),
        );
    }
    let guild_base = format!("/api/v10/guilds/{GUILD_ID}/scheduled-events");
    if path.starts_with("/api/v10/") && !as_bot {
        if authorization != Some(&format!("Bot {BOT_TOKEN}")) {
            return (
                401,
                Vec::new(),
                Some(json!({ "message": "401: Unauthorized", "code": 0 })),
            );
        }
        if path == guild_base || path.starts_with(&format!("{guild_base}/")) {
            return scheduled_event(state, method, &path[guild_base.len()..], body);
        }
        if path == format!("/api/v10/applications/{APPLICATION_ID}/guilds/{GUILD_ID}/commands") {
            return overwrite_commands(state, method, body);
        }
    }
    if !as_bot && path.starts_with("/api/v10/channels/") {
        return (
            404,
            Vec::new(),
            Some(json!({ "message": "Unknown Channel", "code": 10003 })),
        );
    }
    if !as_bot && path != WEBHOOK_PATH {
        return (
            404,
            Vec::new(),
            Some(json!({ "message": "Unknown Webhook", "code": 10015 })),
        );
    }
    if method != "POST" {
        return (
            405,
            Vec::new(),
            Some(json!({ "message": "405: Method Not Allowed", "code": 0 })),
        );
    }
    let now = Instant::now();
    if let Some(until) = state.blocked_until {
        if now < until {
            return rate_limited((until - now).as_secs_f64());
        }
        state.blocked_until = None;
    }
    let json: Option<Value> = if content_type.starts_with("application/json") {
        serde_json::from_slice(body).ok()
    } else {
        None
    };
    let Some(Value::Object(message)) = json else {
        return (
            400,
            Vec::new(),
            Some(json!({ "code": 50109, "message": "The request body contains invalid JSON." })),
        );
    };
    let mut errors = validate(&message, as_bot);
    // A webhook no application owns: link buttons only, and only with with_components=true.
    if !as_bot && message.get("components").is_some_and(|c| !c.is_null()) {
        if !query.split('&').any(|pair| pair == "with_components=true") {
            errors.push("components: webhook components need with_components=true".into());
        }
        let interactive = message["components"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
            .any(|c| c["style"] != 5);
        if interactive {
            errors.push(
                "components: interactive components need an application-owned webhook".into(),
            );
        }
    }
    if !errors.is_empty() {
        return invalid_form(errors);
    }
    let content = message.get("content").and_then(Value::as_str).unwrap_or("");
    let embeds = message
        .get("embeds")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if content.is_empty() && embeds.is_empty() {
        return (
            400,
            Vec::new(),
            Some(json!({ "code": 50006, "message": "Cannot send an empty message" })),
        );
    }
    let mut headers = bucket_headers(4, 1.0);
    match state.script.pop_front() {
        Some(Scripted::RateLimited(retry_after)) => {
            state.blocked_until = Some(now + Duration::from_secs_f64(retry_after));
            return rate_limited(retry_after);
        }
        Some(Scripted::Status(status)) => {
            return (
                status,
                Vec::new(),
                Some(json!({ "message": format!("{status}: Internal Server Error"), "code": 0 })),
            );
        }
        Some(Scripted::EmptyBucket(reset_after)) => {
            state.blocked_until = Some(now + Duration::from_secs_f64(reset_after));
            headers = bucket_headers(0, reset_after);
        }
        None => {}
    }
    // With `allowed_mentions` absent, Discord parses every mention in `content`.
    let parse_everyone = match message.get("allowed_mentions") {
        None | Some(Value::Null) => true,
        Some(mentions) => mentions["parse"]
            .as_array()
            .is_some_and(|p| p.iter().any(|v| v == "everyone")),
    };
    let pinged_everyone =
        parse_everyone && (content.contains("@everyone") || content.contains("@here"));
    let body = Value::Object(message.clone());
    state.delivered.push(Delivered {
        body: body.clone(),
        at: now,
        pinged_everyone,
    });
    state.next_id += 1;
    let wait = as_bot || query.split('&').any(|pair| pair == "wait=true");
    if !wait {
        return (204, headers, None);
    }
    let created = json!({
        "id": format!("{}", 1_000_000 + state.next_id),
        "type": 0,
        "channel_id": if as_bot { CHANNEL_ID } else { "456" },
        "webhook_id": if as_bot { Value::Null } else { json!("123") },
        "content": content,
        "embeds": embeds,
        "mention_everyone": pinged_everyone,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "components": message.get("components").cloned().unwrap_or(json!([])),
        "pinned": false,
        "tts": false,
        "flags": 0,
        "timestamp": "2026-11-20T12:00:00.000000+00:00",
        "author": { "id": "123", "username": "PythonClassmates", "bot": true },
    });
    (200, headers, Some(created))
}

fn chars(value: &Value) -> usize {
    value.as_str().map_or(0, |s| s.chars().count())
}

/// Checks a string-or-null property against its maximum length.
fn check_string(errors: &mut Vec<String>, at: &str, value: Option<&Value>, max: usize) {
    match value {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s.chars().count() <= max => {}
        Some(Value::String(_)) => errors.push(format!("{at}: BASE_TYPE_MAX_LENGTH ({max})")),
        Some(_) => errors.push(format!("{at}: STRING_TYPE_CONVERT")),
    }
}

/// Checks `components` as Discord does for a message: at most 5 action rows (type 1) of at
/// most 5 buttons (type 2); a link button (style 5) has a `url` (≤ 512) and no `custom_id`,
/// another has a `custom_id` (≤ 100) and no `url`; labels ≤ 80.
fn validate_components(errors: &mut Vec<String>, components: Option<&Value>) {
    let rows = match components {
        None | Some(Value::Null) => return,
        Some(Value::Array(rows)) => rows,
        Some(_) => return errors.push("components: LIST_TYPE_CONVERT".into()),
    };
    if rows.len() > 5 {
        errors.push("components: BASE_TYPE_MAX_LENGTH (5)".into());
    }
    for (i, row) in rows.iter().enumerate() {
        if row["type"] != 1 {
            errors.push(format!("components.{i}.type: must be an action row (1)"));
            continue;
        }
        let buttons = row["components"].as_array().cloned().unwrap_or_default();
        if buttons.is_empty() || buttons.len() > 5 {
            errors.push(format!("components.{i}.components: 1 to 5 buttons"));
        }
        for (j, button) in buttons.iter().enumerate() {
            let at = format!("components.{i}.components.{j}");
            if button["type"] != 2 {
                errors.push(format!("{at}.type: only buttons (2) are checked here"));
                continue;
            }
            check_string(errors, &format!("{at}.label"), button.get("label"), 80);
            match button["style"].as_u64() {
                Some(5) => {
                    let url = button["url"].as_str().unwrap_or("");
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        errors.push(format!("{at}.url: URL_TYPE_INVALID_URL"));
                    }
                    check_string(errors, &format!("{at}.url"), button.get("url"), 512);
                    if button.get("custom_id").is_some() {
                        errors.push(format!("{at}.custom_id: a link button has none"));
                    }
                }
                Some(1..=4) => {
                    if button["custom_id"].as_str().is_none_or(str::is_empty) {
                        errors.push(format!("{at}.custom_id: BASE_TYPE_REQUIRED"));
                    }
                    check_string(
                        errors,
                        &format!("{at}.custom_id"),
                        button.get("custom_id"),
                        100,
                    );
                    if button.get("url").is_some() {
                        errors.push(format!("{at}.url: only link buttons have one"));
                    }
                }
                _ => errors.push(format!("{at}.style: ENUM_TYPE_COERCE")),
            }
        }
    }
}

fn validate(message: &serde_json::Map<String, Value>, as_bot: bool) -> Vec<String> {
    const WEBHOOK_KEYS: [&str; 12] = [
        "content",
        "embeds",
        "allowed_mentions",
        "components",
        "attachments",
        "poll",
        "tts",
        "flags",
        "username",
        "avatar_url",
        "thread_name",
        "applied_tags",
    ];
    const MESSAGE_KEYS: [&str; 12] = [
        "content",
        "embeds",
        "allowed_mentions",
        "components",
        "attachments",
        "poll",
        "tts",
        "flags",
        "nonce",
        "enforce_nonce",
        "message_reference",
        "sticker_ids",
    ];
    let keys = if as_bot { MESSAGE_KEYS } else { WEBHOOK_KEYS };
    let mut errors = Vec::new();
    for key in message.keys() {
        if !keys.contains(&key.as_str()) {
            errors.push(format!("{key}: unknown field"));
        }
    }
    validate_components(&mut errors, message.get("components"));
    check_string(&mut errors, "content", message.get("content"), 2000);
    check_string(&mut errors, "username", message.get("username"), 80);
    match message.get("allowed_mentions") {
        None | Some(Value::Null) => {}
        Some(Value::Object(mentions)) => {
            for (key, value) in mentions {
                match key.as_str() {
                    "parse" => match value.as_array() {
                        Some(list)
                            if list.iter().all(|v| {
                                matches!(v.as_str(), Some("users" | "roles" | "everyone"))
                            }) => {}
                        _ => errors.push("allowed_mentions.parse: ENUM_TYPE_COERCE".into()),
                    },
                    "users" | "roles" | "replied_user" => {}
                    other => errors.push(format!("allowed_mentions.{other}: unknown field")),
                }
            }
        }
        Some(_) => errors.push("allowed_mentions: MODEL_TYPE_CONVERT".into()),
    }
    let embeds = match message.get("embeds") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list.clone(),
        Some(_) => {
            errors.push("embeds: LIST_TYPE_CONVERT".into());
            Vec::new()
        }
    };
    if embeds.len() > 10 {
        errors.push("embeds: BASE_TYPE_MAX_LENGTH (10)".into());
    }
    let mut total = 0;
    for (i, embed) in embeds.iter().enumerate() {
        let at = |field: &str| format!("embeds.{i}.{field}");
        let Some(embed) = embed.as_object() else {
            errors.push(format!("embeds.{i}: MODEL_TYPE_CONVERT"));
            continue;
        };
        check_string(&mut errors, &at("title"), embed.get("title"), 256);
        check_string(
            &mut errors,
            &at("description"),
            embed.get("description"),
            4096,
        );
        check_string(&mut errors, &at("url"), embed.get("url"), 2048);
        if let Some(url) = embed.get("url").and_then(Value::as_str) {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                errors.push(at("url: URL_TYPE_INVALID_URL"));
            }
        }
        match embed.get("color") {
            None | Some(Value::Null) => {}
            Some(c) if c.as_u64().is_some_and(|c| c <= 0xFF_FF_FF) => {}
            Some(_) => errors.push(at("color: NUMBER_TYPE_MAX")),
        }
        if let Some(t) = embed.get("timestamp").filter(|t| !t.is_null()) {
            if t.as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_none()
            {
                errors.push(at("timestamp: DATE_TIME_TYPE_PARSE"));
            }
        }
        total += chars(embed.get("title").unwrap_or(&Value::Null))
            + chars(embed.get("description").unwrap_or(&Value::Null));
        if let Some(footer) = embed.get("footer").filter(|f| !f.is_null()) {
            match footer.get("text") {
                Some(Value::String(_)) => {
                    check_string(&mut errors, &at("footer.text"), footer.get("text"), 2048);
                    total += chars(&footer["text"]);
                }
                _ => errors.push(at("footer.text: BASE_TYPE_REQUIRED")),
            }
        }
        if let Some(author) = embed.get("author").filter(|a| !a.is_null()) {
            check_string(&mut errors, &at("author.name"), author.get("name"), 256);
            total += chars(author.get("name").unwrap_or(&Value::Null));
        }
        if let Some(fields) = embed.get("fields").filter(|f| !f.is_null()) {
            let Some(fields) = fields.as_array() else {
                errors.push(at("fields: LIST_TYPE_CONVERT"));
                continue;
            };
            if fields.len() > 25 {
                errors.push(at("fields: BASE_TYPE_MAX_LENGTH (25)"));
            }
            for (j, field) in fields.iter().enumerate() {
                for (key, max) in [("name", 256), ("value", 1024)] {
                    match field.get(key) {
                        Some(Value::String(s)) if !s.trim().is_empty() => {
                            check_string(
                                &mut errors,
                                &at(&format!("fields.{j}.{key}")),
                                field.get(key),
                                max,
                            );
                            total += s.chars().count();
                        }
                        _ => errors.push(at(&format!("fields.{j}.{key}: BASE_TYPE_REQUIRED"))),
                    }
                }
                if field
                    .get("inline")
                    .is_some_and(|v| !v.is_null() && !v.is_boolean())
                {
                    errors.push(at(&format!("fields.{j}.inline: BOOLEAN_TYPE_COERCE")));
                }
            }
        }
    }
    if total > 6000 {
        errors.push(format!("embeds: MAX_EMBED_SIZE_EXCEEDED ({total} > 6000)"));
    }
    errors
}

/// Checks a scheduled event's fields (`GuildScheduledEventCreateRequest`, EXTERNAL entity):
/// `partial` for Modify, where every field is optional.
fn validate_scheduled(event: &serde_json::Map<String, Value>, partial: bool) -> Vec<String> {
    const KEYS: [&str; 9] = [
        "name",
        "privacy_level",
        "scheduled_start_time",
        "scheduled_end_time",
        "description",
        "entity_type",
        "entity_metadata",
        "channel_id",
        "status",
    ];
    let mut errors = Vec::new();
    for key in event.keys() {
        if !KEYS.contains(&key.as_str()) {
            errors.push(format!("{key}: unknown field"));
        }
    }
    let required = |errors: &mut Vec<String>, key: &str| {
        if !partial && event.get(key).is_none_or(Value::is_null) {
            errors.push(format!("{key}: BASE_TYPE_REQUIRED"));
        }
    };
    for key in [
        "name",
        "privacy_level",
        "scheduled_start_time",
        "scheduled_end_time",
        "entity_type",
        "entity_metadata",
    ] {
        required(&mut errors, key);
    }
    if let Some(name) = event.get("name") {
        if name
            .as_str()
            .is_none_or(|n| n.is_empty() || n.chars().count() > 100)
        {
            errors.push("name: 1 to 100 characters".into());
        }
    }
    check_string(&mut errors, "description", event.get("description"), 1000);
    if event.get("privacy_level").is_some_and(|p| p != 2) {
        errors.push("privacy_level: must be 2 (GUILD_ONLY)".into());
    }
    if event.get("entity_type").is_some_and(|t| t != 3) {
        errors.push("entity_type: this fake knows EXTERNAL (3) only".into());
    }
    for key in ["scheduled_start_time", "scheduled_end_time"] {
        if let Some(t) = event.get(key) {
            if t.as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_none()
            {
                errors.push(format!("{key}: DATE_TIME_TYPE_PARSE"));
            }
        }
    }
    if let Some(metadata) = event.get("entity_metadata") {
        let location = metadata["location"].as_str().unwrap_or("");
        if location.is_empty() || location.chars().count() > 100 {
            errors.push("entity_metadata.location: 1 to 100 characters".into());
        }
    }
    errors
}

/// The guild scheduled events: Create (POST), Modify (PATCH /{id}), Delete (DELETE /{id}).
fn scheduled_event(state: &mut State, method: &str, rest: &str, body: &[u8]) -> Answer {
    let unknown = || {
        (
            404,
            Vec::new(),
            Some(json!({ "message": "Unknown Guild Scheduled Event", "code": 10070 })),
        )
    };
    let id = rest.strip_prefix('/').unwrap_or("");
    let fields = || match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err((
            400,
            Vec::new(),
            Some(json!({ "code": 50109, "message": "The request body contains invalid JSON." })),
        )),
    };
    match (method, id.is_empty()) {
        ("POST", true) => {
            let fields = match fields() {
                Ok(fields) => fields,
                Err(answer) => return answer,
            };
            let errors = validate_scheduled(&fields, false);
            if !errors.is_empty() {
                return invalid_form(errors);
            }
            state.next_id += 1;
            let id = format!("{}", 2_000_000 + state.next_id);
            let mut event = Value::Object(fields);
            event["id"] = json!(id);
            event["guild_id"] = json!(GUILD_ID);
            event["status"] = json!(1);
            state.scheduled.insert(id, event.clone());
            (200, bucket_headers(4, 1.0), Some(event))
        }
        ("PATCH", false) => {
            let fields = match fields() {
                Ok(fields) => fields,
                Err(answer) => return answer,
            };
            let errors = validate_scheduled(&fields, true);
            if !errors.is_empty() {
                return invalid_form(errors);
            }
            let Some(event) = state.scheduled.get_mut(id) else {
                return unknown();
            };
            for (key, value) in fields {
                event[key] = value;
            }
            (200, bucket_headers(4, 1.0), Some(event.clone()))
        }
        ("DELETE", false) => match state.scheduled.remove(id) {
            Some(_) => (204, bucket_headers(4, 1.0), None),
            None => unknown(),
        },
        _ => (
            405,
            Vec::new(),
            Some(json!({ "message": "405: Method Not Allowed", "code": 0 })),
        ),
    }
}

/// "Bulk Overwrite Guild Application Commands": the list replaces the guild's commands; a
/// command keeps its id when one of the same name and type existed. Checks names (CHAT_INPUT:
/// lowercase, 1-32, no space; others 1-32), descriptions (CHAT_INPUT: 1-100; others: empty)
/// and types (1 to 3).
fn overwrite_commands(state: &mut State, method: &str, body: &[u8]) -> Answer {
    if method != "PUT" {
        return (
            405,
            Vec::new(),
            Some(json!({ "message": "405: Method Not Allowed", "code": 0 })),
        );
    }
    let Ok(Value::Array(list)) = serde_json::from_slice::<Value>(body) else {
        return invalid_form(vec!["body: LIST_TYPE_CONVERT".into()]);
    };
    let mut errors = Vec::new();
    if list.len() > 100 {
        errors.push("body: BASE_TYPE_MAX_LENGTH (100)".into());
    }
    for (i, command) in list.iter().enumerate() {
        let name = command["name"].as_str().unwrap_or("");
        let kind = command["type"].as_u64().unwrap_or(1);
        let description = command["description"].as_str().unwrap_or("");
        if !(1..=3).contains(&kind) {
            errors.push(format!("{i}.type: ENUM_TYPE_COERCE"));
        }
        let length = name.chars().count();
        if !(1..=32).contains(&length) {
            errors.push(format!("{i}.name: 1 to 32 characters"));
        }
        if kind == 1 {
            let valid = name
                .chars()
                .all(|c| c == '-' || c == '_' || (c.is_alphanumeric() && !c.is_uppercase()));
            if !valid {
                errors.push(format!("{i}.name: APPLICATION_COMMAND_INVALID_NAME"));
            }
            if !(1..=100).contains(&description.chars().count()) {
                errors.push(format!("{i}.description: 1 to 100 characters"));
            }
        } else if !description.is_empty() {
            errors.push(format!("{i}.description: must be empty for this type"));
        }
    }
    if !errors.is_empty() {
        return invalid_form(errors);
    }
    let mut commands = Vec::new();
    for command in list {
        let kept = state
            .commands
            .iter()
            .find(|c| c["name"] == command["name"] && c["type"] == command["type"])
            .map(|c| c["id"].clone());
        let id = kept.unwrap_or_else(|| {
            state.next_id += 1;
            json!(format!("{}", 3_000_000 + state.next_id))
        });
        let mut command = command;
        command["id"] = id;
        command["application_id"] = json!(APPLICATION_ID);
        command["guild_id"] = json!(GUILD_ID);
        command["version"] = json!("1");
        commands.push(command);
    }
    state.commands = commands.clone();
    (200, bucket_headers(4, 1.0), Some(Value::Array(commands)))
}
