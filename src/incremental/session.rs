//! The session: the state of a site kept between builds (files read, the resolved site,
//! bodies, the plan, the search index, the output folder's inventory), what a change to a file
//! invalidates in it ([`Session::changed`]), and the rebuild carved into its steps: read and
//! resolve ([`Session::load`]), plan, find what is stale, render, write, record.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;
use rayon::prelude::*;

use super::bodies::{self, Body};
use super::fingerprint::Fingerprints;
use super::inventory::{self, Inventory, Planned, PlannedFile, RenderedFile, Sink};
use super::patch;
use super::plan::{self, Pending, Plan};
use super::search_cache::SearchCache;
use super::stream;
use crate::config::{CONFIG_FILE, Config};
use crate::content::load::{CONTENT_DIR, Found, Listed, Rejected};
use crate::content::{Entry, Kind, Source};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::hash::{FastMap, FastSet, hash_bytes};
use crate::markdown::Rendered;
use crate::render::shows::{Part, Shows};
use crate::render::templates::{OVERRIDES_DIR, THEME_DIR};
use crate::render::{SiteRenderer, Target, Templates};
use crate::site::{self, ItemId, Publish, Site};

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

/// What a check made once found ([`Session::check_once`]).
#[derive(Debug)]
pub struct Checked {
    /// The problems of the content: warnings only, since errors stop the check as they stop
    /// a build ([`BuildError::Invalid`]).
    pub diagnostics: Diagnostics,
    /// What stopped the making of the files, if anything did: a template that fails, an
    /// alias over another page ([`crate::render::alias::Collisions`]).
    pub failed: Option<anyhow::Error>,
}

/// What a build made once is for.
#[derive(Clone, Copy)]
enum Once {
    /// Its files are written into the output folder.
    Build,
    /// Its files are made, then dropped.
    Check,
}

