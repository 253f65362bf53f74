//! Markdown to HTML: CommonMark plus tables, footnotes, strikethrough and task lists; stable ids
//! on headings; links between content files rewritten to page URLs; code blocks highlighted.

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::content::Source;
use crate::diagnostics::Diagnostic;
use crate::urls::LinkTarget;

pub(crate) fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

/// A link with an anchor, as found while rendering a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchorLink {
    /// `content/`-relative path of the target file (the file itself for `#anchor`).
    pub target: String,
    /// The anchor, without `#`, as written.
    pub anchor: String,
    /// The whole destination, as written (`../a.md#x`).
    pub dest: String,
    pub line: usize,
    pub column: usize,
    /// Characters to underline.
    pub len: usize,
    /// The text of its line, for the diagnostic (the body may be gone by then).
    pub line_text: String,
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
    /// Links with an `#anchor`, to check against their target once every body is rendered.
    pub anchor_links: Vec<AnchorLink>,
    /// Ids of the body besides its headings' (raw HTML `id`/`name`, footnotes).
    pub other_ids: Vec<String>,
    /// Words of its plain text ([`plain_text`]), for the reading time.
    pub words: usize,
}

/// The entries of the link map that a body looked up while rendering, with what each lookup
/// found (`None`: no such file). The body renders the same as long as every lookup finds the
/// same: that is how a cached body knows it is still valid after other files changed.
pub type LinkLookups = Vec<(String, Option<LinkTarget>)>;

/// Renders the body of `source`. `links` maps `content/`-relative paths to their pages.
pub fn render(source: &Source, links: &crate::urls::LinkTargets) -> Rendered {
    render_with(source, &|key| links.get(key)).0
}

/// Like [`render`], and also gives the plain text of the body ([`plain_text`]), taken from the
/// same reading of the Markdown.
pub fn render_with_text(source: &Source, links: &crate::urls::LinkTargets) -> (Rendered, String) {
    render_with(source, &|key| links.get(key))
}

/// Like [`render`], and also tells which entries of `links` the body depends on.
pub fn render_tracked(
    source: &Source,
    links: &crate::urls::LinkTargets,
) -> (Rendered, LinkLookups) {
    let lookups = std::cell::RefCell::new(LinkLookups::new());
    let get = |key: &str| {
        let found = links.get(key);
        lookups.borrow_mut().push((key.to_string(), found.cloned()));
        found
    };
    let (rendered, _) = render_with(source, &get);
    (rendered, lookups.into_inner())
}

