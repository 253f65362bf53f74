//! Fingerprints of what each output file is made of, computed without rendering it: a rebuild
//! renders a file again only when its fingerprint changed. Each target hashes the data its
//! rendering reads: the item of a page with its body, the cards a list shows, the site-wide
//! settings every page shows. Items, their details and the targets are destructured or matched
//! exhaustively, so a new field or a new kind of page does not compile until it is taken into
//! account here. A fingerprint may take a little more than what a file reads (a page is then
//! rendered for nothing, and not written if its bytes did not change), never less.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use rayon::prelude::*;

use crate::content::Kind;
use crate::dates::Instant;
use crate::render::{ARTICLES_PER_PAGE, Job, SiteRenderer, Target, feeds, search};
use crate::site::{Detail, EventDetail, Item, ItemId, Site};

/// The hasher of fingerprints: fast, and the same in every run.
pub fn hasher() -> impl Hasher {
    foldhash::fast::FixedState::with_seed(0x636c_6173_736d_6174).build_hasher()
}

/// Hash of some bytes.
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = hasher();
    h.write(bytes);
    h.finish()
}

/// The fingerprints of one state of the site.
pub struct Fingerprints<'a> {
    /// Settings shown on every page: `site.yaml`, `now`, the site view, tag and category names.
    globals: u64,
    /// Per item: everything it is made of but its source file, and the names of its authors:
    /// what its card shows.
    card: Vec<u64>,
    /// Per item: its source file as written.
    text: Vec<u64>,
    /// Per item: its rendered body.
    body: Vec<u64>,
    /// Per author: the items they wrote, spoke at or added, by id.
    works: HashMap<&'a str, Vec<ItemId>, foldhash::fast::FixedState>,
}