/// What [`Session::once`] made.
enum Made {
    Built(Rebuild),
    Checked(Checked),
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
    /// Files left for later ([`Session::defer_deep_pages`]).
    pub deferred: usize,
    /// Whether the site was resolved again as a whole (its structure changed, or this is the
    /// first build), rather than the changed items patched into it.
    pub resolved: bool,
    pub warnings: Diagnostics,
    pub elapsed: Duration,
    /// Where the time went, phase by phase.
    pub phases: Vec<(&'static str, Duration)>,
    /// The process's peak memory in each phase, when asked for
    /// ([`crate::memory::phases_asked`]).
    pub memory: Vec<(&'static str, crate::memory::Sample)>,
}

/// Times the phases of a build, and samples its memory after each when asked to.
struct Phases {
    last: Instant,
    list: Vec<(&'static str, Duration)>,
    memory: Option<Vec<(&'static str, crate::memory::Sample)>>,
}

impl Phases {
    fn new(started: Instant) -> Phases {
        let memory = crate::memory::phases_asked().then(|| {
            // The phases' peaks start from here.
            crate::memory::sample();
            Vec::new()
        });
        Phases {
            last: started,
            list: Vec::new(),
            memory,
        }
    }

    fn done(&mut self, phase: &'static str) {
        let now = Instant::now();
        self.list.push((phase, now - self.last));
        if let Some(memory) = &mut self.memory
            && let Some(sample) = crate::memory::sample()
        {
            memory.push((phase, sample));
        }
        self.last = Instant::now();
    }
}

/// A content file as last read.
struct File {
    found: Found,
    /// Hash of the file's text (0 when it could not be read).
    hash: u64,
    result: Result<Entry, Rejected>,
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
    /// What was patched into `resolved` since `plan` was made.
    pending: Pending,
    /// By path relative to `content/`.
    bodies: FastMap<String, Body>,
    /// Entries of the search index, by path relative to `content/`, with their fingerprint.
    search: SearchCache,
    /// The output folder as the last build left it.
    inventory: Inventory,
    /// Whether a rebuild may leave for later the files nobody looks at first (`serve`,
    /// [`Session::defer_deep_pages`]).
    defer: bool,
    /// The files the last rebuild left for later (indexes in its planned files, which are its
    /// plan's targets first): rendered by [`Session::render_deferred`].
    deferred: Vec<usize>,
    /// Whether the bodies of the files read are dropped once their first paragraph is taken
    /// ([`Session::build_once`], which reads them again where it renders them).
    forget_bodies: bool,
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
            pending: Pending::default(),
            bodies: FastMap::default(),
            search: SearchCache::default(),
            inventory: Inventory::default(),
            defer: false,
            deferred: Vec::new(),
            forget_bodies: false,
        }
    }

    /// Lets rebuilds (but the first) leave for later the files nobody looks at first: the
    /// pages after the first of long lists (which a new article shifts by one item each, so
    /// that a thousand of them change) and the search index. A rebuild then returns once the
    /// others are written; [`Session::render_deferred`] writes the rest. For `serve`, which
    /// serves a page asked for before it is written as soon as it is.
    pub fn defer_deep_pages(&mut self, defer: bool) {
        self.defer = defer;
    }

    /// The paths (relative to the output folder) of the files the last rebuild left for later
    /// and not yet written.
    pub fn deferred_paths(&self) -> Vec<String> {
        let Some(plan) = &self.plan else {
            return Vec::new();
        };
        (self.deferred.iter())
            .map(|&i| plan.files[i].0.clone())
            .collect()
    }

    /// Renders and writes at most `max` of the files the last rebuild left for later, those
    /// at the paths `wanted` first (relative to the output folder; a path not left for later
    /// is ignored). Gives the paths done. Once none is left, the output folder is what a full
    /// build gives. On failure the files not done are left for the next rebuild.
    pub fn render_deferred(
        &mut self,
        wanted: &[String],
        max: usize,
    ) -> Result<Vec<String>, BuildError> {
        let (Some(plan), Some(resolved), Some(templates)) =
            (&self.plan, &self.resolved, &self.templates)
        else {
            self.deferred.clear();
            return Ok(Vec::new());
        };
        let mut chosen: Vec<usize> = Vec::new();
        for path in wanted {
            if let Some(at) = (self.deferred.iter()).position(|&i| plan.files[i].0 == *path) {
                chosen.push(self.deferred.remove(at));
            }
        }
        while chosen.len() < max.max(1)
            && let Some(i) = self.deferred.pop()
        {
            chosen.push(i);
        }
        if chosen.is_empty() {
            return Ok(Vec::new());
        }
        let site = &resolved.site;
        let bodies: Vec<&Rendered> = (site.items.iter())
            .map(|item| &self.bodies[&item.source.content_path].rendered)
            .collect();
        let renderer = SiteRenderer::new(site, templates, &bodies, &plan.layout);
        let files = inventory::files(plan, &[]);
        let done: Vec<String> = chosen.iter().map(|&i| files[i].0.to_string()).collect();
        let result = (|| -> Result<()> {
            let mut rendered = render(&renderer, templates, &files, &chosen, Sink::Keep)?;
            let mut unchanged = Vec::new();
            let mut gone = Vec::new();
            if let Some(&i) = (chosen.iter())
                .find(|&&i| matches!(files[i].1, Planned::Render(Target::SearchIndex)))
            {
                let before = self.search.files.clone();
                let force = !self.inventory.has(files[i].0);
                match self.search.index(site, &plan.fingerprints, force)? {
                    Some(outputs) => {
                        for output in outputs {
                            rendered.push(RenderedFile::new(i, output, Vec::new(), Sink::Keep)?);
                        }
                    }
                    None => unchanged.push(i),
                }
                gone = (before.into_iter())
                    .filter(|path| !self.search.files.contains(path) && path != files[i].0)
                    .collect();
            }
            let output = &self.options.output;
            self.inventory
                .write(output, &files, &rendered, &chosen, None)?;
            self.inventory
                .record_deferred(output, &files, &rendered, &unchanged, &gone);
            Ok(())
        })();
        match result {
            Ok(()) => Ok(done),
            Err(error) => {
                // Found stale again by the next rebuild (their records do not match).
                self.deferred.clear();
                Err(error.into())
            }
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
            self.forget_resolution();
        } else if rel.starts_with(themes) || rel.starts_with(OVERRIDES_DIR) {
            self.templates = None;
        } else if rel.starts_with(CONTENT_DIR) {
            let path = root.join(rel);
            if self.files.contains_key(path.as_os_str()) || self.listed(&path) {
                if !path.is_file() && !self.unlist(&path) {
                    self.layout = None;
                }
                self.stale.insert(path.into_os_string());
            } else if let Some(owner) = self.bundle_of(&path) {
                // A file of a bundle: the bundle's list of files may have changed.
                self.stale.insert(owner);
            } else if path.exists() {
                // Something new.
                if !self.list(&path) {
                    self.layout = None;
                }
            } else if self.files.values().any(|f| f.found.path.starts_with(&path)) {
                // A folder of content files moved away.
                self.layout = None;
            }
            // Otherwise a file that came and went (an editor's temporary file): nothing to see.
        }
    }

    /// Whether `path` is in the listing of `content/` (read or not yet).
    fn listed(&self, path: &Path) -> bool {
        (self.layout.as_ref()).is_some_and(|(found, _)| found.iter().any(|f| f.path == path))
    }

    /// Takes the new file `path` into the listing of `content/` without listing it again, when
    /// that is all the listing would change: a `.md` file next to the others, whose slug no
    /// other file claims (a hidden file changes nothing). False when `content/` must be listed
    /// again. The site is resolved again: it has another item.
    fn list(&mut self, path: &Path) -> bool {
        let Some((found, _)) = &mut self.layout else {
            return false;
        };
        match crate::content::load::classify_file(&self.options.root, path) {
            Some(Listed::Hidden) => true,
            Some(Listed::Found(new))
                if !found
                    .iter()
                    .any(|f| f.kind == new.kind && f.slug == new.slug) =>
            {
                let name = crate::content::load::listing_name(&new);
                let at = found.partition_point(|f| {
                    (f.kind, crate::content::load::listing_name(f)) < (new.kind, name)
                });
                self.stale.insert(new.path.clone().into_os_string());
                found.insert(at, new);
                self.forget_resolution();
                true
            }
            _ => false,
        }
    }

    /// Takes the file `path`, gone, out of the listing of `content/` without listing it again,
    /// when that is all the listing would change: a file that is not a bundle's, of which the
    /// listing said nothing. False when `content/` must be listed again.
    fn unlist(&mut self, path: &Path) -> bool {
        let Some((found, diagnostics)) = &mut self.layout else {
            return false;
        };
        let display = crate::diagnostics::display_path(&self.options.root, path);
        let Some(at) = found
            .iter()
            .position(|f| f.path == path && f.bundle.is_none())
        else {
            return false;
        };
        if diagnostics.iter().any(|d| d.path == display) {
            // It claimed a slug with another file: the other one is no longer in error.
            return false;
        }
        found.remove(at);
        self.files.remove(path.as_os_str());
        self.forget_resolution();
        true
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
        self.forget_resolution();
    }

    /// Forgets everything read (not what is in the output folder): the next rebuild reads the
    /// whole site again, and writes only what differs.
    pub fn changed_everything(&mut self) {
        self.config = None;
        self.templates = None;
        self.layout = None;
        self.forget_resolution();
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
        let mut diagnostics = self.resolve()?;
        let root = self.options.root.clone();
        let site = &self.resolved.as_ref().expect("resolved above").site;
        let (found, _) = self.layout.as_ref().expect("content listed above");
        let sources = bodies_to_check(found, &self.files, site, &diagnostics);
        // The links of bodies resolve as before while the site is not resolved again.
        let links = self.resolved_again.then_some(&site.link_targets);
        let rendered = bodies::render(&self.bodies, &sources, &site.link_targets, links);
        self.bodies.extend(rendered);
        if self.bodies.len() > sources.len() {
            // Bodies of files gone or no longer published.
            let keep: FastSet<&str> = sources.iter().map(|s| s.content_path.as_str()).collect();
            self.bodies.retain(|key, _| keep.contains(key.as_str()));
        }
        let rendered: Vec<&Rendered> = sources
            .iter()
            .map(|source| &self.bodies[&source.content_path].rendered)
            .collect();
        check_bodies(&root, &sources, &rendered, &mut diagnostics);
        if diagnostics.has_errors() {
            return Err(BuildError::Invalid(diagnostics));
        }
        Ok(diagnostics)
    }

    /// Reads what changed and resolves the site (or patches it), without its bodies; gives
    /// the problems found so far (an error among them does not fail: the bodies are checked
    /// all the same, so that one build reports every problem).
    fn resolve(&mut self) -> Result<Diagnostics, BuildError> {
        let root = self.options.root.clone();
        let mut diagnostics = Diagnostics::default();
        let config = match self.config.get_or_insert_with(|| Config::load(&root)) {
            Ok(c) => c.clone(),
            Err(problems) => {
                problems.iter().cloned().for_each(|d| diagnostics.push(d));
                self.forget_resolution();
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
            plan::forget(&mut self.plan, &mut self.forgotten);
            self.pending = Pending::default();
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
            if !site.config.redirects.is_empty() {
                let feeds = crate::render::feeds::specs(&site);
                let feeds: Vec<&str> = feeds.iter().map(|f| f.path.as_str()).collect();
                for d in crate::redirects::check(&root, &site, &feeds) {
                    diagnostics.push(d);
                }
            }
            Resolved { site, diagnostics }
        });
        diagnostics.extend(resolved.diagnostics.clone());
        Ok(diagnostics)
    }

    /// Has the site resolved again at the next rebuild; the site resolved before is freed
    /// aside ([`crate::memory::drop_aside`]).
    fn forget_resolution(&mut self) {
        if let Some(resolved) = self.resolved.take() {
            crate::memory::drop_aside(resolved);
        }
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
                self.forget_resolution();
            }
            let current: FastSet<&OsStr> = found.iter().map(|f| f.path.as_os_str()).collect();
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
        let forget = self.forget_bodies;
        let read: Vec<File> = to_read
            .par_iter()
            .map(|f| {
                let mut result = crate::content::load::read(&root, f);
                let source = match &mut result {
                    Ok(entry) => Some(&mut entry.source),
                    Err((_, Some(source), _)) => Some(&mut **source),
                    Err((_, None, _)) => None,
                };
                let hash = source.as_ref().map_or(0, |s| hash_bytes(s.text.as_bytes()));
                if forget && let Some(source) = source {
                    // All an item takes from its body.
                    crate::markdown::first_paragraph(source);
                    source.forget_body(hash);
                }
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
        // Room for them all at once: growing the map would hold two copies of it.
        self.files.reserve(read.len());
        for file in read {
            let before = self.files.get(file.found.path.as_os_str());
            let patched = match (before.map(|b| &b.result), &file.result, &mut self.resolved) {
                (Some(Ok(old)), Ok(new), Some(resolved))
                    if old.source.yaml() == new.source.yaml()
                        && old.source.bundle_files == new.source.bundle_files =>
                {
                    if let Some(id) = patch::patch_body(&mut resolved.site, new) {
                        self.pending.patched.push(id);
                    }
                    true
                }
                // Another front matter: patched too when the site keeps its structure.
                (Some(Ok(old)), Ok(new), Some(resolved))
                    if old.source.bundle_files == new.source.bundle_files =>
                {
                    let site = &mut resolved.site;
                    match patch::patch(site, new, publish) {
                        Some(patched) => {
                            let id = patched.id;
                            let pending = &mut self.pending;
                            pending.patched.push(id);
                            pending.patched.extend(patched.series);
                            for &t in &patched.renamed_tags {
                                // The cards of the tag's items show its name.
                                pending.patched.extend(site.tags[t].items.iter().copied());
                            }
                            let slugs = patched.tags.iter().map(|&t| site.tags[t].slug.clone());
                            pending.refiled.tags.extend(slugs);
                            pending.refiled.categories.extend(patched.categories);
                            // A tag page appears or goes: the files of the site change.
                            pending.restructured |= patched.retagged;
                            if patched.redated {
                                pending.relisted.push(id);
                                pending.relisted.extend(patched.series);
                            }
                            if site.items[id].kind == Kind::Author {
                                // The cards of their works show the author's name.
                                pending
                                    .patched
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
                self.forget_resolution();
            }
            self.files
                .insert(file.found.path.clone().into_os_string(), file);
        }
        self.stale.clear();
    }

    /// Builds the site in its current state into the output folder: everything the first time
    /// (in a temporary folder that then replaces the output folder), then only the files whose
    /// inputs changed, written in place. On failure the output folder is left as it was.
    /// The steps: read and resolve, plan, find what is stale, render, write, record.
    pub fn rebuild(&mut self) -> Result<Rebuild, BuildError> {
        let started = Instant::now();
        crate::highlight::load_in_background();
        let mut phases = Phases::new(started);
        // Those the last rebuild left for later are found stale again.
        self.deferred.clear();
        let output = self.options.output.clone();
        if !output.is_dir() {
            self.inventory.fresh = true;
        }
        let warnings = self.load()?;
        phases.done("lecture, résolution, corps");
        if self.templates.is_none() {
            self.templates = Some(Templates::load(&self.options.root)?);
            self.templates_loaded = true;
            plan::forget(&mut self.plan, &mut self.forgotten);
        }
        let site = &self.resolved.as_ref().expect("loaded above").site;
        let templates = self.templates.as_ref().expect("templates loaded above");
        let bodies: Vec<&Rendered> = site
            .items
            .iter()
            .map(|item| &self.bodies[&item.source.content_path].rendered)
            .collect();

        // Plan: the files of the site, with the fingerprints of their inputs.
        let text = |id: ItemId| {
            self.files
                .get(site.items[id].source.path.as_os_str())
                .map_or(0, |f| f.hash)
        };
        let body = |id: ItemId| self.bodies[&site.items[id].source.content_path].fingerprint;
        let pending = std::mem::take(&mut self.pending);
        let plan = plan::next(
            self.plan.take(),
            &mut self.forgotten,
            pending,
            site,
            templates,
            &bodies,
            text,
            body,
        )?;
        let plan: &Plan = self.plan.insert(plan);
        phases.done("modèles, empreintes");
        let renderer = SiteRenderer::new(site, templates, &bodies, &plan.layout);
        let copies = inventory::copies(site, templates);
        let files = inventory::files(plan, &copies);
        phases.done("fichiers à copier");

        // Stale: what must be produced again, and what of it may wait (`defer_deep_pages`).
        let mut dirty = self
            .inventory
            .stale(&files, templates, self.templates_loaded);
        if self.defer && !self.inventory.fresh {
            let copied: HashSet<&str> = copies.iter().map(|(rel, _, _)| rel.as_str()).collect();
            let (now, later) = dirty.into_iter().partition(|&i| match &files[i] {
                (path, Planned::Render(target), _) => {
                    !may_wait(site, target) || copied.contains(path)
                }
                (_, Planned::Copy(_), _) => true,
            });
            (dirty, self.deferred) = (now, later);
        }

        // Render: the pages, then the search index. A fresh build writes each file into its
        // staging folder as soon as it is made, and keeps only its record: the site's pages are
        // never all in memory at once.
        let staging = match self.inventory.fresh {
            true => Some(crate::output::Staging::new(&output)?),
            false => None,
        };
        let mut rendered = render(
            &renderer,
            templates,
            &files,
            &dirty,
            staging.as_ref().into(),
        )?;
        phases.done("rendu des pages");
        // Files found unchanged without being written: their records take the new inputs.
        let mut unchanged: Vec<usize> = Vec::new();
        if let Some(&i) = dirty
            .iter()
            .find(|&&i| matches!(files[i].1, Planned::Render(Target::SearchIndex)))
        {
            // After the pages: a failure there leaves its cache as the files are. Its entries
            // are kept between builds: only those of changed items are made again, and its
            // files are made only when one of them changed (then written if their bytes did).
            // Each of its files has its record; the first one, at the target's path, is the
            // one planned.
            let force = self.inventory.fresh || !self.inventory.has(files[i].0);
            match self.search.index(site, &plan.fingerprints, force)? {
                Some(outputs) => {
                    for output in outputs {
                        let file =
                            RenderedFile::new(i, output, Vec::new(), staging.as_ref().into())?;
                        rendered.push(file);
                    }
                }
                None => unchanged.push(i),
            }
        }
        phases.done("index de recherche");

        // Write: the files whose bytes changed.
        let (pages, written) = self
            .inventory
            .write(&output, &files, &rendered, &dirty, staging)?;
        phases.done("écriture");

        // Record: what each file was made from; the files gone are deleted.
        let deleted = self.inventory.record(
            &output,
            &files,
            &rendered,
            &unchanged,
            &self.search.files,
            &self.deferred,
        );
        phases.done("inventaire");
        self.templates_loaded = false;
        Ok(Rebuild {
            pages,
            files: written,
            deleted,
            total_pages: self.inventory.total_pages(),
            total_files: self.inventory.total_files(),
            deferred: self.deferred.len(),
            resolved: self.resolved_again,
            warnings,
            elapsed: started.elapsed(),
            phases: phases.list,
            memory: phases.memory.unwrap_or_default(),
        })
    }

    /// Builds the site once into the output folder (`classmates build`: the session is not
    /// kept), in a temporary folder that then replaces it; on failure the output folder is
    /// left as it was. The output is the same as [`Session::rebuild`]'s first, but the bodies
    /// are streamed (`stream`): each is rendered where its pages are made, which are written
    /// at once, and only what the other files and the checks need of it is kept. Their
    /// problems are reported once every body is rendered, before any other file is made.
    pub fn build_once(self) -> Result<Rebuild, BuildError> {
        match self.once(Once::Build)? {
            Made::Built(rebuild) => Ok(rebuild),
            Made::Checked(_) => unreachable!("a build makes a build"),
        }
    }

    /// Makes every file of the site as [`Session::build_once`] does, streamed the same way,
    /// and writes none (`classmates check`): the problems of the content, and what stopped
    /// the making of the files (a template that fails, colliding addresses), if anything did.
    /// The output folder is not touched.
    pub fn check_once(self) -> Result<Checked, BuildError> {
        match self.once(Once::Check)? {
            Made::Checked(checked) => Ok(checked),
            Made::Built(_) => unreachable!("a check makes a check"),
        }
    }

    /// The pipeline of [`Session::build_once`] and [`Session::check_once`].
    fn once(mut self, once: Once) -> Result<Made, BuildError> {
        let started = Instant::now();
        crate::highlight::load_in_background();
        let mut phases = Phases::new(started);
        self.forget_bodies = true;
        self.resolutions = site::Resolutions::off();
        let mut diagnostics = self.resolve()?;
        // What a session keeps for the next build goes: the files as parsed (but those held
        // back, whose bodies are still checked) and what each entry resolved to.
        let (found, _) = self.layout.as_ref().expect("content listed above");
        let site = &mut self.resolved.as_mut().expect("resolved above").site;
        let held_back: Vec<Source> = bodies_to_check(found, &self.files, site, &diagnostics)
            [site.items.len()..]
            .iter()
            .map(|&source| source.clone())
            .collect();
        self.files = FastMap::default();
        for item in site.items.iter_mut().filter_map(std::sync::Arc::get_mut) {
            // Taken into its summary.
            item.source.first_paragraph = std::sync::OnceLock::new();
        }
        phases.done("lecture, résolution");
        // A check goes on past what stops a build, to report the problems of the content
        // with it.
        let stopped = |diagnostics: Diagnostics, error: anyhow::Error| match once {
            Once::Build => Err(BuildError::from(error)),
            Once::Check => Ok(Made::Checked(Checked {
                diagnostics,
                failed: Some(error),
            })),
        };
        let root = self.options.root.clone();
        let output = self.options.output.clone();
        let templates = match Templates::load(&root) {
            Ok(templates) => templates,
            Err(error) => return stopped(diagnostics, error),
        };
        let site = &self.resolved.as_ref().expect("resolved above").site;
        let sources: Vec<&Source> = (site.items.iter().map(|item| &item.source))
            .chain(&held_back)
            .collect();
        // Planned without bodies: only the files and their paths are needed of the plan.
        let empty = Rendered::default();
        let none: Vec<&Rendered> = vec![&empty; site.items.len()];
        let planned = plan::next(
            None,
            &mut None,
            Pending::default(),
            site,
            &templates,
            &none,
            |_| 0,
            |_| 0,
        );
        let plan = match planned {
            Ok(plan) => plan,
            Err(error) => return stopped(diagnostics, error),
        };
        let copies = inventory::copies(site, &templates);
        let files = inventory::files(&plan, &copies);
        phases.done("modèles, fichiers");

        // The bodies, each with the pages showing it whole; the HTML of those a feed shows is
        // kept.
        let staging = match once {
            Once::Build => Some(crate::output::Staging::new(&output)?),
            Once::Check => None,
        };
        let sink = staging.as_ref().map_or(Sink::Discard, Sink::Staging);
        let mut in_feeds = vec![false; site.items.len()];
        for spec in &plan.layout.feeds {
            for id in crate::render::feeds::entries(site, spec) {
                in_feeds[id] |= crate::render::feeds::shows_body(&site.items[id]);
            }
        }
        let body_pages = stream::body_pages(&files, site.items.len());
        // A check makes no search index: nothing in it can fail but its writing.
        let search_ids = match once {
            Once::Build => crate::render::search::ids(site),
            Once::Check => Vec::new(),
        };
        let mut in_search = vec![false; site.items.len()];
        search_ids.iter().for_each(|&id| in_search[id] = true);
        let renderer = SiteRenderer::new(site, &templates, &none, &plan.layout);
        let streamed = stream::render(
            &renderer,
            &files,
            &sources,
            &body_pages,
            |id| in_feeds[id],
            |id| in_search[id],
            sink,
        );
        streamed
            .problems
            .into_iter()
            .for_each(|d| diagnostics.push(d));
        let bodies: Vec<&Rendered> = streamed.bodies.iter().collect();
        check_bodies(&root, &sources, &bodies, &mut diagnostics);
        if diagnostics.has_errors() {
            return Err(BuildError::Invalid(diagnostics));
        }
        if let Some(error) = streamed.failed {
            return stopped(diagnostics, error);
        }
        phases.done("corps et pages des contenus");

        // The other files, with the bodies the feeds show.
        let renderer =
            SiteRenderer::new(site, &templates, &bodies[..site.items.len()], &plan.layout);
        let mut made = vec![false; files.len()];
        body_pages.iter().flatten().for_each(|&i| made[i] = true);
        let rest: Vec<usize> = (0..files.len()).filter(|&i| !made[i]).collect();
        let mut rendered = streamed.pages;
        match render(&renderer, &templates, &files, &rest, sink) {
            Ok(other) => rendered.extend(other),
            Err(error) => return stopped(diagnostics, error),
        }
        phases.done("rendu des autres pages");
        if staging.is_none() {
            return Ok(Made::Checked(Checked {
                diagnostics,
                failed: None,
            }));
        }
        if let Some(i) =
            (0..files.len()).find(|&i| matches!(files[i].1, Planned::Render(Target::SearchIndex)))
        {
            let entries: Vec<&crate::render::search::Entry> = (search_ids.iter())
                .filter_map(|&id| streamed.search[id].as_ref())
                .collect();
            for output in crate::render::search::assemble(&entries) {
                rendered.push(RenderedFile::new(i, output, Vec::new(), sink)?);
            }
        }
        phases.done("index de recherche");

        let every: Vec<usize> = (0..files.len()).collect();
        let (pages, written) = self
            .inventory
            .write(&output, &files, &rendered, &every, staging)?;
        phases.done("écriture");
        let total_files = rendered.len() + copies.len();
        Ok(Made::Built(Rebuild {
            pages,
            files: written,
            deleted: 0,
            total_pages: pages,
            total_files,
            deferred: 0,
            resolved: true,
            warnings: diagnostics,
            elapsed: started.elapsed(),
            phases: phases.list,
            memory: phases.memory.unwrap_or_default(),
        }))
    }
}

/// Whether the file of `target` may be written after the others: a page after the first of a
/// list (as its declaration says, `render::shows`), or the search index.
fn may_wait(site: &Site, target: &Target) -> bool {
    match target {
        Target::SearchIndex => true,
        Target::Page(_) => (Shows::of(site, target).lists.iter())
            .any(|shown| matches!(shown.part, Part::Page { page, .. } if page > 1)),
        _ => false,
    }
}

/// Renders the files of `files` at the indexes `dirty`, in parallel, noting the templates each
/// went through (the search index is made by its cache, files to copy are copied); each is
/// sent to `sink`.
fn render(
    renderer: &SiteRenderer,
    templates: &Templates,
    files: &[PlannedFile],
    dirty: &[usize],
    sink: Sink,
) -> Result<Vec<RenderedFile>> {
    dirty
        .par_iter()
        .filter_map(|&i| match &files[i].1 {
            Planned::Render(Target::SearchIndex) | Planned::Copy(_) => None,
            Planned::Render(target) => Some((i, *target)),
        })
        .map(|(i, target)| {
            let (output, names) = Templates::recording(|| renderer.render(target));
            let output = output?;
            debug_assert_eq!(output.path, files[i].0, "path of {target:?}");
            let used = names
                .into_iter()
                .map(|name| {
                    let f = templates.fingerprint(&name).unwrap_or(0);
                    (name, f)
                })
                .collect();
            RenderedFile::new(i, output, used, sink)
        })
        .collect()
}

/// Adds the problems of the rendered bodies of `sources` (`rendered[i]` is the body of
/// `sources[i]`) to `diagnostics`, then checks their `#anchor` links against their headings.
/// Held-back files included: their anchors are checked in the same run as their other
/// problems, and links into them against their headings.
fn check_bodies(
    root: &Path,
    sources: &[&Source],
    rendered: &[&Rendered],
    diagnostics: &mut Diagnostics,
) {
    for body in rendered {
        (body.diagnostics.iter())
            .cloned()
            .for_each(|d| diagnostics.push(d));
    }
    let pages = sources.iter().copied().zip(rendered.iter().copied());
    crate::anchors::check(root, pages)
        .into_iter()
        .for_each(|d| diagnostics.push(d));
}

/// The sources whose bodies are rendered and checked: the items of `site`, in order, then
/// the files held back by errors in their front matter (their bodies are checked all the
/// same, so that one build reports every problem: a broken link too, not only a bad date).
fn bodies_to_check<'s>(
    found: &[Found],
    files: &'s FastMap<OsString, File>,
    site: &'s Site,
    diagnostics: &Diagnostics,
) -> Vec<&'s Source> {
    let in_error: HashSet<&Path> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.path.as_path())
        .collect();
    let mut held_back: Vec<&Source> = Vec::new();
    let mut entries: Vec<&Entry> = Vec::new();
    for f in found {
        match &files[f.path.as_os_str()].result {
            Ok(entry) => entries.push(entry),
            Err((_, source, _)) => held_back.extend(source.as_deref()),
        }
    }
    held_back.extend(entries.iter().map(|e| &e.source).filter(|s| {
        !in_error.is_empty()
            && in_error.contains(s.display.as_path())
            && site.get(s.kind, &s.slug).is_none()
    }));
    (site.items.iter())
        .map(|item| &item.source)
        .chain(held_back)
        .collect()
}
