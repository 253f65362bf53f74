//! Fingerprints of what each output file is made of, computed without rendering it: a rebuild
//! renders a file again only when its fingerprint changed. Each target hashes the data its
//! rendering reads: the item of a page with its body, the cards a list shows, the site-wide
//! settings every page shows. Items, their details and the targets are destructured or matched
//! exhaustively, so a new field or a new kind of page does not compile until it is taken into
//! account here. A fingerprint may take a little more than what a file reads (a page is then
//! rendered for nothing, and not written if its bytes did not change), never less.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rayon::prelude::*;

use crate::content::Kind;
use crate::dates::Instant;
use crate::hash::{FastMap, hasher};
use crate::render::shows::{Each, List, Shown, Shows, TermRef};
use crate::render::{Job, SiteRenderer, Target, search};
use crate::site::{Detail, EventDetail, Item, ItemId, Site};

/// The fingerprints of one state of the site.
pub struct Fingerprints {
    /// Settings shown on every page: `site.yaml` (category names included), `now`, the site
    /// view.
    globals: u64,
    /// Per item: the item as fingerprinted. Held, so that an item still the same allocation
    /// at the next planning is the same item (it cannot change in place while shared), and
    /// its fingerprints can be taken over.
    items: Vec<Arc<Item>>,
    /// Per item: everything it is made of but its source file ([`item_fingerprint`]).
    item: Vec<u64>,
    /// Per item: its item fingerprint, and the names of its tags and authors: what its card
    /// shows.
    card: Vec<u64>,
    /// Per item: its source file as written.
    text: Vec<u64>,
    /// Per item: its rendered body.
    body: Vec<u64>,
    /// Lists several files show, computed once.
    upcoming: Vec<ItemId>,
    past: Vec<ItemId>,
    resources: Vec<ItemId>,
    search: Vec<ItemId>,
}

