//! The words of the search index: lowercase ASCII, accents folded, stop words left out of the
//! bodies, and how an entry holds its words compactly (`Words`).

use std::ops::ControlFlow;

use crate::hash::FastSet;

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

/// Where a word is in an item, best first; the letter ending each posting in a shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Title,
    Term,
    Summary,
    Body,
}

impl Field {
    pub(super) fn letter(self) -> char {
        match self {
            Field::Title => 'T',
            Field::Term => 'G',
            Field::Summary => 'S',
            Field::Body => 'B',
        }
    }

    pub(super) fn from_letter(letter: u8) -> Field {
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
pub(super) struct Words(Box<str>);

impl Words {
    /// `sorted`: distinct words, sorted, with their fields.
    pub(super) fn new<'w>(sorted: impl IntoIterator<Item = (&'w str, Field)>) -> Words {
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
    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, Field)> + '_ {
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
///
/// Words are the runs of alphanumeric characters; each character is folded on its own (ASCII
/// lowercased, any other through `deunicode`, whose ASCII may split the word: `½` → `1`, `2`).
/// One pass over the bytes: the text of a whole site goes through here.
pub(super) fn each_word(text: &str, mut visit: impl FnMut(&str) -> ControlFlow<()>) {
    let mut word = String::new();
    // Hands the word over, if there is one; true when `visit` breaks.
    let mut end_word = |word: &mut String| {
        if word.is_empty() {
            return false;
        }
        let stop = visit(word).is_break();
        word.clear();
        stop
    };
    let mut at = 0;
    while let Some(&byte) = text.as_bytes().get(at) {
        if byte.is_ascii() {
            at += 1;
            if byte.is_ascii_alphanumeric() {
                word.push(byte.to_ascii_lowercase() as char);
                continue;
            }
        } else {
            let c = text[at..].chars().next().expect("a char starts here");
            at += c.len_utf8();
            if let Some(ascii) = c
                .is_alphanumeric()
                .then(|| deunicode::deunicode_char(c))
                .flatten()
            {
                for byte in ascii.bytes() {
                    if byte.is_ascii_alphanumeric() {
                        word.push(byte.to_ascii_lowercase() as char);
                    } else if end_word(&mut word) {
                        return;
                    }
                }
                continue;
            }
        }
        if end_word(&mut word) {
            return;
        }
    }
    end_word(&mut word);
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
        // Most words of a body are seen already: that test first.
        if word.len() >= 2 && !seen.contains(word) && !stop.contains(word) {
            seen.insert(word.to_owned());
            out.push(word.to_owned());
        }
        ControlFlow::Continue(())
    });
    out
}
