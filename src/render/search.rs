//! The search index of `/recherche/`: static JSON files read by the theme's `search.js`, so that
//! search works with no service behind it, split the way Pagefind splits its index so that a
//! phone reading a large site downloads a small part of it:
//!
//! - `recherche/index.json`, the entry file: the version of the index, the number of items, and
//!   the first word of each shard of words;
//! - `recherche/mots/N.json`, the shards: consecutive ranges of the sorted words with, per word,
//!   the items holding it and where (title, tag or category, summary, body); fetched as the
//!   reader types, only those holding words that start with what was typed;
//! - `recherche/fiches/N.json`: what a result shows (title, URL, kind, date, summary), by chunks
//!   of consecutive items, fetched for the results on screen;
//! - `recherche/filtres.json`: the items of each kind, category and tag, fetched when a filter
//!   is chosen.
//!
//! Words are lowercase ASCII, accents folded (`intégration` → `integration`). Items are numbered
//! newest first; every file is made from the items in that order, so builds are reproducible.

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;

use serde::Serialize;

use crate::content::Kind;
use crate::hash::{FastMap, FastSet};
use crate::output::Output;
use crate::site::Site;

/// Site path of the entry file.
pub const INDEX_PATH: &str = "recherche/index.json";

/// Kinds of content the search covers, in the order of its filter.
pub const KINDS: [Kind; 4] = [Kind::Article, Kind::Series, Kind::Resource, Kind::Event];

/// Most distinct body words kept per item (the first ones of the text).
pub const MAX_BODY_WORDS: usize = 200;

/// Words too common to help find anything (French and English, accents folded), left out of
/// the body words. Titles, tags and summaries keep them.
const STOP_WORDS: &[&str] = &[
    "au", "aux", "avec", "ce", "ces", "cet", "cette", "ci", "comme", "dans", "de", "des", "du",
    "elle", "elles", "en", "est", "et", "etre", "il", "ils", "je", "la", "le", "les", "leur",
    "leurs", "lui", "ma", "mais", "me", "mes", "meme", "mon", "ne", "nos", "notre", "nous", "on",
    "ou", "par", "pas", "plus", "pour", "qu", "que", "qui", "sa", "se", "ses", "son", "sont",
    "sur", "ta", "te", "tes", "ton", "tu", "un", "une", "vos", "votre", "vous", "the", "of", "and",
    "to", "in", "is", "it", "for", "with", "as", "at", "by", "an", "be", "or", "this", "that",
    "are", "from",
];

/// Characters of the summary kept in the index (shown under each result).
pub const SUMMARY_CHARS: usize = 160;

/// Format version of the index (the `v` field of its entry file), for `search.js`.
pub const VERSION: u32 = 2;

/// A shard of words is closed once its JSON passes this many bytes (a word's postings are
/// never split). About 8 KB once compressed.
pub const SHARD_BYTES: usize = 24 * 1024;

/// Items per file of result cards (`fiches/N.json`).
pub const DOCS_PER_FILE: usize = 8;

/// Where a word is in an item, best first; the letter ending each posting in a shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Title,
    Term,
    Summary,
    Body,
}

impl Field {
    fn letter(self) -> char {
        match self {
            Field::Title => 'T',
            Field::Term => 'G',
            Field::Summary => 'S',
            Field::Body => 'B',
        }
    }

    fn from_letter(letter: u8) -> Field {
        match letter {
            b'T' => Field::Title,
            b'G' => Field::Term,
            b'S' => Field::Summary,
            _ => Field::Body,
        }
    }
}

/// The distinct words of an entry, sorted, each with the best field it is found in, held as
/// one string: each word followed by the letter of its field (`djangoTtestsB`). Words are
/// lowercase ASCII letters and digits, the letters of fields uppercase. The entries of a
/// whole site are held at once (and kept by `serve`): one string each rather than one per
/// word takes a fraction of the memory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Words(Box<str>);