impl Fingerprints {
    /// `text(i)`: hash of the source file of item `i`; `body(i)`: hash of its rendered body.
    /// What `previous` (the fingerprints of an earlier state of the site) computed of an item
    /// that is still the same is taken over.
    pub fn new(
        renderer: &SiteRenderer,
        text: impl Fn(ItemId) -> u64 + Sync,
        body: impl Fn(ItemId) -> u64 + Sync,
        previous: Option<&Fingerprints>,
    ) -> Fingerprints {
        let site = renderer.site;
        let mut g = hasher();
        format!("{:?}", site.config).hash(&mut g);
        site.now.timestamp().hash(&mut g);
        site.now.timestamp_subsec_nanos().hash(&mut g);
        serde_json::to_vec(&renderer.view)
            .unwrap_or_default()
            .hash(&mut g);
        // Not the tags: a new tag must not make every page new. Cards take the names of their
        // tags, and the pages listing every tag read them ([`Reader::terms`]).
        let globals = g.finish();
        let names = Names::new(site);
        // When items came or went, ids moved: items are found by their address.
        let address = |item: &Arc<Item>| Arc::as_ptr(item) as usize;
        let moved: Option<FastMap<usize, ItemId>> = previous
            .filter(|p| p.items.len() != site.items.len())
            .map(|p| {
                p.items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (address(item), i))
                    .collect()
            });
        let per_item: Vec<(u64, u64, u64, u64)> = (0..site.items.len())
            .into_par_iter()
            .map(|i| {
                let same = previous.and_then(|p| {
                    let old = match &moved {
                        Some(moved) => *moved.get(&address(&site.items[i]))?,
                        None => i,
                    };
                    Arc::ptr_eq(&p.items[old], &site.items[i]).then_some((p, old))
                });
                let (item, text) = match same {
                    Some((p, old)) => (p.item[old], p.text[old]),
                    None => (item_fingerprint(site, &site.items[i]), text(i)),
                };
                (item, card_fingerprint(site, &names, i, item), text, body(i))
            })
            .collect();
        Fingerprints {
            globals,
            items: site.items.clone(),
            item: per_item.iter().map(|f| f.0).collect(),
            card: per_item.iter().map(|f| f.1).collect(),
            text: per_item.iter().map(|f| f.2).collect(),
            body: per_item.iter().map(|f| f.3).collect(),
            upcoming: site.upcoming_events(),
            past: site.past_events(),
            resources: site.resources_and_replays(),
            search: search::ids(site),
        }
    }

    /// Takes in items that moved in the site's lists (a new date): the lists several files
    /// show are taken anew.
    pub fn relist(&mut self, site: &Site) {
        self.upcoming = site.upcoming_events();
        self.past = site.past_events();
        self.resources = site.resources_and_replays();
        self.search = search::ids(site);
    }

    /// Takes in a change of item `id` alone (its text, its body, what it takes from them: its
    /// summary), the rest of the site unchanged. Whether its fingerprints changed.
    pub fn update(&mut self, site: &Site, id: ItemId, text: u64, body: u64) -> bool {
        let item = item_fingerprint(site, &site.items[id]);
        let card = card_fingerprint(site, &Names::new(site), id, item);
        let changed = (card, text, body) != (self.card[id], self.text[id], self.body[id]);
        (self.card[id], self.text[id], self.body[id]) = (card, text, body);
        (self.items[id], self.item[id]) = (site.items[id].clone(), item);
        changed
    }

    /// The items of the search index, in order.
    pub fn search_ids(&self) -> &[ItemId] {
        &self.search
    }

    /// The fingerprint of the entry of item `id` in the search index: its card (with the
    /// names of its terms) and its text.
    pub fn search_entry(&self, id: ItemId) -> u64 {
        let mut h = hasher();
        h.write_u64(self.globals);
        h.write_u64(self.card[id]);
        h.write_u64(self.text[id]);
        h.finish()
    }

    /// The fingerprint of `target`, whose file is at `path` (`SiteRenderer::path`, which
    /// stands for the address of a page): equal fingerprints, equal files (for the same
    /// templates). The items whose fingerprints it read are added to `reads`: only a change to
    /// one of them (or to the site's structure) can change it.
    pub fn target(
        &self,
        renderer: &SiteRenderer,
        target: &Target,
        path: &str,
        reads: &mut Vec<ItemId>,
    ) -> u64 {
        let mut r = Reader {
            fingerprints: self,
            reads,
            h: hasher(),
        };
        path.hash(&mut r.h);
        r.target(renderer, target);
        r.h.finish()
    }
}

/// Hashes a target's inputs, noting the items it reads.
struct Reader<'f, H: Hasher> {
    fingerprints: &'f Fingerprints,
    reads: &'f mut Vec<ItemId>,
    h: H,
}

