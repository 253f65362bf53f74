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

mod entry;
mod files;
mod filters;
mod postings;
mod words;

pub use entry::{Entry, KINDS, MAX_BODY_WORDS, SUMMARY_CHARS, entry, entry_with, ids, kind_name};
pub use files::{
    DOCS_PER_FILE, INDEX_PATH, SHARD_BYTES, VERSION, assemble, assemble_with, card_file, card_path,
    digest, entry_file, shards,
};
pub use filters::{FILTERS_PATH, Filters, filters};
pub use postings::{Postings, Renumbering};
pub use words::{Field, distinct_words, words};

use crate::output::Output;
use crate::site::Site;

/// Builds every file of the index.
pub fn index(site: &Site) -> anyhow::Result<Vec<Output>> {
    use rayon::prelude::*;
    let entries = ids(site)
        .par_iter()
        .map(|&id| entry(site, id))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(assemble(&entries.iter().collect::<Vec<_>>()))
}

#[cfg(test)]
mod tests {
    use super::postings::decode;
    use super::words::Words;
    use super::*;
    use crate::content::Kind;

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
        // Each character folded on its own; a folding with a space or a slash splits the word.
        let any = "Straße ŒUVRE 北京市 ½ l’été naïve x² Ⅻ ǅemal 東京Tokyo café-crème ﬁn ١٢٣ \
                   ß İstanbul ΑΘΗΝΑ emoji😀ok a\u{301}b";
        assert_eq!(
            words(any).collect::<Vec<_>>(),
            [
                "strasse", "oeuvre", "bei", "jing", "shi", "1", "2", "l", "ete", "naive", "x2",
                "xii", "dzemal", "dong", "jing", "tokyo", "cafe", "creme", "fin", "123", "ss",
                "istanbul", "athena", "emoji", "ok", "a", "b"
            ]
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