impl Words {
    /// `sorted`: distinct words, sorted, with their fields.
    fn new<'w>(sorted: impl IntoIterator<Item = (&'w str, Field)>) -> Words {
        let mut text = String::new();
        for (word, field) in sorted {
            debug_assert!(
                word.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                "{word}"
            );
            text.push_str(word);
            text.push(field.letter());
        }
        Words(text.into_boxed_str())
    }

    /// The words, sorted, with their fields.
    fn iter(&self) -> impl Iterator<Item = (&str, Field)> + '_ {
        let mut rest = &*self.0;
        std::iter::from_fn(move || {
            let end = rest.bytes().position(|b| b.is_ascii_uppercase())?;
            let word = &rest[..end];
            let field = Field::from_letter(rest.as_bytes()[end]);
            rest = &rest[end + 1..];
            Some((word, field))
        })
    }
}

/// What the index holds about one item, made on its own (and kept between incremental builds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its result card, JSON: `[title, url, kind, date, summary]`.
    card: Vec<u8>,
    kind: Kind,
    tags: Vec<String>,
    categories: Vec<String>,
    /// Its distinct words with the best field each is found in, sorted by word.
    words: Words,
}

impl Entry {
    /// What the filters file takes of the entry: its kind, categories and tags.
    pub fn filed_under(&self) -> (Kind, &[String], &[String]) {
        (self.kind, &self.categories, &self.tags)
    }
}

/// Lowercase ASCII words of `text`, accents folded (`Écrire l'intégration` → `ecrire`, `l`,
/// `integration`).
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    let mut all = Vec::new();
    each_word(text, |w| {
        all.push(w.to_owned());
        ControlFlow::Continue(())
    });
    all.into_iter()
}

/// Calls `visit` with each word of `text` as [`words`] gives them, until it breaks. A word
/// is lent, not allocated: most of the body words of an item are seen already.
fn each_word(text: &str, mut visit: impl FnMut(&str) -> ControlFlow<()>) {
    let mut folded = String::new();
    for w in text.split(|c: char| !c.is_alphanumeric()) {
        if w.is_empty() {
            continue;
        }
        if w.is_ascii() {
            // ASCII letters and digits: folding only lowercases them, and keeps them one word.
            folded.clear();
            folded.push_str(w);
            folded.make_ascii_lowercase();
            if visit(&folded).is_break() {
                return;
            }
        } else {
            let lower = deunicode::deunicode(w).to_lowercase();
            for part in lower.split(|c: char| !c.is_ascii_alphanumeric()) {
                if !part.is_empty() && visit(part).is_break() {
                    return;
                }
            }
        }
    }
}

/// [`STOP_WORDS`], to look up.
fn stop_words() -> &'static FastSet<&'static str> {
    static SET: std::sync::OnceLock<FastSet<&'static str>> = std::sync::OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.iter().copied().collect())
}

/// The distinct words of `text` worth indexing (two characters or more, not a stop word, not
/// in `skip`), in order of first appearance, at most `max`.
pub fn distinct_words(text: &str, skip: &str, max: usize) -> Vec<String> {
    let mut seen: FastSet<String> = FastSet::default();
    each_word(skip, |w| {
        seen.insert(w.to_owned());
        ControlFlow::Continue(())
    });
    let stop = stop_words();
    let mut out = Vec::new();
    each_word(text, |word| {
        if out.len() == max {
            return ControlFlow::Break(());
        }
        if word.len() >= 2 && !stop.contains(word) && !seen.contains(word) {
            seen.insert(word.to_owned());
            out.push(word.to_owned());
        }
        ControlFlow::Continue(())
    });
    out
}

/// Builds every file of the index.
pub fn index(site: &Site) -> anyhow::Result<Vec<Output>> {
    use rayon::prelude::*;
    let entries = ids(site)
        .par_iter()
        .map(|&id| entry(site, id))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(assemble(&entries.iter().collect::<Vec<_>>()))
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
    let item = &site.items[id];
    let card = super::context::Card::new(site, item);
    let body = super::reading::plain_text(item.source.body());
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
    for word in distinct_words(&body, &known, MAX_BODY_WORDS) {
        best.entry(word).or_insert(Field::Body);
    }
    let mut words: Vec<(String, Field)> = best.into_iter().collect();
    words.sort_unstable();
    let words = Words::new(words.iter().map(|(w, f)| (w.as_str(), *f)));

    #[derive(Serialize)]
    struct Card<'a>(&'a str, &'a str, Kind, &'a str, &'a str);
    let url = super::prefix::path(site.config.base_path(), &item.url);
    let card = serde_json::to_vec(&Card(&item.title, &url, item.kind, date, &summary))?;
    Ok(Entry {
        card,
        kind: item.kind,
        tags,
        categories,
        words,
    })
}

