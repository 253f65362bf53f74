//! The search index of `/recherche/`: one compact JSON file, read by the theme's `search.js`,
//! so that search works from static files (and offline once loaded) with no service behind it.
//!
//! Per item: title, URL, kind, tag and category names, date, summary, and the distinct
//! normalised words of the body (lowercase ASCII, accents folded: `intégration` →
//! `integration`), capped so that the index stays small on large sites.

use serde::Serialize;

use super::Output;
use crate::content::Kind;
use crate::site::Site;

/// Site path of the index.
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

/// Format version of the index (its `v` field), for `search.js`.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Entry<'a> {
    /// Title.
    t: &'a str,
    /// Site path.
    u: &'a str,
    /// Kind (`article`, `series`, `resource`, `event`).
    k: Kind,
    /// Tag names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    g: Vec<String>,
    /// Category names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    c: Vec<String>,
    /// Date, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "String::is_empty")]
    d: String,
    /// Summary, shortened.
    s: String,
    /// Distinct normalised body words, space-separated.
    w: String,
}

/// Lowercase ASCII words of `text`, accents folded (`Écrire l'intégration` → `ecrire`, `l`,
/// `integration`).
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .flat_map(|w| {
            let folded = deunicode::deunicode(w).to_lowercase();
            folded
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
}

/// The distinct words of `text` worth indexing (two characters or more, not a stop word, not
/// in `skip`), in order of first appearance, at most `max`.
pub fn distinct_words(text: &str, skip: &str, max: usize) -> Vec<String> {
    let mut seen: std::collections::HashSet<String> = words(skip).collect();
    seen.extend(STOP_WORDS.iter().map(|w| w.to_string()));
    let mut out = Vec::new();
    for word in words(text) {
        if out.len() == max {
            break;
        }
        if word.len() >= 2 && seen.insert(word.clone()) {
            out.push(word);
        }
    }
    out
}

/// Builds `/recherche/index.json`.
pub fn index(site: &Site) -> anyhow::Result<Output> {
    use rayon::prelude::*;
    let entries = ids(site)
        .par_iter()
        .map(|&id| entry(site, id))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(assemble(entries.iter().map(Vec::as_slice)))
}

/// The items of the index, newest first.
pub fn ids(site: &Site) -> Vec<usize> {
    let mut ids: Vec<usize> = KINDS
        .iter()
        .flat_map(|&k| site.newest_first(k).iter().copied())
        .collect();
    site.sort_newest_first(&mut ids);
    ids
}

/// The JSON of the entry of one item.
pub fn entry(site: &Site, id: usize) -> anyhow::Result<Vec<u8>> {
    let item = &site.items[id];
    let card = super::context::Card::new(site, item);
    let body = super::reading::plain_text(item.source.body());
    let tags: Vec<String> = card.tags.into_iter().map(|l| l.name).collect();
    let categories: Vec<String> = card.categories.into_iter().map(|l| l.name).collect();
    // Words the title, the (shortened) summary and the terms already bring need not be
    // repeated; words cut from the summary stay in the body words.
    let summary = crate::text::truncate_words(&item.summary, SUMMARY_CHARS);
    let known = [item.title.as_str(), summary.as_str()]
        .into_iter()
        .chain(tags.iter().chain(&categories).map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let entry = Entry {
        t: &item.title,
        u: &item.url,
        k: item.kind,
        w: distinct_words(&body, &known, MAX_BODY_WORDS).join(" "),
        g: tags,
        c: categories,
        d: card.date.get(..10).unwrap_or_default().to_string(),
        s: summary,
    };
    Ok(serde_json::to_vec(&entry)?)
}

/// The index file made of the JSON `entries`, in order: `{"v":1,"items":[…]}`.
pub fn assemble<'e>(entries: impl Iterator<Item = &'e [u8]>) -> Output {
    let mut bytes = format!("{{\"v\":{VERSION},\"items\":[").into_bytes();
    for (i, entry) in entries.enumerate() {
        if i > 0 {
            bytes.push(b',');
        }
        bytes.extend_from_slice(entry);
    }
    bytes.extend_from_slice(b"]}");
    Output::new(INDEX_PATH, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

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
