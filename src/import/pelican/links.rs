//! The links of a Pelican article's body: finding each destination where it is written
//! (Markdown links and images, reference definitions, raw HTML), telling what it points to
//! (`{filename}` documents, `{static}` files, tags…), and rewriting it for this site.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Parser, Tag};

use super::slug::pelican_slugify;

/// Extensions of the Markdown files Pelican reads.
pub const MARKDOWN: &[&str] = &["md", "markdown", "mkd", "mdown"];
/// Extensions of sources Pelican reads but this importer does not convert.
pub const OTHER_SOURCES: &[&str] = &["rst", "html", "htm", "ipynb"];

/// What kind of link a destination is, by its Pelican marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LinkKind {
    Plain,
    Filename,
    Static,
    Tag,
    Category,
    Author,
    Index,
    Unknown(String),
}

/// A link or image destination found in a body.
#[derive(Debug, Clone)]
pub(super) struct LinkSite {
    pub(super) dest: String,
    pub(super) kind: LinkKind,
    /// Byte range of the destination as written, when it could be found.
    pub(super) range: Option<Range<usize>>,
    /// Byte offset of the link, for its line.
    pub(super) at: usize,
    /// Written between `<` and `>`.
    pub(super) angle: bool,
}

/// What a body holds: its links, and edits decided while reading it (code blocks, `[TOC]`).
#[derive(Debug, Default)]
pub(super) struct Scan {
    pub(super) links: Vec<LinkSite>,
    pub(super) edits: Vec<(Range<usize>, String)>,
    /// (byte offset, message): conversions worth checking.
    pub(super) notes: Vec<(usize, String)>,
}

/// Splits a Pelican marker off a destination: `{filename}/a.md` → (Filename, `/a.md`).
pub(super) fn marker(dest: &str) -> (LinkKind, &str) {
    let (open, close) = match dest.chars().next() {
        Some('{') => ('{', '}'),
        Some('|') => ('|', '|'),
        _ => return (LinkKind::Plain, dest),
    };
    let Some(end) = dest[1..].find(close) else {
        return (LinkKind::Plain, dest);
    };
    let name = &dest[open.len_utf8()..1 + end];
    let rest = &dest[1 + end + 1..];
    let kind = match name {
        "filename" => LinkKind::Filename,
        "static" | "attach" => LinkKind::Static,
        "tag" => LinkKind::Tag,
        "category" => LinkKind::Category,
        "author" => LinkKind::Author,
        "index" => LinkKind::Index,
        _ if open == '|' && name.contains(['/', '.']) => return (LinkKind::Plain, dest),
        other => LinkKind::Unknown(other.to_string()),
    };
    (kind, rest)
}

