//! Resolution: turns parsed entries into the site's items, checking every cross-reference
//! (authors, series, categories), dates and URLs, deciding what is published at `now`, and
//! building the indexes (series parts, tags, categories, authors) once for all pages; what
//! each entry resolved to is kept (`Resolutions`) so that resolving again redoes only changes.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasher, Hash, Hasher};
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use chrono::Utc;

use crate::config::Config;
use crate::content::{Entry, Kind, Meta, Source};
use crate::dates::{self, Instant};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::hash::{FastMap, FastSet};
use crate::urls::{self, LinkTarget, LinkTargets, RESERVED_PATHS, alias_file, is_generated_page};

use super::model::*;

/// What each entry resolved to on its own at the last [`resolve`], kept so that resolving
/// the site again resolves only the entries that changed. Valid while the settings and the
/// publication options are the same (see `Resolutions::context`), and, for each entry, while
/// the items it refers to exist or not as they did.
#[derive(Default)]
pub struct Resolutions {
    pub(super) context: u64,
    /// By path relative to `content/`: the text the entry was parsed from, and its resolution.
    pub(super) by_path: FastMap<String, (Arc<str>, Resolution)>,
    /// Set for a site resolved once (`classmates build`): nothing is kept.
    pub(super) off: bool,
}

impl Resolutions {
    /// A cache that keeps nothing, for a site resolved only once.
    pub fn off() -> Resolutions {
        Resolutions {
            off: true,
            ..Resolutions::default()
        }
    }

    /// What every entry's resolution depends on besides the entry and the items it refers
    /// to: the settings and the publication options.
    pub(super) fn context(config: &Config, publish: Publish) -> u64 {
        let mut h = foldhash::fast::FixedState::default().build_hasher();
        format!("{config:?}").hash(&mut h);
        (publish.now, publish.drafts).hash(&mut h);
        h.finish()
    }

    /// The resolution of `entry` last made, if made from the same reading of its file and
    /// the items it refers to exist or not as they did then.
    pub(super) fn get(
        &self,
        entry: &Entry,
        exists: impl Fn(Kind, &str) -> bool,
    ) -> Option<Resolution> {
        let (text, resolution) = self.by_path.get(&entry.source.content_path)?;
        let same = Arc::ptr_eq(text, &entry.source.text)
            && resolution
                .references
                .iter()
                .all(|(kind, slug, found)| exists(*kind, slug) == *found);
        // What the caller takes of it: not the references, checked here.
        same.then(|| Resolution {
            item: resolution.item.clone(),
            problems: resolution.problems.clone(),
            scheduled: resolution.scheduled,
            references: Vec::new(),
        })
    }
}

/// The items the entries make, by kind and slug: what a reference to another item is checked
/// against.
fn existing<'e>(entries: &[&'e Entry]) -> FastSet<(Kind, &'e str)> {
    entries
        .iter()
        .map(|e| (e.source.kind, e.source.slug.as_str()))
        .collect()
}

