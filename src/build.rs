//! The build pipeline, end to end: load → parse → resolve → render → write. The CLI's `build`
//! goes through `build_site`, `serve` through the same code in an incremental session
//! (`crate::incremental`), `check` through `load_site`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::diagnostics::Diagnostics;
use crate::incremental::Session;
use crate::markdown::Rendered;
use crate::site::{Publish, Site};

/// What to build and how.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Root of the site (holds `site.yaml`, `content/`, `themes/`).
    pub root: PathBuf,
    /// Output folder; replaced as a whole when the build succeeds.
    pub output: PathBuf,
    pub drafts: bool,
    /// The build's notion of "now": scheduled publishing and upcoming/past events.
    pub now: DateTime<Utc>,
    pub base_url: Option<String>,
    /// Replaces `registration_api` of site.yaml (`serve` points the forms at its own `/api`).
    pub registration_api: Option<String>,
}

/// What a successful build did.
#[derive(Debug)]
pub struct BuildReport {
    pub pages: usize,
    pub files: usize,
    pub warnings: Diagnostics,
    pub elapsed: std::time::Duration,
}

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The content has problems; every one found is listed.
    #[error("le site contient {} erreur(s)", .0.error_count())]
    Invalid(Diagnostics),
    #[error(transparent)]
    Other(anyhow::Error),
}

impl From<anyhow::Error> for BuildError {
    /// Problems found while planning the output (an alias over a generated file) are the
    /// content's, located like the others.
    fn from(error: anyhow::Error) -> BuildError {
        match error.downcast::<crate::render::alias::Collisions>() {
            Ok(collisions) => {
                let mut diagnostics = Diagnostics::default();
                collisions.0.into_iter().for_each(|d| diagnostics.push(d));
                BuildError::Invalid(diagnostics)
            }
            Err(error) => BuildError::Other(error),
        }
    }
}

/// Loads, checks and resolves the site without writing anything.
pub fn load_site(
    root: &Path,
    publish: Publish,
    base_url: Option<&str>,
) -> Result<(Site, Vec<Rendered>, Diagnostics), BuildError> {
    let mut session = Session::new(BuildOptions {
        root: root.to_path_buf(),
        output: PathBuf::new(),
        drafts: publish.drafts,
        now: publish.now,
        base_url: base_url.map(str::to_owned),
        registration_api: None,
    });
    let diagnostics = session.load()?;
    let (site, bodies) = session.into_site().expect("a site was loaded above");
    Ok((site, bodies, diagnostics))
}

/// Builds the whole site into `options.output`, or leaves it untouched on failure: the first
/// build of a new incremental session.
pub fn build_site(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    let report = Session::new(options.clone()).rebuild()?;
    Ok(BuildReport {
        pages: report.total_pages,
        files: report.total_files,
        warnings: report.warnings,
        elapsed: report.elapsed,
    })
}