/// Reads a body's links (Markdown inline links and images, reference definitions, `src` and
/// `href` of raw HTML) and the Pelican-only syntax to convert (`:::python` code blocks,
/// `[TOC]`).
pub(super) fn scan_body(body: &str) -> Scan {
    let mut scan = Scan::default();
    // Parsed as the build will parse the converted body.
    let parser = Parser::new_ext(body, crate::markdown::options());
    let definitions: Vec<(Range<usize>, String)> = parser
        .reference_definitions()
        .iter()
        .map(|(_, def)| (def.span.clone(), def.dest.to_string()))
        .collect();
    let push =
        |scan: &mut Scan, dest: &str, range: Option<Range<usize>>, at: usize, angle: bool| {
            if dest.is_empty() {
                return;
            }
            scan.links.push(LinkSite {
                dest: dest.to_string(),
                kind: marker(dest).0,
                range,
                at,
                angle,
            });
        };
    for (event, range) in parser.into_offset_iter() {
        match event {
            Event::Start(Tag::Link {
                link_type: LinkType::Inline,
                dest_url,
                ..
            })
            | Event::Start(Tag::Image {
                link_type: LinkType::Inline,
                dest_url,
                ..
            }) => {
                let found = locate_inline(body, &range, &dest_url);
                let angle = found
                    .as_ref()
                    .is_some_and(|r| r.start > 0 && body.as_bytes()[r.start - 1] == b'<');
                push(&mut scan, &dest_url, found, range.start, angle);
            }
            Event::Html(_) | Event::InlineHtml(_) => {
                let base = range.start;
                for (r, value) in html_links(&body[range.clone()]) {
                    push(
                        &mut scan,
                        &value,
                        Some(base + r.start..base + r.end),
                        base + r.start,
                        false,
                    );
                }
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)) => {
                // The range starts after the first line's indentation: take the whole line.
                let line_start = body[..range.start].rfind('\n').map_or(0, |i| i + 1);
                let range = if body[line_start..range.start].trim().is_empty() {
                    line_start..range.end
                } else {
                    range
                };
                if let Some(fenced) = fence_codehilite(&body[range.clone()]) {
                    scan.notes.push((
                        range.start,
                        "bloc de code `:::langage` converti en bloc délimité par ```".into(),
                    ));
                    scan.edits.push((range, fenced));
                }
            }
            Event::Start(Tag::Paragraph) if body[range.clone()].trim() == "[TOC]" => {
                scan.notes.push((
                    range.start,
                    "marqueur `[TOC]` retiré (la table des matières est automatique ici)".into(),
                ));
                scan.edits.push((range, String::new()));
            }
            _ => {}
        }
    }
    for (span, dest) in definitions {
        let found = locate_definition(body, &span, &dest);
        let angle = found
            .as_ref()
            .is_some_and(|r| r.start > 0 && body.as_bytes()[r.start - 1] == b'<');
        push(&mut scan, &dest, found, span.start, angle);
    }
    scan.links.sort_by_key(|l| l.at);
    scan
}

/// Removes Markdown backslash escapes.
pub(super) fn unescape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next) = chars.peek()
            && next.is_ascii_punctuation()
        {
            out.push(next);
            chars.next();
            continue;
        }
        out.push(c);
    }
    out
}

/// The destination written right after `start` in `text`: `<…>` or up to whitespace or the
/// unbalanced `)`. Returns its range without the angle brackets.
pub(super) fn destination_at(text: &str, start: usize) -> Option<Range<usize>> {
    let rest = &text[start..];
    let skipped = rest.len() - rest.trim_start().len();
    let s = start + skipped;
    let rest = &text[s..];
    if let Some(inner) = rest.strip_prefix('<') {
        let end = inner.find('>')?;
        return Some(s + 1..s + 1 + end);
    }
    let mut depth = 0usize;
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        if c.is_whitespace() {
            end = i;
            break;
        }
        if c == '(' {
            depth += 1;
        } else if c == ')' {
            if depth == 0 {
                end = i;
                break;
            }
            depth -= 1;
        }
    }
    (end > 0).then_some(s..s + end)
}

/// Where the destination of the inline link or image spanning `range` is written.
pub(super) fn locate_inline(body: &str, range: &Range<usize>, dest: &str) -> Option<Range<usize>> {
    let span = &body[range.clone()];
    let mut search_end = span.len();
    while let Some(pos) = span[..search_end].rfind("](") {
        if let Some(found) = destination_at(span, pos + 2)
            && unescape_markdown(&span[found.clone()]) == dest
        {
            return Some(range.start + found.start..range.start + found.end);
        }
        search_end = pos;
    }
    None
}

/// Where the destination of the reference definition spanning `span` is written.
pub(super) fn locate_definition(
    body: &str,
    span: &Range<usize>,
    dest: &str,
) -> Option<Range<usize>> {
    let text = &body[span.clone()];
    let colon = text.find("]:")?;
    let found = destination_at(text, colon + 2)?;
    (unescape_markdown(&text[found.clone()]) == dest)
        .then(|| span.start + found.start..span.start + found.end)
}

/// `src="…"` and `href="…"` values of a piece of raw HTML, with their ranges.
pub(super) fn html_links(html: &str) -> Vec<(Range<usize>, String)> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for attr in ["src", "href"] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(attr).map(|i| from + i) {
            from = i + attr.len();
            if i == 0 || !lower.as_bytes()[i - 1].is_ascii_whitespace() {
                continue;
            }
            let rest = &html[from..];
            let Some(after_eq) = rest.trim_start().strip_prefix('=') else {
                continue;
            };
            let value = after_eq.trim_start();
            let Some(quote) = value.chars().next().filter(|c| matches!(c, '"' | '\'')) else {
                continue;
            };
            let start = html.len() - value.len() + 1;
            let Some(len) = html[start..].find(quote) else {
                continue;
            };
            found.push((start..start + len, html[start..start + len].to_string()));
        }
    }
    found.sort_by_key(|(r, _)| r.start);
    found
}

