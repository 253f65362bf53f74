//! `classmates import`: brings content from elsewhere into `content/` (a Pelican site, links
//! shared on Discord) and prints a report of what was converted, created and left aside.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::import::discord::{self, DiscordOptions};
use crate::import::pelican::{self, PelicanOptions};

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub from: ImportFrom,
}

#[derive(Debug, Subcommand)]
pub enum ImportFrom {
    /// Convertit un dossier de contenu Pelican en articles (et pages) du site.
    Pelican(PelicanArgs),
    /// Crée des ressources brouillons avec les liens d'un export JSON de DiscordChatExporter.
    Discord(DiscordArgs),
}

#[derive(Debug, Args)]
pub struct PelicanArgs {
    /// Dossier de contenu Pelican (celui qui contient les articles `.md`).
    pub dir: PathBuf,
    /// Montre ce qui serait fait, sans rien écrire.
    #[arg(long)]
    pub dry_run: bool,
    /// Auteur des articles sans en-tête `Author:` (sinon `AUTHOR` de pelicanconf.py).
    #[arg(long)]
    pub author: Option<String>,
}

#[derive(Debug, Args)]
pub struct DiscordArgs {
    /// Export JSON d'un salon (DiscordChatExporter).
    pub export: PathBuf,
    /// Récupère chaque page pour son titre et sa description (<title>, og:title).
    #[arg(long)]
    pub fetch_titles: bool,
    /// Montre ce qui serait fait, sans rien écrire.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(root: &Path, args: ImportArgs) -> ExitCode {
    let result = match args.from {
        ImportFrom::Pelican(a) => pelican::import(
            root,
            &PelicanOptions {
                source: a.dir,
                dry_run: a.dry_run,
                author: a.author,
            },
        ),
        ImportFrom::Discord(a) => discord::import(
            root,
            &DiscordOptions {
                export: a.export,
                fetch_titles: a.fetch_titles,
                dry_run: a.dry_run,
            },
        ),
    };
    match result {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            super::report_error(&e);
            eprintln!("L'import a échoué.");
            ExitCode::FAILURE
        }
    }
}
