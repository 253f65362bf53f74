//! Taking a registration. [`App::enrol`] is the one path every channel goes through (the event
//! page's form or JSON here, a Discord modal elsewhere): from checked fields to a seat or a place
//! in line. The route `POST /events/{slug}/registrations` reads and checks the request in named
//! steps before calling it.

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::json;

use super::respond::{
    Answer, BodyKind, MAX_BODY_BYTES, MSG_INTERNAL, MSG_UNAVAILABLE, MSG_UNKNOWN_EVENT,
    accepts_json, body_kind, client_ip, error, json_response, result_location, see_other,
};
use super::state::{App, KnownEvent};
use crate::mail::outbox::Soon;
use crate::manifest::{ClosedReason, ManifestEvent};
use crate::retention;
use crate::store::{MessageKind, NewRegistration, RegisterOutcome, StoreError, message_id};
use crate::token;
use crate::validation::{FieldErrors, RawRegistration, Registration};

/// A second registration attempt sends the confirmation again at most this often.
pub const RESEND_EVERY: chrono::TimeDelta = chrono::TimeDelta::hours(1);

const MSG_TOO_LARGE: &str = "La requête est trop volumineuse.";
const MSG_MEDIA_TYPE: &str = "Format non pris en charge : envoyez du JSON ou un formulaire (application/x-www-form-urlencoded).";
const MSG_BAD_JSON: &str = "Le corps de la requête doit être un objet JSON.";
const MSG_ADDRESS_LIMITED: &str =
    "Trop de tentatives d'inscription avec cette adresse e-mail. Réessayez dans une heure.";
const MSG_LIMITED: &str = "Trop de tentatives depuis votre connexion. Réessayez dans une minute.";
const MSG_INVALID: &str = "Certains champs sont invalides.";
const MSG_DUPLICATE: &str = "Cette adresse e-mail est déjà inscrite à cet événement.";

/// A registration recorded by [`App::enrol`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolled {
    /// [`RegisterOutcome::Registered`] or [`RegisterOutcome::Waitlisted`], never `Duplicate`.
    pub outcome: RegisterOutcome,
    /// The secret cancellation token; [`App::cancel_link`] makes the person's link from it.
    pub token: String,
}

/// Why [`App::enrol`] recorded nothing. The messages carry no personal data.
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    #[error("unknown event")]
    UnknownEvent,
    #[error("the events manifest is unavailable")]
    ManifestUnavailable,
    #[error("registrations are closed ({0:?})")]
    Closed(ClosedReason),
    /// The address is already registered or waiting for this event.
    #[error("already registered")]
    Duplicate,
    /// Too many attempts with this address lately ([`crate::ratelimit::ADDRESS_LIMIT`]).
    #[error("too many attempts with this address")]
    AddressLimited,
    #[error("no randomness for a token: {0}")]
    NoRandomness(getrandom::Error),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl EnrolError {
    /// The French sentence to show the person.
    pub fn message(&self) -> &'static str {
        match self {
            EnrolError::UnknownEvent => MSG_UNKNOWN_EVENT,
            EnrolError::ManifestUnavailable => MSG_UNAVAILABLE,
            EnrolError::Closed(reason) => closed_message(*reason),
            EnrolError::Duplicate => MSG_DUPLICATE,
            EnrolError::AddressLimited => MSG_ADDRESS_LIMITED,
            EnrolError::NoRandomness(_) | EnrolError::Store(_) => MSG_INTERNAL,
        }
    }
}

fn closed_message(reason: ClosedReason) -> &'static str {
    match reason {
        ClosedReason::NotOffered => "Cet événement ne prend pas d’inscriptions.",
        ClosedReason::Over => "Cet événement est terminé.",
        ClosedReason::DeadlinePassed => "Les inscriptions à cet événement sont closes.",
        ClosedReason::Cancelled => "Cet événement est annulé : il ne prend plus d’inscriptions.",
    }
}

/// A refused registration request, answered as JSON or, for a plain form, as a redirect to the
/// event page.
struct Failure {
    status: StatusCode,
    message: &'static str,
    /// Status word for the redirect (`?inscription=…`); `None`: answered as JSON even to a form
    /// (a request no browser form sends).
    form_status: Option<&'static str>,
    /// The faulty fields (422).
    fields: Option<FieldErrors>,
}

impl Failure {
    fn new(status: StatusCode, message: &'static str, form_status: &'static str) -> Failure {
        Failure {
            status,
            message,
            form_status: Some(form_status),
            fields: None,
        }
    }

    fn json_only(status: StatusCode, message: &'static str) -> Failure {
        Failure {
            status,
            message,
            form_status: None,
            fields: None,
        }
    }

    fn internal() -> Failure {
        Failure::new(StatusCode::INTERNAL_SERVER_ERROR, MSG_INTERNAL, "error")
    }

