//! `POST /discord/interactions`: the registrations function as a Discord application answering
//! interactions over HTTP (no gateway bot to host). Every request is verified first
//! ([`verify`]); then PING gets PONG and each command, button and form gets an immediate answer,
//! ephemeral (seen only by the member who acted) and pinging nobody.
//!
//! Commands: `/evenements` ([`events`]), « Proposer au site » on a message ([`propose`]); the
//! « S'inscrire » button of announcements and its form ([`register`]).

pub mod commands;
pub mod discord_app;
pub mod events;
pub mod ids;
pub mod model;
pub mod propose;
pub mod register;
pub mod verify;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::Value;

use crate::app::respond::{error, json_response};
use crate::app::state::App;
pub use discord_app::DiscordApp;
use model::{CommandData, Interaction};

/// Largest interaction body accepted: a message command carries the whole target message
/// (2000 to 4000 characters of text, embeds, author…), more than the API's other requests.
pub const MAX_INTERACTION_BYTES: usize = 64 * 1024;

/// Name of the slash command listing the events.
pub const EVENTS_COMMAND: &str = "evenements";

const MSG_NOT_CONFIGURED: &str = "L’application Discord n’est pas configurée : définissez la variable DISCORD_PUBLIC_KEY de la fonction.";
const MSG_BAD_SIGNATURE: &str = "Signature de la requête invalide.";
const MSG_BAD_INTERACTION: &str = "Interaction Discord illisible.";
const MSG_TOO_LARGE: &str = "La requête est trop volumineuse.";
const MSG_UNKNOWN_COMMAND: &str =
    "Cette commande n’est pas (ou plus) prise en charge par l’application.";
const MSG_UNAVAILABLE: &str =
    "Le service est momentanément indisponible, réessayez dans un instant.";

fn discord_json(value: &Value) -> Response<Bytes> {
    json_response(StatusCode::OK, value)
}

/// Answers one request to `/discord/interactions`.
pub(crate) async fn handle(app: &App, req: &Request<Bytes>) -> Response<Bytes> {
    let Some(verifier) = &app.discord_app().verifier else {
        return error(StatusCode::SERVICE_UNAVAILABLE, MSG_NOT_CONFIGURED);
    };
    let body = req.body();
    if body.len() > MAX_INTERACTION_BYTES {
        return error(StatusCode::PAYLOAD_TOO_LARGE, MSG_TOO_LARGE);
    }
    if let Err(rejection) = verifier.verify(req.headers(), body, app.now()) {
        tracing::warn!(reason = rejection.as_str(), "interaction refused");
        return error(StatusCode::UNAUTHORIZED, MSG_BAD_SIGNATURE);
    }
    let interaction: Interaction = match serde_json::from_slice(body) {
        Ok(interaction) => interaction,
        Err(_) => return error(StatusCode::BAD_REQUEST, MSG_BAD_INTERACTION),
    };
    tracing::info!(
        kind = interaction.kind,
        id = %interaction.id,
        "interaction"
    );
    let answer = match interaction.kind {
        model::PING => model::pong(),
        model::APPLICATION_COMMAND => command(app, &interaction).await,
        model::MESSAGE_COMPONENT => register::open_form(app, &interaction).await,
        model::MODAL_SUBMIT => register::submit(app, &interaction, req).await,
        // Autocomplete is never declared by our commands; anything else is not for us.
        _ => return error(StatusCode::BAD_REQUEST, MSG_BAD_INTERACTION),
    };
    discord_json(&answer)
}

async fn command(app: &App, interaction: &Interaction) -> Value {
    let Some(data) = interaction.data_as::<CommandData>() else {
        return model::ephemeral_text(MSG_UNKNOWN_COMMAND);
    };
    match (data.kind, data.name.as_str()) {
        (model::CHAT_INPUT, EVENTS_COMMAND) => list_events(app).await,
        (model::MESSAGE_COMMAND, propose::PROPOSE_COMMAND) => model::ephemeral(
            &propose::propose(
                app.store().as_ref(),
                &app.discord_app().links,
                interaction,
                &data,
                app.now(),
            )
            .await,
        ),
        _ => model::ephemeral_text(MSG_UNKNOWN_COMMAND),
    }
}

/// `/evenements`.
async fn list_events(app: &App) -> Value {
    let Ok(manifest) = app.manifest().await else {
        return model::ephemeral_text(MSG_UNAVAILABLE);
    };
    let now = app.now();
    let all = manifest
        .events
        .iter()
        .filter(|e| e.end.to_utc() > now)
        .count();
    let shown = events::upcoming(&manifest, now);
    let mut listed = Vec::with_capacity(shown.len());
    for event in shown {
        match app.store().counts(&event.slug).await {
            Ok(counts) => listed.push((event, counts)),
            Err(err) => {
                tracing::error!(error = %err, slug = %event.slug, "counting registrations failed");
                return model::ephemeral_text(MSG_UNAVAILABLE);
            }
        }
    }
    model::ephemeral(&events::answer(&listed, all - listed.len(), now))
}
