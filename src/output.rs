//! Writing the built site: everything goes into a fresh temporary folder next to the output,
//! which replaces the previous output only once the whole build succeeded. A failed build
//! leaves the previous site untouched.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::render::Output;

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

    /// Writes the outputs, in parallel.
    pub fn write_all(&self, outputs: &[Output]) -> Result<()> {
        outputs
            .par_iter()
            .try_for_each(|o| write_file(&self.dir.path().join(&o.path), &o.bytes))
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

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("création de {}", parent.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("écriture de {}", path.display()))
}
