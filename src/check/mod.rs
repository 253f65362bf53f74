//! `classmates check`: every validation of the build, without writing anything, plus the checks
//! that only matter to a reviewer and must not stop a build (tag spellings, raw HTML, numbering
//! of series parts, placeholder addresses) and, on demand, external links.
//!
//! What belongs where: a problem that breaks the built site (a missing image, an anchor that
//! names no heading) is an error of the build itself (`markdown`, `anchors`), so `build` and
//! `check` agree; this module only adds warnings, which never change what `build` accepts.

pub mod external;
pub mod report;
pub mod review;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use pulldown_cmark::{Event, Parser, Tag};
use rayon::prelude::*;

use crate::build::{self, BuildError};
use crate::content::{Entry, Meta, Source};
use crate::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::site::Publish;

/// What to check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The check's notion of "now" (drafts and scheduled content are checked all the same).
    pub now: DateTime<Utc>,
    /// Also check external links, with these settings.
    pub external: Option<external::Options>,
}

/// Checks the site under `root` and returns every problem found, errors and warnings.
pub fn check(root: &Path, options: &CheckOptions) -> Diagnostics {
    // Drafts and scheduled content included: a pull request adding a draft must be checked too.
    let publish = Publish {
        now: options.now,
        drafts: true,
    };
    // The build itself, every file made and none written: its problems are the build's.
    let mut diagnostics = match build::check_site(root, publish) {
        Ok(build::Checked {
            mut diagnostics,
            failed,
        }) => {
            if let Some(error) = failed {
                match error.downcast::<crate::render::alias::Collisions>() {
                    Ok(collisions) => collisions.0.into_iter().for_each(|d| diagnostics.push(d)),
                    Err(e) => diagnostics.push(
                        Diagnostic::error(crate::render::templates::THEME_DIR, format!("{e:#}"))
                            .with_help(
                                "corrigez le modèle indiqué (thème ou dossier `templates/`)",
                            ),
                    ),
                }
            }
            diagnostics
        }
        Err(BuildError::Invalid(diagnostics)) => diagnostics,
        Err(BuildError::Other(e)) => {
            let mut diagnostics = Diagnostics::default();
            diagnostics.push(Diagnostic::error(root, format!("{e:#}")));
            diagnostics
        }
    };

    // The review checks read the content again, so they run even when the build would stop
    // early; the loading problems were reported above already.
    let content = read_for_review(root, options.external.as_ref());
    let entries = &content.entries;
    let mut review = Vec::new();
    review.extend(tag_spellings(entries));
    review.extend(series_numbering(entries));
    review.extend(placeholder_urls(entries));
    review.extend(content.body_problems);
    let config = crate::config::Config::load(root).ok();
    review.extend(review::front_matter(entries, config.as_ref()));
    if let Some(config) = &config {
        review.extend(review::categories(root, config));
    }
    review.into_iter().for_each(|d| diagnostics.push(d));

    if let Some(settings) = &options.external {
        let mut links = meta_links(entries, settings);
        links.extend(content.body_links);
        let cache = root.join(external::CACHE_FILE);
        for d in external::check(links, &cache, settings) {
            diagnostics.push(d);
        }
    }
    diagnostics
}

/// The content as the review checks read it: each body checked as its file is read, then
/// forgotten, so that the bodies of a large site are never all in memory at once.
struct ForReview {
    /// The files whose front matter parsed, their bodies forgotten ([`Source::forget_body`]).
    entries: Vec<Entry>,
    /// The problems of the bodies (raw HTML, headings, images), those of the entries first,
    /// then those of the files whose front matter did not parse.
    body_problems: Vec<Diagnostic>,
    /// The links and images of the bodies, when external links are checked.
    body_links: Vec<external::Occurrence>,
}

