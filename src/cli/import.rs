//! `classmates import`: brings content from elsewhere into `content/` (a Pelican site, links
//! shared on Discord) and prints a report of what was converted, created and left aside.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::import::discord::{self, ApiOptions, DiscordOptions};
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
    #[arg(required_unless_present = "from_api", conflicts_with = "from_api")]
    pub export: Option<PathBuf>,
    /// Lit plutôt les propositions faites depuis Discord (« Proposer au site ») auprès de la
    /// fonction d'inscription à cette adresse (sa base, par exemple https://…/api), avec le
    /// jeton de la variable d'environnement ADMIN_TOKEN, puis les marque reprises.
    #[arg(long, value_name = "URL")]
    pub from_api: Option<String>,
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
        ImportFrom::Discord(a) => match (a.export, a.from_api) {
            (_, Some(url)) => match std::env::var("ADMIN_TOKEN") {
                Ok(token) if !token.trim().is_empty() => discord::import_from_api(
                    root,
                    &ApiOptions {
                        url,
                        token,
                        fetch_titles: a.fetch_titles,
                        dry_run: a.dry_run,
                    },
                ),
                _ => Err(anyhow::anyhow!(
                    "--from-api lit le jeton d'administration dans la variable d'environnement \
                     ADMIN_TOKEN : définissez-la (la même valeur que celle de la fonction)"
                )),
            },
            (Some(export), None) => discord::import(
                root,
                &DiscordOptions {
                    export,
                    fetch_titles: a.fetch_titles,
                    dry_run: a.dry_run,
                },
            ),
            (None, None) => Err(anyhow::anyhow!(
                "donnez l'export JSON d'un salon, ou --from-api URL"
            )),
        },
    };
    match result {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            super::report::report_error(&e);
            eprintln!("L'import a échoué.");
            ExitCode::FAILURE
        }
    }
}