/// Every file of the index made of `entries`, in order (newest first): the entry file first.
pub fn assemble(entries: &[&Entry]) -> Vec<Output> {
    assemble_with(
        entries,
        postings(entries).iter().map(|(w, p)| (*w, p.as_str())),
        filters(entries),
    )
}

/// Every file of the index made of `entries` and `vocabulary`: their words, sorted, with their
/// postings (as `postings` or `Postings` make them), and their `filters` file.
pub fn assemble_with<'v>(
    entries: &[&Entry],
    vocabulary: impl Iterator<Item = (&'v str, &'v str)>,
    filters: Output,
) -> Vec<Output> {
    use rayon::prelude::*;
    let (mut files, firsts) = shards(vocabulary);
    let cards: Vec<Output> = entries
        .par_chunks(DOCS_PER_FILE)
        .enumerate()
        .map(|(n, chunk)| card_file(n, chunk))
        .collect();
    files.extend(cards);
    files.push(filters);
    let digests: Vec<u64> = files.par_iter().map(digest).collect();
    files.insert(0, entry_file(&digests, &firsts, entries.len()));
    files
}

/// The shards of `vocabulary` (consecutive ranges of its sorted words, with their postings),
/// and the first word of each.
pub fn shards<'v>(
    vocabulary: impl Iterator<Item = (&'v str, &'v str)>,
) -> (Vec<Output>, Vec<&'v str>) {
    let mut files = Vec::new();
    let mut firsts: Vec<&str> = Vec::new();
    let mut shard = Shard::default();
    for (word, list) in vocabulary {
        if shard.bytes() > SHARD_BYTES {
            files.push(shard.output(firsts.len() - 1));
            shard = Shard::default();
        }
        if shard.words.is_empty() {
            firsts.push(word);
        }
        shard.push(word, list);
    }
    if !shard.words.is_empty() {
        files.push(shard.output(firsts.len() - 1));
    }
    (files, firsts)
}

/// Result cards file `n`: the cards of `chunk`, entries `n * DOCS_PER_FILE` and after.
pub fn card_file(n: usize, chunk: &[&Entry]) -> Output {
    let mut bytes = b"[".to_vec();
    for (i, entry) in chunk.iter().enumerate() {
        if i > 0 {
            bytes.push(b',');
        }
        bytes.extend_from_slice(&entry.card);
    }
    bytes.push(b']');
    Output::new(card_path(n), bytes)
}

/// Site path of result cards file `n`.
pub fn card_path(n: usize) -> String {
    format!("recherche/fiches/{n}.json")
}

/// What the version of the index is made of, per file: its path and bytes, hashed.
pub fn digest(file: &Output) -> u64 {
    let mut hash = Fnv::default();
    hash.write(file.path.as_bytes());
    hash.write(&file.bytes);
    hash.0
}

/// The entry file of an index of `items` entries whose files other than itself have these
/// `digests` (shards, cards, filters, in order), and whose shards start with `firsts`: with a
/// version of the whole index that `search.js` adds to the address of the files it fetches,
/// so that a browser never mixes files of two builds.
pub fn entry_file(digests: &[u64], firsts: &[&str], items: usize) -> Output {
    let mut hash = Fnv::default();
    for &digest in digests {
        hash.mix(digest);
    }
    #[derive(Serialize)]
    struct Meta<'a> {
        v: u32,
        h: String,
        n: usize,
        cards: usize,
        shards: &'a [&'a str],
    }
    let meta = Meta {
        v: VERSION,
        h: format!("{:016x}", hash.0),
        n: items,
        cards: DOCS_PER_FILE,
        shards: firsts,
    };
    Output::new(INDEX_PATH, serde_json::to_vec(&meta).expect("plain data"))
}

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
fn filed_under<'e>(
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