/// Resolves the parsed entries into a site. All problems are collected. `cache` holds what
/// the last call resolved: the entries unchanged since are not resolved again.
pub fn resolve(
    config: Config,
    entries: &[&Entry],
    publish: Publish,
    cache: &mut Resolutions,
) -> (Site, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    let existing = existing(entries);
    let exists = |kind: Kind, slug: &str| existing.contains(&(kind, slug));
    let context = Resolutions::context(&config, publish);
    if context != cache.context {
        *cache = Resolutions {
            context,
            off: cache.off,
            ..Resolutions::default()
        };
    }
    // Every file the content claims in the output, published or not (a draft's address is
    // taken too): an alias must not take any of them. Listed at the first alias.
    let page_files: OnceCell<HashMap<String, &Path>> = OnceCell::new();
    let page_files = || {
        page_files.get_or_init(|| {
            let mut files = HashMap::new();
            for entry in entries {
                let url = urls::item(entry.source.kind, &entry.source.slug);
                for extra in &entry.source.bundle_files {
                    let file = urls::bundle_file(&url, extra);
                    files.insert(file, entry.source.display.as_path());
                }
                files.insert(urls::file_for_url(&url), entry.source.display.as_path());
            }
            files
        })
    };
    // Alias files already claimed, with the file and alias that claimed them first.
    let mut alias_claims: HashMap<String, (std::path::PathBuf, String)> = HashMap::new();

    let mut link_targets = LinkTargets::with_capacity_and_hasher(entries.len(), Default::default());
    let mut items = Vec::with_capacity(entries.len());
    let mut scheduled_next: Option<Instant> = None;
    // Each entry on its own, in parallel; then what depends on the others, in order.
    let resolutions: Vec<(Resolution, bool)> = entries
        .par_iter()
        .map(|entry| match cache.get(entry, exists) {
            Some(resolution) => (resolution, false),
            None => (resolve_entry(&config, entry, &exists, publish), true),
        })
        .collect();
    let made = entries
        .iter()
        .zip(&resolutions)
        .filter(|(_, r)| r.1 && !cache.off);
    for (entry, (resolution, _)) in made {
        cache.by_path.insert(
            entry.source.content_path.clone(),
            (entry.source.text.clone(), resolution.clone()),
        );
    }
    if cache.by_path.len() > entries.len() {
        let current: HashSet<&str> = entries
            .iter()
            .map(|e| e.source.content_path.as_str())
            .collect();
        cache
            .by_path
            .retain(|path, _| current.contains(path.as_str()));
    }
    for (entry, (resolution, _)) in entries.iter().zip(resolutions) {
        let Entry { source, meta } = entry;
        let doc = source.document();
        let Resolution {
            mut item,
            mut problems,
            scheduled,
            references: _,
        } = resolution;
        for alias in meta.aliases() {
            let problem = match alias_file(alias) {
                Err(message) => Some(message),
                Ok(file) => {
                    if let Some(owner) = page_files().get(&file) {
                        Some(if *owner == source.display {
                            format!("l'alias « {alias} » est l'adresse de la page elle-même")
                        } else {
                            format!(
                                "l'alias « {alias} » prendrait l'adresse de {}",
                                owner.display()
                            )
                        })
                    } else if is_generated_page(&file) {
                        Some(format!(
                            "l'alias « {alias} » prendrait l'adresse d'une page du site"
                        ))
                    } else if let Some((owner, first)) = alias_claims.get(&file) {
                        Some(format!(
                            "l'alias « {alias} » est déjà déclaré par {} (« {first} »)",
                            owner.display()
                        ))
                    } else {
                        alias_claims.insert(file, (source.display.clone(), alias.clone()));
                        Arc::make_mut(&mut item).aliases.push(alias.clone());
                        None
                    }
                }
            };
            if let Some(message) = problem {
                problems.push(doc.value_error("aliases", alias, message).with_help(
                    "un alias est un ancien chemin du site, unique, commençant par `/` : `/mon-article.html` ou `/2019/05/mon-article/`",
                ));
            }
        }
        let published = problems.is_empty() && publish.shows(item.draft, scheduled);
        if let Some(date) = item.date
            && problems.is_empty()
            && !item.draft
            && !published
        {
            // Scheduled: published once `now` reaches its date.
            scheduled_next = Some(scheduled_next.map_or(date, |next| next.min(date)));
        }
        link_targets.insert(
            source.content_path.clone(),
            LinkTarget {
                url: item.url.clone(),
                published,
                in_error: !problems.is_empty(),
            },
        );
        problems.into_iter().for_each(|d| diagnostics.push(d));
        if published {
            items.push(item);
        }
    }
    items.sort_unstable_by(|a, b| (a.kind, &a.slug).cmp(&(b.kind, &b.slug)));

    // Series parts, ordered by `part` then date; a series takes the date of its latest part.
    let mut parts: BTreeMap<String, Vec<ItemId>> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        if let Detail::Article {
            series: Some(series),
            ..
        } = &item.detail
        {
            parts.entry(series.clone()).or_default().push(i);
        }
    }
    for (series, mut ids) in parts {
        let part_of = |i: ItemId| match items[i].detail {
            Detail::Article { part, .. } => part,
            _ => None,
        };
        ids.sort_by_key(|&i| {
            (
                part_of(i).unwrap_or(u32::MAX),
                items[i].date,
                items[i].slug.clone(),
            )
        });
        for pair in ids.windows(2) {
            if let (Some(a), Some(b)) = (part_of(pair[0]), part_of(pair[1]))
                && a == b
            {
                let second = &items[pair[1]];
                diagnostics.push(
                    second
                        .source
                        .document()
                        .key_error(
                            "part",
                            format!(
                                "la partie {b} de la série « {series} » existe déjà ({})",
                                items[pair[0]].source.display.display()
                            ),
                        )
                        .with_help("numérotez les parties d'une série sans doublon"),
                );
            }
        }
        let found = items
            .binary_search_by(|item| (item.kind, item.slug.as_str()).cmp(&(Kind::Series, &series)));
        if let Ok(series_id) = found {
            let latest = ids.iter().filter_map(|&i| items[i].date).max();
            let series = Arc::make_mut(&mut items[series_id]);
            series.date = latest;
            series.detail = Detail::Series { parts: ids };
        }
    }

    // Every list of the site is newest first: the items are put in that order once, and each
    // list is filled in that order.
    let mut order: Vec<ItemId> = (0..items.len()).collect();
    site_sort(&items, &mut order);
    // Two passes over the items in that order, independent of each other.
    let (tags, (newest, works, categories)) = rayon::join(
        || collect_tags(&items, &order),
        || collect_lists(&items, &order, &config),
    );
    let mut kinds = vec![0..0; Kind::ALL.len()];
    for kind in Kind::ALL {
        let start = items.partition_point(|item| item.kind < kind);
        let end = items.partition_point(|item| item.kind <= kind);
        kinds[kind as usize] = start..end;
    }
    let next_change = items
        .iter()
        .filter_map(|item| item.event())
        .flat_map(|e| {
            [
                Some(e.end),
                e.registration.then_some(e.registration_deadline),
            ]
        })
        .chain([scheduled_next])
        .flatten()
        .map(|t| t.with_timezone(&Utc))
        .filter(|&t| t > publish.now)
        .min();
    let site = Site {
        now: publish.now,
        next_change,
        items,
        link_targets,
        tags,
        categories,
        config,
        kinds,
        order,
        newest,
        works,
    };
    (site, diagnostics)
}

