//! What the search index holds about one item (`Entry`), made on its own so that `serve`
//! makes again only the entries of changed items; which items the index has.

use std::ops::ControlFlow;

use serde::Serialize;

use super::words::{Field, Words, distinct_words, each_word};
use crate::content::Kind;
use crate::hash::FastMap;
use crate::site::Site;

/// Kinds of content the search covers, in the order of its filter.
pub const KINDS: [Kind; 4] = [Kind::Article, Kind::Series, Kind::Resource, Kind::Event];

/// Most distinct body words kept per item (the first ones of the text).
pub const MAX_BODY_WORDS: usize = 200;

/// Characters of the summary kept in the index (shown under each result).
pub const SUMMARY_CHARS: usize = 160;

/// What the index holds about one item, made on its own (and kept between incremental builds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its result card, JSON: `[title, url, kind, date, summary]`.
    pub(super) card: Vec<u8>,
    pub(super) kind: Kind,
    pub(super) tags: Vec<String>,
    pub(super) categories: Vec<String>,
    /// Its distinct words with the best field each is found in, sorted by word.
    pub(super) words: Words,
}

impl Entry {
    /// What the filters file takes of the entry: its kind, categories and tags.
    pub fn filed_under(&self) -> (Kind, &[String], &[String]) {
        (self.kind, &self.categories, &self.tags)
    }
}

/// The items of the index, newest first.
pub fn ids(site: &Site) -> Vec<usize> {
    site.newest()
        .iter()
        .copied()
        .filter(|&id| KINDS.contains(&site.items[id].kind))
        .collect()
}

/// What the index holds about one item.
pub fn entry(site: &Site, id: usize) -> anyhow::Result<Entry> {
    let body = crate::markdown::plain_text(site.items[id].source.body());
    entry_with(site, id, &body)
}

/// What the index holds about one item whose body's plain text is `body`
/// ([`crate::markdown::plain_text`]).
pub fn entry_with(site: &Site, id: usize, body: &str) -> anyhow::Result<Entry> {
    let item = &site.items[id];
    let card = crate::render::context::Card::new(site, item);
    let tags: Vec<String> = card.tags.into_iter().map(|l| l.name).collect();
    let categories: Vec<String> = card.categories.into_iter().map(|l| l.name).collect();
    let summary = crate::text::truncate_words(&item.summary, SUMMARY_CHARS);
    let date = card.date.get(..10).unwrap_or_default();

    let mut best: FastMap<String, Field> = FastMap::default();
    let mut add = |text: &str, field: Field| {
        each_word(text, |word| {
            match best.get_mut(word) {
                Some(f) => *f = (*f).min(field),
                None => {
                    best.insert(word.to_owned(), field);
                }
            }
            ControlFlow::Continue(())
        });
    };
    add(&item.title, Field::Title);
    for term in tags.iter().chain(&categories) {
        add(term, Field::Term);
    }
    add(&summary, Field::Summary);
    // Words the title, the (shortened) summary and the terms already bring need not be
    // repeated; words cut from the summary stay in the body words.
    let known = [item.title.as_str(), summary.as_str()]
        .into_iter()
        .chain(tags.iter().chain(&categories).map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    for word in distinct_words(body, &known, MAX_BODY_WORDS) {
        best.entry(word).or_insert(Field::Body);
    }
    let mut words: Vec<(String, Field)> = best.into_iter().collect();
    words.sort_unstable();
    let words = Words::new(words.iter().map(|(w, f)| (w.as_str(), *f)));

    #[derive(Serialize)]
    struct Card<'a>(&'a str, &'a str, Kind, &'a str, &'a str);
    let url = crate::render::prefix::path(site.config.base_path(), &item.url);
    let card = serde_json::to_vec(&Card(&item.title, &url, item.kind, date, &summary))?;
    Ok(Entry {
        card,
        kind: item.kind,
        tags,
        categories,
        words,
    })
}

/// The name of `kind` in the index and in the filter of `/recherche/` (`article`, …).
pub fn kind_name(kind: Kind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
