//! Review warnings that need a look but never stop a build: a second `<h1>` written in a body,
//! an `updated` date before the publication date, an image loaded from another site, two
//! categories of `site.yaml` that differ only by case or a plural.

use std::path::Path;

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag};

use crate::config::{CONFIG_FILE, Config};
use crate::content::{Entry, Meta, Source};
use crate::diagnostics::{Diagnostic, Severity};
use crate::yaml::Document;

/// Line and column (1-based, in characters) in the file of a byte offset in the body.
fn locate(source: &Source, offset: usize) -> (usize, usize) {
    let body = source.body();
    let mut offset = offset.min(body.len());
    while !body.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &body[..offset];
    let line = source.body_first_line + before.matches('\n').count();
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// The host of an address that loads from another site (`https://…`, `//…`), if it is one;
/// an address of this machine (`localhost`, `127.0.0.1`: a tutorial's development server) is
/// none, as for the external links' check.
fn other_site(dest: &str) -> Option<String> {
    let dest = dest.trim();
    let url = match dest.strip_prefix("//") {
        Some(rest) => format!("https://{rest}"),
        None => dest.to_string(),
    };
    let host = super::external::host(&url)?;
    (!super::external::is_local(&host)).then_some(host)
}

/// The `src` of each `<img …>` of raw HTML, with its offset in `html`.
fn img_sources(html: &str) -> Vec<(usize, String)> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for (start, _) in lower.match_indices("<img") {
        let end = lower[start..].find('>').map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        let Some(at) = tag.find(" src=").or_else(|| tag.find("\nsrc=")) else {
            continue;
        };
        let value_start = start + at + " src=".len();
        let value = &html[value_start..end];
        let value = match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or(""),
            _ => value.split([' ', '/', '>']).next().unwrap_or(""),
        };
        found.push((start, value.to_string()));
    }
    found
}

fn image_warning(source: &Source, offset: usize, dest: &str, host: &str, len: usize) -> Diagnostic {
    let (line, column) = locate(source, offset);
    Diagnostic::warning(
        &source.display,
        format!("image chargée depuis un autre site ({host}) : « {dest} »"),
    )
    .at(&source.text, line, column, len)
    .with_help("chaque lecteur la télécharge chez ce tiers et la page s'alourdit : enregistrez l'image dans le dossier du contenu (`<slug>/index.md` et l'image à côté) et écrivez `![texte](image.png)`")
}

/// The body's level-1 headings (the page's title is its `<h1>` already) and its images
/// loaded from other sites.
pub fn body(source: &Source) -> Vec<Diagnostic> {
    let body = source.body();
    let mut problems = Vec::new();
    for (event, range) in Parser::new_ext(body, crate::markdown::options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }) => {
                let (line, column) = locate(source, range.start);
                let text = body[range.clone()].lines().next().unwrap_or("").trim_end();
                problems.push(
                    Diagnostic::warning(
                        &source.display,
                        "titre de niveau 1 dans le corps : la page a déjà le sien (`title`), cela fait deux `<h1>`",
                    )
                    .at(&source.text, line, column, text.chars().count())
                    .with_help("commencez les sections par `## …` (et les sous-sections par `### …`)"),
                );
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                if let Some(host) = other_site(&dest_url) {
                    let width = body[range.clone()]
                        .lines()
                        .next()
                        .map_or(1, |l| l.chars().count());
                    problems.push(image_warning(source, range.start, &dest_url, &host, width));
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                for (at, src) in img_sources(&html) {
                    if let Some(host) = other_site(&src) {
                        problems.push(image_warning(source, range.start + at, &src, &host, 4));
                    }
                }
            }
            _ => {}
        }
    }
    problems
}

fn warning(mut d: Diagnostic) -> Diagnostic {
    d.severity = Severity::Warning;
    d
}

