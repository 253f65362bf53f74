//! The organisers' routes: the registrations list of an event and its private join link, opened
//! by the admin token or by that event's organiser token ([`crate::token::organiser_token`]).
//!
//! The join link is private: it is answered only here, to an organiser, never logged.

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Request, Response, StatusCode};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use super::respond::{
    Answer, BodyKind, MAX_BODY_BYTES, body_kind, error, internal, json_response, response,
    unauthorized,
};
use super::state::App;
use crate::store::{Registration, Status};
use crate::token;

const MSG_OTHER_EVENT: &str = "Ce jeton d’organisateur est celui d’un autre événement.";
const MSG_JOIN_BODY: &str =
    "Envoyez un objet JSON de la forme {\"url\": \"https://…\"} (Content-Type: application/json).";
const MSG_JOIN_URL: &str = "Le lien de connexion doit être une adresse complète en https:// (http:// seulement pour localhost), sans espace, de 2 000 caractères au plus.";

/// Longest join link accepted.
const MAX_JOIN_URL_CHARS: usize = 2000;

/// Who a request's bearer token stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// The admin token: everything.
    Admin,
    /// The organiser token of the event asked for: its list and join link.
    Organiser,
}

/// The credentials of `Authorization: Bearer …`, trimmed.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| credentials.trim())
}

/// Whether `url` is acceptable as a join link: absolute, `https` (or `http` on the local machine,
/// for trying things under `classmates serve`), with a host, no spaces nor control characters.
pub fn valid_join_url(url: &str) -> bool {
    if url.chars().count() > MAX_JOIN_URL_CHARS
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return false;
    }
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    let local = match parsed.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return false,
    };
    match parsed.scheme() {
        "https" => true,
        "http" => local,
        _ => false,
    }
}

impl App {
    /// Whether the request carries the admin token.
    pub(crate) fn authorized(&self, headers: &HeaderMap) -> bool {
        let expected = self.inner.config.admin_token.trim().as_bytes();
        bearer(headers).is_some_and(|given| bool::from(given.as_bytes().ct_eq(expected)))
    }

    /// What the request may do on the event `slug`: the admin token or
    /// `slug`'s organiser token, else 401 (no or a wrong token) or 403 (the organiser token of
    /// another event of the manifest, so the organiser knows they chose the wrong event).
    async fn event_access(
        &self,
        slug: &str,
        headers: &HeaderMap,
        what: &str,
    ) -> Result<Access, Response<Bytes>> {
        if self.authorized(headers) {
            return Ok(Access::Admin);
        }
        let admin = &self.inner.config.admin_token;
        let Some(given) = bearer(headers) else {
            tracing::warn!(slug, "{what} refused: no token");
            return Err(unauthorized());
        };
        if token::is_organiser_token(admin, slug, given) {
            return Ok(Access::Organiser);
        }
        let manifest = self.manifest().await?;
        let other = manifest
            .events
            .iter()
            .any(|event| token::is_organiser_token(admin, &event.slug, given));
        if other {
            tracing::warn!(slug, "{what} refused: another event's organiser token");
            Err(error(StatusCode::FORBIDDEN, MSG_OTHER_EVENT))
        } else {
            tracing::warn!(slug, "{what} refused: wrong token");
            Err(unauthorized())
        }
    }

