//! The HTTP API of the function as plain async code: [`App::handle`] takes an
//! `http::Request<Bytes>` whose path is relative to the function base and returns the response,
//! whether the caller is the Lambda runtime, `classmates serve` or a test.
//!
//! Privacy: request bodies, names and e-mail addresses are never logged nor echoed back; tokens
//! are secrets, so logs name routes (`/registrations/{token}`), not paths.
use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use crate::announcements;
use crate::html;
use crate::interactions;
use crate::mail::outbox::Soon;
use crate::suggestions;

use respond::*;

mod organiser;
pub(crate) mod register;
pub(crate) mod respond;
pub(crate) mod state;

pub use register::{EnrolError, Enrolled};
pub use respond::{ClientIp, MAX_BODY_BYTES, PublicBase};
pub use state::{App, MailSyncSummary};

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

fn method_not_allowed(route: &Route<'_>) -> Response<Bytes> {
    let mut response = error(StatusCode::METHOD_NOT_ALLOWED, MSG_METHOD);
    response.headers_mut().insert(
        header::ALLOW,
        HeaderValue::from_static(route.allowed_methods()),
    );
    response
}

/// The route template of `path` (`/events/{slug}/registrations`, `unknown`), for logs that must
/// not carry the slug's token or any other value taken from the address.
pub fn route_template(path: &str) -> &'static str {
    Route::parse(path).name()
}

impl App {
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
