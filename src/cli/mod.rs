//! The command line: a thin layer that parses arguments and calls the library, one file per
//! subcommand. Errors and diagnostics are printed in one place (`report.rs`).

mod build;
mod check;
mod discord;
mod http_server;
mod import;
mod new;
mod report;
mod schema;
mod serve;
mod token;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "classmates",
    version,
    about = "Générateur du site PythonClassmates"
)]
pub struct Cli {
    /// Racine du site (contient site.yaml, content/ et themes/).
    #[arg(long, global = true, default_value = ".")]
    pub root: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Construit le site statique.
    Build(build::BuildArgs),
    /// Construit le site et le sert en local, avec l'API d'inscription sous /api.
    Serve(serve::ServeArgs),
    /// Vérifie tout le site sans rien écrire (sortie 1 s'il y a des erreurs).
    Check(check::CheckArgs),
    /// Crée un nouveau contenu prêt à remplir et affiche son chemin.
    New(new::NewArgs),
    /// Écrit les schémas JSON des en-têtes et de site.yaml, pour les éditeurs.
    Schema(schema::SchemaArgs),
    /// Importe du contenu d'ailleurs : un site Pelican, les liens d'un salon Discord.
    Import(import::ImportArgs),
    /// Met en place l'application Discord (ses commandes sur le serveur).
    Discord(discord::DiscordArgs),
    /// Affiche le jeton d'organisateur d'un événement (dérivé de ADMIN_TOKEN ou du jeton local
    /// de `serve`) : il ouvre sa liste des inscrits et son lien de connexion.
    Token(token::TokenArgs),
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build(args) => build::run(&cli.root, args),
        Command::Serve(args) => serve::run(&cli.root, args),
        Command::Check(args) => check::run(&cli.root, args),
        Command::New(args) => new::run(&cli.root, args),
        Command::Schema(args) => schema::run(&cli.root, args),
        Command::Import(args) => import::run(&cli.root, args),
        Command::Discord(args) => discord::run(args),
        Command::Token(args) => token::run(&cli.root, args),
    }
}
