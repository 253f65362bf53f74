//! The output folder as the last build left it: what each file was made from (the fingerprint
//! of its inputs, the templates it went through, the hash of its bytes). From it a rebuild
//! finds which files of the site are stale, writes only those whose bytes changed (through
//! [`crate::output`]), records what it wrote and deletes the files no longer part of the site.

use std::hash::Hasher;
use std::path::{Path, PathBuf};

use anyhow::Result;
use rayon::prelude::*;

use super::plan::Plan;
use crate::hash::{FastMap, hasher};
use crate::output::{Output, Staging};
use crate::render::{Target, Templates};
use crate::site::Site;

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
pub enum Planned<'t> {
    Render(&'t Target),
    Copy(&'t Path),
}

/// A file of the site: its path, what produces it and the fingerprint of its inputs.
pub type PlannedFile<'t> = (&'t str, Planned<'t>, u64);

/// Where the bytes of a rendered file go.
#[derive(Clone, Copy)]
pub enum Sink<'a> {
    /// Kept in memory until written (the rebuilds of `serve`).
    Keep,
    /// Written at once into the staging folder of a build made once, which does not hold
    /// every page at once.
    Staging(&'a Staging),
    /// Dropped once hashed: a check renders every file to find what fails, and writes nothing.
    Discard,
}

impl<'a> From<Option<&'a Staging>> for Sink<'a> {
    fn from(staging: Option<&'a Staging>) -> Sink<'a> {
        staging.map_or(Sink::Keep, Sink::Staging)
    }
}

/// A rendered file: its index in the planned files, its path, its bytes (`None` once written
/// into the staging folder of a fresh build, or dropped by a check: [`Sink`]), the templates
/// it was rendered through (with their fingerprints) and the hash of its bytes.
pub struct RenderedFile {
    pub index: usize,
    pub path: String,
    pub bytes: Option<Vec<u8>>,
    pub templates: Vec<(String, u64)>,
    pub hash: u64,
}

impl RenderedFile {
    /// `output`, the file at `index`, rendered through `templates`, its bytes sent to `sink`.
    pub fn new(
        index: usize,
        output: Output,
        templates: Vec<(String, u64)>,
        sink: Sink,
    ) -> Result<RenderedFile> {
        let hash = crate::hash::hash_bytes(&output.bytes);
        let bytes = match sink {
            Sink::Keep => Some(output.bytes),
            Sink::Staging(staging) => {
                staging.write(&output.path, &output.bytes)?;
                None
            }
            Sink::Discard => None,
        };
        Ok(RenderedFile {
            index,
            path: output.path,
            bytes,
            templates,
            hash,
        })
    }
}

/// A file to copy: its path in the site, where it is, and its [`copy_stamp`].
pub type CopyFile = (String, PathBuf, u64);

/// The files to copy into the site: the theme's `static/` and the other files of bundles.
pub fn copies(site: &Site, templates: &Templates) -> Vec<CopyFile> {
    let mut copies: Vec<CopyFile> = Vec::new();
    for (from, rel) in &templates.static_files {
        copies.push((rel.clone(), from.clone(), copy_stamp(from)));
    }
    for item in &site.items {
        if let Some(dir) = &item.source.bundle_dir {
            for file in &item.source.bundle_files {
                let from = dir.join(file);
                let rel = crate::urls::bundle_file(&item.url, file);
                let stamp = copy_stamp(&from);
                copies.push((rel, from, stamp));
            }
        }
    }
    copies
}

/// Every file of the site, with the fingerprint of its inputs, in the order a full build
/// writes them (a later file wins over an earlier one at the same path): the targets of `plan`,
/// then `copies`.
pub fn files<'a>(plan: &'a Plan, copies: &'a [CopyFile]) -> Vec<PlannedFile<'a>> {
    let mut files: Vec<PlannedFile> = plan
        .layout
        .targets
        .iter()
        .zip(&plan.files)
        .map(|(target, (path, inputs))| (path.as_str(), Planned::Render(target), *inputs))
        .collect();
    files.extend(
        copies
            .iter()
            .map(|(rel, from, stamp)| (rel.as_str(), Planned::Copy(from), *stamp)),
    );
    files
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

/// The output folder as the last build left it, by path relative to it.
pub struct Inventory {
    written: FastMap<String, Written>,
    /// Builds done, to tell the files of the last one.
    builds: u64,
    /// Whether the next build replaces the whole output folder (first build, or the folder's
    /// state is unknown after a failed write).
    pub fresh: bool,
}

impl Default for Inventory {
    fn default() -> Inventory {
        Inventory {
            written: FastMap::default(),
            builds: 0,
            fresh: true,
        }
    }
}

impl Inventory {
    /// Whether the last build left a file at `path`.
    pub fn has(&self, path: &str) -> bool {
        self.written.contains_key(path)
    }

    /// Files of the site.
    pub fn total_files(&self) -> usize {
        self.written.len()
    }

    /// HTML files of the site.
    pub fn total_pages(&self) -> usize {
        self.written.keys().filter(|p| p.ends_with(".html")).count()
    }

    /// The indexes in `files` of those to produce again: new, with other inputs, copied from
    /// a changed file, or rendered through a template that changed (when `templates_loaded`:
    /// the templates were loaded again since the last build).
    pub fn stale(
        &self,
        files: &[PlannedFile],
        templates: &Templates,
        templates_loaded: bool,
    ) -> Vec<usize> {
        let fresh = self.fresh;
        (0..files.len())
            .into_par_iter()
            .filter(|&i| {
                let (path, planned, inputs) = &files[i];
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
            .collect()
    }

    /// Writes what changed: when `fresh`, every dirty copy into `staging` (where the rendered
    /// files were written as they were made), which then replaces `output`; otherwise the
    /// rendered files whose bytes differ from those written and the dirty copies, in place.
    /// Gives the number of HTML files and of files written. On failure the folder is in an
    /// unknown state: the next build replaces it whole.
    pub fn write(
        &mut self,
        output: &Path,
        files: &[PlannedFile],
        rendered: &[RenderedFile],
        dirty: &[usize],
        staging: Option<Staging>,
    ) -> Result<(usize, usize)> {
        let result = self.write_changed(output, files, rendered, dirty, staging);
        if result.is_err() {
            self.fresh = true;
            self.written.clear();
        }
        result
    }

    fn write_changed(
        &self,
        output: &Path,
        files: &[PlannedFile],
        rendered: &[RenderedFile],
        dirty: &[usize],
        staging: Option<Staging>,
    ) -> Result<(usize, usize)> {
        let copies: Vec<(&str, &Path)> = dirty
            .iter()
            .filter_map(|&i| match &files[i] {
                (rel, Planned::Copy(from), _) => Some((*rel, *from)),
                _ => None,
            })
            .collect();
        if self.fresh {
            let staging = staging.expect("a fresh build is staged");
            let pages = rendered
                .iter()
                .filter(|r| r.path.ends_with(".html"))
                .count();
            crate::output::finish_fresh(staging, &copies)?;
            return Ok((pages, dirty.len()));
        }
        let changed: Vec<(&str, &[u8])> = rendered
            .iter()
            .filter(|r| {
                self.written
                    .get(&r.path)
                    .is_none_or(|before| before.bytes != r.hash)
            })
            .map(|r| {
                let bytes = r.bytes.as_deref().expect("kept until written in place");
                (r.path.as_str(), bytes)
            })
            .collect();
        let pages = changed.iter().filter(|(p, _)| p.ends_with(".html")).count();
        crate::output::write_in_place(output, &changed, &copies)?;
        Ok((pages, changed.len() + copies.len()))
    }

    /// Records the build just written: every file of `files` is part of the site (with
    /// `also`, the other files of the search index), those `rendered` with what they were made
    /// from, those found `unchanged` without being written with their new inputs, those
    /// `deferred` (left for later) as stale. Deletes the files of the previous build that are
    /// gone from `output`; gives their number.
    pub fn record(
        &mut self,
        output: &Path,
        files: &[PlannedFile],
        rendered: &[RenderedFile],
        unchanged: &[usize],
        also: &[String],
        deferred: &[usize],
    ) -> usize {
        if self.fresh {
            self.written.clear();
        }
        self.builds += 1;
        let build = self.builds;
        for (path, planned, inputs) in files {
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
        for path in also {
            if let Some(record) = self.written.get_mut(path) {
                record.build = build;
            }
        }
        self.take_in(files, rendered, unchanged, build);
        for &i in deferred {
            // Inputs it cannot have: stale until written.
            let record = self.written.get_mut(files[i].0).expect("planned above");
            record.inputs = !files[i].2;
        }
        let gone: Vec<&String> = self
            .written
            .iter()
            .filter(|(_, record)| record.build != build)
            .map(|(path, _)| path)
            .collect();
        let deleted = gone.len();
        for path in gone {
            crate::output::remove(output, path);
        }
        self.written.retain(|_, record| record.build == build);
        self.fresh = false;
        deleted
    }

    /// Takes in what files of build `build` were made from: those `rendered` (their inputs,
    /// templates and bytes), those found `unchanged` without being written (their new inputs).
    fn take_in(
        &mut self,
        files: &[PlannedFile],
        rendered: &[RenderedFile],
        unchanged: &[usize],
        build: u64,
    ) {
        for r in rendered {
            let record = self
                .written
                .entry(r.path.clone())
                .or_insert_with(|| Written {
                    build,
                    inputs: 0,
                    templates: Vec::new(),
                    bytes: 0,
                });
            record.inputs = files[r.index].2;
            record.templates = r.templates.clone();
            record.bytes = r.hash;
        }
        for &i in unchanged {
            let record = self
                .written
                .get_mut(files[i].0)
                .expect("planned by the build");
            record.inputs = files[i].2;
        }
    }

    /// Records files left for later by the last build and now written: those `rendered`
    /// with what they were made from, those found `unchanged` with their new inputs. Deletes
    /// `gone` (files of the search index it no longer has).
    pub fn record_deferred(
        &mut self,
        output: &Path,
        files: &[PlannedFile],
        rendered: &[RenderedFile],
        unchanged: &[usize],
        gone: &[String],
    ) {
        self.take_in(files, rendered, unchanged, self.builds);
        for path in gone {
            if self.written.remove(path).is_some() {
                crate::output::remove(output, path);
            }
        }
    }
}