/// A `:::python` (or `#!python`) indented code block, as a fenced one.
pub(super) fn fence_codehilite(block: &str) -> Option<String> {
    let mut lines = block.lines();
    let first = lines.next()?;
    let first = first
        .strip_prefix("    ")
        .or_else(|| first.strip_prefix('\t'))?;
    let lang = first
        .trim_end()
        .strip_prefix(":::")
        .or_else(|| first.trim_end().strip_prefix("#!"))?;
    if lang.is_empty()
        || !lang
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+#._-".contains(c))
    {
        return None;
    }
    let mut out = format!("```{}\n", lang.to_ascii_lowercase());
    let rest: Vec<&str> = lines.collect();
    for line in &rest {
        let code = if line.trim().is_empty() {
            ""
        } else {
            line.strip_prefix("    ")
                .or_else(|| line.strip_prefix('\t'))?
        };
        out.push_str(code);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out.push_str("```\n");
    if block.ends_with("\n\n") {
        out.push('\n');
    }
    Some(out)
}

/// What a destination points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    /// Left as written (external, anchor, absolute address, page-like).
    Keep,
    /// A Markdown document of the folder, with an anchor.
    Doc(usize, Option<String>),
    /// A static file of the folder (copied into the bundle).
    Static(String),
    /// A page of this site.
    Site(String),
    /// A source that is not converted: (its old address, why).
    Unconverted(String, String),
    /// A file that is not in the folder: (why, the address it had on the old site). The link
    /// keeps pointing there, as an absolute address.
    Missing(String, String),
}

/// What links can point to in the Pelican folder.
#[derive(Debug, Default)]
pub(super) struct Folder {
    /// Markdown documents by path.
    pub(super) docs: HashMap<String, usize>,
    /// Static files by path.
    pub(super) statics: HashSet<String>,
    /// Documents by their old address (`/slug.html`), for links written as addresses.
    pub(super) old_urls: HashMap<String, usize>,
}

/// Resolves `dest`, written in the document `from` (path relative to the Pelican folder).
pub(super) fn classify(from: &str, dest: &str, folder: &Folder) -> Target {
    let (kind, rest) = marker(dest);
    match kind {
        LinkKind::Tag => {
            return Target::Site(crate::urls::term("tags", &crate::text::slugify(rest)));
        }
        LinkKind::Category => return Target::Site(rest.to_string()),
        LinkKind::Author => return Target::Site(rest.to_string()),
        LinkKind::Index => return Target::Site("/".into()),
        LinkKind::Unknown(_) => return Target::Keep,
        LinkKind::Plain => {
            let scheme = rest.split(['/', '?', '#']).next().unwrap_or("");
            if rest.starts_with('#') || rest.starts_with("//") || scheme.contains(':') {
                return Target::Keep;
            }
        }
        LinkKind::Filename | LinkKind::Static => {}
    }
    let (path, anchor) = match rest.split_once('#') {
        Some((p, a)) => (p, Some(a.to_string())),
        None => (rest, None),
    };
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() {
        return Target::Keep;
    }
    let (resolved, inside) = resolve_path(from, &percent_decode(path));
    if let Some(&i) = folder.docs.get(resolved.as_str()) {
        return Target::Doc(i, anchor);
    }
    if folder.statics.contains(&resolved) {
        return Target::Static(resolved);
    }
    if let Some(&i) = folder.old_urls.get(&format!("/{resolved}")) {
        return Target::Doc(i, anchor);
    }
    let last = resolved.rsplit('/').next().unwrap_or(&resolved);
    let ext = last
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let stem = last.rsplit_once('.').map(|(s, _)| s).unwrap_or(last);
    let guess = format!("/{}.html", pelican_slugify(stem));
    let old = format!("/{resolved}");
    let outside = |why: &str| {
        if inside {
            why.to_string()
        } else {
            format!("{why} (hors du dossier Pelican)")
        }
    };
    let markdown = MARKDOWN.contains(&ext.as_str());
    match kind {
        LinkKind::Filename
            if markdown || OTHER_SOURCES.contains(&ext.as_str()) && !ext.starts_with("htm") =>
        {
            Target::Unconverted(
                guess,
                outside("lien vers une source non convertie ou absente"),
            )
        }
        LinkKind::Filename | LinkKind::Static => {
            Target::Missing(outside("fichier introuvable dans le dossier Pelican"), old)
        }
        // An absolute address is the old site's: the build leaves it alone.
        _ if path.starts_with('/') => Target::Keep,
        _ if markdown => {
            Target::Unconverted(guess, outside("lien vers un fichier Markdown absent"))
        }
        _ if is_image(&ext) => Target::Missing(outside("image introuvable"), old),
        // A relative link to a file (`notes.pdf`) must exist next to the converted page.
        _ if !ext.is_empty() => Target::Missing(outside("fichier introuvable"), old),
        _ => Target::Keep,
    }
}

