//! Incremental builds: a [`Session`] keeps the state of the last build in memory (files read and
//! parsed, Markdown bodies rendered, what each output file was made from) so that a rebuild
//! after a change re-reads only the changed files, renders again only the bodies that changed
//! and writes only the output files whose inputs changed. The full build is the first rebuild
//! of a new session: `build` and `serve` produce every file through the same code.
//!
//! What a change costs:
//! - the body of a content file, its front matter unchanged (the common case while writing):
//!   that file is read again, its item patched in the resolved site (its text and summary, all
//!   an item takes from its body), its body rendered again, and only the files whose
//!   fingerprint reads that item ([`fingerprint`]) are fingerprinted again: its page, its
//!   entry of the search index, and, when its summary changed, the lists showing its card;
//! - the front matter of a published file, when the site keeps its structure (same identity,
//!   date, authors, aliases and place in its series: a new title, summary, event location…,
//!   tags, categories): the item is resolved alone and patched in ([`site::patch`]), with the
//!   lists of the terms it joins or leaves, then as above plus the pages and feeds of those
//!   terms; an author's new name changes the cards of their works too, a tag's new name the
//!   cards of its items. A tag that appears or disappears changes the files of the site: they
//!   are all fingerprinted again (as below, without resolving the site again). A new date (of
//!   an article outside a series, or of a resource) moves the item in its lists: every file
//!   showing a list is fingerprinted again (`shows_list`);
//! - any other change to `content/` (front matter changing the structure, new, renamed or
//!   deleted files): the changed files are read again, the site is resolved again (cross
//!   references, indexes), bodies are rendered again when their file or the links they use
//!   changed, every file is fingerprinted and only those whose fingerprint changed are
//!   rendered;
//! - a template: the pages rendered through it, or through a template that uses it;
//! - a file of the theme's `static/`: that file is copied again;
//! - `site.yaml`: everything (every page shows the site's settings).
//!
//! Files are written only when their bytes changed, each replaced at once; files no longer
//! part of the site are deleted.

pub mod fingerprint;

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;
use rayon::prelude::*;

use crate::config::{CONFIG_FILE, Config};
use crate::content::load::{CONTENT_DIR, Found, Rejected};
use crate::content::{Entry, Kind, Source};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::hash::{FastMap, hash_bytes, hasher};
use crate::markdown::{LinkLookups, Rendered};
use crate::output::Output;
use crate::render::templates::{OVERRIDES_DIR, THEME_DIR};
use crate::render::{Job, Layout, SiteRenderer, Target, Templates, feeds, search};
use crate::site::{self, ItemId, Publish, Site};
use fingerprint::Fingerprints;

/// What to build and how.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Root of the site (holds `site.yaml`, `content/`, `themes/`).
    pub root: PathBuf,
    /// Output folder; replaced as a whole when the build succeeds.
    pub output: PathBuf,
    pub drafts: bool,
    /// The build's notion of "now": scheduled publishing and upcoming/past events.
    pub now: chrono::DateTime<chrono::Utc>,
    pub base_url: Option<String>,
    /// Replaces `registration_api` of site.yaml (`serve` points the forms at its own `/api`).
    pub registration_api: Option<String>,
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

/// What one (re)build did.
#[derive(Debug)]
pub struct Rebuild {
    /// HTML files written by this build.
    pub pages: usize,
    /// Files written or copied by this build, HTML included.
    pub files: usize,
    /// Files of the previous build that are gone.
    pub deleted: usize,
    /// HTML files of the whole site.
    pub total_pages: usize,
    /// Files of the whole site.
    pub total_files: usize,
    /// Whether the site was resolved again as a whole (its structure changed, or this is the
    /// first build), rather than the changed items patched into it.
    pub resolved: bool,
    pub warnings: Diagnostics,
    pub elapsed: Duration,
    /// Where the time went, phase by phase.
    pub phases: Vec<(&'static str, Duration)>,
}

/// Times the phases of a build.
struct Phases {
    last: Instant,
    list: Vec<(&'static str, Duration)>,
}

impl Phases {
    fn new(started: Instant) -> Phases {
        Phases {
            last: started,
            list: Vec::new(),
        }
    }

    fn done(&mut self, phase: &'static str) {
        let now = Instant::now();
        self.list.push((phase, now - self.last));
        self.last = now;
    }
}

/// A content file as last read.
struct File {
    found: Found,
    /// Hash of the file's text (0 when it could not be read).
    hash: u64,
    result: Result<Entry, Rejected>,
}

/// A Markdown body as last rendered, with what it was rendered from.
struct Body {
    source: Source,
    lookups: LinkLookups,
    rendered: Rendered,
    /// Hash of what pages show of it (HTML and headings).
    fingerprint: u64,
}

/// A file of the output folder, with what it was made from.
#[derive(Debug, Clone)]
struct Written {
    /// The build that last planned it.
    build: u64,
    inputs: u64,
    /// The templates it was rendered through, with their fingerprints then.
    templates: Vec<(String, u64)>,
    /// Hash of its bytes (rendered files), or of its source's size and time (copies).
    bytes: u64,
}

/// One file to produce: rendered from a target, or copied.
enum Planned<'t> {
    Render(&'t Target),
    Copy(&'t Path),
}

/// A file of the site: its path, what produces it and the fingerprint of its inputs.
type PlannedFile<'t> = (&'t str, Planned<'t>, u64);

/// The files of the site last built, with their fingerprints. It holds while the site's
/// structure does not change: after a change to bodies alone, only the files reading a
/// changed item get a new fingerprint.
struct Plan {
    layout: Layout,
    fingerprints: Fingerprints,
    /// Per target of the layout: its path and the fingerprint of its inputs.
    files: Vec<(String, u64)>,
    /// Per item: the targets whose fingerprint reads it.
    readers: Vec<Vec<u32>>,
}

/// What changed in a site whose items kept their ids since its files were planned.
#[derive(Clone, Copy)]
struct Again<'a> {
    /// Items patched.
    patched: &'a [ItemId],
    /// Tags and categories whose lists changed.
    refiled: &'a Refiled,
    /// Where items that moved in the site's lists (a new date) are.
    moved: Option<&'a Moved>,
}

impl Plan {
    /// Plans the files of `site`: every target fingerprinted. `text(i)`: hash of the source
    /// file of item `i`; `body(i)`: hash of its rendered body. The fingerprints of the items
    /// `previous` holds unchanged are taken over.
    fn new(
        site: &Site,
        templates: &Templates,
        bodies: &[&Rendered],
        previous: Option<&Fingerprints>,
        text: impl Fn(ItemId) -> u64 + Sync,
        body: impl Fn(ItemId) -> u64 + Sync,
    ) -> Result<Plan> {
        let layout = Layout::new(site);
        let renderer = SiteRenderer::new(site, templates, bodies, &layout);
        let fingerprints = Fingerprints::new(&renderer, text, body, previous);
        let computed: Vec<(String, u64, Vec<ItemId>)> = layout
            .targets
            .par_iter()
            .map(|target| {
                let path = renderer.path(target);
                let mut reads = Vec::new();
                let inputs = fingerprints.target(&renderer, target, &path, &mut reads);
                (path, inputs, reads)
            })
            .collect();
        renderer.check_aliases(computed.iter().map(|(path, _, _)| path.as_str()))?;
        let mut readers: Vec<Vec<u32>> = vec![Vec::new(); site.items.len()];
        let mut files = Vec::with_capacity(computed.len());
        for (t, (path, inputs, reads)) in computed.into_iter().enumerate() {
            add_reader(&mut readers, t as u32, reads);
            files.push((path, inputs));
        }
        drop(renderer);
        Ok(Plan {
            layout,
            fingerprints,
            files,
            readers,
        })
    }

