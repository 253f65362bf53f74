//! The answers of the API: responses (JSON, HTML, errors, redirects), what a request asks for
//! (its body's kind, JSON or not, the client's address), and the messages they say.
use std::net::IpAddr;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Request, Response, StatusCode};
use serde_json::{Value, json};

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

/// A route's answer: `Err` holds a refusal already made into a response, so that each step can
/// give up with `?`.
pub(super) type Answer = Result<Response<Bytes>, Response<Bytes>>;

pub(super) const MSG_NOT_FOUND: &str = "Ressource introuvable.";

pub(super) const MSG_UNKNOWN_EVENT: &str = "Événement introuvable.";

pub(super) const MSG_METHOD: &str = "Méthode non autorisée.";

pub(super) const MSG_UNAVAILABLE: &str =
    "Le service est momentanément indisponible, réessayez dans un instant.";

pub(super) const MSG_INTERNAL: &str = "Une erreur est survenue, réessayez plus tard.";

pub(super) const MSG_TOKEN_UNKNOWN: &str = "Inscription introuvable ou déjà annulée.";

pub(super) const MSG_UNAUTHORIZED: &str = "Authentification requise.";

pub(super) const MSG_NO_WEBHOOK: &str = "Les annonces Discord ne sont pas configurées : définissez la variable DISCORD_WEBHOOK_URL de la fonction (ou DISCORD_BOT_TOKEN et DISCORD_CHANNEL_ID pour publier avec l’application).";

/// How a POST body is encoded, from `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyKind {
    Json,
    Form,
    Other,
}

pub(super) fn body_kind(headers: &HeaderMap) -> BodyKind {
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

pub(super) fn accepts_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("application/json"))
}

/// The client address for rate limiting: [`ClientIp`] first, then `X-Forwarded-For`.
pub(super) fn client_ip<B>(req: &Request<B>) -> Option<IpAddr> {
    if let Some(ClientIp(ip)) = req.extensions().get::<ClientIp>() {
        return Some(*ip);
    }
    req.headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(|first| first.trim().parse().ok())
}

pub(super) fn response(
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

pub(super) fn html_response(status: StatusCode, page: String) -> Response<Bytes> {
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
pub(super) fn header_safe_url(url: &str) -> String {
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

pub(super) fn see_other(location: &str) -> Response<Bytes> {
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
pub(super) fn internal(err: &dyn std::fmt::Display, what: &'static str) -> Response<Bytes> {
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

/// `{event.url}?inscription={status}[&position=N][&jeton=T]#inscription-{status}`.
pub(super) fn result_location(
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
