//! Registering from Discord: the « S'inscrire » button of an announcement (custom_id
//! `inscription:{slug}`) opens a form (a modal) asking for the e-mail address and the name
//! (prefilled with the member's display name) under the same consent text as the event page's
//! form; submitting it goes through the same checks and the same registration path as the form
//! ([`crate::App::enrol`]: capacity, waiting list, duplicates, closed events) and the rate limit,
//! and the member sees, privately, the outcome, the waiting-list position and the cancel link.

use std::net::{IpAddr, Ipv6Addr};

use bytes::Bytes;
use http::Request;
use serde_json::{Value, json};

use crate::app::register::EnrolError;
use crate::app::state::App;
use crate::discord::escape_markdown;
use crate::store::RegisterOutcome;
use crate::validation::RawRegistration;

use super::ids::{custom_id, slug_of};
use super::model::{self, ComponentData, Interaction, ModalData};

/// The text inputs of the modal.
const EMAIL_INPUT: &str = "email";
const NAME_INPUT: &str = "name";

/// The consent text of the event page's form (themes/default/templates/partials/registration.html).
pub const CONSENT: &str = "En envoyant ce formulaire, j'accepte que PythonClassmates conserve mon nom, mon adresse e-mail et mon pseudo Discord pour gérer ma place à cet événement. Ces données ne servent qu'à l'organisation de l'événement, ne sont jamais publiées ni revendues, et sont effacées si vous annulez. Seul l'organisateur voit la liste des inscrits.";

const MSG_LIMITED: &str = "Trop de tentatives depuis votre compte. Réessayez dans une minute.";
const MSG_INVALID: &str = "Certains champs sont invalides :";

/// The rate limiter's key for a Discord member: their id in the IPv6 discard-only prefix
/// `100::/64` (RFC 6666), which no real client address ever has. Every interaction comes from
/// Discord's own addresses, so the member, not the address, is what is limited.
fn member_key(user_id: &str) -> Option<IpAddr> {
    let id: u64 = user_id.parse().ok()?;
    Some(IpAddr::V6(Ipv6Addr::from(
        (0x0100u128 << 112) | u128::from(id),
    )))
}

/// A click on the button: the modal, or why there is none.
pub async fn open_form(app: &App, interaction: &Interaction) -> Value {
    let Some(slug) = interaction
        .data_as::<ComponentData>()
        .and_then(|d| slug_of(&d.custom_id).map(str::to_owned))
    else {
        return model::ephemeral_text("Ce bouton n’est plus valable.");
    };
    let manifest = match app.manifest().await {
        Ok(manifest) => manifest,
        Err(_) => return model::ephemeral_text(EnrolError::ManifestUnavailable.message()),
    };
    let Some(event) = manifest.event(&slug) else {
        return model::ephemeral_text(EnrolError::UnknownEvent.message());
    };
    if let Some(reason) = event.closed_reason_at(app.now()) {
        return model::ephemeral_text(EnrolError::Closed(reason).message());
    }
    let name = interaction.actor_display_name().unwrap_or("");
    let title: String = format!("S’inscrire : {}", event.title)
        .chars()
        .take(45)
        .collect();
    json!({
        "type": model::MODAL,
        "data": {
            "custom_id": custom_id(&slug),
            "title": title,
            "components": [
                {
                    "type": 10,
                    "content": format!("**{}**\n📅 {}\n\n{CONSENT}", escape_markdown(&event.title), event.when)
                },
                {
                    "type": 18,
                    "label": "Adresse e-mail",
                    "description": "Pour le lien d’annulation et les nouvelles de l’événement.",
                    "component": {
                        "type": 4,
                        "custom_id": EMAIL_INPUT,
                        "style": 1,
                        "min_length": 3,
                        "max_length": 254,
                        "required": true,
                        "placeholder": "vous@exemple.org"
                    }
                },
                {
                    "type": 18,
                    "label": "Nom",
                    "component": {
                        "type": 4,
                        "custom_id": NAME_INPUT,
                        "style": 1,
                        "max_length": 100,
                        "required": true,
                        "value": name.chars().take(100).collect::<String>()
                    }
                }
            ]
        }
    })
}

/// The form submitted: registered through the one registration path.
pub async fn submit(app: &App, interaction: &Interaction, req: &Request<Bytes>) -> Value {
    let Some(data) = interaction.data_as::<ModalData>() else {
        return model::ephemeral_text("Ce formulaire n’est plus valable.");
    };
    let Some(slug) = slug_of(&data.custom_id) else {
        return model::ephemeral_text("Ce formulaire n’est plus valable.");
    };
    let actor = interaction.actor();
    if let Some(key) = actor.and_then(|user| member_key(&user.id)) {
        if !app.allow_attempt(key) {
            tracing::warn!(slug, "Discord registration attempts over the rate limit");
            return model::ephemeral_text(MSG_LIMITED);
        }
    }
    let text = |id: &str| data.value(id).map(|v| Ok(v.to_owned()));
    let raw = RawRegistration {
        name: text(NAME_INPUT),
        email: text(EMAIL_INPUT),
        // The member's Discord username, as the form's « pseudo Discord ».
        discord: actor.map(|user| Ok(user.username.clone())),
        // The modal shows the consent text above the fields; sending it is the consent.
        consent: Some(Ok("true".to_owned())),
        website: None,
    };
    let registration = match raw.validate() {
        Ok(registration) => registration,
        Err(fields) => {
            let mut text = MSG_INVALID.to_owned();
            for message in fields.values() {
                text.push_str(&format!("\n• {message}"));
            }
            return model::ephemeral_text(text);
        }
    };
    match app.enrol(slug, registration, app.link_base(req)).await {
        Ok(enrolled) => {
            let manifest = app.manifest().await.ok();
            let event = manifest.as_ref().and_then(|m| m.event(slug));
            let what = event.map_or_else(
                || "cet événement".to_owned(),
                |e| format!("« {} » ({})", escape_markdown(&e.title), e.when),
            );
            let cancel =
                absolute_cancel_link(app, req, &enrolled.token, event.map(|e| e.url.as_str()));
            let status = match enrolled.outcome {
                RegisterOutcome::Waitlisted { position } => format!(
                    "⏳ L’événement est complet : vous êtes sur la liste d’attente de {what}, en position {position}. Une place libérée vous revient dans l’ordre d’arrivée."
                ),
                _ => format!("✅ Vous êtes inscrit·e à {what}."),
            };
            model::ephemeral_text(format!(
                "{status}\nPour annuler : {cancel}\nGardez ce lien : il est personnel."
            ))
        }
        Err(err) => model::ephemeral_text(err.message()),
    }
}

/// The cancel link, absolute: under the public base this request came through, else
/// `PUBLIC_API_URL`, put under the event page's origin when it is a path (`/api`).
fn absolute_cancel_link(
    app: &App,
    req: &Request<Bytes>,
    token: &str,
    event_url: Option<&str>,
) -> String {
    let link = app.cancel_url(req, token);
    if !link.starts_with('/') {
        return link;
    }
    let origin = event_url
        .and_then(|url| url::Url::parse(url).ok())
        .map(|url| url.origin().ascii_serialization())
        .filter(|origin| origin != "null");
    match origin {
        Some(origin) => format!("{origin}{link}"),
        None => link,
    }
}
