//! The postings of the search index: per word, the items holding it and where, as compact
//! strings; kept between builds by `serve` and renumbered when items move.

use std::collections::{BTreeMap, HashMap};

use super::entry::Entry;
use super::words::{Field, Words};
use crate::hash::FastMap;

/// Where the words are split to make their postings in parallel: at these first letters. Any
/// split gives the same postings (each range is sorted, and the ranges are in order).
const SPLITS: &[&str] = &[
    "", "b", "c", "d", "e", "f", "g", "i", "l", "m", "o", "p", "r", "s", "t", "u",
];

/// The words of `entries` with their postings, sorted: item numbers as differences from the
/// previous one in base 36, each followed by the letter of its field (`0T3B`: items 0 and 3).
pub(super) fn postings<'e>(entries: &[&'e Entry]) -> Vec<(&'e str, String)> {
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
    pub(super) fn number(&self, n: usize) -> Option<usize> {
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
pub(super) fn renumbered(postings: &str, r: &Renumbering) -> Option<String> {
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
pub(super) fn decode(postings: &str) -> Vec<(usize, char)> {
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

pub(super) fn push_base36(out: &mut String, mut n: usize) {
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
