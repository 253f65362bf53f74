//! The files of the search index: shards of words, result cards, the entry file with the
//! version of the whole index.

use serde::Serialize;

use super::entry::Entry;
use super::filters::filters;
use super::postings::postings;
use crate::output::Output;

/// Site path of the entry file.
pub const INDEX_PATH: &str = "recherche/index.json";

/// Format version of the index (the `v` field of its entry file), for `search.js`.
pub const VERSION: u32 = 2;

/// A shard of words is closed once its JSON passes this many bytes (a word's postings are
/// never split). About 8 KB once compressed.
pub const SHARD_BYTES: usize = 24 * 1024;

/// Items per file of result cards (`fiches/N.json`).
pub const DOCS_PER_FILE: usize = 8;

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