pub(super) fn is_image(ext: &str) -> bool {
    matches!(
        ext,
        "png" | "jpg" | "jpeg" | "gif" | "svg" | "webp" | "avif" | "bmp" | "ico"
    )
}

/// `path` (from a link in `from`) relative to the Pelican folder, `..` resolved, and whether it
/// stays inside the folder (`..` beyond it are dropped). A leading `/` starts from the folder.
pub(super) fn resolve_path(from: &str, path: &str) -> (String, bool) {
    let mut parts: Vec<&str> = if path.starts_with('/') {
        Vec::new()
    } else {
        let mut p: Vec<&str> = from.split('/').collect();
        p.pop();
        p
    };
    let mut inside = true;
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => inside &= parts.pop().is_some(),
            s => parts.push(s),
        }
    }
    (parts.join("/"), inside)
}

pub(super) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (
                char::from(bytes[i + 1]).to_digit(16),
                char::from(bytes[i + 2]).to_digit(16),
            )
        {
            out.push((high * 16 + low) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// Name of a static file in a bundle: its name in slug form (`Mon Schéma.PNG` →
/// `mon-schema.png`), unique in the bundle.
pub(super) fn bundle_name(rel: &str, taken: &mut HashSet<String>) -> String {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, format!(".{}", e.to_ascii_lowercase())),
        _ => (name, String::new()),
    };
    let mut stem = crate::text::slugify(stem);
    if stem.is_empty() || stem == "index" {
        stem = "fichier".into();
    }
    let mut candidate = format!("{stem}{ext}");
    let mut n = 1;
    while !taken.insert(candidate.clone()) {
        n += 1;
        candidate = format!("{stem}-{n}{ext}");
    }
    candidate
}

/// `to` relative to the folder of `from` (both relative to `content/`).
pub(super) fn relative_path(from: &str, to: &str) -> String {
    let mut from_dir: Vec<&str> = from.split('/').collect();
    from_dir.pop();
    let to_parts: Vec<&str> = to.split('/').collect();
    let common = from_dir
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<&str> = vec![".."; from_dir.len() - common];
    parts.extend(&to_parts[common..]);
    parts.join("/")
}

/// The id on this site of the category or author named `name` (by slug, so case and accents
/// do not matter).
pub(super) fn term_id(name: &str, ids: &HashMap<String, String>) -> String {
    let key = crate::text::slugify(name);
    ids.get(&key).cloned().unwrap_or(key)
}

/// A destination as Markdown writes it: in `<…>` when it has spaces or was written so.
pub(super) fn markdown_dest(dest: &str, angle: bool) -> String {
    if !angle && (dest.contains(char::is_whitespace) || dest.contains(['(', ')'])) {
        format!("<{dest}>")
    } else {
        dest.to_string()
    }
}