    /// Takes in changes that keep the site's structure (the same files): the targets reading
    /// a changed item, or showing what `again` says changed, are fingerprinted again.
    /// `relisted`: the feeds of the site taken anew, when an item moved in its lists.
    #[allow(clippy::too_many_arguments)]
    fn update(
        &mut self,
        site: &Site,
        templates: &Templates,
        bodies: &[&Rendered],
        again: Again,
        relisted: Option<Vec<feeds::Spec>>,
        text: impl Fn(ItemId) -> u64,
        body: impl Fn(ItemId) -> u64,
    ) {
        let changed = self.changed(site, again, text, body);
        let mut stale: Vec<u32> = changed
            .iter()
            .flat_map(|&id| self.readers[id].iter().copied())
            .collect();
        stale.extend(again.refiled.targets(&mut self.layout, site));
        if let Some(feeds) = relisted {
            self.layout.feeds = feeds;
        }
        if let Some(moved) = again.moved {
            stale.extend(
                (0..self.layout.targets.len() as u32)
                    .filter(|&t| moved.shown_by(site, &self.layout.targets[t as usize])),
            );
        }
        stale.sort_unstable();
        stale.dedup();
        let renderer = SiteRenderer::new(site, templates, bodies, &self.layout);
        let fingerprints = &self.fingerprints;
        let computed: Vec<(u32, u64, Vec<ItemId>)> = stale
            .par_iter()
            .map(|&t| {
                let target = &self.layout.targets[t as usize];
                let path = &self.files[t as usize].0;
                let mut reads = Vec::new();
                let inputs = fingerprints.target(&renderer, target, path, &mut reads);
                (t, inputs, reads)
            })
            .collect();
        for (t, inputs, reads) in computed {
            self.files[t as usize].1 = inputs;
            // A list a card joined reads it from now on.
            for id in reads {
                if !self.readers[id].contains(&t) {
                    self.readers[id].push(t);
                }
            }
        }
    }

    /// Plans the files of a site whose structure changed by patches (a tag appeared or went,
    /// a term's pages or the feeds changed), its items keeping their ids: a new layout, where
    /// a target at a path this plan has keeps its fingerprint, unless it reads a changed item
    /// or the site's structure (indexes and pages of terms that changed, feeds, sitemap), or
    /// shows lists an item moved in.
    fn remade(
        mut self,
        site: &Site,
        templates: &Templates,
        bodies: &[&Rendered],
        again: Again,
        text: impl Fn(ItemId) -> u64,
        body: impl Fn(ItemId) -> u64,
    ) -> Result<Plan> {
        let changed = self.changed(site, again, text, body);
        let mut stale = vec![false; self.files.len()];
        for &id in &changed {
            for &t in &self.readers[id] {
                stale[t as usize] = true;
            }
        }
        // The targets of this plan: as they are, but the pages of tags and the feeds, which a
        // tag that appeared or went numbers anew, by path.
        let renumbered =
            |target: &Target| matches!(target, Target::Page(Job::Tag { .. }) | Target::Feed(_));
        let mut before: FastMap<&Target, u32> = FastMap::default();
        let mut before_at: FastMap<&str, u32> = FastMap::default();
        for (t, target) in self.layout.targets.iter().enumerate() {
            if renumbered(target) {
                before_at.insert(&self.files[t].0, t as u32);
            } else {
                before.insert(target, t as u32);
            }
        }
        let (tags, categories) = again.refiled.indexes(site);
        let layout = Layout::new(site);
        let renderer = SiteRenderer::new(site, templates, bodies, &layout);
        let fingerprints = &self.fingerprints;
        // Per target: the target of this plan it is, or its path, fingerprint and what it
        // reads.
        let computed: Vec<Replanned> = layout
            .targets
            .par_iter()
            .map(|target| {
                let changed = again.moved.is_some_and(|m| m.shown_by(site, target))
                    || shows_structure(target, &tags, &categories, |_| true)
                    || matches!(target, Target::Sitemap);
                let mut path = None;
                let found = match changed {
                    true => None,
                    false if renumbered(target) => {
                        let at = path.insert(renderer.path(target));
                        before_at.get(at.as_str()).copied()
                    }
                    false => before.get(target).copied(),
                };
                // Its fingerprint and path are those of the same target before, when it
                // reads nothing that changed (the path of a target derives from what it reads).
                match found.filter(|&t| !stale[t as usize]) {
                    Some(t) => Replanned::Kept(t),
                    None => {
                        let path = path.unwrap_or_else(|| renderer.path(target));
                        let mut reads = Vec::new();
                        let inputs = fingerprints.target(&renderer, target, &path, &mut reads);
                        Replanned::Read {
                            path,
                            inputs,
                            reads,
                        }
                    }
                }
            })
            .collect();
        drop((before, before_at));
        // The readers of the targets kept, numbered anew, then those of the others.
        let mut now = vec![u32::MAX; self.files.len()];
        for (t, kept) in computed.iter().enumerate() {
            if let Replanned::Kept(before) = kept {
                now[*before as usize] = t as u32;
            }
        }
        let mut readers = std::mem::take(&mut self.readers);
        for targets in &mut readers {
            targets.retain_mut(|t| {
                *t = now[*t as usize];
                *t != u32::MAX
            });
        }
        let mut files = Vec::with_capacity(computed.len());
        for (t, computed) in computed.into_iter().enumerate() {
            match computed {
                Replanned::Kept(before) => {
                    let (path, inputs) = &mut self.files[before as usize];
                    files.push((std::mem::take(path), *inputs));
                }
                Replanned::Read {
                    path,
                    inputs,
                    reads,
                } => {
                    add_reader(&mut readers, t as u32, reads);
                    files.push((path, inputs));
                }
            }
        }
        renderer.check_aliases(files.iter().map(|(path, _)| path.as_str()))?;
        drop(renderer);
        Ok(Plan {
            layout,
            fingerprints: self.fingerprints,
            files,
            readers,
        })
    }

