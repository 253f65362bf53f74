//! Patching the resolved site: a changed file whose change keeps the site's structure is put
//! in place of its item instead of the site being resolved again. Decides when a change may be
//! patched in ([`same_structure`]) and says what changed ([`Patched`]), from which the plan's
//! stale rules take the files to fingerprint again; the lists are edited through the site's
//! own methods (`Site::move_item`, `Site::refile_item`), which keep them in order.

use std::sync::Arc;

use crate::content::{Entry, Kind};
use crate::site::{self, Detail, Item, ItemId, Publish, Site};

/// What [`patch`] changed: the item, and the tags and categories whose lists changed (with
/// the tags whose name, their most common spelling, changed).
#[derive(Debug, Default)]
pub struct Patched {
    pub id: ItemId,
    /// Indexes in `Site::tags` and `Site::categories` as they are after the patch (a tag that
    /// disappeared is not among them).
    pub tags: Vec<usize>,
    pub categories: Vec<usize>,
    pub renamed_tags: Vec<usize>,
    /// Whether a tag appeared or disappeared: the indexes of `Site::tags` moved, and the site
    /// has pages more or fewer.
    pub retagged: bool,
    /// Whether the item has a new date: it moved in every list it is in (newest first), and
    /// the pages and feeds showing those lists changed.
    pub redated: bool,
    /// The series of the item, when it took a new date with it (and moved in its lists).
    pub series: Option<ItemId>,
}

/// Takes in a change to the body alone of a published file (its front matter and its
/// bundle's files as they were): the item takes its new source and summary, all an item
/// takes from its body ([`site::summary`]). Gives the item, `None` when `new` is not the
/// file of a published item.
pub fn patch_body(site: &mut Site, new: &Entry) -> Option<ItemId> {
    let id = site.id(new.source.kind, &new.source.slug)?;
    if site.items[id].source.path != new.source.path {
        return None;
    }
    let item = Arc::make_mut(&mut site.items[id]);
    item.summary = site::summary(&new.meta, &new.source);
    item.source = new.source.clone();
    Some(id)
}

/// Takes in a change to the front matter of one published file that leaves the site's
/// structure as it was: the item stays published, with the same identity, authors, aliases
/// and place in its series, so every index but the lists of its tags and categories keeps its
/// items. Its title, summary, last update, event details (but dates, registrations and
/// whether it has a recording) or resource link may differ; its tags and categories too: a
/// tag no other item has appears, a tag it was alone to have disappears
/// ([`Patched::retagged`]); the date of an article (but a part of a series without a number)
/// or of a resource too: it moves in every list it is in ([`Patched::redated`]), with its
/// series when that takes a new date ([`Patched::series`]). Gives what changed, or `None` when the
/// site must be resolved again.
pub fn patch(site: &mut Site, entry: &Entry, publish: Publish) -> Option<Patched> {
    let id = site.id(entry.source.kind, &entry.source.slug)?;
    let old = &site.items[id];
    if old.source.path != entry.source.path || entry.meta.aliases() != old.aliases.as_slice() {
        return None;
    }
    // References are part of the structure: equal to the old item's, they still exist (the
    // files of the site are the same), so they need no look-up here.
    let mut item = site::resolve_alone(&site.config, entry, publish)?;
    item.aliases = old.aliases.clone();
    if let Detail::Series { parts } = &old.detail {
        // A series takes its parts and its date from the other files.
        item.detail = Detail::Series {
            parts: parts.clone(),
        };
        item.date = old.date;
    }
    let redated = old.date != item.date;
    // An event's dates also order the calendars: those are resolved again. So is the date of
    // a part without a number, which orders its series. A numbered part keeps its place in
    // its series, which takes the date of its latest part (and moves with it, below).
    let movable = matches!(
        (&old.detail, &item.detail),
        (
            Detail::Article { series: None, .. },
            Detail::Article { series: None, .. }
        ) | (
            Detail::Article { part: Some(_), .. },
            Detail::Article { part: Some(_), .. }
        ) | (Detail::Resource { .. }, Detail::Resource { .. })
    );
    if !same_structure(old, &item) || (redated && !movable) {
        return None;
    }
    let mut patched = Patched {
        id,
        redated,
        ..Patched::default()
    };
    let (old_tags, old_categories) = (old.tag_slugs.clone(), old.categories.clone());
    let refiled = (&old.tags, &old.categories) != (&item.tags, &item.categories);
    if redated {
        site.move_item(id, item, &old_tags, &old_categories);
        // Its series takes the date of its latest part.
        if let Detail::Article {
            series: Some(series),
            ..
        } = &site.items[id].detail
            && let Some(series) = site.id(Kind::Series, series)
            && let Detail::Series { parts } = &site.items[series].detail
        {
            let latest = parts.iter().filter_map(|&p| site.items[p].date).max();
            if latest != site.items[series].date {
                let mut item = Item::clone(&site.items[series]);
                item.date = latest;
                let (tags, categories) = (item.tag_slugs.clone(), item.categories.clone());
                site.move_item(series, item, &tags, &categories);
                patched.series = Some(series);
            }
        }
    } else {
        site.items[id] = Arc::new(item);
    }
    if refiled {
        let changes = site.refile_item(id, &old_tags, &old_categories);
        patched.tags = changes.tags;
        patched.categories = changes.categories;
        patched.renamed_tags = changes.renamed_tags;
        patched.retagged = changes.retagged;
    }
    Some(patched)
}

/// Whether two versions of an item have the same place in the site: every field that decides
/// which lists, indexes and files the site has, and in which order; but the date and the
/// terms, which [`patch`] moves the item for.
fn same_structure(a: &Item, b: &Item) -> bool {
    // Destructured so that a new field does not compile until it is placed on either side.
    let Item {
        kind,
        slug,
        title: _,
        url,
        // A new date moves the item in its lists (see `patch`).
        date: _,
        summary: _,
        // Patched in with their terms' lists (see `refile`).
        tags: _,
        tag_slugs: _,
        categories: _,
        authors,
        draft,
        aliases,
        source,
        detail,
    } = a;
    let same_detail = match (detail, &b.detail) {
        (Detail::Author { .. }, Detail::Author { .. }) | (Detail::Page, Detail::Page) => true,
        (
            Detail::Article { series, part, .. },
            Detail::Article {
                series: series_b,
                part: part_b,
                ..
            },
        ) => (series, part) == (series_b, part_b),
        (Detail::Series { parts }, Detail::Series { parts: parts_b }) => parts == parts_b,
        (Detail::Resource { .. }, Detail::Resource { .. }) => true,
        (Detail::Event(e), Detail::Event(f)) => {
            // With the instants at which the site changes by itself (`Site::next_change`).
            (e.start, e.end, e.recording.is_some()) == (f.start, f.end, f.recording.is_some())
                && (e.registration, e.registration_deadline, e.cancelled)
                    == (f.registration, f.registration_deadline, f.cancelled)
        }
        _ => false,
    };
    same_detail
        && (kind, slug, url) == (&b.kind, &b.slug, &b.url)
        && authors == &b.authors
        && (draft, aliases) == (&b.draft, &b.aliases)
        && (&source.path, &source.bundle_files) == (&b.source.path, &b.source.bundle_files)
}
