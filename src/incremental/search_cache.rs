//! The search index as last written, kept entry by entry between builds: a rebuild makes
//! again only the entries of the items that changed, keeps the postings and filters up to date
//! by replacing (or renumbering) those entries, and makes again only the files whose entries
//! changed; the caller writes those whose bytes differ from the last ones.

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use rayon::prelude::*;

use super::fingerprint::Fingerprints;
use crate::hash::FastMap;
use crate::output::Output;
use crate::render::search;
use crate::site::Site;

/// The postings, filters and result cards kept from the index last made, once its entries
/// are taken in ([`SearchCache::take_in`]): `None` where they are made anew.
struct Kept {
    postings: Option<search::Postings>,
    /// The filters, and whether the file last made still holds them.
    filters: Option<(search::Filters, bool)>,
    /// Numbers of the entries whose result cards file is made again; all when `None`.
    touched: Option<Vec<usize>>,
}

/// A file of the index: its path, the file when made again (`None`: as last made), its digest.
type IndexFile = (String, Option<Output>, u64);

/// The search index as last written, by entry: made again only for the items that changed.
#[derive(Default)]
pub struct SearchCache {
    /// By path relative to `content/`: the fingerprint an entry was made from, and the entry.
    entries: FastMap<String, (u64, search::Entry)>,
    /// The items of the index last made, in order.
    order: Vec<String>,
    /// The paths of the files last made.
    pub files: Vec<String>,
    /// By path, the digest of each file last made ([`search::digest`]).
    digests: FastMap<String, u64>,
    /// The postings of the index last made, when kept.
    postings: Option<search::Postings>,
    /// The lists of the filters file last made, when kept, and whether the file last made
    /// still holds them.
    filters: Option<(search::Filters, bool)>,
}

impl SearchCache {
    /// The files of the search index of `site` that differ from those last made (all of them
    /// when `force`), or `None` when they are the ones last made. Files whose entries did not
    /// change (result cards of other items, the filters file) are not made again.
    pub fn index(
        &mut self,
        site: &Site,
        fingerprints: &Fingerprints,
        force: bool,
    ) -> Result<Option<Vec<Output>>> {
        let made = self.make_stale(site, fingerprints)?;
        let Some(kept) = self.take_in(site, fingerprints, made, force) else {
            return Ok(None);
        };
        let files = self.make_files(site, fingerprints, kept, force);
        Ok(self.differing(files, force))
    }

    /// The entries of the items whose entry fingerprint changed, made again.
    fn make_stale(
        &self,
        site: &Site,
        fingerprints: &Fingerprints,
    ) -> Result<Vec<(usize, search::Entry)>> {
        let ids = fingerprints.search_ids();
        let key = |id: usize| &site.items[id].source.content_path;
        let stale: Vec<usize> = ids
            .par_iter()
            .copied()
            .filter(|&id| {
                self.entries
                    .get(key(id))
                    .is_none_or(|(f, _)| *f != fingerprints.search_entry(id))
            })
            .collect();
        let made: Vec<(usize, search::Entry)> = stale
            .par_iter()
            .map(|&id| Ok((id, search::entry(site, id)?)))
            .collect::<Result<_>>()?;
        Ok(made)
    }

    /// Takes the entries `made` in, with the order of the items: the postings and filters
    /// follow the entries that changed in place or were numbered again, or are dropped to be
    /// made anew. `None` when the index is the one last made.
    fn take_in(
        &mut self,
        site: &Site,
        fingerprints: &Fingerprints,
        made: Vec<(usize, search::Entry)>,
        force: bool,
    ) -> Option<Kept> {
        let ids = fingerprints.search_ids();
        let key = |id: usize| &site.items[id].source.content_path;
        let reordered = ids.len() != self.order.len()
            || ids.iter().zip(&self.order).any(|(&id, k)| key(id) != k);
        // Items that changed places (a new date), came or went: their numbers.
        let renumbered = if reordered && !force {
            let now: Vec<&str> = ids.iter().map(|&id| key(id).as_str()).collect();
            renumbering(&self.order, &now)
        } else {
            None
        };
        let mut changed = force || reordered;
        // The postings and the filters follow the entries that changed in place or were
        // numbered again; made anew otherwise. So do the result cards files.
        let mut postings = self.postings.take();
        let mut filters = self.filters.take();
        // Numbers of the entries whose result cards file is made again; all when `None`.
        let mut touched: Option<Vec<usize>> = Some(Vec::new());
        match &renumbered {
            Some(r) => {
                if let Some(postings) = &mut postings {
                    postings.renumber(r);
                }
                if let Some((filters, written)) = &mut filters {
                    filters.renumber(r);
                    *written = false;
                }
                // The cards of every item after the first moved one, when items came or went.
                let end = match r.shift {
                    0 => r.lo + r.new.len(),
                    _ => ids.len(),
                };
                touched = Some((r.lo..end).collect());
            }
            None if changed => (postings, filters, touched) = (None, None, None),
            None => {}
        }
        for (id, entry) in made {
            let stamp = fingerprints.search_entry(id);
            match self.entries.get_mut(key(id)) {
                Some(cached) => {
                    if cached.1 != entry {
                        changed = true;
                        let n = ids.iter().position(|&i| i == id).expect("an item");
                        if let Some(postings) = &mut postings {
                            postings.replace(n, &cached.1, &entry);
                        }
                        if let Some((filters, written)) = &mut filters
                            && cached.1.filed_under() != entry.filed_under()
                        {
                            filters.replace(n, &cached.1, &entry);
                            *written = false;
                        }
                        if let Some(touched) = &mut touched {
                            touched.push(n);
                        }
                    }
                    *cached = (stamp, entry);
                }
                // A new item: it joins the kept postings and filters (the others were numbered
                // again above), or everything is made anew.
                None => {
                    changed = true;
                    if renumbered.is_some()
                        && let (Some(postings), Some((filters, written))) =
                            (&mut postings, &mut filters)
                    {
                        let n = ids.iter().position(|&i| i == id).expect("an item");
                        postings.insert(n, &entry);
                        filters.insert(n, &entry);
                        *written = false;
                    } else {
                        (postings, filters, touched) = (None, None, None);
                    }
                    self.entries.insert(key(id).clone(), (stamp, entry));
                }
            }
        }
        if self.entries.len() > ids.len() {
            let keep: HashSet<&str> = ids.iter().map(|&id| key(id).as_str()).collect();
            self.entries.retain(|k, _| keep.contains(k.as_str()));
        }
        if !changed {
            self.postings = postings;
            self.filters = filters;
            return None;
        }
        if reordered {
            self.order = ids.iter().map(|&id| key(id).clone()).collect();
        }
        Some(Kept {
            postings,
            filters,
            touched,
        })
    }

