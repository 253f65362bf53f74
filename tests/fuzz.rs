//! Property test of the whole pipeline on mutated content: a file of a realistic site has its
//! front matter or its Markdown mutated (lines dropped, doubled or cut, nasty values and
//! snippets inserted, bytes that are not UTF-8), then the site goes through load → resolve →
//! render in process. Whatever the mutation, nothing panics, a site that loads renders, and
//! every error points at a line of an existing file. Bounded: `CLASSMATES_FUZZ_CASES` cases
//! (64 by default) within `CLASSMATES_FUZZ_SECONDS` seconds (60 by default), so that
//! `scripts/test` (and `.ci/run`) runs it on every change; raise both to search longer.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use classmates::build::{BuildError, load_site};
use classmates::site::Publish;
use common::{NOW, Site};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// The content files mutated, relative to the fixture's root.
const FILES: &[&str] = &[
    "content/articles/pytest-les-bases.md",
    "content/articles/deployer-django/index.md",
    "content/articles/django-premiers-pas.md",
    "content/events/webinaire-pytest.md",
    "content/resources/tutoriel-django-rest.md",
    "content/series/decouvrir-pytest.md",
    "content/authors/ines.md",
    "content/pages/a-propos.md",
];

/// Values a contributor (or a bad paste) can put after `key: `.
const VALUES: &[&str] = &[
    "",
    "\"\"",
    "[",
    "]",
    "{a: b}",
    ":",
    "- x",
    "[a, [b]]",
    "2026-02-30",
    "2026-10-25 02:30",
    "2026-13-01",
    "99999999999999999999",
    "-1",
    "0",
    "null",
    "~",
    "&a x",
    "*a",
    "!!binary eA==",
    "|",
    ">-",
    "\"\\u0000\"",
    "\t",
    "'",
    "\"Django : le guide\"",
    "Django : le guide",
    "/atom.xml",
    "[/x/, /style.css]",
    "javascript:alert(1)",
    "https://",
    "https://exemple.org/image.png",
    "true",
    "peut-etre",
    "ééé",
    "[marc, marc, inconnu]",
    "[python, Python, pyhton]",
];

/// Keys written in front matters, and some no front matter has.
const KEYS: &[&str] = &[
    "title",
    "date",
    "updated",
    "authors",
    "tags",
    "categories",
    "series",
    "part",
    "draft",
    "aliases",
    "summary",
    "url",
    "kind",
    "start",
    "end",
    "capacity",
    "registration",
    "registration_deadline",
    "speakers",
    "name",
    "sumary",
    "titel",
    "lang",
    "",
];

/// Markdown a body can receive.
const SNIPPETS: &[&str] = &[
    "[x](absent.md)",
    "[x](absent.md#a)",
    "[x](#nulle-part)",
    "[x](../articles/pytest-les-fixtures.md#inexistante)",
    "[x]()",
    "[x](<>)",
    "![](image-absente.png)",
    "![](https://exemple.org/image.png)",
    "[x](javascript:alert(1))",
    "# Titre\n",
    "## Titre {#id .classe}\n",
    "## Titre {onclick=x}\n",
    "```python\n",
    "```\n",
    "```inconnu\nx\n```\n",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<!--",
    "[^1]\n\n[^1]: note\n",
    "| a | b |\n|---|---|\n| 1 |\n",
    "\n---\n",
    "---\n",
    "\u{0}",
    "\u{202e}",
    "\r\n",
    "\\",
    "&amp; &#0; &#xFFFFFF;",
    "[lien]: absent.md\n[lien]\n",
    "<a href=\"absent.md\">x</a>",
    "- [ ] tâche\n",
    "> citation\n>",
    "    code indenté\n",
    "*",
    "_",
    "`",
];