/// Applies non-overlapping edits (byte range → replacement) to `text`.
pub(super) fn apply_edits(text: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(r, _)| (r.start, r.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, replacement) in edits {
        if range.start < at {
            continue;
        }
        out.push_str(&text[at..range.start]);
        out.push_str(&replacement);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_found_and_located() {
        let body = "Voir [la suite]({filename}/suite.md#fin) et ![schéma]({static}/images/a.png \"titre\").\n\n\
                    [ref]: <../images/b c.png>\n\n<img src=\"images/c.png\" alt=\"\">\n\n[x][ref]\n";
        let scan = scan_body(body);
        let dests: Vec<&str> = scan.links.iter().map(|l| l.dest.as_str()).collect();
        assert_eq!(
            dests,
            [
                "{filename}/suite.md#fin",
                "{static}/images/a.png",
                "../images/b c.png",
                "images/c.png"
            ]
        );
        for link in &scan.links {
            let range = link.range.clone().unwrap();
            assert_eq!(&body[range], link.dest);
        }
        assert!(scan.links[2].angle);
    }

    #[test]
    fn codehilite_blocks_become_fenced() {
        let body = "Texte\n\n    :::python\n    print('a')\n\n    print('b')\n\nSuite\n";
        let scan = scan_body(body);
        let out = apply_edits(body, scan.edits);
        assert_eq!(
            out,
            "Texte\n\n```python\nprint('a')\n\nprint('b')\n```\n\nSuite\n"
        );
    }

    #[test]
    fn destinations_are_classified() {
        let folder = Folder {
            docs: [
                ("suite.md".to_string(), 0),
                ("blog/autre.md".to_string(), 1),
            ]
            .into_iter()
            .collect(),
            statics: ["images/a.png".to_string()].into_iter().collect(),
            old_urls: [("/la-suite.html".to_string(), 0)].into_iter().collect(),
        };
        let c = |from: &str, dest: &str| classify(from, dest, &folder);
        assert_eq!(
            c("blog/x.md", "{filename}/suite.md#fin"),
            Target::Doc(0, Some("fin".into()))
        );
        assert_eq!(c("blog/x.md", "{filename}autre.md"), Target::Doc(1, None));
        assert_eq!(c("blog/x.md", "|filename|autre.md"), Target::Doc(1, None));
        assert_eq!(
            c("blog/x.md", "{static}/images/a.png"),
            Target::Static("images/a.png".into())
        );
        assert_eq!(
            c("blog/x.md", "../images/a.png"),
            Target::Static("images/a.png".into())
        );
        assert_eq!(
            c("x.md", "/images/a.png"),
            Target::Static("images/a.png".into())
        );
        assert_eq!(
            c("blog/x.md", "../la-suite.html#a"),
            Target::Doc(0, Some("a".into()))
        );
        assert_eq!(c("x.md", "https://example.org/a.md"), Target::Keep);
        assert_eq!(c("x.md", "#ancre"), Target::Keep);
        assert_eq!(c("x.md", "/category/python.html"), Target::Keep);
        assert_eq!(c("x.md", "../autre-page/"), Target::Keep);
        assert_eq!(
            c("x.md", "{tag}Django REST"),
            Target::Site("/tags/django-rest/".into())
        );
        assert!(
            matches!(c("x.md", "{filename}/vieux.rst"), Target::Unconverted(url, _) if url == "/vieux.html")
        );
        assert!(
            matches!(c("x.md", "images/absente.png"), Target::Missing(_, old) if old == "/images/absente.png")
        );
        assert!(
            matches!(c("blog/x.md", "notes.pdf"), Target::Missing(_, old) if old == "/blog/notes.pdf")
        );
        assert!(
            matches!(c("x.md", "{static}/../../etc/passwd"), Target::Missing(why, old) if why.contains("hors") && old == "/etc/passwd")
        );
    }

    #[test]
    fn relative_paths_between_content_files() {
        assert_eq!(relative_path("articles/a.md", "articles/b.md"), "b.md");
        assert_eq!(
            relative_path("articles/a/index.md", "articles/b/index.md"),
            "../b/index.md"
        );
        assert_eq!(
            relative_path("articles/a.md", "pages/p.md"),
            "../pages/p.md"
        );
    }
}