/// The items of each kind, the works of each author, the items of each category of the
/// settings.
type Lists = (Vec<Vec<ItemId>>, HashMap<String, Vec<ItemId>>, Vec<Term>);

/// The site's lists other than tags, each filled in `order` (newest first).
fn collect_lists(items: &[Arc<Item>], order: &[ItemId], config: &Config) -> Lists {
    let mut newest: Vec<Vec<ItemId>> = vec![Vec::new(); Kind::ALL.len()];
    let mut works: HashMap<String, Vec<ItemId>> = HashMap::new();
    let mut categories: Vec<Term> = config
        .categories
        .iter()
        .map(|c| Term {
            slug: c.slug.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
            items: Vec::new(),
        })
        .collect();
    for &i in order {
        let item = &items[i];
        newest[item.kind as usize].push(i);
        for author in &item.authors {
            let ids = match works.get_mut(author) {
                Some(ids) => ids,
                None => works.entry(author.clone()).or_default(),
            };
            // An author named twice by one item.
            if ids.last() != Some(&i) {
                ids.push(i);
            }
        }
        for slug in &item.categories {
            if let Some(term) = categories.iter_mut().find(|c| c.slug == *slug)
                && term.items.last() != Some(&i)
            {
                term.items.push(i);
            }
        }
    }
    (newest, works, categories)
}

/// Resolves `entry` alone, as a patch of the resolved site does (`crate::incremental::patch`):
/// the items it refers to are taken as existing (they did when the site was resolved, and its
/// files are the same). Its aliases are not checked. `None` when it has problems or is not
/// published.
pub fn resolve_alone(config: &Config, entry: &Entry, publish: Publish) -> Option<Item> {
    let Resolution {
        item,
        problems,
        scheduled,
        references: _,
    } = resolve_entry(config, entry, &|_, _| true, publish);
    let published = problems.is_empty() && publish.shows(item.draft, scheduled);
    published.then(|| Arc::unwrap_or_clone(item))
}

/// Takes into `site` the files held back by errors in their front matter: each one is a link
/// target (a link to it says that the file exists but has errors, not that it is missing), and
/// the fields of those read despite their errors are checked as any entry's (`held`), so that
/// one run reports every problem of a file: a bad date or an unknown author next to a
/// misspelled key or a missing field. Problems found at the stand-ins of missing fields are
/// not the file's, and are left out.
pub fn hold_back(
    site: &mut Site,
    entries: &[&Entry],
    unparsed: &[&Source],
    held: &[&crate::content::load::Held],
    publish: Publish,
) -> Vec<Diagnostic> {
    for source in unparsed {
        site.link_targets
            .entry(source.content_path.clone())
            .or_insert_with(|| LinkTarget {
                url: urls::item(source.kind, &source.slug),
                published: false,
                in_error: true,
            });
    }
    if held.is_empty() {
        return Vec::new();
    }
    let existing = existing(entries);
    let exists = |kind: Kind, slug: &str| existing.contains(&(kind, slug));
    let config = &site.config;
    held.par_iter()
        .flat_map_iter(|held| {
            resolve_entry(config, &held.entry, &exists, publish)
                .problems
                .into_iter()
                .filter(|d| d.line < held.stand_ins_line)
        })
        .collect()
}