/// Where the words are split to make their postings in parallel: at these first letters. Any
/// split gives the same postings (each range is sorted, and the ranges are in order).
const SPLITS: &[&str] = &[
    "", "b", "c", "d", "e", "f", "g", "i", "l", "m", "o", "p", "r", "s", "t", "u",
];

/// The words of `entries` with their postings, sorted: item numbers as differences from the
/// previous one in base 36, each followed by the letter of its field (`0T3B`: items 0 and 3).
fn postings<'e>(entries: &[&'e Entry]) -> Vec<(&'e str, String)> {
    use rayon::prelude::*;
    type Map<'e> = FastMap<&'e str, (String, usize)>;
    let ranges: Vec<Vec<(&'e str, String)>> = (0..SPLITS.len())
        .into_par_iter()
        .map(|r| {
            let (lo, hi) = (SPLITS[r], SPLITS.get(r + 1));
            let mut map = Map::default();
            for (n, entry) in entries.iter().enumerate() {
                // An entry's words are sorted: those of the range are together.
                let words = entry.words.iter().skip_while(|(w, _)| *w < lo);
                let words = words.take_while(|(w, _)| hi.is_none_or(|hi| w < hi));
                for (word, field) in words {
                    let (list, last) = map.entry(word).or_default();
                    push_base36(list, n - *last);
                    list.push(field.letter());
                    *last = n;
                }
            }
            let mut words: Vec<(&'e str, String)> =
                map.into_iter().map(|(w, (list, _))| (w, list)).collect();
            words.sort_unstable_by(|a, b| a.0.cmp(b.0));
            words
        })
        .collect();
    ranges.concat()
}

/// The words of an index with their postings, kept between builds (`serve`): when the items
/// keep their order, only the words of the entries that changed are made again.
#[derive(Default)]
pub struct Postings {
    words: BTreeMap<String, String>,
}

impl Postings {
    /// The postings of `entries`, in order.
    pub fn new(entries: &[&Entry]) -> Postings {
        let words = postings(entries)
            .into_iter()
            .map(|(w, p)| (w.to_owned(), p))
            .collect();
        Postings { words }
    }

    /// The words, sorted, with their postings.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.words.iter().map(|(w, p)| (w.as_str(), p.as_str()))
    }

    /// The items were numbered again (see [`Renumbering`]).
    pub fn renumber(&mut self, r: &Renumbering) {
        use rayon::prelude::*;
        self.words.par_iter_mut().for_each(|(_, list)| {
            if let Some(renumbered) = renumbered(list, r) {
                *list = renumbered;
            }
        });
        // Words only items gone had.
        self.words.retain(|_, list| !list.is_empty());
    }

    /// Item `n` was `old` and is now `new`.
    pub fn replace(&mut self, n: usize, old: &Entry, new: &Entry) {
        self.change(n, &old.words, &new.words);
    }

    /// Item `n` is new, `entry` (the items from `n` were numbered again before).
    pub fn insert(&mut self, n: usize, entry: &Entry) {
        self.change(n, &Words::default(), &entry.words);
    }

    /// Item `n` had the words `old` and has the words `new`.
    fn change(&mut self, n: usize, old: &Words, new: &Words) {
        let fields: HashMap<&str, Field> = new.iter().collect();
        let before: HashMap<&str, Field> = old.iter().collect();
        let mut words: Vec<&str> = old.iter().chain(new.iter()).map(|(w, _)| w).collect();
        words.sort_unstable();
        words.dedup();
        // Only the words the item gained, lost, or has in another field.
        words.retain(|w| before.get(w) != fields.get(w));
        for word in words {
            let mut items = self.words.get(word).map(|p| decode(p)).unwrap_or_default();
            items.retain(|&(item, _)| item != n);
            if let Some(&field) = fields.get(word) {
                let at = items.partition_point(|&(item, _)| item < n);
                items.insert(at, (n, field.letter()));
            }
            if items.is_empty() {
                self.words.remove(word);
            } else {
                let mut list = String::new();
                let mut last = 0;
                for (item, letter) in items {
                    push_base36(&mut list, item - last);
                    list.push(letter);
                    last = item;
                }
                self.words.insert(word.to_owned(), list);
            }
        }
    }
}

/// How the items of an index were numbered again between two builds: the items numbered
/// `lo..lo + new.len()` before are numbered `new[k]` now (`None`: gone), within
/// `lo..lo + new.len() + shift`; the items after them move by `shift` (items added minus
/// items gone). Items added are not numbered here: they join with `insert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renumbering {
    pub lo: usize,
    pub new: Vec<Option<usize>>,
    pub shift: isize,
}