    /// `GET /events/{slug}/registrations` (admin or that event's token): the organisers' list.
    /// JSON: `{event, counts, registrations, failed_messages, join_url}` (README, « Outils des
    /// organisateurs »); `?format=csv`: the registrations alone.
    pub(super) async fn organiser_list(&self, slug: &str, req: &Request<Bytes>) -> Answer {
        self.event_access(slug, req.headers(), "organiser list")
            .await?;
        let event = self.known_event(slug).await?;
        let store = &self.inner.store;
        let list = store
            .list(slug)
            .await
            .map_err(|err| internal(&err, "listing registrations failed"))?;
        let csv = req.uri().query().is_some_and(|q| {
            form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "format" && v == "csv")
        });
        if !csv {
            let failed = store
                .failed_messages(slug)
                .await
                .map_err(|err| internal(&err, "listing failed messages failed"))?;
            let join_url = store
                .join_url(slug)
                .await
                .map_err(|err| internal(&err, "reading the join link failed"))?;
            // Counted from the list itself, so the numbers always match the rows shown.
            let registered = list
                .iter()
                .filter(|r| r.status == Status::Registered)
                .count() as u32;
            let body = json!({
                "event": {
                    "slug": event.slug,
                    "title": event.title,
                    "url": event.url,
                    "when": event.when,
                    "start": event.start,
                    "capacity": event.capacity,
                },
                "counts": {
                    "registered": registered,
                    "waitlisted": list.len() as u32 - registered,
                    "capacity": event.capacity,
                    "remaining": event.capacity.map(|c| c.saturating_sub(registered)),
                },
                "registrations": list,
                "failed_messages": failed,
                "join_url": join_url,
            });
            return Ok(json_response(StatusCode::OK, &body));
        }
        let body = to_csv(&list).map_err(|err| internal(&err, "writing CSV failed"))?;
        let mut response = response(StatusCode::OK, "text/csv; charset=utf-8", body);
        let disposition = format!("attachment; filename=\"inscriptions-{slug}.csv\"");
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
        Ok(response)
    }

    /// `PUT /events/{slug}/join-url` with `{"url": "https://…"}` (admin or that event's token):
    /// sets the private join link. 200 with the link and whether it changed.
    pub(super) async fn set_join_url(&self, slug: &str, req: &Request<Bytes>) -> Answer {
        self.event_access(slug, req.headers(), "join link").await?;
        self.known_event(slug).await?;
        let url = read_join_url(req).map_err(|(status, message)| error(status, message))?;
        let changed = self
            .inner
            .store
            .set_join_url(slug, &url, self.now())
            .await
            .map_err(|err| internal(&err, "setting the join link failed"))?;
        let link = self
            .inner
            .store
            .join_url(slug)
            .await
            .map_err(|err| internal(&err, "reading the join link failed"))?;
        tracing::info!(slug, changed, "join link set");
        if changed {
            self.send_join_link(slug, req).await;
        }
        Ok(json_response(
            StatusCode::OK,
            &json!({ "join_url": link, "changed": changed }),
        ))
    }

    /// `DELETE /events/{slug}/join-url` (admin or that event's token): removes the join link.
    /// 200 saying whether there was one.
    pub(super) async fn clear_join_url(&self, slug: &str, req: &Request<Bytes>) -> Answer {
        self.event_access(slug, req.headers(), "join link").await?;
        self.known_event(slug).await?;
        let removed = self
            .inner
            .store
            .clear_join_url(slug)
            .await
            .map_err(|err| internal(&err, "clearing the join link failed"))?;
        tracing::info!(slug, removed, "join link cleared");
        Ok(json_response(
            StatusCode::OK,
            &json!({ "join_url": Value::Null, "removed": removed }),
        ))
    }
}

/// The `url` of a join-link body, checked; else the status (413, 415 or 400) and what to send.
fn read_join_url(req: &Request<Bytes>) -> Result<String, (StatusCode, &'static str)> {
    if req.body().len() > MAX_BODY_BYTES {
        return Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            "La requête est trop volumineuse.",
        ));
    }
    if body_kind(req.headers()) != BodyKind::Json {
        return Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, MSG_JOIN_BODY));
    }
    let body: Value =
        serde_json::from_slice(req.body()).map_err(|_| (StatusCode::BAD_REQUEST, MSG_JOIN_BODY))?;
    let Some(url) = body.get("url").and_then(Value::as_str) else {
        return Err((StatusCode::BAD_REQUEST, MSG_JOIN_BODY));
    };
    let url = url.trim();
    if !valid_join_url(url) {
        return Err((StatusCode::BAD_REQUEST, MSG_JOIN_URL));
    }
    Ok(url.to_owned())
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

fn to_csv(list: &[Registration]) -> Result<Vec<u8>, csv::Error> {
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
    fn csv_cells_cannot_be_formulas() {
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("Ada"), "Ada");
    }

    #[test]
    fn join_urls_are_https_or_local_http() {
        for ok in [
            "https://meet.example.org/abc?pwd=1",
            "https://zoom.us/j/123",
            "http://localhost:8080/salle",
            "http://127.0.0.1/salle",
            "http://[::1]:9000/",
        ] {
            assert!(valid_join_url(ok), "{ok}");
        }
        for bad in [
            "",
            "meet.example.org/abc",
            "http://meet.example.org/abc",
            "ftp://example.org/",
            "javascript:alert(1)",
            "https://",
            "https://exa mple.org/",
            "https://example.org/\n",
            "http://localhost.example.org/",
            "mailto:a@example.org",
        ] {
            assert!(!valid_join_url(bad), "{bad}");
        }
        assert!(!valid_join_url(&format!(
            "https://example.org/{}",
            "a".repeat(2000)
        )));
    }
}