/// One entry resolved on its own: its item (aliases not yet checked), its problems, whether
/// it is scheduled after `now`, and the items it refers to, with whether each exists.
#[derive(Clone)]
pub(super) struct Resolution {
    pub(super) item: Arc<Item>,
    pub(super) problems: Vec<Diagnostic>,
    pub(super) scheduled: bool,
    pub(super) references: Vec<(Kind, String, bool)>,
}

/// Resolves one entry: everything that depends on the entry alone, the settings and which
/// items exist. Aliases, series parts and indexes depend on the other entries: [`resolve`].
pub(super) fn resolve_entry(
    config: &Config,
    entry: &Entry,
    exists: &(dyn Fn(Kind, &str) -> bool + Sync),
    publish: Publish,
) -> Resolution {
    let Entry { source, meta } = entry;
    let tz = config.timezone;
    let doc = source.document();
    let mut problems: Vec<Diagnostic> = Vec::new();
    let references = std::cell::RefCell::new(Vec::new());
    let date = |key: &str, value: &str, problems: &mut Vec<Diagnostic>| -> Option<Instant> {
        dates::parse(value, tz)
            .map_err(|e| {
                let mut d = doc.value_error(key, value, e.message);
                if let Some(help) = e.help {
                    d = d.with_help(help);
                }
                problems.push(d);
            })
            .ok()
    };
    let check_refs = |key: &str, ids: &[String], kind: Kind, problems: &mut Vec<Diagnostic>| {
        for id in ids {
            let found = exists(kind, id);
            references.borrow_mut().push((kind, id.clone(), found));
            if !found {
                let mut d = doc.value_error(
                    key,
                    id,
                    format!("{} « {id} » inconnu·e", kind.label().to_lowercase()),
                );
                d = d.with_help(format!(
                    "créez `content/{}/{id}.md` ou corrigez l'identifiant",
                    kind.dir()
                ));
                problems.push(d);
            }
        }
    };
    let check_categories = |categories: &[String], problems: &mut Vec<Diagnostic>| {
        for slug in categories {
            if config.category(slug).is_none() {
                let known: Vec<&str> = config.categories.iter().map(|c| c.slug.as_str()).collect();
                let d =
                    doc.value_error("categories", slug, format!("catégorie « {slug} » inconnue"));
                problems.push(match crate::yaml::did_you_mean(slug, &known) {
                    Some(s) => {
                        d.with_help(format!("vouliez-vous dire `{s}` ? (liste dans site.yaml)"))
                    }
                    None => d.with_help(format!("catégories possibles : {}", known.join(", "))),
                });
            }
        }
    };
    let check_url = |key: &str, url: &str, problems: &mut Vec<Diagnostic>| {
        if !is_absolute_url(url) {
            problems.push(
                doc.value_error(key, url, format!("adresse invalide « {url} »"))
                    .with_help("écrivez l'adresse complète, commençant par https://"),
            );
        }
    };
    let check_tags = |tags: &[String], problems: &mut Vec<Diagnostic>| {
        for tag in tags {
            if crate::text::slugify(tag).is_empty() {
                problems
                    .push(doc.key_error("tags", format!("étiquette vide ou illisible « {tag} »")));
            }
        }
    };

    let mut item = Item {
        kind: source.kind,
        slug: source.slug.clone(),
        title: String::new(),
        url: urls::item(source.kind, &source.slug),
        date: None,
        summary: String::new(),
        tags: Vec::new(),
        tag_slugs: Vec::new(),
        categories: Vec::new(),
        authors: Vec::new(),
        draft: false,
        aliases: Vec::new(),
        source: source.clone(),
        detail: Detail::Page,
    };
    let mut scheduled = false;
    match &meta {
        Meta::Author(m) => {
            item.title = m.name.clone();
            item.detail = Detail::Author {
                github: m.github.clone(),
                discord: m.discord.clone(),
                avatar: m.avatar.clone(),
            };
        }
        Meta::Article(m) => {
            item.title = m.title.clone();
            item.date = date("date", &m.date, &mut problems);
            let updated = m
                .updated
                .as_deref()
                .and_then(|u| date("updated", u, &mut problems));
            if m.authors.is_empty() {
                problems.push(
                    doc.key_error("authors", "un article a au moins un auteur")
                        .with_help("`authors: [votre-identifiant]`"),
                );
            }
            check_refs("authors", &m.authors, Kind::Author, &mut problems);
            check_categories(&m.categories, &mut problems);
            check_tags(&m.tags, &mut problems);
            if let Some(series) = &m.series {
                check_refs(
                    "series",
                    std::slice::from_ref(series),
                    Kind::Series,
                    &mut problems,
                );
            } else if m.part.is_some() {
                problems.push(
                    doc.key_error("part", "`part` n'a de sens que dans une série")
                        .with_help("ajoutez `series: <identifiant>` ou retirez `part`"),
                );
            }
            item.tags = m.tags.clone();
            item.categories = m.categories.clone();
            item.authors = m.authors.clone();
            item.draft = m.draft;
            scheduled = item.date.is_some_and(|d| d > publish.now);
            item.detail = Detail::Article {
                updated,
                series: m.series.clone(),
                part: m.part,
            };
        }
        Meta::Series(m) => {
            item.title = m.title.clone();
            check_categories(&m.categories, &mut problems);
            check_tags(&m.tags, &mut problems);
            item.tags = m.tags.clone();
            item.categories = m.categories.clone();
            item.detail = Detail::Series { parts: Vec::new() };
        }
        Meta::Resource(m) => {
            item.title = m.title.clone();
            item.date = date("date", &m.date, &mut problems);
            check_url("url", &m.url, &mut problems);
            check_refs("authors", &m.authors, Kind::Author, &mut problems);
            check_categories(&m.categories, &mut problems);
            check_tags(&m.tags, &mut problems);
            item.tags = m.tags.clone();
            item.categories = m.categories.clone();
            item.authors = m.authors.clone();
            item.draft = m.draft;
            scheduled = item.date.is_some_and(|d| d > publish.now);
            item.detail = Detail::Resource {
                url: m.url.clone(),
                kind: m.kind,
                source: m.source.clone(),
            };
        }
        Meta::Event(m) => {
            item.title = m.title.clone();
            let start = date("start", &m.start, &mut problems);
            let end = date("end", &m.end, &mut problems);
            let deadline = m
                .registration_deadline
                .as_deref()
                .and_then(|d| date("registration_deadline", d, &mut problems));
            if let (Some(s), Some(e)) = (start, end)
                && e <= s
            {
                problems.push(
                    doc.value_error(
                        "end",
                        &m.end,
                        "l'événement se termine avant d'avoir commencé",
                    )
                    .with_help(format!("`end` doit être après `start` ({})", m.start)),
                );
            }
            if m.capacity == Some(0) {
                problems.push(
                    doc.key_error("capacity", "`capacity` doit être au moins 1")
                        .with_help("retirez `capacity` pour un nombre de places illimité"),
                );
            }
            check_refs("speakers", &m.speakers, Kind::Author, &mut problems);
            check_categories(&m.categories, &mut problems);
            check_tags(&m.tags, &mut problems);
            for (key, url) in [("recording", &m.recording), ("slides", &m.slides)] {
                if let Some(url) = url {
                    check_url(key, url, &mut problems);
                }
            }
            item.tags = m.tags.clone();
            item.categories = m.categories.clone();
            item.authors = m.speakers.clone();
            item.draft = m.draft;
            if let (Some(start), Some(end)) = (start, end) {
                item.date = Some(start);
                item.detail = Detail::Event(EventDetail {
                    start,
                    end,
                    location: m.location.clone(),
                    capacity: m.capacity,
                    registration: m.registration,
                    registration_deadline: deadline.unwrap_or(start).min(end),
                    cancelled: m.cancelled,
                    recording: m.recording.clone(),
                    slides: m.slides.clone(),
                });
            }
        }
        Meta::Page(m) => {
            item.title = m.title.clone();
            if RESERVED_PATHS.contains(&source.slug.as_str()) {
                problems.push(
                    Diagnostic::error(
                        &source.display,
                        format!(
                            "la page « {} » prendrait l'adresse /{}/ d'une section du site",
                            source.slug, source.slug
                        ),
                    )
                    .with_help("renommez le fichier"),
                );
            }
        }
    }
    if item.title.chars().any(char::is_control) {
        // A line break in a title would end its line of an iCalendar file or of a feed.
        let key = if source.kind == Kind::Author {
            "name"
        } else {
            "title"
        };
        let shown: String = item.title.escape_debug().collect();
        problems.push(
            doc.value_error(
                key,
                &item.title,
                format!("le titre « {shown} » contient un caractère de contrôle (retour à la ligne, tabulation…)"),
            )
            .with_help("écrivez le titre sur une seule ligne, sans `\\n`, `\\r` ni `\\t`"),
        );
    }
    item.summary = summary(meta, source);
    (item.tags, item.tag_slugs) = dedup_tags(&item.tags);
    Resolution {
        item: Arc::new(item),
        problems,
        scheduled,
        references: references.into_inner(),
    }
}

