//! Watching a site's sources for `serve`: `content/`, `themes/`, `templates/` and `site.yaml`,
//! through the system's file events (`notify`) or, with `--poll`, by looking at the files at
//! regular intervals (native events can miss changes on network and virtual file systems).
//! Editors' temporary files are ignored, and the events of one save come as one batch.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use notify::event::{AccessKind, AccessMode};
use notify::{Event, EventKind, RecursiveMode};

use crate::config::CONFIG_FILE;
use crate::content::load::CONTENT_DIR;
use crate::render::templates::{OVERRIDES_DIR, THEME_DIR};

/// How long a batch waits for more events after the last one: the events of one save (an
/// editor writing a temporary file, renaming it, touching its backup…) come within it.
pub const QUIET: Duration = Duration::from_millis(10);

/// The longest a batch gathers events, however busy the file system.
pub const MAX_BATCH: Duration = Duration::from_millis(300);

/// Changes seen together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The changed paths, in the order first seen, each once.
    pub paths: Vec<PathBuf>,
    /// Events were lost (the system's queue overflowed): anything may have changed.
    pub everything: bool,
    /// When the first event of the batch arrived (or the deadline passed, for an empty batch).
    pub first_seen: Instant,
}

impl Batch {
    /// Whether nothing changed: the wait ended at its deadline.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && !self.everything
    }
}

/// Watches the sources of a site.
pub struct Watcher {
    root: PathBuf,
    inner: Box<dyn notify::Watcher + Send>,
    events: Receiver<notify::Result<Event>>,
    /// Folders of the root watched recursively (`content/`, `themes/`, `templates/`).
    watched: Vec<PathBuf>,
}

impl Watcher {
    /// Starts watching the site under `root`: with the system's events, or by polling every
    /// `poll` when given.
    pub fn new(root: &Path, poll: Option<Duration>) -> Result<Watcher> {
        let (sender, events) = channel();
        let inner: Box<dyn notify::Watcher + Send> = match poll {
            Some(interval) => Box::new(
                notify::PollWatcher::new(
                    sender,
                    notify::Config::default().with_poll_interval(interval),
                )
                .context("surveillance des fichiers par scrutation")?,
            ),
            None => {
                Box::new(notify::recommended_watcher(sender).context("surveillance des fichiers")?)
            }
        };
        let mut watcher = Watcher {
            root: root.to_path_buf(),
            inner,
            events,
            watched: Vec::new(),
        };
        // The root itself, not its whole tree (which holds the built site): `site.yaml`, and
        // source folders that appear later.
        watcher
            .inner
            .watch(root, RecursiveMode::NonRecursive)
            .with_context(|| format!("surveillance de {}", root.display()))?;
        watcher.watch_folders()?;
        Ok(watcher)
    }

    /// Watches the source folders that exist and are not watched yet.
    fn watch_folders(&mut self) -> Result<()> {
        let themes = Path::new(THEME_DIR)
            .parent()
            .unwrap_or(Path::new(THEME_DIR));
        for folder in [Path::new(CONTENT_DIR), themes, Path::new(OVERRIDES_DIR)] {
            let path = self.root.join(folder);
            if path.is_dir() && !self.watched.contains(&path) {
                self.inner
                    .watch(&path, RecursiveMode::Recursive)
                    .with_context(|| format!("surveillance de {}", path.display()))?;
                self.watched.push(path);
            }
        }
        Ok(())
    }

    /// Waits for the next batch of changes: blocks until a change, then gathers the changes
    /// that follow until [`QUIET`] passes without any (at most [`MAX_BATCH`]). `None` once the
    /// watcher stopped.
    pub fn next_batch(&mut self) -> Option<Batch> {
        self.next_batch_until(None)
    }

    /// As [`Watcher::next_batch`], but gives an empty batch when `deadline` comes first.
    pub fn next_batch_until(&mut self, deadline: Option<Instant>) -> Option<Batch> {
        let mut batch = Batch {
            paths: Vec::new(),
            everything: false,
            first_seen: Instant::now(),
        };
        loop {
            let event = if batch.paths.is_empty() && !batch.everything {
                let event = match deadline {
                    None => self.events.recv().ok()?,
                    Some(deadline) => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        match self.events.recv_timeout(left) {
                            Ok(event) => event,
                            Err(RecvTimeoutError::Timeout) => return Some(batch),
                            Err(RecvTimeoutError::Disconnected) => return None,
                        }
                    }
                };
                batch.first_seen = Instant::now();
                event
            } else {
                let left = MAX_BATCH.saturating_sub(batch.first_seen.elapsed());
                match self.events.recv_timeout(QUIET.min(left)) {
                    Ok(event) => event,
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            };
            match event {
                Ok(event) => self.take(event, &mut batch),
                // An error of the watcher (a folder vanished…): look at everything again.
                Err(_) => batch.everything = true,
            }
        }
        // A source folder created since (`templates/`): watch it from now on.
        let _ = self.watch_folders();
        Some(batch)
    }

    fn take(&self, event: Event, batch: &mut Batch) {
        if event.need_rescan() {
            batch.everything = true;
        }
        let relevant = match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
            EventKind::Access(_) => false,
            _ => true,
        };
        if !relevant {
            return;
        }
        for path in event.paths {
            if self.is_source(&path) && !batch.paths.contains(&path) {
                batch.paths.push(path);
            }
        }
    }

    /// Whether a change to `path` may change the site: a file under a source folder or
    /// `site.yaml`, and not an editor's temporary file or a hidden file.
    fn is_source(&self, path: &Path) -> bool {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return false;
        };
        let themes = Path::new(THEME_DIR)
            .parent()
            .unwrap_or(Path::new(THEME_DIR));
        let under = [Path::new(CONTENT_DIR), themes, Path::new(OVERRIDES_DIR)];
        (rel == Path::new(CONFIG_FILE) || under.iter().any(|dir| rel.starts_with(dir)))
            && !rel
                .components()
                .any(|c| is_ignored(&c.as_os_str().to_string_lossy()))
    }
}

/// Names of editors' temporary and backup files (`.x.md.swp`, `x.md~`, `.#x.md`, vim's `4913`,
/// `x.tmp`, JetBrains' `___jb_tmp___`), and hidden files, which the site ignores too.
pub fn is_ignored(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name == "4913"
        || [
            ".swp",
            ".swx",
            ".swo",
            ".tmp",
            "___jb_tmp___",
            "___jb_old___",
        ]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

#[cfg(test)]
mod tests {
    use super::is_ignored;

    #[test]
    fn editor_files_are_ignored() {
        for name in [
            ".article.md.swp",
            "article.md~",
            ".#article.md",
            "4913",
            "article.md.tmp",
            "article.md___jb_tmp___",
            ".DS_Store",
        ] {
            assert!(is_ignored(name), "{name}");
        }
        for name in [
            "article.md",
            "index.md",
            "photo.png",
            "site.yaml",
            "base.html",
        ] {
            assert!(!is_ignored(name), "{name}");
        }
    }
}