impl Renumbering {
    /// The number now of the item numbered `n` before, `None` when it is gone.
    fn number(&self, n: usize) -> Option<usize> {
        if n < self.lo {
            Some(n)
        } else if n < self.lo + self.new.len() {
            self.new[n - self.lo]
        } else {
            Some(n.checked_add_signed(self.shift).expect("a number"))
        }
    }
}

/// A posting list with its items numbered again (see [`Renumbering`]), or `None` when it is
/// unchanged. Only the part of the list up to the first item after the renumbered ones is
/// read: the differences after it stay as they are. Empty when all its items are gone.
fn renumbered(postings: &str, r: &Renumbering) -> Option<String> {
    let (lo, new) = (r.lo, &r.new);
    let hi = lo + new.len();
    // Where the items before `lo` end, and the last of them.
    let (mut before_end, mut before) = (0, 0);
    let mut moved: Vec<(usize, char)> = Vec::new();
    // Whether the list holds items of the renumbered range (gone or not).
    let mut touched = false;
    // The first item after the renumbered ones: its number, letter and where it ends.
    let mut after: Option<(usize, char, usize)> = None;
    let (mut item, mut digits) = (0, 0);
    // Postings are ASCII: base 36 digits in lowercase, then the letter of a field.
    for (at, byte) in postings.bytes().enumerate() {
        match byte {
            b'0'..=b'9' => digits = digits * 36 + usize::from(byte - b'0'),
            b'a'..=b'z' => digits = digits * 36 + usize::from(byte - b'a') + 10,
            letter => {
                item += digits;
                digits = 0;
                let (end, letter) = (at + 1, char::from(letter));
                if item < lo {
                    (before_end, before) = (end, item);
                } else if item < hi {
                    if let Some(now) = new[item - lo] {
                        moved.push((now, letter));
                    }
                    touched = true;
                } else {
                    after = Some((item, letter, end));
                    break;
                }
            }
        }
    }
    if !touched && (r.shift == 0 || after.is_none()) {
        return None;
    }
    moved.sort_unstable();
    let mut out = String::with_capacity(postings.len() + 4);
    out.push_str(&postings[..before_end]);
    let mut last = before;
    for (item, letter) in moved {
        push_base36(&mut out, item - last);
        out.push(letter);
        last = item;
    }
    if let Some((item, letter, end)) = after {
        let item = item.checked_add_signed(r.shift).expect("a number");
        push_base36(&mut out, item - last);
        out.push(letter);
        out.push_str(&postings[end..]);
    }
    Some(out)
}

/// The items of a posting list and the letters of their fields.
fn decode(postings: &str) -> Vec<(usize, char)> {
    let mut items = Vec::new();
    let (mut item, mut digits) = (0, 0);
    for c in postings.chars() {
        match c.to_digit(36).filter(|_| !c.is_ascii_uppercase()) {
            Some(d) => digits = digits * 36 + d as usize,
            None => {
                item += digits;
                digits = 0;
                items.push((item, c));
            }
        }
    }
    items
}

/// The words of a shard and their postings, as JSON arrays being written.
#[derive(Default)]
struct Shard {
    words: String,
    postings: String,
}

impl Shard {
    fn push(&mut self, word: &str, postings: &str) {
        if !self.words.is_empty() {
            self.words.push(',');
            self.postings.push(',');
        }
        // Words and postings are ASCII letters and digits: nothing to escape.
        for (out, text) in [(&mut self.words, word), (&mut self.postings, postings)] {
            out.push('"');
            out.push_str(text);
            out.push('"');
        }
    }

