//! The suggestions API (admin token): `GET /suggestions` lists the links proposed from Discord
//! that no import took yet; `POST /suggestions/taken` with `{"keys": [...]}` marks them taken
//! once `classmates import discord --from-api` wrote their draft resources.

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::app::respond::{error, json_response, unauthorized};
use crate::app::state::App;

const MSG_INTERNAL: &str = "Une erreur est survenue, réessayez plus tard.";
const MSG_BAD_BODY: &str =
    "Le corps de la requête doit être un objet JSON {\"keys\": [\"…\"]} (100 clés au plus).";
/// Keys accepted in one request.
pub const MAX_KEYS: usize = 100;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TakenBody {
    keys: Vec<String>,
}

/// `GET /suggestions`.
pub(crate) async fn list(app: &App, req: &Request<Bytes>) -> Response<Bytes> {
    if !app.authorized(req.headers()) {
        tracing::warn!("suggestions list refused: missing or wrong token");
        return unauthorized();
    }
    match app.store().pending_suggestions().await {
        Ok(list) => json_response(StatusCode::OK, &json!({ "suggestions": list })),
        Err(err) => {
            tracing::error!(error = %err, "listing suggestions failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, MSG_INTERNAL)
        }
    }
}

/// `POST /suggestions/taken`.
pub(crate) async fn take(app: &App, req: &Request<Bytes>) -> Response<Bytes> {
    if !app.authorized(req.headers()) {
        tracing::warn!("suggestions update refused: missing or wrong token");
        return unauthorized();
    }
    let body = match serde_json::from_slice::<TakenBody>(req.body()) {
        Ok(body) if body.keys.len() <= MAX_KEYS => body,
        _ => return error(StatusCode::BAD_REQUEST, MSG_BAD_BODY),
    };
    match app.store().take_suggestions(&body.keys, app.now()).await {
        Ok(taken) => {
            tracing::info!(taken, "suggestions taken");
            json_response(StatusCode::OK, &json!({ "taken": taken }))
        }
        Err(err) => {
            tracing::error!(error = %err, "marking suggestions taken failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, MSG_INTERNAL)
        }
    }
}