    /// Takes the items patched into the fingerprints (and the lists an item moved in): the
    /// items whose fingerprints changed.
    fn changed(
        &mut self,
        site: &Site,
        again: Again,
        text: impl Fn(ItemId) -> u64,
        body: impl Fn(ItemId) -> u64,
    ) -> Vec<ItemId> {
        if again.moved.is_some() {
            self.fingerprints.relist(site);
        }
        (again.patched.iter().copied())
            .filter(|&id| self.fingerprints.update(site, id, text(id), body(id)))
            .collect()
    }
}

/// Notes target `t` among the readers of the items it `reads`, targets being taken in
/// increasing order (each reader is noted once).
fn add_reader(readers: &mut [Vec<u32>], t: u32, reads: Vec<ItemId>) {
    for id in reads {
        if readers[id].last() != Some(&t) {
            readers[id].push(t);
        }
    }
}

/// A target of a plan made again ([`Plan::remade`]).
enum Replanned {
    /// The same as this target of the plan before, with the same path and fingerprint.
    Kept(u32),
    /// Fingerprinted: its path, its fingerprint, the items it reads.
    Read {
        path: String,
        inputs: u64,
        reads: Vec<ItemId>,
    },
}

/// Whether `target` shows the site's terms: the indexes of tags and categories (and the pages
/// listing them: search, not found), the pages of the terms `tags` and `categories` (indexes
/// in `Site::tags` and `Site::categories`), the feeds for which `feed` holds (index in
/// `Layout::feeds`), the search index.
fn shows_structure(
    target: &Target,
    tags: &[usize],
    categories: &[usize],
    feed: impl Fn(usize) -> bool,
) -> bool {
    match target {
        Target::Page(Job::Tag { term, .. }) => tags.contains(term),
        Target::Page(Job::Category { term, .. }) => categories.contains(term),
        Target::Page(Job::Tags | Job::Categories | Job::NotFound | Job::Search) => true,
        Target::Feed(i) => feed(*i),
        Target::SearchIndex => true,
        _ => false,
    }
}

/// The resolved site, with the problems resolving found.
struct Resolved {
    site: Site,
    diagnostics: Diagnostics,
}

/// The state of a site between builds. See the module documentation.
pub struct Session {
    options: BuildOptions,
    config: Option<Result<Config, Vec<Diagnostic>>>,
    templates: Option<Templates>,
    /// Whether the templates were loaded again since the last build that went through: only
    /// then may a file's templates differ from those it was rendered through.
    templates_loaded: bool,
    /// Content files in the order of the layout, and the layout's own problems; `None` when
    /// `content/` must be listed again.
    layout: Option<(Vec<Found>, Diagnostics)>,
    /// By path as listed (`<root>/content/articles/x.md`).
    files: FastMap<OsString, File>,
    /// Files to read again, as listed.
    stale: HashSet<OsString>,
    /// The site resolved from `files`; `None` when it must be resolved again.
    resolved: Option<Resolved>,
    /// What each entry resolved to, for the next time the site is resolved again.
    resolutions: site::Resolutions,
    /// Whether the last load resolved the site again.
    resolved_again: bool,
    /// The files of the site last planned; `None` when its structure changed.
    plan: Option<Plan>,
    /// The fingerprints of the last plan, once forgotten: the next plan takes over those of
    /// the items that did not change.
    forgotten: Option<Fingerprints>,
    /// Items of `resolved` patched since `plan` was made.
    patched: Vec<ItemId>,
    /// Tags and categories whose lists changed since `plan` was made.
    refiled: Refiled,
    /// Items that moved in the site's lists since `plan` was made (a new date): the files
    /// showing those lists are fingerprinted again.
    relisted: Vec<ItemId>,
    /// Whether a tag appeared or disappeared since `plan` was made (its items kept their ids):
    /// the files of the site are planned again, from `plan` ([`Plan::remade`]).
    restructured: bool,
    /// By path relative to `content/`.
    bodies: FastMap<String, Body>,
    /// Entries of the search index, by path relative to `content/`, with their fingerprint.
    search: SearchCache,
    /// The output folder as the last build left it, by path relative to it.
    written: FastMap<String, Written>,
    /// Builds done, to tell the files of the last one.
    builds: u64,
    /// Whether the next build replaces the whole output folder (first build, or the folder's
    /// state is unknown after a failed write).
    fresh: bool,
}

impl Session {
    /// A session with nothing read yet: its first rebuild is a full build.
    pub fn new(options: BuildOptions) -> Session {
        Session {
            options,
            config: None,
            templates: None,
            templates_loaded: false,
            layout: None,
            files: FastMap::default(),
            stale: HashSet::new(),
            resolved: None,
            resolved_again: false,
            resolutions: site::Resolutions::default(),
            plan: None,
            forgotten: None,
            patched: Vec::new(),
            refiled: Refiled::default(),
            relisted: Vec::new(),
            restructured: false,
            bodies: FastMap::default(),
            search: SearchCache::default(),
            written: FastMap::default(),
            builds: 0,
            fresh: true,
        }
    }

    /// Takes note of a changed file (under the root, or relative to it): the next rebuild
    /// reads it again. A path outside `content/`, `themes/`, `templates/` and `site.yaml` is
    /// ignored.
    pub fn changed(&mut self, path: &Path) {
        let root = self.options.root.clone();
        let rel = path.strip_prefix(&root).unwrap_or(path);
        let themes = Path::new(THEME_DIR)
            .parent()
            .unwrap_or(Path::new(THEME_DIR));
        if rel == Path::new(CONFIG_FILE) {
            self.config = None;
            self.resolved = None;
        } else if rel.starts_with(themes) || rel.starts_with(OVERRIDES_DIR) {
            self.templates = None;
        } else if rel.starts_with(CONTENT_DIR) {
            let path = root.join(rel);
            if self.files.contains_key(path.as_os_str()) {
                if !path.is_file() {
                    self.layout = None;
                }
                self.stale.insert(path.into_os_string());
            } else if let Some(owner) = self.bundle_of(&path) {
                // A file of a bundle: the bundle's list of files may have changed.
                self.stale.insert(owner);
            } else if path.exists() || self.files.values().any(|f| f.found.path.starts_with(&path))
            {
                // Something new, or a folder of content files moved away.
                self.layout = None;
            }
            // Otherwise a file that came and went (an editor's temporary file): nothing to see.
        }
    }

    /// The first instant after the build's `now` at which the site last loaded changes by
    /// itself (a scheduled item is due, an event ends or closes its registrations).
    pub fn next_change(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.resolved.as_ref()?.site.next_change
    }

    /// Moves the build's `now`: the next rebuild resolves the site at that instant (and, as
    /// every page may show it, fingerprints every file again; only those that differ are
    /// written).
    pub fn set_now(&mut self, now: chrono::DateTime<chrono::Utc>) {
        self.options.now = now;
        self.resolved = None;
    }

    /// Forgets everything read (not what is in the output folder): the next rebuild reads the
    /// whole site again, and writes only what differs.
    pub fn changed_everything(&mut self) {
        self.config = None;
        self.templates = None;
        self.layout = None;
        self.resolved = None;
        self.stale.extend(self.files.keys().cloned());
    }

    /// The content file whose bundle folder holds `path`, if any.
    fn bundle_of(&self, path: &Path) -> Option<OsString> {
        self.files.iter().find_map(|(key, file)| {
            let dir = file.found.bundle.as_ref()?;
            (path.starts_with(dir) && path != dir).then(|| key.clone())
        })
    }

