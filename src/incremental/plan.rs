//! Planning: the files of the site with the fingerprints of their inputs ([`Plan`]), and the
//! stale rules that decide, after a patch of the resolved site, which of them are fingerprinted
//! again: the readers of a changed item, the files showing a list an item moved in
//! ([`Moved`]), the files showing a refiled term ([`Refiled`], [`shows_structure`]). A rule may
//! take more files than changed (they are fingerprinted for nothing), never fewer.

use anyhow::Result;
use rayon::prelude::*;

use super::fingerprint::Fingerprints;
use crate::content::Kind;
use crate::hash::FastMap;
use crate::markdown::Rendered;
use crate::render::shows::{List, Shows};
use crate::render::{Job, Layout, SiteRenderer, Target, Templates, feeds};
use crate::site::{ItemId, Site};

/// What changed in the resolved site since its files were planned, patch by patch: taken by
/// the next plan ([`next`]), dropped when the site is resolved again.
#[derive(Default)]
pub struct Pending {
    /// Items patched.
    pub patched: Vec<ItemId>,
    /// Tags and categories whose lists changed.
    pub refiled: Refiled,
    /// Items that moved in the site's lists (a new date): the files showing those lists are
    /// fingerprinted again.
    pub relisted: Vec<ItemId>,
    /// Whether a tag appeared or disappeared (its items kept their ids): the files of the site
    /// are planned again, from the plan before ([`Plan::remade`]).
    pub restructured: bool,
}

/// The plan of the files of `site` after the changes `pending`: `previous` updated when the
/// site kept its structure, made again from it when a term's pages or the feeds changed, or a
/// new plan (taking over the fingerprints of `forgotten` for the items that stay the same).
/// `text(i)`: hash of the source file of item `i`; `body(i)`: hash of its rendered body.
#[allow(clippy::too_many_arguments)]
pub fn next(
    previous: Option<Plan>,
    forgotten: &mut Option<Fingerprints>,
    pending: Pending,
    site: &Site,
    templates: &Templates,
    bodies: &[&Rendered],
    text: impl Fn(ItemId) -> u64 + Sync,
    body: impl Fn(ItemId) -> u64 + Sync,
) -> Result<Plan> {
    let Pending {
        patched,
        refiled,
        relisted,
        restructured,
    } = pending;
    // An item moved in its lists: the feeds take their items anew.
    let moved = (!relisted.is_empty()).then(|| Moved::new(site, &relisted));
    let relisted = moved.is_some().then(|| feeds::specs(site));
    // A tag appeared or went, a tag or category gained or lost a page, or a feed appeared
    // or went: the files of the site change.
    let restructured = restructured
        || previous.as_ref().is_some_and(|plan| {
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
    Ok(match previous {
        // Same structure: only the files reading a changed item may have changed.
        Some(mut plan) if !restructured => {
            plan.update(site, templates, bodies, again, relisted, text, body);
            plan
        }
        Some(plan) => plan.remade(site, templates, bodies, again, text, body)?,
        None => {
            let previous = forgotten.take();
            Plan::new(site, templates, bodies, previous.as_ref(), text, body)?
        }
    })
}

/// The files of the site last built, with their fingerprints. It holds while the site's
/// structure does not change: after a change to bodies alone, only the files reading a
/// changed item get a new fingerprint.
pub struct Plan {
    pub layout: Layout,
    pub fingerprints: Fingerprints,
    /// Per target of the layout: its path and the fingerprint of its inputs.
    pub files: Vec<(String, u64)>,
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
                    || shows_structure(site, target, &tags, &categories, |_| true)
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

/// Whether `target` shows the site's terms (as its declaration says, `render::shows`): every
/// term with its count (the indexes of tags and categories, the search page and index, the
/// page not found), or the list of one of the terms `tags` and `categories` (indexes in
/// `Site::tags` and `Site::categories`), or a feed for which `feed` holds (index in
/// `Layout::feeds`).
fn shows_structure(
    site: &Site,
    target: &Target,
    tags: &[usize],
    categories: &[usize],
    feed: impl Fn(usize) -> bool,
) -> bool {
    let shows = Shows::of(site, target);
    shows.terms
        || shows.shows_list(|list| match list {
            List::Tag(t) => tags.contains(&t),
            List::Category(c) => categories.contains(&c),
            List::Feed(i) => feed(i),
            _ => false,
        })
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
    /// it at another place, or other items in its place), as its declaration says
    /// (`render::shows`), or the sitemap (which has their dates).
    fn shown_by(&self, site: &Site, target: &Target) -> bool {
        let shows = Shows::of(site, target);
        shows.addresses || shows.shows_list(|list| self.moves(site, list))
    }

    /// Whether the order of `list` may change.
    fn moves(&self, site: &Site, list: List) -> bool {
        let kind = |kind: Kind| self.kinds[kind as usize];
        match list {
            List::Newest(k) => kind(k),
            List::Upcoming | List::Past => kind(Kind::Event),
            // Resources, and events with a recording.
            List::Replays => kind(Kind::Resource) || kind(Kind::Event),
            List::Tag(t) => self.tags.contains(&t),
            List::Category(c) => self.categories.contains(&c),
            List::Works(author) => self.authors.contains(&site.items[author].slug),
            // In the order of the parts, not of dates.
            List::Parts(_) => false,
            List::Feed(_) | List::Search => true,
        }
    }
}

/// Has the files of the site planned again at the next rebuild (their list changed), keeping
/// the fingerprints of the plan in `forgotten` for the items that stay the same.
pub fn forget(plan: &mut Option<Plan>, forgotten: &mut Option<Fingerprints>) {
    if let Some(plan) = plan.take() {
        let Plan {
            layout,
            fingerprints,
            files,
            readers,
        } = plan;
        *forgotten = Some(fingerprints);
        crate::memory::drop_aside((layout, files, readers));
    }
}

/// Tags and categories whose item lists changed by patches: tags by slug (a tag that appears
/// or goes moves the indexes of those after it), categories by index in `Site::categories`
/// (those of `site.yaml`).
#[derive(Debug, Default)]
pub struct Refiled {
    pub tags: Vec<String>,
    pub categories: Vec<usize>,
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
                shows_structure(site, target, &tags, &categories, |i| feeds.contains(&i))
            })
            .collect()
    }
}
