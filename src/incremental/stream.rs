//! The bodies of a build that is not kept (`classmates build`), streamed: each body is
//! rendered where its pages are made, which are written at once, and its search entry made
//! from the same reading; only what the other files and the checks need of it is kept
//! (headings, `#anchor` links, problems, and the HTML of the items the feeds show), so that
//! the site's bodies are never all in memory at once.

use anyhow::Result;
use rayon::prelude::*;

use super::inventory::{Planned, PlannedFile, RenderedFile, Sink};
use crate::content::Source;
use crate::diagnostics::Diagnostic;
use crate::markdown::Rendered;
use crate::render::{Job, SiteRenderer, Target, search};
use crate::site::ItemId;

/// The bodies rendered, and the pages made with them.
pub struct Streamed {
    /// Per source, in the order given: its body, without its HTML unless it was kept, and
    /// its headings without their text.
    pub bodies: Vec<Rendered>,
    /// The pages of the items, their bytes sent to the sink given.
    pub pages: Vec<RenderedFile>,
    /// Per item: its search entry, when asked for.
    pub search: Vec<Option<search::Entry>>,
    /// Files that could not be read again (`Source::read_again`).
    pub problems: Vec<Diagnostic>,
    /// The first failure to render a page, if any: reported after the bodies' own problems
    /// (a broken link says more than the page it broke).
    pub failed: Option<anyhow::Error>,
}

/// The indexes in `files` of the pages that show an item's body whole: its page and, for an
/// author, the pages of their works. These are the pages [`render`] makes.
pub fn body_pages(files: &[PlannedFile], items: usize) -> Vec<Vec<usize>> {
    let mut pages = vec![Vec::new(); items];
    for (i, (_, planned, _)) in files.iter().enumerate() {
        if let Planned::Render(Target::Page(Job::Item(id) | Job::Works { author: id, .. })) =
            planned
        {
            pages[*id].push(i);
        }
    }
    pages
}

/// Renders the body of each of `sources` (the site's items first, in order, `pages[id]` the
/// files of item `id` from [`body_pages`]; then the files held back, whose bodies are only
/// checked), makes the pages of each item with it into `sink` and its search entry when
/// `in_search(id)`, and keeps its HTML only when `keep_html(id)` (the feeds show it).
pub fn render(
    renderer: &SiteRenderer,
    files: &[PlannedFile],
    sources: &[&Source],
    pages: &[Vec<usize>],
    keep_html: impl Fn(ItemId) -> bool + Sync,
    in_search: impl Fn(ItemId) -> bool + Sync,
    sink: Sink,
) -> Streamed {
    let site = renderer.site;
    type Done =
        Result<(Rendered, Result<(Vec<RenderedFile>, Option<search::Entry>)>), Box<Diagnostic>>;
    let done: Vec<Done> = sources
        .par_iter()
        .enumerate()
        .map(|(id, source)| {
            let source = source.read_again()?;
            let (mut body, text) = crate::markdown::render_with_text(&source, &site.link_targets);
            let item = id < pages.len();
            let made = (pages.get(id).into_iter().flatten())
                .map(|&i| {
                    let Planned::Render(target) = &files[i].1 else {
                        unreachable!("body_pages gives rendered files")
                    };
                    let output = renderer.render_with_body(target, id, &body)?;
                    RenderedFile::new(i, output, Vec::new(), sink)
                })
                .collect::<Result<Vec<_>>>()
                .and_then(|made| {
                    let entry = (item && in_search(id))
                        .then(|| search::entry_with(site, id, &text))
                        .transpose()?;
                    Ok((made, entry))
                });
            if !item || !keep_html(id) {
                body.html = String::new();
            }
            // Anchors are checked against ids alone.
            for heading in &mut body.headings {
                heading.text = String::new();
            }
            Ok((body, made))
        })
        .collect();
    let mut streamed = Streamed {
        bodies: Vec::with_capacity(done.len()),
        pages: Vec::new(),
        search: vec![None; pages.len()],
        problems: Vec::new(),
        failed: None,
    };
    for (id, done) in done.into_iter().enumerate() {
        let (body, made) = match done {
            Ok(done) => done,
            Err(problem) => {
                streamed.problems.push(*problem);
                streamed.bodies.push(Rendered::default());
                continue;
            }
        };
        streamed.bodies.push(body);
        match made {
            Ok((made, entry)) => {
                streamed.pages.extend(made);
                if let Some(entry) = entry {
                    streamed.search[id] = Some(entry);
                }
            }
            Err(error) => {
                streamed.failed.get_or_insert(error);
            }
        }
    }
    streamed
}