    /// Loads, checks and resolves the site in its current state, rendering the bodies that
    /// changed; gives the warnings. The site and its bodies stay in the session
    /// ([`Session::into_site`]).
    pub fn load(&mut self) -> Result<Diagnostics, BuildError> {
        let root = self.options.root.clone();
        let mut diagnostics = Diagnostics::default();
        let config = match self.config.get_or_insert_with(|| Config::load(&root)) {
            Ok(c) => c.clone(),
            Err(problems) => {
                problems.iter().cloned().for_each(|d| diagnostics.push(d));
                self.resolved = None;
                return Err(BuildError::Invalid(diagnostics));
            }
        };
        self.read_content();
        let (found, layout_diagnostics) = self.layout.as_ref().expect("content listed above");
        diagnostics.extend(layout_diagnostics.clone());
        let mut entries: Vec<&Entry> = Vec::with_capacity(found.len());
        let mut unparsed: Vec<&Source> = Vec::new();
        let mut held: Vec<&crate::content::load::Held> = Vec::new();
        for f in found {
            match &self.files[f.path.as_os_str()].result {
                Ok(entry) => entries.push(entry),
                Err((problems, source, read)) => {
                    problems.iter().cloned().for_each(|d| diagnostics.push(d));
                    unparsed.extend(source.as_deref());
                    held.extend(read.as_deref());
                }
            }
        }
        self.resolved_again = self.resolved.is_none();
        if self.resolved.is_none() {
            // A new structure: the files of the site are planned again.
            forget_plan(&mut self.plan, &mut self.forgotten);
            self.patched.clear();
            self.refiled = Refiled::default();
            self.relisted.clear();
            self.restructured = false;
        }
        let resolved = self.resolved.get_or_insert_with(|| {
            let mut config = match &self.options.base_url {
                Some(url) => config.with_base_url(url),
                None => config,
            };
            if let Some(api) = &self.options.registration_api {
                config.registration_api = api.trim_end_matches('/').to_string();
            }
            let publish = Publish {
                now: self.options.now,
                drafts: self.options.drafts,
            };
            let (mut site, mut diagnostics) =
                site::resolve(config, &entries, publish, &mut self.resolutions);
            for d in site::hold_back(&mut site, &entries, &unparsed, &held, publish) {
                diagnostics.push(d);
            }
            for d in crate::redirects::check(&root, &site) {
                diagnostics.push(d);
            }
            Resolved { site, diagnostics }
        });
        let site = &resolved.site;
        diagnostics.extend(resolved.diagnostics.clone());
        // Files held back by errors in their front matter: their bodies are checked all the
        // same, so that one build reports every problem (a broken link too, not only a bad date).
        let in_error: HashSet<&Path> = diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.path.as_path())
            .collect();
        let held_back: Vec<&Source> = unparsed
            .iter()
            .copied()
            .chain(entries.iter().map(|e| &e.source).filter(|s| {
                !in_error.is_empty()
                    && in_error.contains(s.display.as_path())
                    && site.get(s.kind, &s.slug).is_none()
            }))
            .collect();
        let sources: Vec<&Source> = site
            .items
            .iter()
            .map(|item| &item.source)
            .chain(held_back.iter().copied())
            .collect();
        // The links of bodies resolve as before while the site is not resolved again.
        let links = self.resolved_again.then_some(&site.link_targets);
        let rendered = render_bodies(&self.bodies, &sources, &site.link_targets, links);
        self.bodies.extend(rendered);
        if self.bodies.len() > sources.len() {
            // Bodies of files gone or no longer published.
            let keep: HashSet<&str> = sources.iter().map(|s| s.content_path.as_str()).collect();
            self.bodies.retain(|key, _| keep.contains(key.as_str()));
        }
        let rendered: Vec<&Rendered> = sources
            .iter()
            .map(|source| &self.bodies[&source.content_path].rendered)
            .collect();
        for body in &rendered {
            body.diagnostics
                .iter()
                .cloned()
                .for_each(|d| diagnostics.push(d));
        }
        // Held-back files included: their anchors are checked in the same run as their other
        // problems, and links into them against their headings.
        let pages = sources.iter().copied().zip(rendered);
        crate::anchors::check(&root, pages)
            .into_iter()
            .for_each(|d| diagnostics.push(d));
        if diagnostics.has_errors() {
            return Err(BuildError::Invalid(diagnostics));
        }
        Ok(diagnostics)
    }

    /// The site last loaded, with the rendered bodies of its items.
    pub fn into_site(mut self) -> Option<(Site, Vec<Rendered>)> {
        let site = self.resolved.take()?.site;
        let bodies = site
            .items
            .iter()
            .map(|item| {
                self.bodies
                    .remove(&item.source.content_path)
                    .map(|b| b.rendered)
                    .unwrap_or_default()
            })
            .collect();
        Some((site, bodies))
    }

    /// Lists `content/` again if needed, and reads the files that are new or changed. A file
    /// whose front matter did not change is patched into the resolved site (its source and
    /// summary, all an item takes from its body); any other change has the site resolved again.
    fn read_content(&mut self) {
        let root = self.options.root.clone();
        if self.layout.is_none() {
            let (found, diagnostics) = crate::content::load::discover(&root);
            let same_files = found.len() == self.files.len()
                && found.iter().all(|f| {
                    self.files
                        .get(f.path.as_os_str())
                        .is_some_and(|file| file.found == *f)
                });
            if !same_files {
                self.resolved = None;
            }
            let current: HashSet<&OsStr> = found.iter().map(|f| f.path.as_os_str()).collect();
            self.files
                .retain(|key, _| current.contains(key.as_os_str()));
            for f in &found {
                if self
                    .files
                    .get(f.path.as_os_str())
                    .is_none_or(|file| file.found != *f)
                {
                    self.stale.insert(f.path.clone().into_os_string());
                }
            }
            self.layout = Some((found, diagnostics));
        }
        let (found, _) = self.layout.as_ref().expect("content listed above");
        let to_read: Vec<&Found> = found
            .iter()
            .filter(|f| self.stale.contains(f.path.as_os_str()))
            .collect();
        let read: Vec<File> = to_read
            .par_iter()
            .map(|f| {
                let result = crate::content::load::read(&root, f);
                let hash = match &result {
                    Ok(entry) => hash_bytes(entry.source.text.as_bytes()),
                    Err((_, Some(source), _)) => hash_bytes(source.text.as_bytes()),
                    Err((_, None, _)) => 0,
                };
                File {
                    found: (*f).clone(),
                    hash,
                    result,
                }
            })
            .collect();
        let publish = Publish {
            now: self.options.now,
            drafts: self.options.drafts,
        };
        for file in read {
            let before = self.files.get(file.found.path.as_os_str());
            let patched = match (before.map(|b| &b.result), &file.result, &mut self.resolved) {
                (Some(Ok(old)), Ok(new), Some(resolved))
                    if old.source.yaml() == new.source.yaml()
                        && old.source.bundle_files == new.source.bundle_files =>
                {
                    let site = &mut resolved.site;
                    if let Some(id) = site.id(new.source.kind, &new.source.slug)
                        && site.items[id].source.path == new.source.path
                    {
                        let item = std::sync::Arc::make_mut(&mut site.items[id]);
                        item.summary = site::summary(&new.meta, &new.source);
                        item.source = new.source.clone();
                        self.patched.push(id);
                    }
                    true
                }
                // Another front matter: patched too when the site keeps its structure.
                (Some(Ok(old)), Ok(new), Some(resolved))
                    if old.source.bundle_files == new.source.bundle_files =>
                {
                    let site = &mut resolved.site;
                    match site::patch(site, new, publish) {
                        Some(patched) => {
                            let id = patched.id;
                            self.patched.push(id);
                            self.patched.extend(patched.series);
                            for &t in &patched.renamed_tags {
                                // The cards of the tag's items show its name.
                                self.patched.extend(site.tags[t].items.iter().copied());
                            }
                            let slugs = patched.tags.iter().map(|&t| site.tags[t].slug.clone());
                            self.refiled.tags.extend(slugs);
                            self.refiled.categories.extend(patched.categories);
                            // A tag page appears or goes: the files of the site change.
                            self.restructured |= patched.retagged;
                            if patched.redated {
                                self.relisted.push(id);
                                self.relisted.extend(patched.series);
                            }
                            if site.items[id].kind == Kind::Author {
                                // The cards of their works show the author's name.
                                self.patched
                                    .extend(site.by_author(&site.items[id].slug).iter().copied());
                            }
                            true
                        }
                        None => false,
                    }
                }
                _ => false,
            };
            if !patched {
                self.resolved = None;
            }
            self.files
                .insert(file.found.path.clone().into_os_string(), file);
        }
        self.stale.clear();
    }