/// The body of `source` rendered, and its plain text.
fn render_with<'l>(
    source: &Source,
    links: &dyn Fn(&str) -> Option<&'l LinkTarget>,
) -> (Rendered, String) {
    let body = source.body();
    let mut events: Vec<(Event, std::ops::Range<usize>)> = Parser::new_ext(body, options())
        .into_offset_iter()
        .collect();
    let text = plain_text_of(body.len(), events.iter().map(|(e, _)| e));
    let mut rendered = Rendered {
        words: text.split_whitespace().count(),
        ..Rendered::default()
    };
    let mut used_ids: std::collections::HashSet<String> = std::collections::HashSet::new();
    // Line and column of an offset. Offsets come in order: the lines are counted on from
    // the last offset located, not from the start of the body for each link.
    let counted = std::cell::Cell::new((0, 0));
    let locate = |offset: usize| -> (usize, usize) {
        let (mut from, mut newlines) = counted.get();
        if offset < from {
            (from, newlines) = (0, 0);
        }
        newlines += body[from..offset].matches('\n').count();
        counted.set((offset, newlines));
        let line = source.body_first_line + newlines;
        let column = body[..offset]
            .rsplit('\n')
            .next()
            .unwrap_or("")
            .chars()
            .count()
            + 1;
        (line, column)
    };

    let mut i = 0;
    while i < events.len() {
        match &events[i].0 {
            Event::Start(Tag::Heading {
                level, id, attrs, ..
            }) => {
                if let Some((name, _)) = attrs.first() {
                    // `{#id .class}` only: `{onclick=…}` would put a script in the page.
                    let range = events[i].1.clone();
                    let line_text = body[range.clone()].lines().next().unwrap_or("");
                    let at = line_text.rfind('{').unwrap_or(0);
                    let (line, column) = locate(range.start + at);
                    let width = line_text[at..].chars().count().max(1);
                    rendered.diagnostics.push(
                        Diagnostic::error(
                            &source.display,
                            format!("attribut « {name} » refusé sur un titre : seuls `#id` et `.classe` sont permis"),
                        )
                        .at(&source.text, line, column, width)
                        .with_help("écrivez `{#mon-ancre}` pour choisir l'ancre du titre, ou `{.classe}` pour une classe CSS"),
                    );
                }
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
                let dest = dest_url.to_string();
                let is_image = matches!(events[i].0, Event::Start(Tag::Image { .. }));
                let offset = events[i].1.start;
                let (line, column) = locate(offset);
                // The whole `[text](dest)`, on its first line.
                let width = body[events[i].1.clone()]
                    .lines()
                    .next()
                    .map_or(1, |l| l.chars().count());
                let mut anchor_link = |target: String, anchor: &str| {
                    if !anchor.is_empty() {
                        rendered.anchor_links.push(AnchorLink {
                            target,
                            anchor: anchor.to_string(),
                            dest: dest.clone(),
                            line,
                            column,
                            len: width,
                            line_text: (source.text.lines().nth(line.saturating_sub(1)))
                                .unwrap_or_default()
                                .to_string(),
                        });
                    }
                };
                if let Some(scheme) = refused_scheme(&dest) {
                    rendered.diagnostics.push(
                        Diagnostic::error(
                            &source.display,
                            format!("lien « {dest} » refusé : une adresse `{scheme}:` n'a pas sa place dans une page"),
                        )
                        .at(&source.text, line, column, width)
                        .with_help(if is_image {
                            "mettez l'image dans le dossier du contenu, à côté de `index.md`, et écrivez son nom : `![description](schema.png)`"
                        } else {
                            "un lien mène à une page : une adresse `https://…`, un chemin du site `/…` ou le fichier `.md` d'un autre contenu"
                        }),
                    );
                } else if let Some(resolution) = resolve_target(&source.content_path, &dest, links)
                {
                    match resolution {
                        Ok((key, anchor, target)) => {
                            if let Some(anchor) = anchor {
                                anchor_link(key.clone(), anchor);
                            }
                            if target.in_error {
                                rendered.diagnostics.push(
                                    Diagnostic::warning(&source.display, format!("lien vers « {dest} » : ce fichier existe mais contient des erreurs (content/{key})"))
                                        .at(&source.text, line, column, width)
                                        .with_help("corrigez les erreurs signalées dans ce fichier : tant qu'il en reste, sa page n'est pas publiée et ce lien mène nulle part"),
                                );
                            } else if !target.published {
                                rendered.diagnostics.push(
                                    Diagnostic::warning(&source.display, format!("lien vers un contenu non publié ({dest})"))
                                        .at(&source.text, line, column, width)
                                        .with_help("ce contenu est un brouillon ou programmé plus tard : le lien sera cassé d'ici là"),
                                );
                            }
                            let url = match anchor {
                                Some(a) => format!("{}#{a}", target.url),
                                None => target.url.clone(),
                            };
                            match &mut events[i].0 {
                                Event::Start(Tag::Link { dest_url, .. })
                                | Event::Start(Tag::Image { dest_url, .. }) => {
                                    *dest_url = CowStr::from(url);
                                }
                                _ => unreachable!("matched a link or an image above"),
                            }
                        }
                        Err(message) => {
                            rendered.diagnostics.push(
                                Diagnostic::error(&source.display, message)
                                    .at(&source.text, line, column, width)
                                    .with_help("un lien vers un autre contenu s'écrit avec le chemin relatif du fichier `.md`, par exemple `../articles/mon-article.md`"),
                            );
                        }
                    }
                } else if let Some(anchor) = dest.strip_prefix('#') {
                    anchor_link(source.content_path.clone(), anchor);
                } else if let Some((message, help)) = check_file_reference(source, &dest, is_image)
                {
                    rendered.diagnostics.push(
                        Diagnostic::error(&source.display, message)
                            .at(&source.text, line, column, width)
                            .with_help(help),
                    );
                }
            }
            Event::Start(Tag::FootnoteDefinition(label)) => {
                rendered.other_ids.push(label.to_string());
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                rendered.other_ids.extend(html_ids(html));
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
    (rendered, text)
}

/// The text of a Markdown body, without markup: paragraphs, headings, lists, code (for the
/// reading time and the search index).
pub fn plain_text(body: &str) -> String {
    plain_text_of(body.len(), Parser::new_ext(body, options()))
}

/// The plain text of the `events` of a body of `len` bytes.
fn plain_text_of<'a, E: std::borrow::Borrow<Event<'a>>>(
    len: usize,
    events: impl IntoIterator<Item = E>,
) -> String {
    let mut text = String::with_capacity(len);
    for event in events {
        match event.borrow() {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableCell,
            )
            | Event::Start(Tag::Paragraph) => text.push('\n'),
            _ => {}
        }
    }
    text
}

/// The scheme of `dest` when it is one a page must never link to: `javascript:` and
/// `vbscript:` run code when followed, `data:` carries a whole document (a script in an HTML or
/// SVG one). Read as browsers read it: ASCII case ignored, tabs and line breaks inside and
/// leading spaces and controls skipped (`JaVa\tScRiPt:` is `javascript:`).
pub fn refused_scheme(dest: &str) -> Option<&'static str> {
    if !dest.contains(':') {
        return None;
    }
    let cleaned: String = dest
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .take_while(|&c| c != ':')
        .collect();
    ["javascript", "vbscript", "data"]
        .into_iter()
        .find(|scheme| cleaned.eq_ignore_ascii_case(scheme))
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
    links: &crate::urls::LinkTargets,
) -> Option<Result<(String, bool), String>> {
    resolve_target(from, dest, &|key| links.get(key)).map(|resolution| {
        resolution.map(|(_, anchor, target)| {
            let url = match anchor {
                Some(a) => format!("{}#{a}", target.url),
                None => target.url.clone(),
            };
            (url, target.published)
        })
    })
}

/// A resolved link: the key of its target in the link map, its anchor if any, and the target.
type Target<'d, 'l> = (String, Option<&'d str>, &'l LinkTarget);

/// Like [`resolve_link`], but gives the key of the target, the anchor and the target itself.
/// `links` looks a `content/`-relative path up.
fn resolve_target<'d, 'l>(
    from: &str,
    dest: &'d str,
    links: &dyn Fn(&str) -> Option<&'l LinkTarget>,
) -> Option<Result<Target<'d, 'l>, String>> {
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
    let Some(target) = join_relative(from, path) else {
        return Some(Err(format!("lien « {dest} » hors du dossier `content/`")));
    };
    let index = target.replace(".md", "/index.md");
    if let Some(found) = links(&target) {
        Some(Ok((target, anchor, found)))
    } else if let Some(found) = links(&index) {
        Some(Ok((index, anchor, found)))
    } else {
        Some(Err(format!(
            "lien vers un fichier inexistant « {dest} » (content/{target})"
        )))
    }
}

/// The `content/`-relative path that the relative `path`, written in the file `from`, points
/// to; `None` when it climbs above `content/`.
fn join_relative(from: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Checks a relative reference to a file (an image, a PDF…) in the body of `source`: it must
/// be a file of its bundle, since only bundles have files copied next to their page. `None`
/// when `dest` is not such a reference (external, absolute, a page address) or the file is
/// there; otherwise the message and the help of the error.
fn check_file_reference(source: &Source, dest: &str, is_image: bool) -> Option<(String, String)> {
    let scheme = dest.split(['/', '?', '#']).next().unwrap_or("");
    if dest.is_empty() || dest.starts_with(['/', '#']) || scheme.contains(':') {
        return None;
    }
    let path = dest.split(['?', '#']).next().unwrap_or("");
    let last = path.rsplit('/').next().unwrap_or("");
    // A link to `autre-page/` is a page address; a link to `notes.pdf` is a file.
    if path.is_empty() || (!is_image && !last.contains('.')) {
        return None;
    }
    let path = percent_decode(path);
    let what = if is_image { "image" } else { "fichier" };
    if source.bundle_dir.is_none() {
        let bundle = source
            .display
            .with_extension("")
            .join("index.md")
            .to_string_lossy()
            .replace('\\', "/");
        return Some((
            format!(
                "{what} « {dest} » introuvable : seul un contenu en dossier peut avoir des fichiers à côté"
            ),
            format!(
                "transformez {} en dossier : déplacez le fichier vers `{bundle}` et mettez `{path}` à côté",
                source.kind.what()
            ),
        ));
    }
    let folder = source
        .display
        .parent()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    let base = source
        .content_path
        .rsplit_once('/')
        .map(|(dir, _)| dir)
        .unwrap_or("");
    let inside = join_relative(&source.content_path, &path)
        .and_then(|joined| joined.strip_prefix(&format!("{base}/")).map(str::to_owned));
    let Some(inside) = inside else {
        return Some((
            format!("{what} « {dest} » hors du dossier `{folder}/`"),
            "mettez le fichier dans le dossier du contenu, à côté de `index.md`".to_string(),
        ));
    };
    let files: Vec<String> = source
        .bundle_files
        .iter()
        .map(|f| f.to_string_lossy().replace('\\', "/"))
        .collect();
    if files.contains(&inside) {
        return None;
    }
    let known: Vec<&str> = files.iter().map(String::as_str).collect();
    let help = match crate::yaml::did_you_mean(&inside, &known) {
        Some(s) => format!("vouliez-vous dire `{s}` ?"),
        None if known.is_empty() => {
            format!("ajoutez `{inside}` dans `{folder}/`, à côté de `index.md`")
        }
        None => format!(
            "ajoutez `{inside}` dans `{folder}/` (fichiers présents : {})",
            known.join(", ")
        ),
    };
    Some((
        format!("{what} « {dest} » introuvable dans `{folder}/`"),
        help,
    ))
}

/// Decodes `%XX` escapes (`mon%20image.png` → `mon image.png`); invalid escapes stay as written.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// The values of the `id` and `name` attributes written in a piece of raw HTML.
fn html_ids(html: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for attr in ["id=", "name="] {
        let mut rest = html;
        while let Some(at) = rest.find(attr) {
            let preceded = rest[..at].ends_with(|c: char| c.is_whitespace());
            rest = &rest[at + attr.len()..];
            let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            let value = &rest[1..];
            if let Some(end) = value.find(quote)
                && preceded
            {
                ids.push(value[..end].to_string());
            }
        }
    }
    ids
}

/// The text of the first paragraph, as a default summary.
/// The plain text of the first paragraph of the body of `source` (the default summary),
/// computed once per source: parsing a body takes longer than everything else a rebuild does
/// with an unchanged file.
pub fn first_paragraph(source: &Source) -> &str {
    source
        .first_paragraph
        .get_or_init(|| first_paragraph_text(source.body()))
}

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

    #[test]
    fn plain_text_drops_markup() {
        let text = plain_text("# Titre\n\nUn *beau* [lien](x.md).\n\n```python\nprint(1)\n```\n");
        assert_eq!(
            text.split_whitespace().collect::<Vec<_>>(),
            ["Titre", "Un", "beau", "lien.", "print(1)"]
        );
    }

    fn links() -> crate::urls::LinkTargets {
        let mut m = crate::urls::LinkTargets::default();
        m.insert(
            "articles/a/index.md".to_string(),
            LinkTarget {
                url: "/articles/a/".into(),
                published: true,
                in_error: false,
            },
        );
        m.insert(
            "articles/b.md".to_string(),
            LinkTarget {
                url: "/articles/b/".into(),
                published: true,
                in_error: false,
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
    fn scripts_and_documents_are_refused_schemes() {
        for dest in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " \u{1}java\tscript:alert(1)",
            "vbscript:msgbox",
            "data:text/html,<script>alert(1)</script>",
        ] {
            assert!(refused_scheme(dest).is_some(), "{dest:?}");
        }
        for dest in [
            "https://example.org/javascript:x",
            "/data/",
            "data",
            "data.csv",
            "mailto:club@example.org",
            "../articles/javascript.md",
        ] {
            assert_eq!(refused_scheme(dest), None, "{dest:?}");
        }
    }

    #[test]
    fn first_paragraph_is_plain_text() {
        assert_eq!(
            first_paragraph_text("# T\n\nUn *beau* `code`\nsuite.\n\nAutre."),
            "Un beau code suite."
        );
    }
}
