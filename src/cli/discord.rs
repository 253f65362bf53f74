//! `classmates discord commands`: declares the Discord application's commands (`/evenements`,
//! « Proposer au site ») for the server, with the bot token; the work is
//! `classmates_api::interactions::commands`. Idempotent: run it again after each change.

use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow};
use clap::{Args, Subcommand};

use classmates_api::config::DEFAULT_DISCORD_API_BASE;
use classmates_api::discord::DiscordClient;
use classmates_api::interactions::commands;

#[derive(Debug, Args)]
pub struct DiscordArgs {
    #[command(subcommand)]
    pub action: DiscordAction,
}

#[derive(Debug, Subcommand)]
pub enum DiscordAction {
    /// Déclare les commandes de l'application pour le serveur (DISCORD_BOT_TOKEN,
    /// DISCORD_APPLICATION_ID, DISCORD_GUILD_ID) ; sans effet si elles sont déjà à jour.
    Commands,
}

fn var(name: &str) -> Result<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            anyhow!("la variable d'environnement {name} manque (voir README.md, « Application Discord »)")
        })
}

fn commands() -> Result<Vec<String>> {
    let token = var("DISCORD_BOT_TOKEN")?;
    let application = var("DISCORD_APPLICATION_ID")?;
    let guild = var("DISCORD_GUILD_ID")?;
    let base = var("DISCORD_API_BASE").unwrap_or_else(|_| DEFAULT_DISCORD_API_BASE.to_owned());
    // The token is a secret: errors never repeat it.
    let client = DiscordClient::rest(&base, &token)
        .map_err(|reason| anyhow!("DISCORD_API_BASE invalide : {reason}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime
        .block_on(commands::register(&client, &application, &guild))
        .context("Discord a refusé les commandes (vérifiez le jeton du robot et les identifiants)")
}

pub fn run(args: DiscordArgs) -> ExitCode {
    match args.action {
        DiscordAction::Commands => match commands() {
            Ok(names) => {
                println!("Commandes déclarées pour le serveur : {}", names.join(", "));
                ExitCode::SUCCESS
            }
            Err(err) => {
                super::report::report_error(&err);
                ExitCode::FAILURE
            }
        },
    }
}
