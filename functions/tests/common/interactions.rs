//! Signed Discord interactions for the tests: a real Ed25519 key pair generated per test, and
//! payloads shaped as in Discord's documentation (« Receiving and Responding »: the interaction
//! object, with `member` in a server, `data` per type, `resolved.messages` for a message command).

use bytes::Bytes;
use ed25519_dalek::{Signer, SigningKey};
use http::Request;
use serde_json::{Value, json};

pub const APPLICATION_ID: &str = "1300000000000000001";
pub const GUILD_ID: &str = "1300000000000000002";
pub const CHANNEL_ID: &str = "1300000000000000003";
pub const MEMBER_ID: &str = "1300000000000000004";

/// The application's key pair, as Discord holds it.
pub struct DiscordKeys {
    signing: SigningKey,
}

impl DiscordKeys {
    pub fn generate() -> DiscordKeys {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).unwrap();
        DiscordKeys {
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// `DISCORD_PUBLIC_KEY`.
    pub fn public_hex(&self) -> String {
        hex::encode(self.signing.verifying_key().to_bytes())
    }

    /// `POST /discord/interactions` with `body`, signed at `timestamp` (Unix seconds).
    pub fn request_at(&self, body: &[u8], timestamp: i64) -> Request<Bytes> {
        let timestamp = timestamp.to_string();
        let mut message = timestamp.as_bytes().to_vec();
        message.extend_from_slice(body);
        let signature = hex::encode(self.signing.sign(&message).to_bytes());
        Request::builder()
            .method("POST")
            .uri("/discord/interactions")
            .header("content-type", "application/json")
            .header(
                "user-agent",
                "Discord-Interactions/1.0 (+https://discord.com)",
            )
            .header("x-signature-ed25519", signature)
            .header("x-signature-timestamp", timestamp)
            .body(Bytes::copy_from_slice(body))
            .unwrap()
    }

    pub fn request(&self, interaction: &Value, timestamp: i64) -> Request<Bytes> {
        self.request_at(&serde_json::to_vec(interaction).unwrap(), timestamp)
    }
}

fn member(nick: Option<&str>) -> Value {
    json!({
        "avatar": null,
        "communication_disabled_until": null,
        "deaf": false,
        "flags": 0,
        "joined_at": "2025-03-01T18:00:00.000000+00:00",
        "mute": false,
        "nick": nick,
        "pending": false,
        "permissions": "2248473465835073",
        "premium_since": null,
        "roles": [],
        "user": {
            "avatar": null,
            "avatar_decoration_data": null,
            "discriminator": "0",
            "global_name": "Ada L.",
            "id": MEMBER_ID,
            "public_flags": 0,
            "username": "ada_lovelace"
        }
    })
}

/// The fields every interaction in a server has, around `kind` and `data`.
pub fn interaction(kind: u8, data: Option<Value>) -> Value {
    let mut value = json!({
        "app_permissions": "2248473465835073",
        "application_id": APPLICATION_ID,
        "authorizing_integration_owners": { "0": GUILD_ID },
        "channel": {
            "flags": 0,
            "guild_id": GUILD_ID,
            "id": CHANNEL_ID,
            "name": "partage-de-liens",
            "nsfw": false,
            "parent_id": null,
            "permissions": "2248473465835073",
            "position": 3,
            "topic": null,
            "type": 0
        },
        "channel_id": CHANNEL_ID,
        "context": 0,
        "entitlement_sku_ids": [],
        "entitlements": [],
        "guild": { "features": [], "id": GUILD_ID, "locale": "fr" },
        "guild_id": GUILD_ID,
        "guild_locale": "fr",
        "id": "1310000000000000001",
        "locale": "fr",
        "member": member(None),
        "token": "aW50ZXJhY3Rpb246MTMxMDAwMDAwMDAwMDAwMDAwMTpmYWtlLXRva2Vu",
        "type": kind,
        "version": 1
    });
    if let Some(data) = data {
        value["data"] = data;
    }
    value
}

/// PING, as Discord sends it when the endpoint URL is saved (and at random afterwards).
pub fn ping() -> Value {
    json!({
        "application_id": APPLICATION_ID,
        "entitlements": [],
        "id": "1310000000000000000",
        "token": "aW50ZXJhY3Rpb246MTMxMDAwMDAwMDAwMDAwMDAwMDpmYWtlLXRva2Vu",
        "type": 1,
        "user": null,
        "version": 1
    })
}

/// A CHAT_INPUT command without options (`/name`).
pub fn slash_command(name: &str) -> Value {
    interaction(
        2,
        Some(json!({
            "guild_id": GUILD_ID,
            "id": "1320000000000000001",
            "name": name,
            "type": 1
        })),
    )
}

/// A message as Discord resolves it for a message command.
pub fn message(id: &str, content: &str, author: &str) -> Value {
    json!({
        "attachments": [],
        "author": {
            "avatar": null,
            "discriminator": "0",
            "global_name": author,
            "id": "1300000000000000099",
            "public_flags": 0,
            "username": author.to_lowercase().replace(' ', "_")
        },
        "channel_id": CHANNEL_ID,
        "components": [],
        "content": content,
        "edited_timestamp": null,
        "embeds": [],
        "flags": 0,
        "id": id,
        "mention_everyone": false,
        "mention_roles": [],
        "mentions": [],
        "pinned": false,
        "timestamp": "2026-11-18T20:15:00.000000+00:00",
        "tts": false,
        "type": 0
    })
}

/// A message command (`data.type` 3) on `message`.
pub fn message_command(name: &str, message: Value) -> Value {
    let id = message["id"].as_str().unwrap().to_owned();
    interaction(
        2,
        Some(json!({
            "guild_id": GUILD_ID,
            "id": "1320000000000000002",
            "name": name,
            "resolved": { "messages": { id.clone(): message } },
            "target_id": id,
            "type": 3
        })),
    )
}

/// A click on a button (`component_type` 2).
pub fn button_click(custom_id: &str) -> Value {
    interaction(
        3,
        Some(json!({ "component_type": 2, "custom_id": custom_id })),
    )
}

/// A modal submitted: each `(custom_id, value)` in a Label (type 18) holding a text input.
pub fn modal_submit(custom_id: &str, values: &[(&str, &str)]) -> Value {
    let components: Vec<Value> = values
        .iter()
        .enumerate()
        .map(|(i, (id, value))| {
            json!({
                "type": 18,
                "id": i * 2 + 1,
                "component": { "type": 4, "id": i * 2 + 2, "custom_id": id, "value": value }
            })
        })
        .collect();
    interaction(
        5,
        Some(json!({ "custom_id": custom_id, "components": components })),
    )
}