    /// Builds the site in its current state into the output folder: everything the first time
    /// (in a temporary folder that then replaces the output folder), then only the files whose
    /// inputs changed, written in place. On failure the output folder is left as it was.
    pub fn rebuild(&mut self) -> Result<Rebuild, BuildError> {
        let started = Instant::now();
        let mut phases = Phases::new(started);
        let output = self.options.output.clone();
        if !output.is_dir() {
            self.fresh = true;
        }
        let warnings = self.load()?;
        phases.done("lecture, résolution, corps");
        let site = &self.resolved.as_ref().expect("loaded above").site;
        if self.templates.is_none() {
            self.templates = Some(Templates::load(&self.options.root)?);
            self.templates_loaded = true;
            forget_plan(&mut self.plan, &mut self.forgotten);
        }
        let templates = self.templates.as_ref().expect("templates loaded above");
        let bodies: Vec<&Rendered> = site
            .items
            .iter()
            .map(|item| &self.bodies[&item.source.content_path].rendered)
            .collect();
        let text = |id: ItemId| {
            self.files
                .get(site.items[id].source.path.as_os_str())
                .map_or(0, |f| f.hash)
        };
        let body = |id: ItemId| self.bodies[&site.items[id].source.content_path].fingerprint;
        let patched = std::mem::take(&mut self.patched);
        let refiled = std::mem::take(&mut self.refiled);
        // An item moved in its lists: the feeds take their items anew.
        let moved = std::mem::take(&mut self.relisted);
        let moved = (!moved.is_empty()).then(|| Moved::new(site, &moved));
        let relisted = moved.is_some().then(|| feeds::specs(site));
        // A tag appeared or went, a tag or category gained or lost a page, or a feed appeared
        // or went: the files of the site change.
        let restructured = std::mem::take(&mut self.restructured)
            || self.plan.as_ref().is_some_and(|plan| {
                !refiled.fits(&plan.layout, site)
                    || relisted.as_ref().is_some_and(|feeds| {
                        !feeds
                            .iter()
                            .map(|f| &f.path)
                            .eq(plan.layout.feeds.iter().map(|f| &f.path))
                    })
            });
        let again = Again {
            patched: &patched,
            refiled: &refiled,
            moved: moved.as_ref(),
        };
        self.plan = Some(match self.plan.take() {
            // Same structure: only the files reading a changed item may have changed.
            Some(mut plan) if !restructured => {
                plan.update(site, templates, &bodies, again, relisted, text, body);
                plan
            }
            Some(plan) => plan.remade(site, templates, &bodies, again, text, body)?,
            None => {
                let previous = self.forgotten.take();
                Plan::new(site, templates, &bodies, previous.as_ref(), text, body)?
            }
        });
        let plan = self.plan.as_ref().expect("planned above");
        phases.done("modèles, empreintes");
        let renderer = SiteRenderer::new(site, templates, &bodies, &plan.layout);

        // Every file of the site, with the fingerprint of its inputs, in the order a full
        // build writes them (a later file wins over an earlier one at the same path).
        let mut files: Vec<(&str, Planned, u64)> = plan
            .layout
            .targets
            .iter()
            .zip(&plan.files)
            .map(|(target, (path, inputs))| (path.as_str(), Planned::Render(target), *inputs))
            .collect();
        let mut copies: Vec<(String, PathBuf, u64)> = Vec::new();
        for (from, rel) in &templates.static_files {
            copies.push((rel.clone(), from.clone(), copy_stamp(from)));
        }
        for item in &site.items {
            if let Some(dir) = &item.source.bundle_dir {
                let base = crate::render::file_for_url(&item.url);
                let base = base.trim_end_matches("index.html");
                for file in &item.source.bundle_files {
                    let from = dir.join(file);
                    let rel = format!("{base}{}", file.to_string_lossy().replace('\\', "/"));
                    let stamp = copy_stamp(&from);
                    copies.push((rel, from, stamp));
                }
            }
        }
        files.extend(
            copies
                .iter()
                .map(|(rel, from, stamp)| (rel.as_str(), Planned::Copy(from), *stamp)),
        );
        let plan = files;
        phases.done("fichiers à copier");
        // What must be produced again.
        let fresh = self.fresh;
        let templates_loaded = self.templates_loaded;
        let dirty: Vec<usize> = (0..plan.len())
            .into_par_iter()
            .filter(|&i| {
                let (path, planned, inputs) = &plan[i];
                let Some(before) = self.written.get(*path).filter(|_| !fresh) else {
                    return true;
                };
                match planned {
                    Planned::Copy(_) => before.bytes != *inputs,
                    Planned::Render(_) => {
                        before.inputs != *inputs
                            || (templates_loaded
                                && before
                                    .templates
                                    .iter()
                                    .any(|(name, f)| templates.fingerprint(name) != Some(*f)))
                    }
                }
            })
            .collect();
        let mut rendered: Vec<RenderedFile> = dirty
            .par_iter()
            .filter_map(|&i| match &plan[i].1 {
                Planned::Render(Target::SearchIndex) | Planned::Copy(_) => None,
                Planned::Render(target) => Some((i, *target)),
            })
            .map(|(i, target)| {
                let (output, names) = Templates::recording(|| renderer.render(target));
                let output = output?;
                debug_assert_eq!(output.path, plan[i].0, "path of {target:?}");
                let used = names
                    .into_iter()
                    .map(|name| {
                        let f = templates.fingerprint(&name).unwrap_or(0);
                        (name, f)
                    })
                    .collect();
                let hash = hash_bytes(&output.bytes);
                Ok((i, output, used, hash))
            })
            .collect::<Result<_>>()?;
        phases.done("rendu des pages");
        // Files found unchanged without being written: their records take the new inputs.
        let mut unchanged: Vec<usize> = Vec::new();
        if let Some(&i) = dirty
            .iter()
            .find(|&&i| matches!(plan[i].1, Planned::Render(Target::SearchIndex)))
        {
            // After the pages: a failure there leaves its cache as the files are. Its entries
            // are kept between builds: only those of changed items are made again, and its
            // files are made only when one of them changed (then written if their bytes did).
            // Each of its files has its record; the first one, at the target's path, is the
            // one planned.
            let force = fresh || !self.written.contains_key(plan[i].0);
            let fingerprints = &self.plan.as_ref().expect("planned above").fingerprints;
            match self.search.index(site, fingerprints, force)? {
                Some(outputs) => rendered.extend(outputs.into_iter().map(|output| {
                    let hash = hash_bytes(&output.bytes);
                    (i, output, Vec::new(), hash)
                })),
                None => unchanged.push(i),
            }
        }
        phases.done("index de recherche");

        // Writing.
        let result = write_output(&output, fresh, &plan, &rendered, &dirty, &self.written);
        let (pages, files) = match result {
            Ok(counts) => counts,
            Err(e) => {
                // The folder is in an unknown state: the next build replaces it whole.
                self.fresh = true;
                self.written.clear();
                return Err(BuildError::Other(e));
            }
        };
        phases.done("écriture");
        if fresh {
            self.written.clear();
        }
        self.builds += 1;
        let build = self.builds;
        for (path, planned, inputs) in &plan {
            let copy = matches!(planned, Planned::Copy(_));
            match self.written.get_mut(*path) {
                Some(record) => {
                    record.build = build;
                    if copy {
                        record.inputs = *inputs;
                        record.bytes = *inputs;
                    }
                }
                None => {
                    let record = Written {
                        build,
                        inputs: *inputs,
                        templates: Vec::new(),
                        bytes: if copy { *inputs } else { 0 },
                    };
                    self.written.insert(path.to_string(), record);
                }
            }
        }
        // The files of the search index other than the planned one stay while they are its.
        for path in &self.search.files {
            if let Some(record) = self.written.get_mut(path) {
                record.build = build;
            }
        }
        for (i, output, used, hash) in &rendered {
            let record = self
                .written
                .entry(output.path.clone())
                .or_insert_with(|| Written {
                    build,
                    inputs: 0,
                    templates: Vec::new(),
                    bytes: 0,
                });
            record.inputs = plan[*i].2;
            record.templates = used.clone();
            record.bytes = *hash;
        }
        for i in unchanged {
            let record = self.written.get_mut(plan[i].0).expect("planned above");
            record.inputs = plan[i].2;
        }
        let gone: Vec<&String> = self
            .written
            .iter()
            .filter(|(_, record)| record.build != build)
            .map(|(path, _)| path)
            .collect();
        let deleted = gone.len();
        for path in gone {
            crate::output::remove(&output, path);
        }
        self.written.retain(|_, record| record.build == build);
        phases.done("inventaire");
        self.fresh = false;
        self.templates_loaded = false;
        let total_pages = self.written.keys().filter(|p| p.ends_with(".html")).count();
        Ok(Rebuild {
            pages,
            files,
            deleted,
            total_pages,
            total_files: self.written.len(),
            resolved: self.resolved_again,
            warnings,
            elapsed: started.elapsed(),
            phases: phases.list,
        })
    }
}

/// Where items that moved in the site's lists (a new date) are: the lists that changed.
struct Moved {
    /// Per kind of item, whether one moved.
    kinds: [bool; Kind::ALL.len()],
    /// Their tags and categories (indexes in `Site::tags` and `Site::categories`).
    tags: Vec<usize>,
    categories: Vec<usize>,
    /// Their authors, by slug.
    authors: Vec<String>,
}

impl Moved {
    fn new(site: &Site, ids: &[ItemId]) -> Moved {
        let mut moved = Moved {
            kinds: [false; Kind::ALL.len()],
            tags: Vec::new(),
            categories: Vec::new(),
            authors: Vec::new(),
        };
        for &id in ids {
            let item = &site.items[id];
            moved.kinds[item.kind as usize] = true;
            for slug in &item.tag_slugs {
                moved.tags.extend(site.tag_index(slug));
            }
            for slug in &item.categories {
                moved
                    .categories
                    .extend(site.categories.iter().position(|c| c.slug == *slug));
            }
            moved.authors.extend(item.authors.iter().cloned());
        }
        moved
    }

