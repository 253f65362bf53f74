//! Markdown to HTML: CommonMark plus tables, footnotes, strikethrough and task lists; stable ids
//! on headings; links between content files rewritten to page URLs; code blocks highlighted.

use std::collections::HashMap;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::content::Source;
use crate::diagnostics::Diagnostic;
use crate::site::LinkTarget;

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

/// A heading of a rendered page, for tables of contents and anchor checks.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// The HTML of a page body and what was learnt while rendering it.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub html: String,
    pub headings: Vec<Heading>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Renders the body of `source`. `links` maps `content/`-relative paths to their pages.
pub fn render(source: &Source, links: &HashMap<String, LinkTarget>) -> Rendered {
    let body = source.body();
    let mut events: Vec<(Event, std::ops::Range<usize>)> = Parser::new_ext(body, options())
        .into_offset_iter()
        .collect();
    let mut rendered = Rendered::default();
    let mut used_ids: std::collections::HashSet<String> = std::collections::HashSet::new();
    let locate = |offset: usize| -> (usize, usize) {
        let before = &body[..offset];
        let line = source.body_first_line + before.matches('\n').count();
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        (line, column)
    };

    let mut i = 0;
    while i < events.len() {
        match &events[i].0 {
            Event::Start(Tag::Heading { level, id, .. }) => {
                let level = heading_level(*level);
                let explicit = id.clone();
                let end = (i..events.len())
                    .find(|&j| matches!(events[j].0, Event::End(TagEnd::Heading(_))))
                    .unwrap_or(i);
                let text: String = events[i + 1..end]
                    .iter()
                    .filter_map(|(e, _)| match e {
                        Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                        _ => None,
                    })
                    .collect();
                let base = explicit.map(|s| s.to_string()).unwrap_or_else(|| {
                    let slug = crate::text::slugify(&text);
                    if slug.is_empty() {
                        "section".to_string()
                    } else {
                        slug
                    }
                });
                // `base`, then `base-1`, `base-2`…: the first one no earlier heading took (a
                // heading `Étape 1` already holds `etape-1` when a second `Étape` comes).
                let mut id = base.clone();
                let mut n = 0;
                while !used_ids.insert(id.clone()) {
                    n += 1;
                    id = format!("{base}-{n}");
                }
                if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[i].0 {
                    *slot = Some(CowStr::from(id.clone()));
                }
                rendered.headings.push(Heading {
                    level,
                    id,
                    text: text.trim().to_string(),
                });
            }
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => {
                if let Some(resolution) = resolve_link(&source.content_path, dest_url, links) {
                    let offset = events[i].1.start;
                    match resolution {
                        Ok((url, published)) => {
                            if !published {
                                let (line, column) = locate(offset);
                                rendered.diagnostics.push(
                                    Diagnostic::warning(&source.display, format!("lien vers un contenu non publié ({dest_url})"))
                                        .at(&source.text, line, column, dest_url.len() + 4)
                                        .with_help("ce contenu est un brouillon ou programmé plus tard : le lien sera cassé d'ici là"),
                                );
                            }
                            match &mut events[i].0 {
                                Event::Start(Tag::Link { dest_url, .. })
                                | Event::Start(Tag::Image { dest_url, .. }) => {
                                    *dest_url = CowStr::from(url);
                                }
                                _ => unreachable!("matched a link or an image above"),
                            }
                        }
                        Err(message) => {
                            let (line, column) = locate(offset);
                            rendered.diagnostics.push(
                                Diagnostic::error(&source.display, message)
                                    .at(&source.text, line, column, dest_url.len() + 4)
                                    .with_help("un lien vers un autre contenu s'écrit avec le chemin relatif du fichier `.md`, par exemple `../articles/mon-article.md`"),
                            );
                        }
                    }
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                let end = (i..events.len())
                    .find(|&j| matches!(events[j].0, Event::End(TagEnd::CodeBlock)))
                    .unwrap_or(i);
                let code: String = events[i + 1..end]
                    .iter()
                    .filter_map(|(e, _)| {
                        if let Event::Text(t) = e {
                            Some(t.as_ref())
                        } else {
                            None
                        }
                    })
                    .collect();
                let (html, known) = crate::highlight::highlight(&code, &lang);
                if !known {
                    let (line, column) = locate(events[i].1.start);
                    rendered.diagnostics.push(
                        Diagnostic::warning(&source.display, format!("langage « {lang} » inconnu : le bloc de code ne sera pas coloré"))
                            .at(&source.text, line, column, 3 + lang.len())
                            .with_help("langages courants : python, bash, yaml, toml, json, sql, html, javascript, rust (ou `text`)"),
                    );
                }
                let range = events[i].1.clone();
                events.splice(i..=end, [(Event::Html(CowStr::from(html)), range)]);
            }
            _ => {}
        }
        i += 1;
    }
    let mut html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter().map(|(e, _)| e));
    rendered.html = html;
    rendered
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Resolves a link written in `from` (a `content/`-relative path). `None` when the link is not
/// a link to a content file (external, absolute, image in a bundle…); otherwise the page URL
/// (with its anchor) and whether it is published, or an error message.
pub fn resolve_link(
    from: &str,
    dest: &str,
    links: &HashMap<String, LinkTarget>,
) -> Option<Result<(String, bool), String>> {
    if dest.contains("://")
        || dest.starts_with('/')
        || dest.starts_with('#')
        || dest.starts_with("mailto:")
    {
        return None;
    }
    let (path, anchor) = match dest.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (dest, None),
    };
    if !path.ends_with(".md") {
        return None;
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Some(Err(format!("lien « {dest} » hors du dossier `content/`")));
                }
            }
            other => parts.push(other),
        }
    }
    let target = parts.join("/");
    let found = links
        .get(&target)
        .or_else(|| links.get(&target.replace(".md", "/index.md")));
    match found {
        Some(t) => {
            let url = match anchor {
                Some(a) => format!("{}#{a}", t.url),
                None => t.url.clone(),
            };
            Some(Ok((url, t.published)))
        }
        None => Some(Err(format!(
            "lien vers un fichier inexistant « {dest} » (content/{target})"
        ))),
    }
}

