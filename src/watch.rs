//! Watching a site's sources for `serve`: `content/`, `themes/`, `templates/` and `site.yaml`,
//! through the system's file events (`notify`) or, with `--poll`, by looking at the files at
//! regular intervals (native events can miss changes on network and virtual file systems).
//! Editors' temporary files are ignored, and the events of one save come as one batch.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{Event, EventKind, RecursiveMode};

use crate::config::CONFIG_FILE;
use crate::content::load::CONTENT_DIR;
use crate::render::templates::{OVERRIDES_DIR, THEME_DIR};

/// How long a batch waits for more events after the last one: the events of one save (an
/// editor writing a temporary file, renaming it, touching its backup…) come within it.
pub const QUIET: Duration = Duration::from_millis(10);

/// How long a batch waits instead when every file in it is complete ([`completes`]: closed
/// after writing, or renamed into place): enough for the other files of one operation (a
/// `git checkout`, a folder copied in) to join it, without the wait for a save still going on.
pub const SETTLED_QUIET: Duration = Duration::from_millis(2);

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
    /// that follow until [`QUIET`] passes without any, or [`SETTLED_QUIET`] once every changed
    /// file is complete (at most [`MAX_BATCH`] in all). `None` once the watcher stopped.
    pub fn next_batch(&mut self) -> Option<Batch> {
        self.next_batch_until(None)
    }

    /// As [`Watcher::next_batch`], but gives an empty batch when `deadline` comes first.
    pub fn next_batch_until(&mut self, deadline: Option<Instant>) -> Option<Batch> {
        let mut gathering = Gathering::new();
        loop {
            let event = if gathering.batch.is_empty() {
                let event = match deadline {
                    None => self.events.recv().ok()?,
                    Some(deadline) => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        match self.events.recv_timeout(left) {
                            Ok(event) => event,
                            Err(RecvTimeoutError::Timeout) => return Some(gathering.batch),
                            Err(RecvTimeoutError::Disconnected) => return None,
                        }
                    }
                };
                gathering.batch.first_seen = Instant::now();
                event
            } else {
                let left = MAX_BATCH.saturating_sub(gathering.batch.first_seen.elapsed());
                match self.events.recv_timeout(gathering.quiet().min(left)) {
                    Ok(event) => event,
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            };
            match event {
                Ok(event) => gathering.take(event, |path| self.is_source(path)),
                // An error of the watcher (a folder vanished…): look at everything again.
                Err(_) => gathering.batch.everything = true,
            }
        }
        // A source folder created since (`templates/`): watch it from now on.
        let _ = self.watch_folders();
        Some(gathering.batch)
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

/// A batch being gathered.
struct Gathering {
    batch: Batch,
    /// The paths of the batch whose last event does not say they are complete.
    unsettled: Vec<PathBuf>,
}

impl Gathering {
    fn new() -> Gathering {
        Gathering {
            batch: Batch {
                paths: Vec::new(),
                everything: false,
                first_seen: Instant::now(),
            },
            unsettled: Vec::new(),
        }
    }

    /// Takes in an event about the paths for which `is_source` holds.
    fn take(&mut self, event: Event, is_source: impl Fn(&Path) -> bool) {
        if event.need_rescan() {
            self.batch.everything = true;
        }
        let relevant = match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
            EventKind::Access(_) => false,
            _ => true,
        };
        if !relevant {
            return;
        }
        for (i, path) in event.paths.into_iter().enumerate() {
            if !is_source(&path) {
                continue;
            }
            if completes(&event.kind, i) {
                self.unsettled.retain(|p| *p != path);
            } else if !self.unsettled.contains(&path) {
                self.unsettled.push(path.clone());
            }
            if !self.batch.paths.contains(&path) {
                self.batch.paths.push(path);
            }
        }
    }

    /// How long to wait for another event before the batch is complete.
    fn quiet(&self) -> Duration {
        if self.unsettled.is_empty() && !self.batch.everything {
            SETTLED_QUIET
        } else {
            QUIET
        }
    }
}

