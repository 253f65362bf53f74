//! « Proposer au site » (a message command: right-click a message → Apps): the links of the
//! message become suggestions for the site, judged by the same rules as `classmates import
//! discord` ([`crate::links`]): Discord's links and GIFs, the site's own pages and the resources
//! it has are left out, a link proposed before is not stored again, and the answer says which.
//! Maintainers then import the suggestions as draft resources (`import discord --from-api`).

use crate::catalog::Catalog;
use crate::discord::WebhookMessage;
use crate::links::{Sieve, Verdict, message_links};
use crate::manifest::SiteLinks;
use crate::store::{ProposeOutcome, Store, Suggestion};

use super::model::{CommandData, Interaction, Message};

/// The command's name, as members see it in the Apps menu.
pub const PROPOSE_COMMAND: &str = "Proposer au site";
/// Longest link accepted, in bytes of its normalised form (a DynamoDB sort key holds 1024).
pub const MAX_KEY_BYTES: usize = 900;

/// The link to a message in Discord.
pub fn message_url(guild_id: Option<&str>, channel_id: &str, message_id: &str) -> String {
    format!(
        "https://discord.com/channels/{}/{channel_id}/{message_id}",
        guild_id.unwrap_or("@me")
    )
}

/// What one link became, for the answer.
enum Line {
    Stored(String),
    Earlier(String, Box<Suggestion>),
    OnSite(String, String),
    OwnSite(String),
    Ignored(String),
    TooLong,
    Failed(String),
}

/// The answer to the command on `interaction` (already known to be this command).
pub async fn propose(
    store: &dyn Store,
    links: &Catalog<SiteLinks>,
    interaction: &Interaction,
    data: &CommandData,
    now: chrono::DateTime<chrono::Utc>,
) -> WebhookMessage {
    let message = data.target_id.as_ref().and_then(|id| {
        data.resolved
            .as_ref()
            .and_then(|resolved| resolved.messages.get(id))
    });
    let Some(message) = message else {
        return text("Je ne retrouve pas ce message : réessayez depuis le message lui-même.");
    };
    if message.author.bot {
        return text(
            "Les liens des messages de robots ne sont pas repris : proposez plutôt le message d’un membre.",
        );
    }
    let found = message_links(
        &message.content,
        message.embeds.iter().filter_map(|e| e.url.as_deref()),
    );
    if found.is_empty() {
        return text(
            "Ce message ne contient pas de lien à proposer. « Proposer au site » reprend les liens (https://…) d’un message pour les ressources du site.",
        );
    }
    let mut sieve = match links.manifest().await {
        Ok(site) => {
            let mut sieve = Sieve::new(&site.base_url);
            for resource in &site.resources {
                sieve.add_known(&resource.url, resource.page.clone());
            }
            sieve
        }
        // Without the site's list, the importer still leaves out what the site has.
        Err(err) => {
            tracing::warn!(error = %err, "site links unavailable, proposals not checked against the site");
            Sieve::default()
        }
    };
    let proposed_by = interaction
        .actor_display_name()
        .unwrap_or("un membre")
        .to_owned();
    let mut lines = Vec::new();
    for link in found {
        let Some(verdict) = sieve.judge(&link, &message.id) else {
            continue;
        };
        lines.push(match verdict {
            Verdict::Ignored => Line::Ignored(link),
            Verdict::OwnSite => Line::OwnSite(link),
            Verdict::OnSite(page) => Line::OnSite(link, page),
            // Within one message, each page comes once.
            Verdict::SharedBefore(_) => continue,
            Verdict::New { key, .. } if key.len() > MAX_KEY_BYTES => Line::TooLong,
            Verdict::New { key, url } => {
                let suggestion =
                    suggestion(interaction, message, key, url.as_str(), &proposed_by, now);
                match store.propose(&suggestion).await {
                    Ok(ProposeOutcome::Stored) => {
                        tracing::info!(message = %message.id, "link proposed");
                        Line::Stored(suggestion.url)
                    }
                    Ok(ProposeOutcome::AlreadyProposed(earlier)) => {
                        Line::Earlier(suggestion.url, earlier)
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "storing a suggestion failed");
                        Line::Failed(suggestion.url)
                    }
                }
            }
        });
    }
    text(&answer(&lines))
}

fn suggestion(
    interaction: &Interaction,
    message: &Message,
    key: String,
    url: &str,
    proposed_by: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Suggestion {
    let embed = message.embeds.iter().find(|e| {
        e.url
            .as_deref()
            .and_then(crate::links::normalize)
            .as_deref()
            == Some(key.as_str())
    });
    let nonempty = |value: Option<&String>| value.filter(|v| !v.trim().is_empty()).cloned();
    Suggestion {
        key,
        url: url.to_owned(),
        content: message.content.clone(),
        author: message.author.display_name().to_owned(),
        guild_id: message
            .guild_id
            .clone()
            .or_else(|| interaction.guild_id.clone()),
        channel_id: message.channel_id.clone(),
        message_id: message.id.clone(),
        channel_name: interaction.channel.as_ref().and_then(|c| c.name.clone()),
        message_at: message.timestamp.clone(),
        embed_title: nonempty(embed.and_then(|e| e.title.as_ref())),
        embed_description: nonempty(embed.and_then(|e| e.description.as_ref())),
        proposed_by: proposed_by.to_owned(),
        proposed_at: now,
    }
}

fn text(text: &str) -> WebhookMessage {
    WebhookMessage::new(Some(text.to_owned()), Vec::new())
}

/// The answer, one line per link (links in `<…>`: no preview).
fn answer(lines: &[Line]) -> String {
    let mut out = String::new();
    let stored = lines.iter().any(|l| matches!(l, Line::Stored(_)));
    if stored {
        out.push_str("Merci ! Les mainteneurs relisent chaque proposition avant de la publier sur le site.\n\n");
    }
    for line in lines {
        out.push_str(&match line {
            Line::Stored(url) => format!("✅ <{url}> : proposé."),
            Line::Earlier(url, earlier) => format!(
                "🔁 <{url}> : déjà proposé par {} le <t:{}:D> ({}).",
                crate::discord::escape_markdown(&earlier.proposed_by),
                earlier.proposed_at.timestamp(),
                message_url(
                    earlier.guild_id.as_deref(),
                    &earlier.channel_id,
                    &earlier.message_id
                )
            ),
            Line::OnSite(url, page) => format!("📚 <{url}> : déjà sur le site : {page}"),
            Line::OwnSite(url) => format!("🏠 <{url}> : c’est une page du site lui-même."),
            Line::Ignored(url) => format!("🚫 <{url}> : lien Discord ou GIF, non repris."),
            Line::TooLong => "🚫 Un lien trop long n’a pas été repris.".to_owned(),
            Line::Failed(url) => format!(
                "⚠️ <{url}> : enregistrement impossible pour le moment, réessayez dans un instant."
            ),
        });
        out.push('\n');
    }
    out.trim_end().to_owned()
}