/// The summary of an item: its front matter's `summary`, or the text of its body's first
/// paragraph. The only part of an item made from its body: a change to a body alone leaves
/// the resolved site as it was but for this and the item's source, which
/// `crate::incremental` relies on to skip resolving again after such a change.
pub fn summary(meta: &Meta, source: &Source) -> String {
    let written = match meta {
        Meta::Article(m) => m.summary.as_ref(),
        Meta::Series(m) => m.summary.as_ref(),
        Meta::Resource(m) => m.summary.as_ref(),
        Meta::Event(m) => m.summary.as_ref(),
        Meta::Author(_) | Meta::Page(_) => None,
    };
    written
        .cloned()
        .unwrap_or_else(|| crate::markdown::first_paragraph(source).to_string())
}

pub(super) fn is_absolute_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && host.contains('.') && !url.chars().any(char::is_whitespace)
    })
}

/// Keeps each tag once (by slug), in the order written; with their slugs.
pub(super) fn dedup_tags(tags: &[String]) -> (Vec<String>, Vec<String>) {
    let mut kept = Vec::with_capacity(tags.len());
    let mut slugs: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let slug = crate::text::slugify(tag);
        if !slugs.contains(&slug) {
            slugs.push(slug);
            kept.push(tag.clone());
        }
    }
    (kept, slugs)
}

