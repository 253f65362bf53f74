//! `classmates schema`: writes the JSON Schemas of the front matter and of `site.yaml`, for
//! editors (the committed copies in `schemas/` are checked against the code by the tests).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Dossier où écrire les schémas (relatif à la racine du site).
    #[arg(long, short, default_value = crate::schema::SCHEMA_DIR)]
    pub output: PathBuf,
}

pub fn run(root: &Path, args: SchemaArgs) -> ExitCode {
    let dir = if args.output.is_absolute() {
        args.output
    } else {
        root.join(args.output)
    };
    match crate::schema::write(&dir) {
        Ok(paths) => {
            for path in paths {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            super::report::report_error(&e);
            ExitCode::FAILURE
        }
    }
}