    fn invalid(fields: FieldErrors) -> Failure {
        Failure {
            fields: Some(fields),
            ..Failure::new(StatusCode::UNPROCESSABLE_ENTITY, MSG_INVALID, "invalid")
        }
    }

    /// The answer: a redirect back to `event_url` when `redirect` and the failure has a form
    /// status, JSON otherwise.
    fn answer(self, event_url: &str, redirect: bool) -> Response<Bytes> {
        match (redirect, self.form_status) {
            (true, Some(status)) => see_other(&result_location(event_url, status, None, None)),
            _ => match self.fields {
                Some(fields) => json_response(
                    self.status,
                    &json!({ "error": self.message, "fields": fields }),
                ),
                None => error(self.status, self.message),
            },
        }
    }
}

impl From<EnrolError> for Failure {
    fn from(err: EnrolError) -> Failure {
        let message = err.message();
        match err {
            EnrolError::UnknownEvent => Failure::json_only(StatusCode::NOT_FOUND, message),
            EnrolError::ManifestUnavailable => {
                Failure::json_only(StatusCode::SERVICE_UNAVAILABLE, message)
            }
            EnrolError::Closed(_) => Failure::new(StatusCode::FORBIDDEN, message, "closed"),
            EnrolError::Duplicate => Failure::new(StatusCode::CONFLICT, message, "duplicate"),
            EnrolError::AddressLimited => {
                Failure::new(StatusCode::TOO_MANY_REQUESTS, message, "limited")
            }
            EnrolError::NoRandomness(_) | EnrolError::Store(_) => Failure::internal(),
        }
    }
}

/// Reads the body as JSON or a form, at most [`MAX_BODY_BYTES`].
fn read_body(req: &Request<Bytes>, kind: BodyKind) -> Result<RawRegistration, Failure> {
    let body = req.body();
    if body.len() > MAX_BODY_BYTES {
        return Err(Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            MSG_TOO_LARGE,
            "invalid",
        ));
    }
    match kind {
        BodyKind::Json => RawRegistration::from_json(body)
            .map_err(|_| Failure::json_only(StatusCode::BAD_REQUEST, MSG_BAD_JSON)),
        BodyKind::Form => Ok(RawRegistration::from_form(body)),
        BodyKind::Other => Err(Failure::json_only(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            MSG_MEDIA_TYPE,
        )),
    }
}

impl App {
    /// Records `registration` for the event `slug`: the one registration path, whatever the
    /// channel. Checks that the event exists and takes registrations now. The messages' cancel
    /// links go under `link_base`, the request's own public base ([`App::link_base`]): in
    /// Lambda without `PUBLIC_API_URL`, only the request knows the function's address.
    pub async fn enrol(
        &self,
        slug: &str,
        registration: Registration,
        link_base: &str,
    ) -> Result<Enrolled, EnrolError> {
        let event = match self.inner.catalog.manifest().await {
            Ok(manifest) => KnownEvent::find(manifest, slug).ok_or(EnrolError::UnknownEvent)?,
            Err(err) => {
                tracing::error!(error = %err, "events manifest unavailable");
                return Err(EnrolError::ManifestUnavailable);
            }
        };
        self.enrol_in(&event, registration, link_base).await
    }

    /// [`App::enrol`] for an event already looked up, with cancellation links under
    /// `link_base`. The confirmation is recorded with the registration and sent before this
    /// returns, within a bounded wait.
    async fn enrol_in(
        &self,
        event: &KnownEvent,
        registration: Registration,
        link_base: &str,
    ) -> Result<Enrolled, EnrolError> {
        let slug = event.slug.as_str();
        if let Some(reason) = event.closed_reason_at(self.now()) {
            return Err(EnrolError::Closed(reason));
        }
        if self
            .inner
            .address_limiter
            .address_is_full(&registration.email_key, self.now())
        {
            tracing::warn!(
                slug,
                "registration attempts with one address over the limit"
            );
            return Err(EnrolError::AddressLimited);
        }
        let token = token::generate().map_err(|err| {
            tracing::error!(error = %err, "no randomness for a token");
            EnrolError::NoRandomness(err)
        })?;
        let email_key = registration.email_key.clone();
        let new = NewRegistration {
            token: token.clone(),
            name: registration.name,
            email: registration.email,
            email_key: registration.email_key,
            discord: registration.discord,
            registered_at: self.now(),
            keep_until: retention::keep_until(event, self.config().retention_days),
        };
        let mailing = self.mailing(link_base);
        match self
            .inner
            .store
            .register(slug, event.capacity, new, mailing)
            .await
        {
            Ok(RegisterOutcome::Duplicate) => {
                tracing::info!(slug, "duplicate registration refused");
                self.resend_confirmation(event, &email_key, link_base).await;
                Err(EnrolError::Duplicate)
            }
            Ok(outcome) => {
                tracing::info!(slug, outcome = ?outcome, "registration recorded");
                self.inner
                    .address_limiter
                    .note_address(&email_key, self.now());
                let confirmation = message_id(MessageKind::Confirmation, &token);
                self.send_soon(Soon::Message(confirmation), &event.manifest)
                    .await;
                Ok(Enrolled { outcome, token })
            }
            Err(err) => {
                tracing::error!(error = %err, slug, "registration failed");
                Err(EnrolError::Store(err))
            }
        }
    }