impl<H: Hasher> Reader<'_, H> {
    fn card(&mut self, id: ItemId) {
        self.reads.push(id);
        self.h.write_u64(self.fingerprints.card[id]);
    }

    /// Hashes what `target` shows, as its declaration says (`render::shows`).
    fn target(&mut self, renderer: &SiteRenderer, target: &Target) {
        let site = renderer.site;
        let f = self.fingerprints;
        self.h.write_u64(f.globals);
        std::mem::discriminant(target).hash(&mut self.h);
        if let Target::Page(job) = target {
            std::mem::discriminant(job).hash(&mut self.h);
            // Its title says the number of pages.
            if let Job::Articles { page, total } = job {
                (page, total).hash(&mut self.h);
            }
        }
        let Shows {
            lists,
            whole,
            cards,
            terms,
            term,
            alias,
            redirect,
            addresses,
            stylesheet,
        } = Shows::of(site, target);
        if let Some(id) = whole {
            self.card(id);
            self.h.write_u64(f.text[id]);
            self.h.write_u64(f.body[id]);
        }
        for id in cards.ids(site) {
            self.card(id);
        }
        for shown in lists.iter() {
            self.list(renderer, shown);
        }
        if terms {
            self.terms(site);
        }
        if let Some(term) = term {
            let term = match term {
                TermRef::Tag(t) => &site.tags[t],
                TermRef::Category(c) => &site.categories[c],
            };
            (&term.slug, &term.name, &term.description).hash(&mut self.h);
            self.h.write_usize(term.items.len());
        }
        if let Some((item, alias)) = alias {
            site.items[item].aliases[alias].hash(&mut self.h);
        }
        if let Some(i) = redirect {
            site.config.redirects[i].hash(&mut self.h);
            crate::redirects::target_title(site, &site.config.redirects[i].1).hash(&mut self.h);
        }
        if addresses {
            for job in &renderer.layout.jobs {
                std::mem::discriminant(job).hash(&mut self.h);
                job.url(site).hash(&mut self.h);
                if let Job::Item(i) = job {
                    hash_instant(site.items[*i].date.as_ref(), &mut self.h);
                }
            }
        }
        if stylesheet {
            renderer.templates.stylesheet().hash(&mut self.h);
        }
    }

    /// A list a target shows: which list, which part of it (with the number of pages), and
    /// what it shows of each item of that part.
    fn list(&mut self, renderer: &SiteRenderer, shown: Shown) {
        let site = renderer.site;
        let f = self.fingerprints;
        let Shown { list, part, each } = shown;
        std::mem::discriminant(&list).hash(&mut self.h);
        match list {
            List::Newest(kind) => kind.hash(&mut self.h),
            List::Tag(t) => site.tags[t].slug.hash(&mut self.h),
            List::Category(c) => site.categories[c].slug.hash(&mut self.h),
            List::Feed(i) => {
                let spec = &renderer.layout.feeds[i];
                (&spec.path, &spec.title).hash(&mut self.h);
            }
            // Their item's card is read with them.
            List::Works(_) | List::Parts(_) => {}
            List::Upcoming | List::Past | List::Replays | List::Search => {}
        }
        // The lists several files show, computed once.
        let ids = match list {
            List::Upcoming => Cow::Borrowed(f.upcoming.as_slice()),
            List::Past => Cow::Borrowed(f.past.as_slice()),
            List::Replays => Cow::Borrowed(f.resources.as_slice()),
            List::Search => Cow::Borrowed(f.search.as_slice()),
            _ => list.ids(site, renderer.layout),
        };
        part.hash(&mut self.h);
        self.h.write_usize(part.pages(ids.len()));
        let ids = part.of(&ids);
        self.h.write_usize(ids.len());
        for &id in ids {
            match each {
                Each::Card => self.card(id),
                Each::CardAndBody => {
                    self.card(id);
                    self.h.write_u64(f.body[id]);
                }
                Each::CardAndWorks => {
                    self.card(id);
                    let count = site.by_author(&site.items[id].slug).len();
                    self.h.write_usize(count);
                }
                Each::CardAndText => {
                    self.reads.push(id);
                    self.h.write_u64(f.search_entry(id));
                }
            }
        }
    }

    /// Every tag and category, with its number of items: what their indexes show.
    fn terms(&mut self, site: &Site) {
        for term in site.tags.iter().chain(&site.categories) {
            (&term.slug, &term.name, &term.description).hash(&mut self.h);
            self.h.write_usize(term.items.len());
        }
    }
}

/// The names cards show besides their item's: of tags (as the site spells them) and of
/// authors, by slug; looked up for every card.
struct Names<'s> {
    tags: FastMap<&'s str, &'s str>,
    authors: FastMap<&'s str, (&'s str, &'s str)>,
}

