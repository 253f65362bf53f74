//! The narrow edits of a resolved site that `crate::incremental::patch` makes (it decides when
//! a change may be patched in): each keeps the site's lists in order.

use std::sync::Arc;

use super::model::*;
use super::resolve::*;

/// What [`Site::refile_item`] changed: the tags and categories whose lists changed (indexes
/// in `Site::tags` and `Site::categories` as they are after it; a tag that disappeared is not
/// among them), the tags whose name (their most common spelling) changed, and whether a tag
/// appeared or disappeared.
#[derive(Debug, Default)]
pub struct TermChanges {
    pub tags: Vec<usize>,
    pub categories: Vec<usize>,
    pub renamed_tags: Vec<usize>,
    /// Whether a tag appeared or disappeared: the indexes of `Site::tags` moved, and the site
    /// has pages more or fewer.
    pub retagged: bool,
}

/// Edits of the lists of a resolved site, for the patches of `crate::incremental::patch`
/// (which decides when a change may be patched in): each keeps the lists in the site's order.
impl Site {
    /// Puts `item`, the new version of item `id` with another date, in its place in every list
    /// the item is in: the site's, its kind's, its authors' and those of the terms `tags` and
    /// `categories` (slugs, as the item had them).
    pub fn move_item(&mut self, id: ItemId, item: Item, tags: &[String], categories: &[String]) {
        let (kind, authors) = (item.kind, item.authors.clone());
        // Out of every list it is in, then back in at its new place.
        let mut lists: Vec<&mut Vec<ItemId>> =
            vec![&mut self.order, &mut self.newest[kind as usize]];
        for (author, works) in self.works.iter_mut() {
            if authors.contains(author) {
                lists.push(works);
            }
        }
        for term in self.tags.iter_mut() {
            if tags.contains(&term.slug) {
                lists.push(&mut term.items);
            }
        }
        for term in self.categories.iter_mut() {
            if categories.contains(&term.slug) {
                lists.push(&mut term.items);
            }
        }
        for list in &mut lists {
            list.retain(|&i| i != id);
        }
        self.items[id] = Arc::new(item);
        for list in lists {
            let at = list
                .binary_search_by(|&other| newest_first(&self.items, other, id))
                .unwrap_err();
            list.insert(at, id);
        }
    }

    /// Files item `id` under the tags and categories it has now, out of those it had
    /// (`old_tags` and `old_categories`, slugs): a tag no other item has appears, a tag it was
    /// alone to have disappears, a tag whose most common spelling changed is renamed.
    pub fn refile_item(
        &mut self,
        id: ItemId,
        old_tags: &[String],
        old_categories: &[String],
    ) -> TermChanges {
        let mut refiled = TermChanges::default();
        let item = &self.items[id];
        let (new_tags, new_categories) = (item.tag_slugs.clone(), item.categories.clone());
        // Categories are those of `site.yaml` (`resolve_entry` checked them): all exist.
        let categories = refile(
            &self.categories,
            &self.items,
            id,
            old_categories,
            &new_categories,
        )
        .expect("every category exists");
        // A tag no item had yet: it appears, empty until the item joins it below.
        for slug in &new_tags {
            if let Err(at) = self.tags.binary_search_by(|term| term.slug.cmp(slug)) {
                self.tags.insert(
                    at,
                    Term {
                        slug: slug.clone(),
                        name: slug.clone(),
                        description: None,
                        items: Vec::new(),
                    },
                );
                refiled.retagged = true;
            }
        }
        let tags =
            refile(&self.tags, &self.items, id, old_tags, &new_tags).expect("every tag exists");
        let (mut refiled_tags, mut renamed_tags) = (Vec::new(), Vec::new());
        for (t, items) in tags {
            self.tags[t].items = items;
            let name = term_name(&self.items, &self.tags[t]);
            if name != self.tags[t].name {
                self.tags[t].name = name;
                renamed_tags.push(self.tags[t].slug.clone());
            }
            refiled_tags.push(self.tags[t].slug.clone());
        }
        for (c, items) in categories {
            self.categories[c].items = items;
            refiled.categories.push(c);
        }
        // A tag the item was alone to have disappears.
        if self.tags.iter().any(|term| term.items.is_empty()) {
            self.tags.retain(|term| !term.items.is_empty());
            refiled.retagged = true;
        }
        // Indexes as they are now: a tag that appeared or disappeared moved those after it.
        let index = |slug: &String| self.tag_index(slug);
        refiled.tags = refiled_tags.iter().filter_map(index).collect();
        refiled.renamed_tags = renamed_tags.iter().filter_map(index).collect();
        refiled
    }
}

/// The new item lists of the terms item `id` leaves or joins (`old` and `new` are slugs), by
/// index in `terms`. `None` when a term does not exist (one would appear).
pub(super) fn refile(
    terms: &[Term],
    items: &[Arc<Item>],
    id: ItemId,
    old: &[String],
    new: &[String],
) -> Option<Vec<(usize, Vec<ItemId>)>> {
    let mut changes: Vec<(usize, Vec<ItemId>)> = Vec::new();
    for slug in old.iter().chain(new) {
        let t = terms.iter().position(|term| &term.slug == slug)?;
        if changes.iter().any(|(done, _)| *done == t) {
            continue;
        }
        let mut list = terms[t].items.clone();
        match (
            new.contains(slug),
            list.binary_search_by(|&other| newest_first(items, other, id)),
        ) {
            (true, Err(at)) => list.insert(at, id),
            (false, Ok(at)) => {
                list.remove(at);
            }
            _ => {}
        }
        changes.push((t, list));
    }
    Some(changes)
}
