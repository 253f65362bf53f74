//! The filters file of the search index (`recherche/filtres.json`): the items of each kind,
//! category and tag, kept between builds by `serve`.

use std::collections::BTreeMap;

use super::entry::{Entry, KINDS, kind_name};
use super::postings::Renumbering;
use crate::hash::FastMap;
use crate::output::Output;

/// Site path of the filters file.
pub const FILTERS_PATH: &str = "recherche/filtres.json";

/// The filters file: item numbers by kind, category and tag, as differences. It depends on
/// the order of the entries and on what [`Entry::filed_under`] gives of each.
pub fn filters(entries: &[&Entry]) -> Output {
    Filters::new(entries).output()
}

/// The filters file's lists, kept between builds (`serve`): when the items keep their order,
/// only the lists an entry joins or leaves are made again.
#[derive(Debug, Clone)]
pub struct Filters {
    /// By kind, category and tag: per name, the item numbers and their JSON (`"name":[0,3,1]`).
    groups: [BTreeMap<String, FilterList>; 3],
}

#[derive(Debug, Clone)]
struct FilterList {
    items: Vec<usize>,
    json: String,
}

impl FilterList {
    fn new(name: &str, items: Vec<usize>) -> FilterList {
        use std::fmt::Write as _;
        let mut json = serde_json::to_string(name).expect("a string");
        json.push_str(":[");
        let mut last = 0;
        for (i, &n) in items.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            let _ = write!(json, "{}", n - last);
            last = n;
        }
        json.push(']');
        FilterList { items, json }
    }
}

impl Filters {
    /// The lists of `entries`, in order.
    pub fn new(entries: &[&Entry]) -> Filters {
        type Building<'e> = FastMap<&'e str, Vec<usize>>;
        let mut building: [Building; 3] = Default::default();
        let kinds: Vec<String> = KINDS.iter().map(|k| kind_name(*k)).collect();
        for (n, entry) in entries.iter().enumerate() {
            for (group, name) in filed_under(entry, &kinds) {
                let items = building[group].entry(name).or_default();
                // A category written twice.
                if items.last() != Some(&n) {
                    items.push(n);
                }
            }
        }
        Filters {
            groups: building.map(|group| {
                group
                    .into_iter()
                    .map(|(name, items)| (name.to_string(), FilterList::new(name, items)))
                    .collect()
            }),
        }
    }

    /// The items were numbered again (see [`Renumbering`]).
    pub fn renumber(&mut self, r: &Renumbering) {
        let hi = r.lo + r.new.len();
        for lists in &mut self.groups {
            for (name, list) in lists.iter_mut() {
                // Lists with items of the renumbered range, or after it when those move.
                let from = list.items.partition_point(|&n| n < r.lo);
                let touched = match list.items.get(from) {
                    None => false,
                    Some(&n) => n < hi || r.shift != 0,
                };
                if touched {
                    let mut items: Vec<usize> =
                        list.items.iter().filter_map(|&n| r.number(n)).collect();
                    items.sort_unstable();
                    *list = FilterList::new(name, items);
                }
            }
            lists.retain(|_, list| !list.items.is_empty());
        }
    }

    /// Item `n` is new, `entry` (the items from `n` were numbered again before).
    pub fn insert(&mut self, n: usize, entry: &Entry) {
        let kinds: Vec<String> = KINDS.iter().map(|k| kind_name(*k)).collect();
        for (group, name) in filed_under(entry, &kinds) {
            let lists = &mut self.groups[group];
            let mut items = lists.get(name).map(|l| l.items.clone()).unwrap_or_default();
            if let Err(at) = items.binary_search(&n) {
                items.insert(at, n);
            }
            lists.insert(name.to_string(), FilterList::new(name, items));
        }
    }

    /// Item `n` was `old` and is now `new`.
    pub fn replace(&mut self, n: usize, old: &Entry, new: &Entry) {
        let kinds: Vec<String> = KINDS.iter().map(|k| kind_name(*k)).collect();
        let before: Vec<(usize, &str)> = filed_under(old, &kinds).collect();
        let after: Vec<(usize, &str)> = filed_under(new, &kinds).collect();
        for &(group, name) in before.iter().filter(|key| !after.contains(key)) {
            let lists = &mut self.groups[group];
            if let Some(list) = lists.get(name) {
                let mut items = list.items.clone();
                items.retain(|&i| i != n);
                if items.is_empty() {
                    lists.remove(name);
                } else {
                    lists.insert(name.to_string(), FilterList::new(name, items));
                }
            }
        }
        for &(group, name) in after.iter().filter(|key| !before.contains(key)) {
            let lists = &mut self.groups[group];
            let mut items = lists.get(name).map(|l| l.items.clone()).unwrap_or_default();
            if let Err(at) = items.binary_search(&n) {
                items.insert(at, n);
            }
            lists.insert(name.to_string(), FilterList::new(name, items));
        }
    }

    /// The filters file.
    pub fn output(&self) -> Output {
        let mut json = String::from("{");
        for (g, (key, lists)) in ["type", "categorie", "etiquette"]
            .iter()
            .zip(&self.groups)
            .enumerate()
        {
            if g > 0 {
                json.push(',');
            }
            json.push_str(&format!("\"{key}\":{{"));
            for (i, list) in lists.values().enumerate() {
                if i > 0 {
                    json.push(',');
                }
                json.push_str(&list.json);
            }
            json.push('}');
        }
        json.push('}');
        Output::new(FILTERS_PATH, json)
    }
}

/// The lists of the filters file an entry is in: (group, name), the group being 0 for its
/// kind, 1 for its categories, 2 for its tags.
pub(super) fn filed_under<'e>(
    entry: &'e Entry,
    kinds: &'e [String],
) -> impl Iterator<Item = (usize, &'e str)> + 'e {
    let kind = KINDS
        .iter()
        .position(|k| *k == entry.kind)
        .map(|i| (0, kinds[i].as_str()));
    kind.into_iter()
        .chain(entry.categories.iter().map(|c| (1, c.as_str())))
        .chain(entry.tags.iter().map(|t| (2, t.as_str())))
}