impl<'s> Names<'s> {
    fn new(site: &'s Site) -> Names<'s> {
        Names {
            tags: site
                .tags
                .iter()
                .map(|t| (t.slug.as_str(), t.name.as_str()))
                .collect(),
            authors: site
                .newest_first(Kind::Author)
                .iter()
                .map(|&a| {
                    let a = &site.items[a];
                    (a.slug.as_str(), (a.title.as_str(), a.url.as_str()))
                })
                .collect(),
        }
    }
}

/// What the card of item `id` shows: the item (but its text, `item` being its
/// [`item_fingerprint`]), the names of its tags (as the site spells them) and of its authors.
fn card_fingerprint(site: &Site, names: &Names, id: ItemId, item: u64) -> u64 {
    let mut h = hasher();
    h.write_u64(item);
    for slug in &site.items[id].tag_slugs {
        match names.tags.get(slug.as_str()) {
            Some(name) => name.hash(&mut h),
            None => 0u8.hash(&mut h),
        }
    }
    for author in &site.items[id].authors {
        match names.authors.get(author.as_str()) {
            Some(author) => author.hash(&mut h),
            None => 0u8.hash(&mut h),
        }
    }
    h.finish()
}

/// Everything an item is made of, but the text of its source file (which only its own page
/// and its entry in the search index read).
fn item_fingerprint(site: &Site, item: &Item) -> u64 {
    let Item {
        kind,
        slug,
        title,
        url,
        date,
        summary,
        tags,
        // Made from `tags`.
        tag_slugs: _,
        categories,
        authors,
        draft,
        aliases,
        source,
        detail,
    } = item;
    let mut h = hasher();
    (kind, slug, title, url, summary).hash(&mut h);
    hash_instant(date.as_ref(), &mut h);
    (tags, categories, authors, draft, aliases).hash(&mut h);
    (&source.path, &source.content_path, &source.bundle_files).hash(&mut h);
    std::mem::discriminant(detail).hash(&mut h);
    match detail {
        Detail::Author {
            github,
            discord,
            avatar,
        } => (github, discord, avatar).hash(&mut h),
        Detail::Article {
            updated,
            series,
            part,
        } => {
            hash_instant(updated.as_ref(), &mut h);
            (series, part).hash(&mut h);
        }
        Detail::Series { parts } => {
            for &p in parts {
                site.items[p].slug.hash(&mut h);
            }
        }
        Detail::Resource { url, kind, source } => {
            (url, source).hash(&mut h);
            std::mem::discriminant(kind).hash(&mut h);
        }
        Detail::Event(EventDetail {
            start,
            end,
            location,
            capacity,
            registration,
            registration_deadline,
            cancelled,
            recording,
            slides,
        }) => {
            for instant in [start, end, registration_deadline] {
                hash_instant(Some(instant), &mut h);
            }
            (
                location,
                capacity,
                registration,
                cancelled,
                recording,
                slides,
            )
                .hash(&mut h);
        }
        Detail::Page => {}
    }
    h.finish()
}

/// An instant with its time zone, as pages show it.
fn hash_instant(instant: Option<&Instant>, h: &mut impl Hasher) {
    match instant {
        None => h.write_u8(0),
        Some(d) => {
            h.write_u8(1);
            d.timestamp().hash(h);
            d.timestamp_subsec_nanos().hash(h);
            d.timezone().name().hash(h);
        }
    }
}

#[cfg(test)]
mod tests {
    //! What a file shows is what its fingerprint reads: on the starter site, every change to
    //! an item's card or body that changes the bytes of a file changes its fingerprint, and the
    //! file is among the item's readers (which is how a rebuild finds it). A renderer that
    //! shows something its declaration (`render::shows`) does not say fails here.

    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::hash::hash_bytes;
    use crate::incremental::session::{BuildOptions, Session};
    use crate::markdown::Rendered;
    use crate::render::{Layout, Templates};

    /// The fingerprint of the settings every file shows, and per target: its bytes, its
    /// fingerprint and the items it reads.
    type Snapshot = (u64, Vec<(Vec<u8>, u64, Vec<ItemId>)>);