    /// Whether `target` shows a list one of the items is in, in the site's order (it may show
    /// it at another place, or other items in its place): every list of their kinds, of their
    /// terms and authors, the feeds, the search index and the sitemap (which has their dates).
    fn shown_by(&self, site: &Site, target: &Target) -> bool {
        let kind = |kind: Kind| self.kinds[kind as usize];
        let works = |author: ItemId| self.authors.contains(&site.items[author].slug);
        match target {
            Target::Page(job) => match job {
                Job::Home => true,
                // An author's page shows the first page of their works.
                Job::Item(i) => site.items[*i].kind == Kind::Author && works(*i),
                Job::Works { author, .. } => works(*author),
                Job::Articles { .. } => kind(Kind::Article),
                Job::SeriesIndex => kind(Kind::Series),
                // Resources, and events with a recording.
                Job::Resources { .. } => kind(Kind::Resource) || kind(Kind::Event),
                Job::Events => kind(Kind::Event),
                Job::Authors => kind(Kind::Author),
                Job::Tag { term, .. } => self.tags.contains(term),
                Job::Category { term, .. } => self.categories.contains(term),
                // Terms with their counts, a redirect: in no order.
                Job::Tags
                | Job::Categories
                | Job::NotFound
                | Job::Search
                | Job::Alias { .. }
                | Job::Redirect(_) => false,
            },
            Target::Feed(_) | Target::SearchIndex | Target::Sitemap => true,
            Target::Calendars | Target::Manifest => kind(Kind::Event),
            Target::Links => kind(Kind::Resource),
            Target::Calendar(_) | Target::Robots | Target::Stylesheet => false,
        }
    }
}

/// Has the files of the site planned again at the next rebuild (their list changed), keeping
/// the fingerprints of the plan in `forgotten` for the items that stay the same.
fn forget_plan(plan: &mut Option<Plan>, forgotten: &mut Option<Fingerprints>) {
    if let Some(plan) = plan.take() {
        *forgotten = Some(plan.fingerprints);
    }
}

/// Renders the bodies of `sources` that `bodies` does not hold as they are now, in parallel.
/// `changed_links`: the targets of links when they may have changed since the bodies were
/// rendered (a body whose links now resolve otherwise is rendered again).
fn render_bodies(
    bodies: &FastMap<String, Body>,
    sources: &[&Source],
    links: &site::LinkTargets,
    changed_links: Option<&site::LinkTargets>,
) -> Vec<(String, Body)> {
    sources
        .par_iter()
        .filter(|source| {
            bodies.get(&source.content_path).is_none_or(|body| {
                !same_source(&body.source, source)
                    || changed_links.is_some_and(|links| {
                        body.lookups
                            .iter()
                            .any(|(key, found)| links.get(key) != found.as_ref())
                    })
            })
        })
        .map(|source| {
            let (rendered, lookups) = crate::markdown::render_tracked(source, links);
            let mut h = hasher();
            h.write(rendered.html.as_bytes());
            for heading in &rendered.headings {
                h.write_u8(heading.level);
                h.write(heading.id.as_bytes());
                h.write_u8(0);
                h.write(heading.text.as_bytes());
                h.write_u8(0);
            }
            let body = Body {
                source: (*source).clone(),
                lookups,
                rendered,
                fingerprint: h.finish(),
            };
            (source.content_path.clone(), body)
        })
        .collect()
}

/// Whether a body rendered from `a` is the body of `b`: everything rendering reads of a source.
fn same_source(a: &Source, b: &Source) -> bool {
    // Sources sharing their text come from the same reading of the file: equal in all.
    if std::sync::Arc::ptr_eq(&a.text, &b.text) {
        return true;
    }
    a.text == b.text
        && a.kind == b.kind
        && a.display == b.display
        && a.content_path == b.content_path
        && a.body_first_line == b.body_first_line
        && a.body_range == b.body_range
        && a.bundle_files == b.bundle_files
        && a.bundle_dir == b.bundle_dir
}

/// Tags and categories whose item lists changed by patches: tags by slug (a tag that appears
/// or goes moves the indexes of those after it), categories by index in `Site::categories`
/// (those of `site.yaml`).
#[derive(Debug, Default)]
struct Refiled {
    tags: Vec<String>,
    categories: Vec<usize>,
}

impl Refiled {
    /// Their indexes in `Site::tags` (of the tags that still exist) and `Site::categories`.
    fn indexes(&self, site: &Site) -> (Vec<usize>, Vec<usize>) {
        let tags = (self.tags.iter())
            .filter_map(|slug| site.tag_index(slug))
            .collect();
        (tags, self.categories.clone())
    }