    /// Every file of the index, in order (the entry file first): made again where its entries
    /// changed (all of them when `force`), the others as last made.
    fn make_files(
        &mut self,
        site: &Site,
        fingerprints: &Fingerprints,
        kept: Kept,
        force: bool,
    ) -> Vec<IndexFile> {
        let Kept {
            postings,
            filters,
            touched,
        } = kept;
        let ids = fingerprints.search_ids();
        let key = |id: usize| &site.items[id].source.content_path;
        let entries: Vec<&search::Entry> = ids.iter().map(|&id| &self.entries[key(id)].1).collect();
        let postings = postings.unwrap_or_else(|| search::Postings::new(&entries));
        let (filters, written) = filters.unwrap_or_else(|| (search::Filters::new(&entries), false));
        let touched = touched.filter(|_| !force);

        // Every file but the entry file, in order: made again (`Some`), or as last made.
        let (shards, firsts) = search::shards(postings.iter());
        let mut files: Vec<(String, Option<Output>)> = shards
            .into_iter()
            .map(|shard| (shard.path.clone(), Some(shard)))
            .collect();
        let chunks: Vec<&[&search::Entry]> = entries.chunks(search::DOCS_PER_FILE).collect();
        let cards: Vec<(String, Option<Output>)> = chunks
            .par_iter()
            .enumerate()
            .map(|(n, chunk)| {
                let path = search::card_path(n);
                let again = touched.as_ref().is_none_or(|touched| {
                    !self.digests.contains_key(&path)
                        || touched.iter().any(|&i| i / search::DOCS_PER_FILE == n)
                });
                (path, again.then(|| search::card_file(n, chunk)))
            })
            .collect();
        files.extend(cards);
        let path = search::FILTERS_PATH.to_string();
        let again = force || !written || !self.digests.contains_key(&path);
        files.push((path, again.then(|| filters.output())));
        let digests: Vec<u64> = files
            .par_iter()
            .map(|(path, made)| match made {
                Some(file) => search::digest(file),
                None => self.digests[path],
            })
            .collect();
        let index = search::entry_file(&digests, &firsts, entries.len());

        let index_digest = search::digest(&index);
        let all = std::iter::once((index.path.clone(), Some(index), index_digest))
            .chain(
                files
                    .into_iter()
                    .zip(digests)
                    .map(|((path, made), digest)| (path, made, digest)),
            )
            .collect();
        self.filters = Some((filters, true));
        self.postings = Some(postings);
        all
    }

    /// The files of `all` made again that differ from those last made (all of them when
    /// `force`), `None` when there are none; the digests of the index are now those of `all`.
    fn differing(&mut self, all: Vec<IndexFile>, force: bool) -> Option<Vec<Output>> {
        let before = std::mem::take(&mut self.digests);
        let mut out = Vec::new();
        for (path, made, digest) in all {
            if let Some(file) = made
                && (force || before.get(&path) != Some(&digest))
            {
                out.push(file);
            }
            self.digests.insert(path, digest);
        }
        self.files = self.digests.keys().cloned().collect();
        (!out.is_empty()).then_some(out)
    }
}

/// How the items listed `before` are numbered in `now` (see `search::Renumbering`): between
/// the first and the last place where the lists differ, the items of `before` that stay get
/// their new numbers, those gone `None`; the items after move by the number of items added
/// minus those gone. `None` when the lists are the same.
fn renumbering(before: &[String], now: &[&str]) -> Option<search::Renumbering> {
    let lo = now
        .iter()
        .zip(before)
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| {
            // One list starts with the other.
            before.len().min(now.len())
        });
    if lo == before.len() && lo == now.len() {
        return None;
    }
    // The longest common end that does not reach into `lo`.
    let most = (before.len() - lo).min(now.len() - lo);
    let common = now
        .iter()
        .rev()
        .zip(before.iter().rev())
        .take(most)
        .take_while(|(a, b)| *a == b)
        .count();
    let (hi_before, hi_now) = (before.len() - common, now.len() - common);
    let places: HashMap<&str, usize> = now[lo..hi_now]
        .iter()
        .enumerate()
        .map(|(k, key)| (*key, lo + k))
        .collect();
    let new = before[lo..hi_before]
        .iter()
        .map(|key| places.get(key.as_str()).copied())
        .collect();
    Some(search::Renumbering {
        lo,
        new,
        shift: hi_now as isize - hi_before as isize,
    })
}