/// Whether an event of kind `kind` says that its `index`-th path is complete: a file closed
/// after writing, or the destination of a rename (an editor's atomic save). Anything else (data
/// written, a file created, removed, renamed away) may be followed by more of the same save.
fn completes(kind: &EventKind, index: usize) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Modify(ModifyKind::Name(RenameMode::To)) => true,
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => index == 1,
        _ => false,
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
    use notify::EventKind;
    use notify::event::{
        AccessKind, AccessMode, CreateKind, DataChange, ModifyKind, RemoveKind, RenameMode,
    };

    use notify::Event;
    use std::path::{Path, PathBuf};

    use super::{Gathering, QUIET, SETTLED_QUIET, completes, is_ignored};

    fn event(kind: EventKind, paths: &[&str]) -> Event {
        paths
            .iter()
            .fold(Event::new(kind), |e, p| e.add_path(PathBuf::from(p)))
    }

    /// The quiet time after each event of `events`, and the batch's paths at the end.
    fn gather(events: Vec<Event>) -> (Vec<u128>, Vec<PathBuf>) {
        let mut gathering = Gathering::new();
        let mut quiet = Vec::new();
        for e in events {
            gathering.take(e, |p: &Path| !is_ignored(&p.to_string_lossy()));
            quiet.push(gathering.quiet().as_millis());
        }
        (quiet, gathering.batch.paths)
    }

    const DATA: EventKind = EventKind::Modify(ModifyKind::Data(DataChange::Any));
    const CLOSED: EventKind = EventKind::Access(AccessKind::Close(AccessMode::Write));

    #[test]
    fn a_batch_waits_less_once_its_files_are_complete() {
        let (q, s) = (QUIET.as_millis(), SETTLED_QUIET.as_millis());
        // Written in place, then closed.
        let (quiet, paths) = gather(vec![event(DATA, &["a.md"]), event(CLOSED, &["a.md"])]);
        assert_eq!(quiet, [q, s]);
        assert_eq!(paths, [PathBuf::from("a.md")]);
        // Moved to a backup, then written anew: not complete until closed.
        let (quiet, paths) = gather(vec![
            event(
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
                &["a.md", "a.md~"],
            ),
            event(EventKind::Create(CreateKind::File), &["a.md"]),
            event(DATA, &["a.md"]),
            event(CLOSED, &["a.md"]),
        ]);
        assert_eq!(quiet, [q, q, q, s]);
        assert_eq!(paths, [PathBuf::from("a.md")]);
        // Written to a temporary file renamed over it.
        let (quiet, paths) = gather(vec![
            event(EventKind::Create(CreateKind::File), &[".a.md.tmp"]),
            event(CLOSED, &[".a.md.tmp"]),
            event(
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
                &[".a.md.tmp", "a.md"],
            ),
        ]);
        assert_eq!(quiet, [s, s, s]);
        assert_eq!(paths, [PathBuf::from("a.md")]);
        // One file complete, another still being written.
        let (quiet, _) = gather(vec![
            event(CLOSED, &["a.md"]),
            event(DATA, &["b.md"]),
            event(CLOSED, &["b.md"]),
        ]);
        assert_eq!(quiet, [s, q, s]);
        // Events lost: everything is looked at, after the longer wait.
        let (quiet, _) = gather(vec![
            event(CLOSED, &["a.md"]).set_flag(notify::event::Flag::Rescan),
        ]);
        assert_eq!(quiet, [q]);
    }

    #[test]
    fn only_closed_or_renamed_in_files_are_complete() {
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        assert!(completes(&closed, 0));
        let renamed_in = EventKind::Modify(ModifyKind::Name(RenameMode::To));
        assert!(completes(&renamed_in, 0));
        // A rename seen whole: the destination is complete, the source is gone (vim moves the
        // file it saves to a backup before writing it anew).
        let renamed = EventKind::Modify(ModifyKind::Name(RenameMode::Both));
        assert!(!completes(&renamed, 0));
        assert!(completes(&renamed, 1));
        for kind in [
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            EventKind::Modify(ModifyKind::Name(RenameMode::From)),
            EventKind::Create(CreateKind::File),
            EventKind::Remove(RemoveKind::File),
            EventKind::Any,
        ] {
            assert!(!completes(&kind, 0), "{kind:?}");
        }
    }

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