    fn snapshot(site: &Site, templates: &Templates, bodies: &[Rendered]) -> Snapshot {
        let bodies: Vec<&Rendered> = bodies.iter().collect();
        let layout = Layout::new(site);
        let renderer = SiteRenderer::new(site, templates, &bodies, &layout);
        let text = |id: ItemId| hash_bytes(site.items[id].source.text.as_bytes());
        let body = |id: ItemId| hash_bytes(bodies[id].html.as_bytes());
        let fingerprints = Fingerprints::new(&renderer, text, body, None);
        let files = (layout.targets.iter())
            .map(|target| {
                let bytes = (renderer.render_files(target).unwrap().into_iter())
                    .flat_map(|output| output.bytes)
                    .collect();
                let path = renderer.path(target);
                let mut reads = Vec::new();
                let fingerprint = fingerprints.target(&renderer, target, &path, &mut reads);
                (bytes, fingerprint, reads)
            })
            .collect();
        (fingerprints.globals, files)
    }

    /// Every file whose bytes changed from `before` to `after` by a change of item `id` has
    /// another fingerprint, and reads `id` (unless `read` is false, or the change is one of
    /// the settings every file shows: the pages of the menu are in the site's view).
    fn check(
        site: &Site,
        (globals_before, before): &Snapshot,
        (globals_after, after): &Snapshot,
        id: ItemId,
        what: &str,
        read: bool,
    ) -> usize {
        assert_eq!(before.len(), after.len(), "{what}: the same files");
        let read = read && globals_before == globals_after;
        let layout = Layout::new(site);
        let mut changed = 0;
        for (t, (b, a)) in before.iter().zip(after).enumerate() {
            if b.0 == a.0 {
                continue;
            }
            changed += 1;
            let target = &layout.targets[t];
            assert_ne!(
                b.1, a.1,
                "{what} of {} changed {target:?} but not its fingerprint: its declaration in \
                 render::shows misses what it shows",
                site.items[id].url
            );
            if read {
                assert!(
                    b.2.contains(&id),
                    "{what} of {} changed {target:?}, which does not read it",
                    site.items[id].url
                );
            }
        }
        changed
    }

    #[test]
    fn what_a_file_shows_is_what_its_fingerprint_reads() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let templates = Templates::load(root).unwrap();
        // The starter site has every kind of item; the fixture, lists of several pages.
        let kinds = shows_what_it_reads(root, &templates);
        assert_eq!(kinds, Kind::ALL.len(), "every kind of item is tried");
        shows_what_it_reads(&root.join("tests/fixtures/pagination"), &templates);
    }

    /// Checks every item of the site at `root`: the number of kinds of items it has.
    fn shows_what_it_reads(root: &Path, templates: &Templates) -> usize {
        let mut session = Session::new(BuildOptions {
            root: root.to_path_buf(),
            output: Default::default(),
            // Drafts and items to come too: every kind of item, upcoming and past events.
            drafts: true,
            now: "2026-06-01T00:00:00Z".parse().unwrap(),
            base_url: None,
            registration_api: None,
        });
        session.load().expect("the site loads");
        let (mut site, mut bodies) = session.into_site().unwrap();
        let before = snapshot(&site, templates, &bodies);
        let kinds: std::collections::HashSet<Kind> = site.items.iter().map(|i| i.kind).collect();
        let (mut by_title, mut by_body) = (0, 0);
        for id in 0..site.items.len() {
            // Its card: another title. An author's name is on the cards of their works
            // (through those cards' fingerprints, not as a read of the author).
            let title = site.items[id].title.clone();
            Arc::make_mut(&mut site.items[id]).title = format!("{title} (autre titre)");
            let after = snapshot(&site, templates, &bodies);
            let author = site.items[id].kind == Kind::Author;
            by_title += check(&site, &before, &after, id, "the title", !author);
            Arc::make_mut(&mut site.items[id]).title = title;
            // Its body.
            let html = bodies[id].html.clone();
            bodies[id].html.push_str("<p>Un paragraphe de plus.</p>");
            let after = snapshot(&site, templates, &bodies);
            by_body += check(&site, &before, &after, id, "the body", true);
            bodies[id].html = html;
        }
        // The changes were seen: the check compared files that did change.
        assert!(
            by_title > 3 * site.items.len(),
            "{by_title} files changed by titles"
        );
        assert!(
            by_body >= site.items.len(),
            "{by_body} files changed by bodies"
        );
        kinds.len()
    }
}