    /// Whether `layout` still has the pages these terms need (each exists and keeps its number
    /// of pages).
    fn fits(&self, layout: &Layout, site: &Site) -> bool {
        let pages = |tag: bool, term: usize| {
            layout
                .jobs
                .iter()
                .filter(|job| match job {
                    Job::Tag { term: t, .. } => tag && *t == term,
                    Job::Category { term: t, .. } => !tag && *t == term,
                    _ => false,
                })
                .count()
        };
        let fits = |tag: bool, term: usize, len: usize| {
            pages(tag, term) == crate::render::page_count(len, crate::render::LIST_PER_PAGE)
        };
        let (tags, categories) = self.indexes(site);
        tags.len() == self.tags.len()
            && tags
                .iter()
                .all(|&t| fits(true, t, site.tags[t].items.len()))
            && (categories.iter()).all(|&c| fits(false, c, site.categories[c].items.len()))
    }

    /// The targets showing these terms' lists or counts: their pages and feeds (whose items
    /// are taken anew into `layout`), the indexes of terms, the search page and index.
    fn targets(&self, layout: &mut Layout, site: &Site) -> Vec<u32> {
        if self.tags.is_empty() && self.categories.is_empty() {
            return Vec::new();
        }
        let (tags, categories) = self.indexes(site);
        let mut feeds = Vec::new();
        for (terms, refiled, section) in [
            (&site.tags, &tags, "tags"),
            (&site.categories, &categories, "categories"),
        ] {
            for &t in refiled {
                let spec = crate::render::feeds::term_spec(site, &terms[t], section);
                if let Some(i) = layout.feeds.iter().position(|f| f.path == spec.path) {
                    layout.feeds[i] = spec;
                    feeds.push(i);
                }
            }
        }
        (0..layout.targets.len() as u32)
            .filter(|&t| {
                let target = &layout.targets[t as usize];
                shows_structure(target, &tags, &categories, |i| feeds.contains(&i))
            })
            .collect()
    }
}

/// The search index as last written, by entry: made again only for the items that changed.
#[derive(Default)]
struct SearchCache {
    /// By path relative to `content/`: the fingerprint an entry was made from, and the entry.
    entries: FastMap<String, (u64, search::Entry)>,
    /// The items of the index last made, in order.
    order: Vec<String>,
    /// The paths of the files last made.
    files: Vec<String>,
    /// By path, the digest of each file last made ([`search::digest`]).
    digests: FastMap<String, u64>,
    /// The postings of the index last made, when kept.
    postings: Option<search::Postings>,
    /// The lists of the filters file last made, when kept, and whether the file last made
    /// still holds them.
    filters: Option<(search::Filters, bool)>,
}

impl SearchCache {
    /// The files of the search index of `site` that differ from those last made (all of them
    /// when `force`), or `None` when they are the ones last made. Files whose entries did not
    /// change (result cards of other items, the filters file) are not made again.
    fn index(
        &mut self,
        site: &Site,
        fingerprints: &Fingerprints,
        force: bool,
    ) -> Result<Option<Vec<Output>>> {
        let ids = fingerprints.search_ids();
        let key = |id: usize| &site.items[id].source.content_path;
        let stale: Vec<usize> = ids
            .par_iter()
            .copied()
            .filter(|&id| {
                self.entries
                    .get(key(id))
                    .is_none_or(|(f, _)| *f != fingerprints.search_entry(id))
            })
            .collect();
        let made: Vec<(usize, search::Entry)> = stale
            .par_iter()
            .map(|&id| Ok((id, search::entry(site, id)?)))
            .collect::<Result<_>>()?;
        let reordered = ids.len() != self.order.len()
            || ids.iter().zip(&self.order).any(|(&id, k)| key(id) != k);
        // Items that changed places (a new date), came or went: their numbers.
        let renumbered = if reordered && !force {
            let now: Vec<&str> = ids.iter().map(|&id| key(id).as_str()).collect();
            renumbering(&self.order, &now)
        } else {
            None
        };
        let mut changed = force || reordered;
        // The postings and the filters follow the entries that changed in place or were
        // numbered again; made anew otherwise. So do the result cards files.
        let mut postings = self.postings.take();
        let mut filters = self.filters.take();
        // Numbers of the entries whose result cards file is made again; all when `None`.
        let mut touched: Option<Vec<usize>> = Some(Vec::new());
        match &renumbered {
            Some(r) => {
                if let Some(postings) = &mut postings {
                    postings.renumber(r);
                }
                if let Some((filters, written)) = &mut filters {
                    filters.renumber(r);
                    *written = false;
                }
                // The cards of every item after the first moved one, when items came or went.
                let end = match r.shift {
                    0 => r.lo + r.new.len(),
                    _ => ids.len(),
                };
                touched = Some((r.lo..end).collect());
            }
            None if changed => (postings, filters, touched) = (None, None, None),
            None => {}
        }
        for (id, entry) in made {
            let stamp = fingerprints.search_entry(id);
            match self.entries.get_mut(key(id)) {
                Some(cached) => {
                    if cached.1 != entry {
                        changed = true;
                        let n = ids.iter().position(|&i| i == id).expect("an item");
                        if let Some(postings) = &mut postings {
                            postings.replace(n, &cached.1, &entry);
                        }
                        if let Some((filters, written)) = &mut filters
                            && cached.1.filed_under() != entry.filed_under()
                        {
                            filters.replace(n, &cached.1, &entry);
                            *written = false;
                        }
                        if let Some(touched) = &mut touched {
                            touched.push(n);
                        }
                    }
                    *cached = (stamp, entry);
                }
                // A new item: it joins the kept postings and filters (the others were numbered
                // again above), or everything is made anew.
                None => {
                    changed = true;
                    if renumbered.is_some()
                        && let (Some(postings), Some((filters, written))) =
                            (&mut postings, &mut filters)
                    {
                        let n = ids.iter().position(|&i| i == id).expect("an item");
                        postings.insert(n, &entry);
                        filters.insert(n, &entry);
                        *written = false;
                    } else {
                        (postings, filters, touched) = (None, None, None);
                    }
                    self.entries.insert(key(id).clone(), (stamp, entry));
                }
            }
        }
        if self.entries.len() > ids.len() {
            let keep: HashSet<&str> = ids.iter().map(|&id| key(id).as_str()).collect();
            self.entries.retain(|k, _| keep.contains(k.as_str()));
        }
        if !changed {
            self.postings = postings;
            self.filters = filters;
            return Ok(None);
        }
        if reordered {
            self.order = ids.iter().map(|&id| key(id).clone()).collect();
        }
        let entries: Vec<&search::Entry> = ids.iter().map(|&id| &self.entries[key(id)].1).collect();
        let postings = postings.unwrap_or_else(|| search::Postings::new(&entries));
        let (filters, written) = filters.unwrap_or_else(|| (search::Filters::new(&entries), false));
        let touched = touched.filter(|_| !force);

        // Every file but the entry file, in order: made again (`Some`), or as last made.
        let (shards, firsts) = search::shards(postings.iter());
        let mut files: Vec<(String, Option<Output>)> = shards
            .into_iter()
            .map(|shard| (shard.path.clone(), Some(shard)))
            .collect();
        let chunks: Vec<&[&search::Entry]> = entries.chunks(search::DOCS_PER_FILE).collect();
        let cards: Vec<(String, Option<Output>)> = chunks
            .par_iter()
            .enumerate()
            .map(|(n, chunk)| {
                let path = search::card_path(n);
                let again = touched.as_ref().is_none_or(|touched| {
                    !self.digests.contains_key(&path)
                        || touched.iter().any(|&i| i / search::DOCS_PER_FILE == n)
                });
                (path, again.then(|| search::card_file(n, chunk)))
            })
            .collect();
        files.extend(cards);
        let path = search::FILTERS_PATH.to_string();
        let again = force || !written || !self.digests.contains_key(&path);
        files.push((path, again.then(|| filters.output())));
        let digests: Vec<u64> = files
            .par_iter()
            .map(|(path, made)| match made {
                Some(file) => search::digest(file),
                None => self.digests[path],
            })
            .collect();
        let index = search::entry_file(&digests, &firsts, entries.len());

        // The files that differ from those last made.
        let index_digest = search::digest(&index);
        let all = std::iter::once((index.path.clone(), Some(index), index_digest)).chain(
            files
                .into_iter()
                .zip(digests)
                .map(|((path, made), digest)| (path, made, digest)),
        );
        let before = std::mem::take(&mut self.digests);
        let mut out = Vec::new();
        for (path, made, digest) in all {
            if let Some(file) = made
                && (force || before.get(&path) != Some(&digest))
            {
                out.push(file);
            }
            self.digests.insert(path, digest);
        }
        self.files = self.digests.keys().cloned().collect();
        self.filters = Some((filters, true));
        self.postings = Some(postings);
        Ok((!out.is_empty()).then_some(out))
    }
}

/// How the items listed `before` are numbered in `now` (see `search::Renumbering`): between
/// the first and the last place where the lists differ, the items of `before` that stay get
/// their new numbers, those gone `None`; the items after move by the number of items added
/// minus those gone. `None` when the lists are the same.
fn renumbering(before: &[String], now: &[&str]) -> Option<search::Renumbering> {
    let lo = now
        .iter()
        .zip(before)
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| {
            // One list starts with the other.
            before.len().min(now.len())
        });
    if lo == before.len() && lo == now.len() {
        return None;
    }
    // The longest common end that does not reach into `lo`.
    let most = (before.len() - lo).min(now.len() - lo);
    let common = now
        .iter()
        .rev()
        .zip(before.iter().rev())
        .take(most)
        .take_while(|(a, b)| *a == b)
        .count();
    let (hi_before, hi_now) = (before.len() - common, now.len() - common);
    let places: HashMap<&str, usize> = now[lo..hi_now]
        .iter()
        .enumerate()
        .map(|(k, key)| (*key, lo + k))
        .collect();
    let new = before[lo..hi_before]
        .iter()
        .map(|key| places.get(key.as_str()).copied())
        .collect();
    Some(search::Renumbering {
        lo,
        new,
        shift: hi_now as isize - hi_before as isize,
    })
}

