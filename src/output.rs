//! Writing the built site, the one place that writes into the output folder. A full build
//! writes everything into a fresh temporary folder next to the output, which replaces the
//! previous output only once the whole build succeeded (a failed build leaves the previous site
//! untouched); a rebuild replaces each changed file at once (a reader never sees half a file)
//! and deletes the files no longer part of the site. What to write is decided by the caller
//! (`crate::incremental`); this module only writes.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;

/// One file of the built site: its path relative to the output folder and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub path: String,
    pub bytes: Vec<u8>,
}

impl Output {
    pub fn new(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Output {
        Output {
            path: path.into(),
            bytes: bytes.into(),
        }
    }
}

/// A build in progress, in a temporary folder beside its final place.
pub struct Staging {
    dir: tempfile::TempDir,
    target: PathBuf,
}

impl Staging {
    pub fn new(target: &Path) -> Result<Staging> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("création de {}", parent.display()))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "public".into());
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{name}.build-"))
            .tempdir_in(&parent)
            .with_context(|| {
                format!("création d'un dossier temporaire dans {}", parent.display())
            })?;
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `bytes` into the staged site at `rel` (from any thread: a fresh build writes each
    /// page as soon as it is rendered).
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        write_file(&self.dir.path().join(rel), bytes)
    }

    /// Copies a file into the staged site at `rel`.
    pub fn copy(&self, from: &Path, rel: &str) -> Result<()> {
        let to = self.dir.path().join(rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("création de {}", parent.display()))?;
        }
        std::fs::copy(from, &to)
            .with_context(|| format!("copie de {} vers {}", from.display(), to.display()))?;
        Ok(())
    }

    /// Puts the staged site in place of the previous output.
    pub fn commit(self) -> Result<()> {
        let staged = self.dir.keep();
        let target = &self.target;
        let old = if target.exists() {
            let old = staged.with_file_name(format!(
                "{}.old",
                staged
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ));
            std::fs::rename(target, &old)
                .with_context(|| format!("remplacement de {}", target.display()))?;
            Some(old)
        } else {
            None
        };
        if let Err(e) = std::fs::rename(&staged, target) {
            if let Some(old) = &old {
                let _ = std::fs::rename(old, target);
            }
            let _ = std::fs::remove_dir_all(&staged);
            return Err(e).with_context(|| format!("mise en place de {}", target.display()));
        }
        if let Some(old) = old {
            std::fs::remove_dir_all(&old)
                .with_context(|| format!("suppression de {}", old.display()))?;
        }
        Ok(())
    }
}

/// Ends a fresh build whose rendered files are in `staging`: copies `copies` (path in the
/// site, file to copy) in order (a later file wins over an earlier one at the same path, and
/// over a rendered file), then puts the staged site in place of the previous output.
pub fn finish_fresh(staging: Staging, copies: &[(&str, &Path)]) -> Result<()> {
    for (rel, from) in copies {
        staging.copy(from, rel)?;
    }
    staging.commit()
}

/// Writes `files` (path in the site, bytes; in parallel) and copies `copies` into `output`,
/// each replacing its previous version at once.
pub fn write_in_place(
    output: &Path,
    files: &[(&str, &[u8])],
    copies: &[(&str, &Path)],
) -> Result<()> {
    files
        .par_iter()
        .try_for_each(|(rel, bytes)| replace_file(&output.join(rel), |to| write_file(to, bytes)))?;
    for (rel, from) in copies {
        let to = output.join(rel);
        replace_file(&to, |tmp| {
            std::fs::copy(from, tmp)
                .map(|_| ())
                .with_context(|| format!("copie de {} vers {}", from.display(), to.display()))
        })?;
    }
    Ok(())
}

/// Removes a file that is no longer part of the site, and the folders it leaves empty.
pub fn remove(output: &Path, rel: &str) {
    let path = output.join(rel);
    let _ = std::fs::remove_file(&path);
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == output || !d.starts_with(output) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// Produces `path` through `make` into a temporary file beside it, then renames it into place.
fn replace_file(path: &Path, make: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.classmates-tmp"));
    if let Err(e) = make(&tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).with_context(|| format!("écriture de {}", path.display()))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("création de {}", parent.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("écriture de {}", path.display()))
}