/// Tags are merged case- and accent-insensitively (by slug). The name of a tag: its most
/// common spelling among its items, the first in alphabetical order on a tie, so the same
/// input always gives the same name.
pub(super) fn most_common<'a>(
    spellings: impl IntoIterator<Item = (&'a str, usize)>,
) -> Option<String> {
    spellings
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(name, _)| name.to_string())
}

/// The name of tag `term` from the spellings of its items (as [`collect_tags`] names it).
pub(super) fn term_name(items: &[Arc<Item>], term: &Term) -> String {
    let mut spellings: BTreeMap<&str, usize> = BTreeMap::new();
    for &i in &term.items {
        for (tag, slug) in items[i].tags.iter().zip(&items[i].tag_slugs) {
            if *slug == term.slug {
                *spellings.entry(tag.trim()).or_default() += 1;
            }
        }
    }
    most_common(spellings).unwrap_or_else(|| term.slug.clone())
}

/// The tags of `items`, sorted by slug, each with its items in `order` (newest first) and
/// named by its most common spelling.
pub(super) fn collect_tags(items: &[Arc<Item>], order: &[ItemId]) -> Vec<Term> {
    // By slug: the spellings with their counts (a tag has few), and the items.
    type Found<'a> = (Vec<(&'a str, usize)>, Vec<ItemId>);
    let mut found: FastMap<&str, Found> = FastMap::default();
    for &i in order {
        let item = &items[i];
        for (tag, slug) in item.tags.iter().zip(&item.tag_slugs) {
            let (spellings, ids) = found.entry(slug.as_str()).or_default();
            let tag = tag.trim();
            match spellings.iter_mut().find(|(s, _)| *s == tag) {
                Some((_, count)) => *count += 1,
                None => spellings.push((tag, 1)),
            }
            ids.push(i);
        }
    }
    let mut tags: Vec<Term> = found
        .into_iter()
        .map(|(slug, (spellings, items))| Term {
            name: most_common(spellings).unwrap_or_else(|| slug.to_string()),
            slug: slug.to_string(),
            description: None,
            items,
        })
        .collect();
    tags.sort_unstable_by(|a, b| a.slug.cmp(&b.slug));
    tags
}