/// One mutation of one file.
#[derive(Debug, Clone)]
enum Mutation {
    /// Drops the `n`-th line of the file.
    DropLine(usize),
    /// Writes the `n`-th line twice.
    DoubleLine(usize),
    /// Replaces the value of the `n`-th front matter line.
    Value(usize, &'static str),
    /// Adds `key: value` after the `n`-th line.
    Key(usize, &'static str, &'static str),
    /// Inserts a snippet at a fraction (per thousand) of the text.
    Snippet(u16, &'static str),
    /// Inserts arbitrary text at a fraction of the text.
    Text(u16, String),
    /// Keeps only the first fraction of the text.
    Truncate(u16),
    /// Puts a byte that is never UTF-8 at a fraction of the text.
    NotUtf8(u16),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let line = 0usize..30;
    let at = 0u16..=1000;
    prop_oneof![
        line.clone().prop_map(Mutation::DropLine),
        line.clone().prop_map(Mutation::DoubleLine),
        (line.clone(), prop::sample::select(VALUES)).prop_map(|(n, v)| Mutation::Value(n, v)),
        (
            line,
            prop::sample::select(KEYS),
            prop::sample::select(VALUES)
        )
            .prop_map(|(n, k, v)| Mutation::Key(n, k, v)),
        (at.clone(), prop::sample::select(SNIPPETS)).prop_map(|(a, s)| Mutation::Snippet(a, s)),
        (at.clone(), any::<String>()).prop_map(|(a, t)| Mutation::Text(a, t)),
        at.clone().prop_map(Mutation::Truncate),
        at.prop_map(Mutation::NotUtf8),
    ]
}

/// The byte offset at `per_mille` of `text`, on a character boundary.
fn offset(text: &str, per_mille: u16) -> usize {
    let mut at = text.len() * usize::from(per_mille) / 1000;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// `text` with `mutations` applied in turn.
fn mutate(text: &str, mutations: &[Mutation]) -> Vec<u8> {
    let mut text = text.to_string();
    let mut bytes: Option<Vec<u8>> = None;
    for m in mutations {
        let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
        let n = lines.len().max(1);
        match m {
            Mutation::DropLine(i) => {
                if !lines.is_empty() {
                    lines.remove(i % n);
                }
            }
            Mutation::DoubleLine(i) => {
                if !lines.is_empty() {
                    let line = lines[i % n].clone();
                    lines.insert(i % n, line);
                }
            }
            Mutation::Value(i, value) => {
                if let Some(line) = lines.get_mut(i % n)
                    && let Some((key, _)) = line.split_once(':')
                {
                    *line = format!("{key}: {value}\n");
                }
            }
            Mutation::Key(i, key, value) => {
                lines.insert((i % n) + 1.min(lines.len()), format!("{key}: {value}\n"));
            }
            Mutation::Snippet(at, snippet) => {
                let o = offset(&text, *at);
                text.insert_str(o, snippet);
                continue;
            }
            Mutation::Text(at, extra) => {
                let o = offset(&text, *at);
                text.insert_str(o, extra);
                continue;
            }
            Mutation::Truncate(at) => {
                let o = offset(&text, *at);
                text.truncate(o);
                continue;
            }
            Mutation::NotUtf8(at) => {
                let o = offset(&text, *at);
                let mut b = text.clone().into_bytes();
                b.insert(o, 0xFF);
                bytes = Some(b);
                continue;
            }
        }
        text = lines.concat();
    }
    bytes.unwrap_or_else(|| text.into_bytes())
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Loads, resolves and renders the site; fails the case on an unlocated error or a failed
/// render of a site that loaded.
fn pipeline(root: &Path, templates: &classmates::render::Templates) -> Result<bool, String> {
    let publish = Publish {
        now: chrono::DateTime::parse_from_rfc3339(NOW)
            .unwrap()
            .with_timezone(&chrono::Utc),
        drafts: true,
    };
    match load_site(root, publish, None) {
        Ok((site, bodies, _warnings)) => {
            let bodies: Vec<&classmates::markdown::Rendered> = bodies.iter().collect();
            classmates::render::render_site(&site, templates, &bodies)
                .map(|_| true)
                .map_err(|e| format!("a site that loads must render: {e:#}"))
        }
        Err(BuildError::Invalid(diagnostics)) => {
            if !diagnostics.has_errors() {
                return Err("a failed load without an error".into());
            }
            for d in diagnostics.iter().filter(|d| d.is_error()) {
                let file = root.join(&d.path);
                let lines = std::fs::read(&file)
                    .map(|b| b.split(|&c| c == b'\n').count())
                    .map_err(|_| format!("error about a file that does not exist: {d}"))?;
                if d.line == 0 || d.line > lines || d.column == 0 {
                    return Err(format!("error not located at a line of its file: {d}"));
                }
            }
            Ok(false)
        }
        Err(BuildError::Other(e)) => Err(format!("unexpected failure: {e:#}")),
    }
}

#[test]
fn mutated_content_never_panics_and_every_error_is_located() {
    let site = Site::fixture("realistic");
    let root = site.root().to_path_buf();
    let templates = classmates::render::Templates::load(&root).expect("the theme loads");
    let originals: Vec<String> = FILES
        .iter()
        .map(|f| std::fs::read_to_string(root.join(f)).expect(f))
        .collect();
    // The unmutated site goes through.
    pipeline(&root, &templates).expect("the fixture is valid");

    let cases = env_number("CLASSMATES_FUZZ_CASES", 64) as u32;
    let budget = Duration::from_secs(env_number("CLASSMATES_FUZZ_SECONDS", 60));
    let started = Instant::now();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..FILES.len(), prop::collection::vec(mutation(), 1..4));
    let ran = std::sync::atomic::AtomicU32::new(0);
    let refused = std::sync::atomic::AtomicU32::new(0);
    let result = runner.run(&strategy, |(file, mutations)| {
        if started.elapsed() > budget {
            return Ok(());
        }
        ran.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = root.join(FILES[file]);
        std::fs::write(&path, mutate(&originals[file], &mutations)).unwrap();
        let outcome = pipeline(&root, &templates);
        std::fs::write(&path, &originals[file]).unwrap();
        let loaded =
            outcome.map_err(|why| TestCaseError::fail(format!("{}: {why}", FILES[file])))?;
        if !loaded {
            refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (ran, refused) = (ran.into_inner(), refused.into_inner());
    eprintln!(
        "fuzz: {ran} mutated sites in {:.1} s, {refused} refused with located errors",
        started.elapsed().as_secs_f64()
    );
    assert!(ran > 0, "no case ran within the time budget");
    // The mutations reach the error paths, not only harmless edits (proptest shrinks a
    // failing case, so the counts are of the cases tried first).
    assert!(ran < 16 || refused * 5 > ran, "{refused} of {ran} refused");
}
