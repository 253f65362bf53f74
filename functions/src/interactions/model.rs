//! The parts of Discord's interaction objects this app reads, and the interaction responses it
//! sends (as documented in « Receiving and Responding » of Discord's developer docs). Unknown
//! fields are ignored: Discord adds fields without notice.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::discord::{AllowedMentions, WebhookMessage};

/// Interaction types.
pub const PING: u8 = 1;
pub const APPLICATION_COMMAND: u8 = 2;
pub const MESSAGE_COMPONENT: u8 = 3;
pub const APPLICATION_COMMAND_AUTOCOMPLETE: u8 = 4;
pub const MODAL_SUBMIT: u8 = 5;

/// Application command types (`data.type`).
pub const CHAT_INPUT: u8 = 1;
pub const MESSAGE_COMMAND: u8 = 3;

/// Interaction callback types.
pub const PONG: u8 = 1;
pub const CHANNEL_MESSAGE_WITH_SOURCE: u8 = 4;
pub const MODAL: u8 = 9;

/// Message flag: only the member who acted sees the answer.
pub const EPHEMERAL: u64 = 1 << 6;

/// An interaction as received.
#[derive(Debug, Clone, Deserialize)]
pub struct Interaction {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: u8,
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default)]
    pub guild_id: Option<String>,
    #[serde(default)]
    pub channel_id: Option<String>,
    #[serde(default)]
    pub channel: Option<PartialChannel>,
    /// Present in a server.
    #[serde(default)]
    pub member: Option<Member>,
    /// Present in a direct message.
    #[serde(default)]
    pub user: Option<User>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PartialChannel {
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Member {
    #[serde(default)]
    pub nick: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
    #[serde(default)]
    pub global_name: Option<String>,
    #[serde(default)]
    pub bot: bool,
}

impl User {
    /// The name other members see: the display name, else the username.
    pub fn display_name(&self) -> &str {
        self.global_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(&self.username)
    }
}

impl Interaction {
    /// The member or user who acted.
    pub fn actor(&self) -> Option<&User> {
        self.member
            .as_ref()
            .and_then(|m| m.user.as_ref())
            .or(self.user.as_ref())
    }

    /// The actor's name as shown in this server: nickname, display name, username.
    pub fn actor_display_name(&self) -> Option<&str> {
        let nick = self
            .member
            .as_ref()
            .and_then(|m| m.nick.as_deref())
            .filter(|n| !n.trim().is_empty());
        nick.or_else(|| self.actor().map(User::display_name))
    }

    /// `data` read as `T`, when present and well formed.
    pub fn data_as<T: for<'de> Deserialize<'de>>(&self) -> Option<T> {
        self.data
            .as_ref()
            .and_then(|data| T::deserialize(data).ok())
    }
}

/// `data` of an APPLICATION_COMMAND.
#[derive(Debug, Clone, Deserialize)]
pub struct CommandData {
    pub name: String,
    #[serde(rename = "type", default = "chat_input")]
    pub kind: u8,
    #[serde(default)]
    pub target_id: Option<String>,
    #[serde(default)]
    pub resolved: Option<Resolved>,
}

fn chat_input() -> u8 {
    CHAT_INPUT
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Resolved {
    #[serde(default)]
    pub messages: HashMap<String, Message>,
}

/// A message (the target of a message command).
#[derive(Debug, Clone, Deserialize)]
pub struct Message {
    pub id: String,
    pub channel_id: String,
    #[serde(default)]
    pub guild_id: Option<String>,
    pub author: User,
    #[serde(default)]
    pub content: String,
    /// ISO 8601.
    pub timestamp: String,
    #[serde(default)]
    pub embeds: Vec<MessageEmbed>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MessageEmbed {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// `data` of a MESSAGE_COMPONENT.
#[derive(Debug, Clone, Deserialize)]
pub struct ComponentData {
    pub custom_id: String,
}

/// `data` of a MODAL_SUBMIT.
#[derive(Debug, Clone, Deserialize)]
pub struct ModalData {
    pub custom_id: String,
    #[serde(default)]
    pub components: Vec<Value>,
}

impl ModalData {
    /// The value of the text input `custom_id`, whether it came in a Label (type 18, `component`)
    /// or in an action row (type 1, `components`).
    pub fn value(&self, custom_id: &str) -> Option<&str> {
        fn find<'a>(component: &'a Value, custom_id: &str) -> Option<&'a str> {
            if component.get("custom_id").and_then(Value::as_str) == Some(custom_id) {
                return component.get("value").and_then(Value::as_str);
            }
            if let Some(child) = component.get("component") {
                if let Some(found) = find(child, custom_id) {
                    return Some(found);
                }
            }
            component
                .get("components")
                .and_then(Value::as_array)
                .and_then(|children| children.iter().find_map(|c| find(c, custom_id)))
        }
        self.components.iter().find_map(|c| find(c, custom_id))
    }
}

/// `{"type": 1}`.
pub fn pong() -> Value {
    json!({ "type": PONG })
}

/// A message answering the interaction, seen only by the member who acted, pinging nobody.
/// `message` is already cut to Discord's limits.
pub fn ephemeral(message: &WebhookMessage) -> Value {
    let mut data = serde_json::to_value(message).unwrap_or_else(|_| json!({}));
    data["flags"] = json!(EPHEMERAL);
    json!({ "type": CHANNEL_MESSAGE_WITH_SOURCE, "data": data })
}

/// An ephemeral text answer.
pub fn ephemeral_text(text: impl Into<String>) -> Value {
    ephemeral(&WebhookMessage::new(Some(text.into()), Vec::new()))
}

/// The `allowed_mentions` every answer carries.
pub fn no_mentions() -> Value {
    serde_json::to_value(AllowedMentions::NONE).unwrap_or_else(|_| json!({ "parse": [] }))
}