fn read_for_review(root: &Path, external: Option<&external::Options>) -> ForReview {
    let (found, _) = crate::content::load::discover(root);
    type Read = (Option<Entry>, Vec<Diagnostic>, Vec<external::Occurrence>);
    let read: Vec<Read> = found
        .par_iter()
        .map(|found| {
            let (entry, unparsed) = match crate::content::load::read(root, found) {
                Ok(entry) => (Some(entry), None),
                Err((_, source, _)) => (None, source),
            };
            let Some(source) = entry.as_ref().map(|e| &e.source).or(unparsed.as_deref()) else {
                return (None, Vec::new(), Vec::new());
            };
            let mut problems = raw_html(source);
            problems.extend(review::body(source));
            let links = external.map_or_else(Vec::new, |settings| body_links(source, settings));
            let entry = entry.map(|mut entry| {
                let hash = crate::hash::hash_bytes(entry.source.text.as_bytes());
                entry.source.forget_body(hash);
                entry
            });
            (entry, problems, links)
        })
        .collect();
    let mut content = ForReview {
        entries: Vec::with_capacity(read.len()),
        body_problems: Vec::new(),
        body_links: Vec::new(),
    };
    let mut unparsed_problems = Vec::new();
    for (entry, problems, links) in read {
        match entry {
            Some(entry) => {
                content.entries.push(entry);
                content.body_problems.extend(problems);
            }
            None => unparsed_problems.extend(problems),
        }
        content.body_links.extend(links);
    }
    content.body_problems.extend(unparsed_problems);
    content
}

fn warning_at(source: &Source, key: &str, value: &str, message: String) -> Diagnostic {
    let mut d = source.document().value_error(key, value, message);
    d.severity = Severity::Warning;
    d
}

/// The tags of a front matter (none for authors and pages).
fn tags_of(meta: &Meta) -> &[String] {
    match meta {
        Meta::Article(m) => &m.tags,
        Meta::Series(m) => &m.tags,
        Meta::Resource(m) => &m.tags,
        Meta::Event(m) => &m.tags,
        Meta::Author(_) | Meta::Page(_) => &[],
    }
}

/// Tags that differ only by case or accents (`django` and `Django`) are merged by the build
/// under one name; a new spelling is most often a slip, so it is pointed at with the one
/// already used (the most used spelling, ties going to the alphabetically first, as the build).
fn tag_spellings(entries: &[Entry]) -> Vec<Diagnostic> {
    // slug → spelling → files using it.
    let mut spellings: BTreeMap<String, BTreeMap<&str, Vec<&Source>>> = BTreeMap::new();
    for entry in entries {
        for tag in tags_of(&entry.meta) {
            let slug = crate::text::slugify(tag);
            if slug.is_empty() {
                continue;
            }
            let files = spellings
                .entry(slug)
                .or_default()
                .entry(tag.trim())
                .or_default();
            if !files.iter().any(|s| s.path == entry.source.path) {
                files.push(&entry.source);
            }
        }
    }
    let mut problems = Vec::new();
    for variants in spellings.values().filter(|v| v.len() > 1) {
        let (main, main_files) = variants
            .iter()
            .max_by(|a, b| a.1.len().cmp(&b.1.len()).then(b.0.cmp(a.0)))
            .expect("at least two spellings");
        for (spelling, files) in variants.iter().filter(|(s, _)| *s != main) {
            for source in files {
                let example = main_files
                    .iter()
                    .find(|s| s.path != source.path)
                    .map(|s| format!(", comme dans {}", s.display.display()))
                    .unwrap_or_default();
                problems.push(
                    warning_at(
                        source,
                        "tags",
                        spelling,
                        format!("l'étiquette « {spelling} » s'écrit déjà « {main} » ailleurs"),
                    )
                    .with_help(format!(
                        "écrivez « {main} »{example} : les étiquettes qui ne diffèrent que par la casse ou les accents sont fusionnées"
                    )),
                );
            }
        }
    }
    problems
}

