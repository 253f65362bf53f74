//! `classmates check`: validates the whole site without building it, for contributors before a
//! pull request and for the pull-request workflow (`--format github`).

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::check::{CheckOptions, external, report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Messages détaillés avec la ligne en cause (sur la sortie d'erreur).
    Human,
    /// Commandes de workflow GitHub Actions : les problèmes s'affichent sur la pull request.
    Github,
    /// Tableau JSON (severity, file, line, column, message, help) pour d'autres outils.
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Forme des résultats.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Vérifie aussi les liens externes (réseau nécessaire ; résultats gardés 7 jours dans
    /// .classmates/link-cache.json).
    #[arg(long)]
    pub external: bool,
}

/// Exit status: 1 when there is at least one error, 0 with warnings only.
pub fn run(root: &Path, args: CheckArgs) -> ExitCode {
    let options = CheckOptions {
        now: crate::dates::now_or(None),
        external: args.external.then(|| external::Options {
            progress: std::io::stderr().is_terminal(),
            ..external::Options::default()
        }),
    };
    let diagnostics = crate::check::check(root, &options);
    let failed = diagnostics.has_errors();
    let (errors, warnings) = (diagnostics.error_count(), diagnostics.warning_count());
    match args.format {
        Format::Human => {
            if errors + warnings == 0 {
                eprintln!("Aucun problème trouvé.");
            } else {
                super::report::report(diagnostics);
            }
        }
        Format::Github => {
            print!("{}", report::github(&diagnostics.sorted()));
            eprintln!("{errors} erreur(s), {warnings} avertissement(s)");
        }
        Format::Json => print!("{}", report::json(&diagnostics.sorted())),
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
