//! The command line: a thin layer that parses arguments and calls the library, one file per
//! subcommand. Errors and diagnostics are printed in one place (`report`).

mod build;
mod check;
mod discord;
mod http_server;
mod import;
mod new;
mod schema;
mod serve;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::diagnostics::Diagnostics;

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
    }
}

/// Prints diagnostics on stderr, rustc-style, with a summary line.
pub fn report(diagnostics: Diagnostics) {
    let renderer = if std::io::stderr().is_terminal() {
        annotate_snippets::Renderer::styled()
    } else {
        annotate_snippets::Renderer::plain()
    };
    eprint!("{}", report_text(diagnostics, &renderer));
}

/// The text [`report`] prints, rendered by `renderer`.
pub fn report_text(diagnostics: Diagnostics, renderer: &annotate_snippets::Renderer) -> String {
    let (errors, warnings) = (diagnostics.error_count(), diagnostics.warning_count());
    let mut text = String::new();
    for d in diagnostics.sorted() {
        text.push_str(&d.render(renderer));
        text.push_str("\n\n");
    }
    if errors + warnings > 0 {
        text.push_str(&format!(
            "{errors} erreur(s), {warnings} avertissement(s)\n"
        ));
    }
    text
}

/// Prints an unexpected error and its causes.
pub fn report_error(error: &anyhow::Error) {
    eprint!("{}", error_text(error));
}

/// The text [`report_error`] prints.
pub fn error_text(error: &anyhow::Error) -> String {
    let mut text = format!("erreur : {error}\n");
    for cause in error.chain().skip(1) {
        text.push_str(&format!("  cause : {cause}\n"));
    }
    text
}