    fn bytes(&self) -> usize {
        self.words.len() + self.postings.len()
    }

    fn output(&self, n: usize) -> Output {
        Output::new(
            format!("recherche/mots/{n}.json"),
            format!("{{\"w\":[{}],\"p\":[{}]}}", self.words, self.postings),
        )
    }
}

/// The name of `kind` in the index and in the filter of `/recherche/` (`article`, …).
pub fn kind_name(kind: Kind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn push_base36(out: &mut String, mut n: usize) {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut buf = [0u8; 16];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = DIGITS[n % 36];
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[i..]).expect("ASCII"));
}

/// FNV-1a, 64 bits, over 8 bytes at a time: the same version of the index on every machine.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.mix(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        for &b in chunks.remainder() {
            self.mix(u64::from(b));
        }
    }

    fn mix(&mut self, value: u64) {
        self.0 ^= value;
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(words: &[(&str, Field)]) -> Entry {
        let mut words = words.to_vec();
        words.sort_unstable();
        let words = Words::new(words);
        Entry {
            card: b"[]".to_vec(),
            kind: Kind::Article,
            tags: Vec::new(),
            categories: Vec::new(),
            words,
        }
    }

    #[test]
    fn kept_postings_follow_a_changed_entry_as_if_made_anew() {
        use Field::*;
        let a = entry(&[("django", Title), ("tests", Body)]);
        let b = entry(&[("django", Body), ("git", Term), ("pytest", Summary)]);
        let c = entry(&[("git", Body), ("tests", Title)]);
        let all = Postings::new(&[&a, &b, &c]);
        let list: Vec<(&str, &str)> = all.iter().collect();
        assert_eq!(
            list,
            [
                ("django", "0T1B"),
                ("git", "1G1B"),
                ("pytest", "1S"),
                ("tests", "0B2T")
            ]
        );
        assert_eq!(decode("0T1BaB"), [(0, 'T'), (1, 'B'), (11, 'B')]);

        // `b` loses a word, gains one, and moves another to its title.
        let b2 = entry(&[("django", Title), ("git", Term), ("zope", Body)]);
        let mut kept = all;
        kept.replace(1, &b, &b2);
        let anew = Postings::new(&[&a, &b2, &c]);
        assert_eq!(
            kept.iter().collect::<Vec<_>>(),
            anew.iter().collect::<Vec<_>>()
        );
        assert_eq!(
            assemble_with(&[&a, &b2, &c], kept.iter(), filters(&[&a, &b2, &c]))
                .iter()
                .map(|o| (&o.path, &o.bytes))
                .collect::<Vec<_>>(),
            assemble(&[&a, &b2, &c])
                .iter()
                .map(|o| (&o.path, &o.bytes))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn kept_postings_and_filters_follow_items_numbered_again() {
        use Field::*;
        let tagged = |words: &[(&str, Field)], tags: &[&str]| Entry {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..entry(words)
        };
        let a = tagged(&[("django", Title), ("tests", Body)], &["Django"]);
        let b = tagged(&[("django", Body), ("git", Term)], &["Git"]);
        let c = tagged(&[("git", Body), ("tests", Title)], &["Git", "Tests"]);
        let d = tagged(&[("pytest", Summary), ("tests", Body)], &["Tests"]);
        let e = tagged(&[("django", Summary), ("zope", Body)], &[]);
        let mut postings = Postings::new(&[&a, &b, &c, &d, &e]);
        let mut filters = Filters::new(&[&a, &b, &c, &d, &e]);
        // `b` moves after `d` (a later date): items 1, 2, 3 become 3, 1, 2.
        let moved = Renumbering {
            lo: 1,
            new: vec![Some(3), Some(1), Some(2)],
            shift: 0,
        };
        postings.renumber(&moved);
        filters.renumber(&moved);
        let anew = Postings::new(&[&a, &c, &d, &b, &e]);
        assert_eq!(
            postings.iter().collect::<Vec<_>>(),
            anew.iter().collect::<Vec<_>>()
        );
        assert_eq!(
            anew.iter().find(|(w, _)| *w == "django"),
            Some(("django", "0T3B1S")),
            "the item after the moved ones keeps its number"
        );
        assert_eq!(
            filters.output(),
            Filters::new(&[&a, &c, &d, &b, &e]).output()
        );
    }

    #[test]
    fn kept_postings_and_filters_follow_items_added_and_gone() {
        use Field::*;
        let tagged = |words: &[(&str, Field)], tags: &[&str]| Entry {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..entry(words)
        };
        let a = tagged(&[("django", Title), ("tests", Body)], &["Django"]);
        let b = tagged(&[("zope", Body), ("git", Term)], &["Zope"]);
        let c = tagged(&[("git", Body), ("tests", Title)], &["Git"]);
        let d = tagged(&[("pytest", Summary), ("tests", Body)], &["Tests"]);
        let mut postings = Postings::new(&[&a, &b, &c, &d]);
        let mut filters = Filters::new(&[&a, &b, &c, &d]);
        // `b` goes; `n` comes second, `m` fourth: a, n, c, m, d.
        let n = tagged(&[("asyncio", Title), ("tests", Body)], &["Asyncio"]);
        let m = tagged(&[("git", Summary)], &["Git"]);
        let r = Renumbering {
            lo: 1,
            new: vec![None, Some(2)],
            shift: 1,
        };
        postings.renumber(&r);
        filters.renumber(&r);
        postings.insert(1, &n);
        filters.insert(1, &n);
        postings.insert(3, &m);
        filters.insert(3, &m);
        let anew = Postings::new(&[&a, &n, &c, &m, &d]);
        assert_eq!(
            postings.iter().collect::<Vec<_>>(),
            anew.iter().collect::<Vec<_>>()
        );
        assert!(anew.iter().all(|(w, _)| w != "zope"), "a word only `b` had");
        assert_eq!(
            filters.output(),
            Filters::new(&[&a, &n, &c, &m, &d]).output()
        );
    }

    #[test]
    fn kept_filters_follow_a_changed_entry_as_if_made_anew() {
        let filed = |kind: Kind, categories: &[&str], tags: &[&str]| Entry {
            kind,
            categories: categories.iter().map(|c| c.to_string()).collect(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..entry(&[])
        };
        let a = filed(Kind::Article, &["web"], &["Django", "Tests"]);
        let b = filed(Kind::Resource, &["web", "outils"], &["Git"]);
        let c = filed(Kind::Article, &["outils"], &["Git", "Tests"]);
        let all = Filters::new(&[&a, &b, &c]);
        assert_eq!(
            String::from_utf8(all.output().bytes).unwrap(),
            r#"{"type":{"article":[0,2],"resource":[1]},"categorie":{"outils":[1,1],"web":[0,1]},"etiquette":{"Django":[0],"Git":[1,1],"Tests":[0,2]}}"#
        );

        // `b` leaves a category and its only tag, joins a new tag and an existing one.
        let b2 = filed(Kind::Resource, &["outils"], &["Tests", "Zope"]);
        let mut kept = all;
        kept.replace(1, &b, &b2);
        assert_eq!(kept.output(), Filters::new(&[&a, &b2, &c]).output());
        // And back: the lists it joined lose it, a list left empty goes.
        kept.replace(1, &b2, &b);
        assert_eq!(kept.output(), Filters::new(&[&a, &b, &c]).output());
    }

    #[test]
    fn words_fold_accents_and_case() {
        assert_eq!(
            words("Écrire l'Intégration, cœur…").collect::<Vec<_>>(),
            ["ecrire", "l", "integration", "coeur"]
        );
        assert_eq!(
            distinct_words("a lo lo Lô bas", "", 10),
            ["lo", "bas"],
            "one-letter words dropped, duplicates merged"
        );
        assert_eq!(
            distinct_words("deux trois quatre", "", 2),
            ["deux", "trois"]
        );
        assert_eq!(
            distinct_words("Les tests et la revue, les tests", "tests", 10),
            ["revue"],
            "stop words and known words left out"
        );
    }
}