impl<'a> Fingerprints<'a> {
    /// `texts[i]`: hash of the source file of item `i`; `bodies[i]`: hash of its rendered body.
    pub fn new(renderer: &SiteRenderer<'a>, texts: &[u64], bodies: &[u64]) -> Fingerprints<'a> {
        let site = renderer.site;
        let mut g = hasher();
        format!("{:?}", site.config).hash(&mut g);
        site.now.timestamp().hash(&mut g);
        site.now.timestamp_subsec_nanos().hash(&mut g);
        serde_json::to_vec(&renderer.view)
            .unwrap_or_default()
            .hash(&mut g);
        for term in site.tags.iter().chain(&site.categories) {
            (&term.slug, &term.name, &term.description).hash(&mut g);
        }
        let globals = g.finish();

        let item: Vec<u64> = site
            .items
            .par_iter()
            .map(|item| item_fingerprint(site, item))
            .collect();
        let card = (0..site.items.len())
            .into_par_iter()
            .map(|i| {
                let mut h = hasher();
                item[i].hash(&mut h);
                for author in &site.items[i].authors {
                    match site.get(Kind::Author, author) {
                        Some(a) => (&a.title, &a.url).hash(&mut h),
                        None => 0u8.hash(&mut h),
                    }
                }
                h.finish()
            })
            .collect();
        let mut works: HashMap<&str, Vec<ItemId>, _> = HashMap::default();
        for (i, item) in site.items.iter().enumerate() {
            for author in &item.authors {
                let ids = works.entry(author.as_str()).or_default();
                if ids.last() != Some(&i) {
                    ids.push(i);
                }
            }
        }
        Fingerprints {
            globals,
            card,
            text: texts.to_vec(),
            body: bodies.to_vec(),
            works,
        }
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

    /// The fingerprint of `target`: equal fingerprints, equal files (for the same templates).
    pub fn target(&self, renderer: &SiteRenderer, target: &Target) -> u64 {
        let site = renderer.site;
        let mut h = hasher();
        self.globals.hash(&mut h);
        std::mem::discriminant(target).hash(&mut h);
        let cards = |h: &mut dyn Hasher, ids: &[ItemId]| {
            h.write_usize(ids.len());
            for &i in ids {
                h.write_u64(self.card[i]);
            }
        };
        match target {
            Target::Page(job) => {
                std::mem::discriminant(job).hash(&mut h);
                job.url(site).hash(&mut h);
                match job {
                    Job::Home => {
                        cards(&mut h, &site.upcoming_events());
                        cards(&mut h, site.newest_first(Kind::Article));
                        cards(&mut h, &site.resources_and_replays());
                    }
                    Job::Item(i) => self.item_page(site, *i, &mut h),
                    Job::Articles { page, total } => {
                        let ids = site.newest_first(Kind::Article);
                        let start = ((page - 1) * ARTICLES_PER_PAGE).min(ids.len());
                        let end = (start + ARTICLES_PER_PAGE).min(ids.len());
                        (page, total).hash(&mut h);
                        cards(&mut h, &ids[start..end]);
                    }
                    Job::SeriesIndex => cards(&mut h, site.newest_first(Kind::Series)),
                    Job::Resources => cards(&mut h, &site.resources_and_replays()),
                    Job::Events => {
                        cards(&mut h, &site.upcoming_events());
                        cards(&mut h, &site.past_events());
                    }
                    Job::Authors => {
                        for &a in site.newest_first(Kind::Author) {
                            h.write_u64(self.card[a]);
                            let count = self
                                .works
                                .get(site.items[a].slug.as_str())
                                .map_or(0, Vec::len);
                            h.write_usize(count);
                        }
                    }
                    Job::Tags | Job::Categories | Job::NotFound | Job::Search => {
                        // Names are in the globals; the indexes show counts.
                        for term in site.tags.iter().chain(&site.categories) {
                            h.write_usize(term.items.len());
                        }
                    }
                    Job::Tag(t) => cards(&mut h, &site.tags[*t].items),
                    Job::Category(c) => cards(&mut h, &site.categories[*c].items),
                    Job::Alias { item, alias } => {
                        h.write_u64(self.card[*item]);
                        site.items[*item].aliases[*alias].hash(&mut h);
                    }
                }
            }
            Target::Feed(f) => {
                let spec: &feeds::Spec = &renderer.feeds[*f];
                (&spec.path, &spec.title).hash(&mut h);
                for i in feeds::entries(site, spec) {
                    h.write_u64(self.card[i]);
                    h.write_u64(self.body[i]);
                }
            }
            Target::Calendar(i) => h.write_u64(self.card[*i]),
            Target::Calendars | Target::Manifest => {
                for &i in site.newest_first(Kind::Event) {
                    h.write_u64(self.card[i]);
                }
            }
            Target::SearchIndex => {
                for i in search::ids(site) {
                    h.write_u64(self.search_entry(i));
                }
            }
            Target::Robots => {}
            Target::Sitemap => {
                for job in &renderer.jobs {
                    std::mem::discriminant(job).hash(&mut h);
                    job.url(site).hash(&mut h);
                    if let Job::Item(i) = job {
                        hash_instant(site.items[*i].date.as_ref(), &mut h);
                    }
                }
            }
            Target::Stylesheet => renderer.templates.stylesheet().hash(&mut h),
        }
        h.finish()
    }

    /// An item's page: the item, its body, and the cards of every item it shows or links to.
    fn item_page(&self, site: &Site, id: ItemId, h: &mut impl Hasher) {
        let item = &site.items[id];
        h.write_u64(self.card[id]);
        h.write_u64(self.text[id]);
        h.write_u64(self.body[id]);
        for author in &item.authors {
            if let Some(a) = site.id(Kind::Author, author) {
                h.write_u64(self.card[a]);
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
            h.write_u64(self.card[series]);
            if let Detail::Series { parts } = &site.items[series].detail {
                for &p in parts {
                    h.write_u64(self.card[p]);
                }
            }
        }
        if item.kind == Kind::Author {
            let works = self.works.get(item.slug.as_str()).map(Vec::as_slice);
            for &w in works.unwrap_or_default() {
                h.write_u64(self.card[w]);
            }
        }
    }
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
            recording,
            slides,
        }) => {
            for instant in [start, end, registration_deadline] {
                hash_instant(Some(instant), &mut h);
            }
            (location, capacity, registration, recording, slides).hash(&mut h);
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