/// The text of the first paragraph, as a default summary.
pub fn first_paragraph_text(body: &str) -> String {
    let mut text = String::new();
    let mut inside = false;
    for event in Parser::new_ext(body, options()) {
        match event {
            Event::Start(Tag::Paragraph) => inside = true,
            Event::End(TagEnd::Paragraph) if inside => break,
            Event::Text(t) | Event::Code(t) if inside => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak if inside => text.push(' '),
            _ => {}
        }
    }
    text.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> HashMap<String, LinkTarget> {
        let mut m = HashMap::new();
        m.insert(
            "articles/a/index.md".to_string(),
            LinkTarget {
                url: "/articles/a/".into(),
                published: true,
            },
        );
        m.insert(
            "articles/b.md".to_string(),
            LinkTarget {
                url: "/articles/b/".into(),
                published: true,
            },
        );
        m
    }

    #[test]
    fn relative_links_become_urls() {
        let l = links();
        assert_eq!(
            resolve_link("articles/b.md", "a/index.md#x", &l),
            Some(Ok(("/articles/a/#x".into(), true)))
        );
        assert_eq!(
            resolve_link("articles/a/index.md", "../b.md", &l),
            Some(Ok(("/articles/b/".into(), true)))
        );
        assert_eq!(
            resolve_link("pages/p.md", "../articles/a.md", &l),
            Some(Ok(("/articles/a/".into(), true)))
        );
        assert!(resolve_link("articles/b.md", "https://x.org/a.md", &l).is_none());
        assert!(resolve_link("articles/b.md", "image.png", &l).is_none());
        assert!(matches!(
            resolve_link("articles/b.md", "zzz.md", &l),
            Some(Err(_))
        ));
    }

    #[test]
    fn first_paragraph_is_plain_text() {
        assert_eq!(
            first_paragraph_text("# T\n\nUn *beau* `code`\nsuite.\n\nAutre."),
            "Un beau code suite."
        );
    }
}