/// Front matter that reads but says something odd: `updated` before `date`, an avatar loaded
/// from another site.
pub fn front_matter(entries: &[Entry], config: Option<&Config>) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for entry in entries {
        let doc = entry.source.document();
        match &entry.meta {
            Meta::Article(m) => {
                let (Some(config), Some(updated)) = (config, &m.updated) else {
                    continue;
                };
                let date = crate::dates::parse(&m.date, config.timezone);
                let later = crate::dates::parse(updated, config.timezone);
                if let (Ok(date), Ok(later)) = (date, later)
                    && later < date
                {
                    problems.push(warning(
                        doc.value_error(
                            "updated",
                            updated,
                            format!(
                                "mise à jour (`updated: {updated}`) antérieure à la publication (`date: {}`)",
                                m.date
                            ),
                        )
                        .with_help("`updated` est la date d'une mise à jour faite après la publication : corrigez l'une des deux dates"),
                    ));
                }
            }
            Meta::Author(m) => {
                if let Some(avatar) = &m.avatar
                    && let Some(host) = other_site(avatar)
                {
                    problems.push(warning(
                        doc.value_error(
                            "avatar",
                            avatar,
                            format!("image chargée depuis un autre site ({host}) : « {avatar} »"),
                        )
                        .with_help("chaque visiteur de la page la télécharge chez ce tiers : faites de la fiche un dossier (`content/authors/<identifiant>/index.md`) avec l'image à côté, et écrivez `avatar: photo.jpg`"),
                    ));
                }
            }
            _ => {}
        }
    }
    problems
}

/// What a category is called once case, accents and a plural `s` or `x` are left aside.
fn category_key(text: &str) -> String {
    let slug = crate::text::slugify(text);
    slug.split('-')
        .map(|word| {
            word.strip_suffix(['s', 'x'])
                .filter(|w| w.len() > 1)
                .unwrap_or(word)
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Categories of `site.yaml` that differ from an earlier one only by case, accents or a
/// plural (`tutoriel` and `tutoriels`, « Python » and « python »): content gets split
/// between two lists where one was meant.
pub fn categories(root: &Path, config: &Config) -> Vec<Diagnostic> {
    let Ok(text) = std::fs::read_to_string(root.join(CONFIG_FILE)) else {
        return Vec::new();
    };
    let doc = Document {
        path: Path::new(CONFIG_FILE),
        file_text: &text,
        yaml: &text,
        first_line: 1,
    };
    let mut problems = Vec::new();
    for (i, category) in config.categories.iter().enumerate() {
        let earlier = config.categories[..i].iter().find(|c| {
            category_key(&c.slug) == category_key(&category.slug)
                || category_key(&c.name) == category_key(&category.name)
        });
        if let Some(first) = earlier {
            let (line, column) = slug_position(&text, &category.slug).unwrap_or((1, 1));
            problems.push(warning(
                doc.error_at(
                    line,
                    column,
                    category.slug.chars().count(),
                    format!(
                        "la catégorie « {} » (`{}`) ne diffère de « {} » (`{}`) que par la casse, les accents ou le pluriel",
                        category.name, category.slug, first.name, first.slug
                    ),
                )
                .with_help(format!(
                    "gardez-en une seule : retirez `{}` de site.yaml et écrivez `{}` dans les `categories:` des contenus",
                    category.slug, first.slug
                )),
            ));
        }
    }
    problems
}

/// Where `slug: <slug>` is written in `site.yaml`: (line, column of the slug).
fn slug_position(text: &str, slug: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(i, line)| {
        let at = line.find("slug:")?;
        let value = line[at + "slug:".len()..].trim();
        (value.trim_matches(['"', '\'']) == slug).then(|| {
            let byte = at + line[at..].find(slug).unwrap_or("slug: ".len());
            (i + 1, line[..byte].chars().count() + 1)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_and_case_share_a_key() {
        assert_eq!(category_key("Tutoriels"), category_key("tutoriel"));
        assert_eq!(
            category_key("Bases de données"),
            category_key("base de donnee")
        );
        assert_ne!(category_key("python"), category_key("web"));
        assert_ne!(category_key("s"), category_key("x"));
    }

    #[test]
    fn other_sites_are_told_apart() {
        assert_eq!(
            other_site("https://exemple.org/a.png").as_deref(),
            Some("exemple.org")
        );
        assert_eq!(other_site("http://127.0.0.1:8000/a.png"), None);
        assert_eq!(
            other_site("//cdn.exemple.org/a.png").as_deref(),
            Some("cdn.exemple.org")
        );
        assert_eq!(other_site("schema.png"), None);
        assert_eq!(other_site("/images/a.png"), None);
        assert_eq!(
            img_sources(r#"<p><img alt="x" src="https://a.org/b.png"></p>"#),
            [(3, "https://a.org/b.png".to_string())]
        );
    }
}
