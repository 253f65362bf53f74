//! The build pipeline, end to end: load → parse → resolve → render → write. The CLI's `build`
//! goes through `build_site`, `serve` through the same code in an incremental session
//! (`crate::incremental`), `check` through `check_site`, the same build writing nothing.

use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostics;
use crate::incremental::Session;
pub use crate::incremental::{BuildError, BuildOptions, Checked};
use crate::markdown::Rendered;
use crate::site::{Publish, Site};

/// What a successful build did.
#[derive(Debug)]
pub struct BuildReport {
    pub pages: usize,
    pub files: usize,
    pub warnings: Diagnostics,
    pub elapsed: std::time::Duration,
    /// Time and peak memory phase by phase (memory only when asked for:
    /// [`crate::memory::phases_asked`]).
    pub phases: Vec<(&'static str, std::time::Duration)>,
    pub memory: Vec<(&'static str, crate::memory::Sample)>,
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

/// Makes every file of the site under `root` as [`build_site`] does, streamed the same way,
/// and writes none (`classmates check`): its problems, and what stopped the making of its
/// files, if anything did.
pub fn check_site(root: &Path, publish: Publish) -> Result<Checked, BuildError> {
    Session::new(BuildOptions {
        root: root.to_path_buf(),
        output: PathBuf::new(),
        drafts: publish.drafts,
        now: publish.now,
        base_url: None,
        registration_api: None,
    })
    .check_once()
}

/// Builds the whole site into `options.output`, or leaves it untouched on failure: a session
/// built once, its bodies streamed (`Session::build_once`).
pub fn build_site(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    let report = Session::new(options.clone()).build_once()?;
    Ok(BuildReport {
        pages: report.total_pages,
        files: report.total_files,
        warnings: report.warnings,
        elapsed: report.elapsed,
        phases: report.phases,
        memory: report.memory,
    })
}
