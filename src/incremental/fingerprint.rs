//! Fingerprints of what each output file is made of, computed without rendering it: a rebuild
//! renders a file again only when its fingerprint changed. Each target hashes the data its
//! rendering reads: the item of a page with its body, the cards a list shows, the site-wide
//! settings every page shows. Items, their details and the targets are destructured or matched
//! exhaustively, so a new field or a new kind of page does not compile until it is taken into
//! account here. A fingerprint may take a little more than what a file reads (a page is then
//! rendered for nothing, and not written if its bytes did not change), never less.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rayon::prelude::*;

use crate::content::Kind;
use crate::dates::Instant;
use crate::hash::{FastMap, hasher};
use crate::render::{
    ARTICLES_PER_PAGE, Job, LIST_PER_PAGE, SiteRenderer, Target, feeds, page_count, page_slice,
    search,
};
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

    fn cards(&mut self, ids: &[ItemId]) {
        self.h.write_usize(ids.len());
        for &id in ids {
            self.card(id);
        }
    }

    fn target(&mut self, renderer: &SiteRenderer, target: &Target) {
        let site = renderer.site;
        let f = self.fingerprints;
        self.h.write_u64(f.globals);
        std::mem::discriminant(target).hash(&mut self.h);
        match target {
            Target::Page(job) => {
                std::mem::discriminant(job).hash(&mut self.h);
                match job {
                    Job::Home => {
                        self.cards(&f.upcoming);
                        self.cards(site.newest_first(Kind::Article));
                        self.cards(&f.resources);
                    }
                    Job::Item(i) => self.item_page(site, *i),
                    Job::Articles { page, total } => {
                        (page, total).hash(&mut self.h);
                        let ids = site.newest_first(Kind::Article);
                        self.cards(page_slice(ids, *page, ARTICLES_PER_PAGE));
                    }
                    Job::SeriesIndex => self.cards(site.newest_first(Kind::Series)),
                    Job::Resources { page } => self.list_page(&f.resources, *page),
                    Job::Events => {
                        self.cards(&f.upcoming);
                        self.cards(&f.past);
                    }
                    Job::Authors => {
                        for &a in site.newest_first(Kind::Author) {
                            self.card(a);
                            let count = site.by_author(&site.items[a].slug).len();
                            self.h.write_usize(count);
                        }
                    }
                    Job::Tags | Job::Categories | Job::NotFound | Job::Search => {
                        self.terms(site);
                    }
                    // Only the site's settings (the events come from the manifest, in the
                    // browser).
                    Job::Organisers => {}
                    Job::Tag { term, page } => {
                        let term = &site.tags[*term];
                        (&term.slug, &term.name, &term.description).hash(&mut self.h);
                        self.list_page(&term.items, *page);
                    }
                    Job::Category { term, page } => {
                        let term = &site.categories[*term];
                        (&term.slug, &term.name, &term.description).hash(&mut self.h);
                        self.list_page(&term.items, *page);
                    }
                    Job::Works { author, page } => {
                        self.card(*author);
                        self.works(site, *author, *page);
                    }
                    Job::Alias { item, alias } => {
                        self.card(*item);
                        site.items[*item].aliases[*alias].hash(&mut self.h);
                    }
                    Job::Redirect(i) => {
                        site.config.redirects[*i].hash(&mut self.h);
                        crate::redirects::target_title(site, &site.config.redirects[*i].1)
                            .hash(&mut self.h);
                    }
                }
            }
            Target::Feed(i) => {
                let spec: &feeds::Spec = &renderer.layout.feeds[*i];
                (&spec.path, &spec.title).hash(&mut self.h);
                for id in feeds::entries(site, spec) {
                    self.card(id);
                    self.h.write_u64(f.body[id]);
                }
            }
            Target::Calendar(i) => self.card(*i),
            Target::Calendars | Target::Manifest => self.cards(site.newest_first(Kind::Event)),
            Target::Links => self.cards(site.newest_first(Kind::Resource)),
            Target::SearchIndex => {
                // Its filters list the tags and categories.
                self.terms(site);
                for &id in &f.search {
                    self.reads.push(id);
                    self.h.write_u64(f.search_entry(id));
                }
            }
            Target::Robots => {}
            Target::Sitemap => {
                for job in &renderer.layout.jobs {
                    std::mem::discriminant(job).hash(&mut self.h);
                    job.url(site).hash(&mut self.h);
                    if let Job::Item(i) = job {
                        hash_instant(site.items[*i].date.as_ref(), &mut self.h);
                    }
                }
            }
            Target::Stylesheet => renderer.templates.stylesheet().hash(&mut self.h),
        }
    }

    /// An item's page: the item, its text and body, and the cards of every item it shows or
    /// links to.
    fn item_page(&mut self, site: &Site, id: ItemId) {
        let f = self.fingerprints;
        let item = &site.items[id];
        self.card(id);
        self.h.write_u64(f.text[id]);
        self.h.write_u64(f.body[id]);
        for author in &item.authors {
            if let Some(a) = site.id(Kind::Author, author) {
                self.card(a);
            }
        }
        let series = match &item.detail {
            Detail::Article {
                series: Some(series),
                ..
            } => site.id(Kind::Series, series),
            Detail::Series { .. } => Some(id),
            _ => None,
        };
        if let Some(series) = series {
            self.card(series);
            if let Detail::Series { parts } = &site.items[series].detail {
                self.cards(parts);
            }
        }
        if item.kind == Kind::Author {
            self.works(site, id, 1);
        }
    }

    /// Every tag and category, with its number of items: what their indexes show.
    fn terms(&mut self, site: &Site) {
        for term in site.tags.iter().chain(&site.categories) {
            (&term.slug, &term.name, &term.description).hash(&mut self.h);
            self.h.write_usize(term.items.len());
        }
    }

    /// Page `page` of a list of `LIST_PER_PAGE` cards a page, and the number of pages.
    fn list_page(&mut self, ids: &[ItemId], page: usize) {
        (page, page_count(ids.len(), LIST_PER_PAGE)).hash(&mut self.h);
        self.cards(page_slice(ids, page, LIST_PER_PAGE));
    }

    /// Page `page` of the works of `author`.
    fn works(&mut self, site: &Site, author: ItemId, page: usize) {
        self.list_page(site.by_author(&site.items[author].slug), page);
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
