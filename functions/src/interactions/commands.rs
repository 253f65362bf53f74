//! The application's commands, declared to Discord for one server: `/evenements` and the
//! message command « Proposer au site ». [`register`] sends them with "Bulk Overwrite Guild
//! Application Commands" (`PUT /applications/{app}/guilds/{guild}/commands`), which replaces
//! the server's commands by this list: running it again changes nothing (idempotent).

use reqwest::Method;
use serde_json::{Value, json};

use super::EVENTS_COMMAND;
use super::propose::PROPOSE_COMMAND;
use crate::discord::{DiscordClient, DiscordError};

/// GUILD (0): the commands are used in a server, not in direct messages.
const CONTEXT_GUILD: u8 = 0;
/// GUILD_INSTALL (0): the app is installed on the server.
const INSTALL_GUILD: u8 = 0;

/// The command definitions (Discord's `ApplicationCommandCreateRequest`).
pub fn definitions() -> Value {
    json!([
        {
            "name": EVENTS_COMMAND,
            "type": super::model::CHAT_INPUT,
            "description": "Les prochains événements de PythonClassmates, avec les places restantes",
            "contexts": [CONTEXT_GUILD],
            "integration_types": [INSTALL_GUILD],
        },
        {
            "name": PROPOSE_COMMAND,
            "type": super::model::MESSAGE_COMMAND,
            "contexts": [CONTEXT_GUILD],
            "integration_types": [INSTALL_GUILD],
        }
    ])
}

/// Declares [`definitions`] for `guild_id`; the names Discord registered.
pub async fn register(
    client: &DiscordClient,
    application_id: &str,
    guild_id: &str,
) -> Result<Vec<String>, DiscordError> {
    let path = format!("/applications/{application_id}/guilds/{guild_id}/commands");
    let answer = client.api(Method::PUT, &path, Some(&definitions())).await?;
    Ok(answer
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect())
}
