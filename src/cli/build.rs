//! `classmates build`: builds the site into `public/` (or `--output`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, FixedOffset};
use clap::Args;

use crate::build::{BuildError, BuildOptions, build_site};

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Dossier de sortie, remplacé en entier si la construction réussit.
    #[arg(long, short, default_value = "public")]
    pub output: PathBuf,
    /// Inclut les brouillons et les contenus programmés plus tard.
    #[arg(long)]
    pub drafts: bool,
    /// Date de référence (RFC 3339) : publication programmée, événements à venir ou passés.
    #[arg(long, value_parser = parse_now)]
    pub now: Option<DateTime<FixedOffset>>,
    /// Remplace `base_url` de site.yaml (par exemple pour une prévisualisation).
    #[arg(long)]
    pub base_url: Option<String>,
}

fn parse_now(text: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("date RFC 3339 attendue, par exemple 2026-12-01T12:00:00+01:00 ({e})"))
}

pub fn run(root: &Path, args: BuildArgs) -> ExitCode {
    let output = if args.output.is_absolute() {
        args.output.clone()
    } else {
        root.join(&args.output)
    };
    let options = BuildOptions {
        root: root.to_path_buf(),
        output: output.clone(),
        drafts: args.drafts,
        now: crate::dates::now_or(args.now),
        base_url: args.base_url,
        registration_api: None,
    };
    match build_site(&options) {
        Ok(report) => {
            super::report::report(report.warnings);
            eprintln!(
                "Site construit dans {} : {} pages, {} fichiers en {} ms",
                output.display(),
                report.pages,
                report.files,
                report.elapsed.as_millis()
            );
            if crate::memory::phases_asked() {
                print_phases(&report.phases, &report.memory);
            }
            ExitCode::SUCCESS
        }
        Err(BuildError::Invalid(diagnostics)) => {
            super::report::report(diagnostics);
            eprintln!("La construction a échoué : le site précédent est conservé.");
            ExitCode::FAILURE
        }
        Err(BuildError::Other(e)) => {
            super::report::report_error(&e);
            eprintln!("La construction a échoué : le site précédent est conservé.");
            ExitCode::FAILURE
        }
    }
}

/// The build's phases on standard error, one a line: time, peak and resident memory after it
/// (`CLASSMATES_PHASES=1`, read by `benches/compare.sh`).
fn print_phases(phases: &[(&str, std::time::Duration)], memory: &[(&str, crate::memory::Sample)]) {
    for (phase, elapsed) in phases {
        let memory = memory.iter().find(|(p, _)| p == phase);
        match memory {
            Some((_, m)) => eprintln!(
                "phase\t{phase}\t{} ms\tpic {} Mio\tfin {} Mio",
                elapsed.as_millis(),
                m.peak_kib / 1024,
                m.rss_kib / 1024
            ),
            None => eprintln!("phase\t{phase}\t{} ms", elapsed.as_millis()),
        }
    }
}