    /// A second registration of `email_key`: its confirmation again, at most once an hour
    /// (nothing when e-mail is off). Failures only delay nothing: the 409 answer stands.
    async fn resend_confirmation(&self, event: &KnownEvent, email_key: &str, link_base: &str) {
        let Some(mailing) = self.mailing(link_base) else {
            return;
        };
        let not_since = mailing.now - RESEND_EVERY;
        match self
            .inner
            .store
            .resend_confirmation(&event.slug, email_key, mailing, not_since)
            .await
        {
            Ok(Some(id)) => {
                tracing::info!(slug = %event.slug, "confirmation sent again");
                self.inner
                    .address_limiter
                    .note_address(email_key, self.now());
                self.send_soon(Soon::Message(id), &event.manifest).await;
            }
            Ok(None) => {}
            Err(err) => {
                tracing::error!(slug = %event.slug, error = %err, "confirmation not sent again")
            }
        }
    }

    /// `POST /events/{slug}/registrations`.
    pub(super) async fn register(&self, slug: &str, req: &Request<Bytes>) -> Answer {
        let kind = body_kind(req.headers());
        let redirect = kind == BodyKind::Form && !accepts_json(req.headers());
        // Without an event there is no page to send a form back to: JSON 404 in all cases.
        let event = self.known_event(slug).await?;
        Ok(self
            .register_steps(&event, req, kind, redirect)
            .await
            .unwrap_or_else(|failure| failure.answer(&event.url, redirect)))
    }

    /// The checks of a registration request, in the order a refusal is decided: rate limit,
    /// body, event open, honeypot, fields; then [`App::enrol_in`].
    async fn register_steps(
        &self,
        event: &KnownEvent,
        req: &Request<Bytes>,
        kind: BodyKind,
        redirect: bool,
    ) -> Result<Response<Bytes>, Failure> {
        self.within_rate_limit(req, &event.slug)?;
        let raw = read_body(req, kind)?;
        if let Some(reason) = event.closed_reason_at(self.now()) {
            return Err(EnrolError::Closed(reason).into());
        }
        if raw.is_bot() {
            return self.pretend_success(req, event, redirect);
        }
        let registration = raw.validate().map_err(Failure::invalid)?;
        let enrolled = self
            .enrol_in(event, registration, self.link_base(req))
            .await?;
        Ok(self.registered_response(req, event, &enrolled, redirect))
    }

    fn within_rate_limit(&self, req: &Request<Bytes>, slug: &str) -> Result<(), Failure> {
        match client_ip(req) {
            Some(ip) if !self.inner.limiter.allow(ip, self.now()) => {
                tracing::warn!(slug, "registration attempts over the rate limit");
                Err(Failure::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    MSG_LIMITED,
                    "limited",
                ))
            }
            _ => Ok(()),
        }
    }

    /// Honeypot filled: answers exactly as a success would (a bot that sees a refusal learns to
    /// avoid the field) but stores nothing. The token leads nowhere.
    fn pretend_success(
        &self,
        req: &Request<Bytes>,
        event: &ManifestEvent,
        redirect: bool,
    ) -> Result<Response<Bytes>, Failure> {
        tracing::info!(slug = %event.slug, "honeypot filled, registration dropped");
        let token = token::generate().map_err(|_| Failure::internal())?;
        let enrolled = Enrolled {
            outcome: RegisterOutcome::Registered,
            token,
        };
        Ok(self.registered_response(req, event, &enrolled, redirect))
    }

    fn registered_response(
        &self,
        req: &Request<Bytes>,
        event: &ManifestEvent,
        enrolled: &Enrolled,
        redirect: bool,
    ) -> Response<Bytes> {
        let (status, position) = match enrolled.outcome {
            RegisterOutcome::Waitlisted { position } => ("waitlisted", Some(position)),
            _ => ("registered", None),
        };
        let token = enrolled.token.as_str();
        if redirect {
            return see_other(&result_location(&event.url, status, position, Some(token)));
        }
        let mut body = json!({ "status": status, "cancel_url": self.cancel_url(req, token) });
        if let Some(position) = position {
            body["position"] = json!(position);
        }
        json_response(StatusCode::CREATED, &body)
    }
}