/// Parts of a series numbered with a gap (1, 3) or with and without a number. Duplicate
/// numbers are an error of the build (`site`).
fn series_numbering(entries: &[Entry]) -> Vec<Diagnostic> {
    let mut series: BTreeMap<&str, Vec<(&Source, Option<u32>)>> = BTreeMap::new();
    for entry in entries {
        if let Meta::Article(m) = &entry.meta
            && let Some(name) = &m.series
        {
            series
                .entry(name.as_str())
                .or_default()
                .push((&entry.source, m.part));
        }
    }
    let mut problems = Vec::new();
    for (name, mut parts) in series {
        if parts.iter().all(|(_, part)| part.is_none()) {
            continue;
        }
        parts.sort_by_key(|(source, part)| (part.unwrap_or(u32::MAX), source.slug.clone()));
        let numbers: Vec<String> = parts
            .iter()
            .filter_map(|(_, p)| p.map(|p| p.to_string()))
            .collect();
        let mut previous = 0;
        for (source, part) in &parts {
            match part {
                Some(0) => problems.push(
                    warning_at(
                        source,
                        "part",
                        "0",
                        format!("la série « {name} » numérote ses parties à partir de 0"),
                    )
                    .with_help("les parties se numérotent à partir de 1"),
                ),
                Some(n) if *n > previous + 1 => {
                    let missing: Vec<String> = (previous + 1..*n).map(|m| m.to_string()).collect();
                    let what = if missing.len() == 1 {
                        format!("la partie {}", missing[0])
                    } else {
                        format!("les parties {}", missing.join(", "))
                    };
                    problems.push(
                        warning_at(
                            source,
                            "part",
                            &n.to_string(),
                            format!(
                                "il manque {what} de la série « {name} » (parties : {})",
                                numbers.join(", ")
                            ),
                        )
                        .with_help(
                            "numérotez les parties 1, 2, 3… sans trou, ou ajoutez la partie manquante",
                        ),
                    );
                    previous = *n;
                }
                Some(n) => previous = previous.max(*n),
                None => problems.push(
                    warning_at(
                        source,
                        "series",
                        name,
                        format!(
                            "partie sans numéro dans la série « {name} », dont les autres parties sont numérotées ({})",
                            numbers.join(", ")
                        ),
                    )
                    .with_help("ajoutez `part: N` : sans numéro, elle passe après toutes les autres"),
                ),
            }
        }
    }
    problems
}

/// Hosts reserved for examples (RFC 2606): an address left as a placeholder by `new`.
fn is_example_url(url: &str) -> bool {
    external::host(url).is_some_and(|host| {
        ["example.com", "example.org", "example.net", "example"]
            .iter()
            .any(|d| host == *d || host.ends_with(&format!(".{d}")))
    })
}

/// Addresses of the front matter (`url`, `recording`, `slides`) that are example addresses.
fn placeholder_urls(entries: &[Entry]) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for entry in entries {
        for (key, url) in meta_urls(&entry.meta) {
            if is_example_url(url) {
                problems.push(
                    warning_at(
                        &entry.source,
                        key,
                        url,
                        format!("adresse d'exemple « {url} » à remplacer"),
                    )
                    .with_help(
                        "mettez l'adresse réelle, ou retirez la ligne si le champ est facultatif",
                    ),
                );
            }
        }
    }
    problems
}