/// What tells that a file to copy changed: its size and modification time.
fn copy_stamp(path: &Path) -> u64 {
    let mut h = hasher();
    h.write(path.as_os_str().as_encoded_bytes());
    if let Ok(meta) = std::fs::metadata(path) {
        h.write_u64(meta.len());
        if let Ok(modified) = meta.modified()
            && let Ok(since) = modified.duration_since(std::time::UNIX_EPOCH)
        {
            h.write_u128(since.as_nanos());
        }
    }
    h.finish()
}

/// A rendered file: its index in the plan, its content, the templates it was rendered through
/// (with their fingerprints) and the hash of its bytes.
type RenderedFile = (usize, Output, Vec<(String, u64)>, u64);

/// Writes what changed: everything rendered and every dirty copy when `fresh` (into a new
/// folder that then replaces `output`), otherwise the rendered files whose bytes differ from
/// `written` and the dirty copies, in place. Gives the number of HTML files and of files
/// written.
fn write_output(
    output: &Path,
    fresh: bool,
    plan: &[PlannedFile],
    rendered: &[RenderedFile],
    dirty: &[usize],
    written: &FastMap<String, Written>,
) -> Result<(usize, usize)> {
    let copies: Vec<(&str, &Path)> = dirty
        .iter()
        .filter_map(|&i| match &plan[i] {
            (rel, Planned::Copy(from), _) => Some((*rel, *from)),
            _ => None,
        })
        .collect();
    let mut files: Vec<&Output> = rendered
        .iter()
        .filter(|(_, o, _, hash)| {
            fresh
                || written
                    .get(&o.path)
                    .is_none_or(|before| before.bytes != *hash)
        })
        .map(|(_, o, _, _)| o)
        .collect();
    let pages = files.iter().filter(|o| o.path.ends_with(".html")).count();
    if fresh {
        crate::output::write_fresh(output, &mut files, &copies)?;
        Ok((pages, dirty.len()))
    } else {
        crate::output::write_in_place(output, &files, &copies)?;
        Ok((pages, files.len() + copies.len()))
    }
}
