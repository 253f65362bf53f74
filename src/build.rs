//! The build pipeline, end to end: load → parse → resolve → render → write. The CLI's `build`
//! and `serve` both go through `build_site`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::config::Config;
use crate::content::Source;
use crate::diagnostics::Diagnostics;
use crate::markdown::Rendered;
use crate::output::Staging;
use crate::render::{self, Templates};
use crate::site::{self, Publish, Site};

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
    Other(#[from] anyhow::Error),
}

/// Loads, checks and resolves the site without writing anything.
pub fn load_site(
    root: &Path,
    publish: Publish,
    base_url: Option<&str>,
) -> Result<(Site, Vec<Rendered>, Diagnostics), BuildError> {
    let mut diagnostics = Diagnostics::default();
    let config = match Config::load(root) {
        Ok(c) => c,
        Err(problems) => {
            problems.into_iter().for_each(|d| diagnostics.push(d));
            return Err(BuildError::Invalid(diagnostics));
        }
    };
    let config = match base_url {
        Some(url) => config.with_base_url(url),
        None => config,
    };
    let (entries, unparsed, load_diagnostics) = crate::content::load(root);
    diagnostics.extend(load_diagnostics);
    let sources: Vec<Source> = entries.iter().map(|e| e.source.clone()).collect();
    let (site, resolve_diagnostics) = site::resolve(config, entries, publish);
    diagnostics.extend(resolve_diagnostics);
    // Files held back by errors in their front matter: their bodies are checked all the same,
    // so that one build reports every problem (a broken link too, not only a bad date).
    let held_back: Vec<&Source> = unparsed
        .iter()
        .chain(sources.iter().filter(|s| {
            site.get(s.kind, &s.slug).is_none()
                && diagnostics
                    .iter()
                    .any(|d| d.is_error() && d.path == s.display)
        }))
        .collect();
    for source in held_back {
        crate::markdown::render(source, &site.link_targets)
            .diagnostics
            .into_iter()
            .for_each(|d| diagnostics.push(d));
    }
    let bodies: Vec<Rendered> = site
        .items
        .par_iter()
        .map(|item| crate::markdown::render(&item.source, &site.link_targets))
        .collect();
    for body in &bodies {
        body.diagnostics
            .iter()
            .cloned()
            .for_each(|d| diagnostics.push(d));
    }
    let pages = site.items.iter().map(|item| &item.source).zip(&bodies);
    crate::anchors::check(root, pages)
        .into_iter()
        .for_each(|d| diagnostics.push(d));
    if diagnostics.has_errors() {
        return Err(BuildError::Invalid(diagnostics));
    }
    Ok((site, bodies, diagnostics))
}

/// Builds the whole site into `options.output`, or leaves it untouched on failure.
pub fn build_site(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    let started = Instant::now();
    let publish = Publish {
        now: options.now,
        drafts: options.drafts,
    };
    let (site, bodies, warnings) = load_site(&options.root, publish, options.base_url.as_deref())?;
    let templates = Templates::load(&options.root)?;
    let outputs = render::render_site(&site, &templates, &bodies)?;
    let pages = outputs.iter().filter(|o| o.path.ends_with(".html")).count();

    let staging = Staging::new(&options.output)?;
    staging.write_all(&outputs)?;
    let mut files = outputs.len();
    for (from, rel) in &templates.static_files {
        staging.copy(from, rel)?;
        files += 1;
    }
    for item in &site.items {
        if let Some(dir) = &item.source.bundle_dir {
            let base = render::file_for_url(&item.url);
            let base = base.trim_end_matches("index.html");
            for file in &item.source.bundle_files {
                staging.copy(
                    &dir.join(file),
                    &format!("{base}{}", file.to_string_lossy().replace('\\', "/")),
                )?;
                files += 1;
            }
        }
    }
    staging.commit()?;
    Ok(BuildReport {
        pages,
        files,
        warnings,
        elapsed: started.elapsed(),
    })
}