/// The addresses written in a front matter, with their key.
fn meta_urls(meta: &Meta) -> Vec<(&'static str, &str)> {
    match meta {
        Meta::Resource(m) => vec![("url", m.url.as_str())],
        Meta::Event(m) => [("recording", &m.recording), ("slides", &m.slides)]
            .into_iter()
            .filter_map(|(key, url)| url.as_deref().map(|u| (key, u)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Line and column (1-based, in characters) in the file of a byte offset in the body.
fn locate(source: &Source, offset: usize) -> (usize, usize) {
    let before = &source.body()[..offset];
    let line = source.body_first_line + before.matches('\n').count();
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// `<script>` and `<iframe>` written as raw HTML in a body: copied as they are into the page,
/// so a person must look at them before they are published.
fn raw_html(source: &Source) -> Vec<Diagnostic> {
    let body = source.body();
    let mut problems = Vec::new();
    for (event, range) in Parser::new_ext(body, crate::markdown::options()).into_offset_iter() {
        let (Event::Html(html) | Event::InlineHtml(html)) = event else {
            continue;
        };
        let lower = html.to_lowercase();
        let located = |at: usize| {
            let offset = (range.start + at).min(range.end);
            let offset = if body.is_char_boundary(offset) {
                offset
            } else {
                range.start
            };
            locate(source, offset)
        };
        if let Some((at, name)) = event_handler(&lower) {
            let (line, column) = located(at);
            problems.push(
                Diagnostic::warning(
                    &source.display,
                    format!("attribut `{name}` dans du HTML brut : à vérifier à la relecture"),
                )
                .at(&source.text, line, column, name.len())
                .with_help("un attribut `on…` exécute du code dans le navigateur de chaque lecteur : retirez-le (le site n'en a pas besoin pour un lien, une image ou un tableau)"),
            );
        }
        for scheme in ["javascript:", "vbscript:"] {
            if let Some(at) = lower.find(scheme) {
                let (line, column) = located(at);
                problems.push(
                    Diagnostic::warning(
                        &source.display,
                        format!("adresse `{scheme}` dans du HTML brut : à vérifier à la relecture"),
                    )
                    .at(&source.text, line, column, scheme.len())
                    .with_help("une telle adresse exécute du code quand on la suit : remplacez-la par un lien `https://…`"),
                );
            }
        }
        for (tag, help) in [
            (
                "script",
                "ce code s'exécutera dans le navigateur de chaque lecteur : la relecture doit vérifier ce qu'il fait (un lien ou un bloc de code suffit souvent)",
            ),
            (
                "iframe",
                "le contenu intégré vient d'un autre site : la relecture doit vérifier sa source (un simple lien suffit souvent)",
            ),
        ] {
            if let Some(at) = lower.find(&format!("<{tag}")) {
                // `html` is the source text of the event, so `at` is an offset in it.
                let offset = (range.start + at).min(range.end);
                let offset = if body.is_char_boundary(offset) {
                    offset
                } else {
                    range.start
                };
                let (line, column) = locate(source, offset);
                problems.push(
                    Diagnostic::warning(
                        &source.display,
                        format!("HTML brut `<{tag}>` dans le Markdown : à vérifier à la relecture"),
                    )
                    .at(&source.text, line, column, tag.len() + 1)
                    .with_help(help),
                );
            }
        }
    }
    problems
}

/// The first event-handler attribute (`onclick`, `onerror`…) inside a tag of `html` (lower
/// case), with its offset.
fn event_handler(html: &str) -> Option<(usize, &str)> {
    let bytes = html.as_bytes();
    let mut in_tag = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'<' => in_tag = true,
            b'>' => in_tag = false,
            b'o' if in_tag
                && i > 0
                && matches!(
                    bytes[i - 1],
                    b' ' | b'\t' | b'\n' | b'\r' | b'/' | b'"' | b'\''
                )
                && bytes.get(i + 1) == Some(&b'n') =>
            {
                let name_end = i
                    + 2
                    + bytes[i + 2..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphabetic())
                        .count();
                let rest = html[name_end..].trim_start();
                if name_end > i + 2 && rest.starts_with('=') {
                    return Some((i, &html[i..name_end]));
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether `url` is an external address the check of links takes.
fn wanted(url: &str, settings: &external::Options) -> bool {
    external::host(url).is_some() && !is_example_url(url) && settings.wants(url)
}

/// The external addresses of front matters (`url`, `recording`, `slides`), each where it is
/// written.
fn meta_links(entries: &[Entry], settings: &external::Options) -> Vec<external::Occurrence> {
    let mut links = Vec::new();
    for entry in entries {
        let doc = entry.source.document();
        for (key, url) in meta_urls(&entry.meta) {
            if wanted(url, settings) {
                let mut at = doc.value_error(key, url, "");
                at.severity = Severity::Warning;
                links.push(external::Occurrence {
                    url: url.to_string(),
                    at,
                });
            }
        }
    }
    links
}

/// The external addresses of the links and images of a body, each where it is written.
fn body_links(source: &Source, settings: &external::Options) -> Vec<external::Occurrence> {
    let mut links = Vec::new();
    let body = source.body();
    for (event, range) in Parser::new_ext(body, crate::markdown::options()).into_offset_iter() {
        let (Event::Start(Tag::Link { dest_url, .. }) | Event::Start(Tag::Image { dest_url, .. })) =
            event
        else {
            continue;
        };
        if !wanted(&dest_url, settings) {
            continue;
        }
        let (line, column) = locate(source, range.start);
        let width = body[range].lines().next().map_or(1, |l| l.chars().count());
        let at = Diagnostic::warning(&source.display, "").at(&source.text, line, column, width);
        links.push(external::Occurrence {
            url: dest_url.to_string(),
            at,
        });
    }
    links
}
