//! Reading one Markdown file of the Pelican folder (`read_doc`): its header checked key by key,
//! its kind, slug, dates, authors, category and tags understood, what cannot be converted noted.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::doc::{Doc, DocKind, pelicanconf_setting};
use super::header::{Field, Header, ambiguous_date, convert_date, split_list};
use super::slug::pelican_slugify;

use crate::import::{Note, Report, line_of};

/// Pelican's folder of pages (`PAGE_PATHS`).
pub(super) const PAGES_DIR: &str = "pages";

/// Header keys this importer understands.
pub(super) const KNOWN_KEYS: &[&str] = &[
    "title", "date", "modified", "category", "tags", "slug", "author", "authors", "summary",
    "status", "url", "save_as", "lang",
];

/// Reads a document's header into a `Doc`, reporting what is not converted. The document is
/// marked not converted when it cannot be (no title, no date…).
/// What `read_doc` takes from the site and from `pelicanconf.py`.
pub(super) struct Settings<'a> {
    /// Pelican's `AUTHOR`, or `--author`.
    pub(super) default_author: Option<&'a str>,
    /// The site's language.
    pub(super) language: &'a str,
    /// Pelican's `ARTICLE_URL` and `PAGE_URL` (`{date:%Y}/{slug}/`…), when set.
    pub(super) article_url: Option<String>,
    pub(super) page_url: Option<String>,
    /// Pelican's `DEFAULT_LANG` (`{lang}` of the URLs).
    pub(super) default_lang: String,
}

pub(super) fn read_doc(
    rel: &str,
    kind: DocKind,
    text: String,
    header: &Header,
    shown: &str,
    report: &mut Report,
    settings: &Settings,
) -> Doc {
    let (default_author, language) = (settings.default_author, settings.language);
    let mut seen = HashSet::new();
    let mut get: HashMap<&str, &Field> = HashMap::new();
    for field in &header.fields {
        if !seen.insert(field.key.clone()) {
            report.notices.push(Note::new(
                shown,
                field.line,
                format!(
                    "en-tête « {} » répété : seule la première valeur est gardée",
                    field.written
                ),
            ));
            continue;
        }
        if KNOWN_KEYS.contains(&field.key.as_str()) {
            get.insert(field.key.as_str(), field);
        } else {
            report.skipped.push(Note::new(
                shown,
                field.line,
                format!(
                    "en-tête « {}: {} » non converti (inconnu ici)",
                    field.written,
                    field.values.join(" ")
                ),
            ));
        }
    }
    let joined = |key: &str, sep: &str| -> Option<String> {
        get.get(key)
            .map(|f| f.values.join(sep).trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let line = |key: &str| get.get(key).map(|f| f.line).unwrap_or(0);
    let stem = rel
        .rsplit('/')
        .next()
        .unwrap_or(rel)
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(rel)
        .to_string();
    let mut doc = Doc {
        rel: rel.to_string(),
        kind,
        body_start: header.body_start,
        text,
        title: String::new(),
        pelican_slug: String::new(),
        slug: String::new(),
        date: None,
        updated: None,
        authors: Vec::new(),
        category: None,
        pelican_category: None,
        tags: Vec::new(),
        summary: None,
        draft: false,
        aliases: Vec::new(),
        converted: true,
        files: Vec::new(),
    };
    fn skip(report: &mut Report, shown: &str, doc: &mut Doc, line: usize, why: String) {
        report.skipped.push(Note::new(shown, line, why));
        doc.converted = false;
    }

    match joined("title", " ") {
        Some(title) => doc.title = title,
        None => skip(
            report,
            shown,
            &mut doc,
            0,
            "pas d'en-tête `Title:` : non converti".into(),
        ),
    }
    doc.pelican_slug = match joined("slug", "") {
        Some(slug) => slug,
        None => pelican_slugify(&doc.title),
    };
    if doc.pelican_slug.is_empty() {
        doc.pelican_slug = pelican_slugify(&stem);
    }
    doc.slug = crate::text::slugify(&doc.pelican_slug);
    if doc.slug.is_empty() {
        skip(
            report,
            shown,
            &mut doc,
            line("slug"),
            "slug vide : ajoutez `Slug:` ; non converti".into(),
        );
    } else if doc.slug != doc.pelican_slug {
        report.notices.push(Note::new(
            shown,
            line("slug"),
            format!(
                "le slug « {} » n'est pas un nom de fichier valide ici : fichier « {} », l'ancienne adresse reste servie par l'alias",
                doc.pelican_slug, doc.slug
            ),
        ));
    }

    if kind == DocKind::Article {
        match joined("date", " ") {
            Some(text) => match convert_date(&text) {
                Some(date) => {
                    if ambiguous_date(&text) {
                        report.notices.push(Note::new(
                            shown,
                            line("date"),
                            format!("date ambiguë « {text} » lue comme Pelican, le mois d'abord : {date}"),
                        ));
                    }
                    doc.date = Some(date);
                }
                None => skip(
                    report,
                    shown,
                    &mut doc,
                    line("date"),
                    format!(
                        "date illisible « {text} » (attendu 2019-05-12 ou 2019-05-12 14:30) : non converti"
                    ),
                ),
            },
            None => {
                // Pelican's FILENAME_METADATA: a file named `2019-05-12-titre.md` gives the date.
                let from_name = stem.get(..10).and_then(convert_date);
                match from_name {
                    Some(date) => doc.date = Some(date),
                    None => skip(
                        report,
                        shown,
                        &mut doc,
                        0,
                        "pas d'en-tête `Date:` : non converti".into(),
                    ),
                }
            }
        }
        if let Some(text) = joined("modified", " ") {
            match convert_date(&text) {
                Some(date) => doc.updated = Some(date),
                None => report.skipped.push(Note::new(
                    shown,
                    line("modified"),
                    format!("date de modification illisible « {text} » : non reprise"),
                )),
            }
        }
        doc.authors = match (joined("authors", ","), joined("author", " ")) {
            (Some(list), _) => split_list(&list),
            (None, Some(name)) => vec![name],
            (None, None) => default_author.map(str::to_owned).into_iter().collect(),
        };
        match joined("category", " ") {
            Some(written) => {
                // Pelican gives an article one category; `Category: Python, Django` is a list
                // to the writer: the first is kept, the others are said.
                let mut names = split_list(&written).into_iter();
                doc.category = names.next();
                doc.pelican_category = Some(written.clone());
                let dropped: Vec<String> = names.map(|n| format!("« {n} »")).collect();
                if !dropped.is_empty() {
                    report.skipped.push(Note::new(
                        shown,
                        line("category"),
                        format!(
                            "catégorie(s) {} non reprise(s) : seule la première, « {} », est gardée ; ajoutez les autres à `categories:` si elles existent dans site.yaml",
                            dropped.join(", "),
                            doc.category.as_deref().unwrap_or_default()
                        ),
                    ));
                }
            }
            None => {
                // Pelican's USE_FOLDER_AS_CATEGORY: the folder of the file names its category.
                let mut parts: Vec<&str> = rel.split('/').collect();
                parts.pop();
                doc.category = parts.last().map(|s| s.to_string());
                doc.pelican_category = doc.category.clone();
            }
        }
        for tag in joined("tags", ",")
            .map(|t| split_list(&t))
            .unwrap_or_default()
        {
            if crate::text::slugify(&tag).is_empty() {
                report.skipped.push(Note::new(
                    shown,
                    line("tags"),
                    format!("étiquette illisible « {tag} » : non reprise"),
                ));
            } else if !doc.tags.contains(&tag) {
                doc.tags.push(tag);
            }
        }
        doc.summary = joined("summary", "\n")
            .map(|s| crate::markdown::first_paragraph_text(&s))
            .filter(|s| !s.is_empty());
    } else {
        for key in [
            "date", "modified", "category", "tags", "author", "authors", "summary",
        ] {
            if get.contains_key(key) {
                report.skipped.push(Note::new(
                    shown,
                    line(key),
                    format!(
                        "en-tête « {key} » d'une page non repris (les pages n'ont qu'un titre)"
                    ),
                ));
            }
        }
    }

    // The site speaks one language: `Lang:` equal to it says nothing (nothing is lost).
    if let Some(lang) = joined("lang", " ")
        && !same_language(&lang, language)
    {
        report.skipped.push(Note::new(
            shown,
            line("lang"),
            format!(
                "en-tête « Lang: {lang} » non converti : le site est en « {language} », la page sera présentée dans cette langue"
            ),
        ));
    }

    match joined("status", " ").map(|s| s.to_lowercase()).as_deref() {
        None | Some("published") => {}
        Some("draft") if kind == DocKind::Article => doc.draft = true,
        Some("draft") => skip(
            report,
            shown,
            &mut doc,
            line("status"),
            "brouillon de page : les pages n'ont pas de brouillon ici ; non converti".into(),
        ),
        Some("hidden") if kind == DocKind::Article => {
            doc.draft = true;
            report.notices.push(Note::new(
                shown,
                line("status"),
                "article caché (`Status: hidden`) converti en brouillon",
            ));
        }
        Some("hidden") => report.notices.push(Note::new(
            shown,
            line("status"),
            "page cachée (`Status: hidden`) convertie en page ordinaire, listée en pied de page",
        )),
        Some(other) => report.skipped.push(Note::new(
            shown,
            line("status"),
            format!("statut « {other} » inconnu : ignoré (article publié)"),
        )),
    }

    if let Some(skip) = leading_title(&doc.text[doc.body_start..], &doc.title) {
        report.notices.push(Note::new(
            shown,
            line_of(&doc.text, doc.body_start),
            "titre `# …` identique au titre de l'article retiré du corps (la page l'affiche déjà)",
        ));
        doc.body_start += skip;
    }

    // The old address: `URL:`/`Save_as:` when given, else Pelican's default.
    // Pelican's ARTICLE_URL / PAGE_URL of pelicanconf.py, with the document's slug, date, lang,
    // category and author.
    let pattern = match kind {
        DocKind::Article => settings.article_url.as_deref(),
        DocKind::Page => settings.page_url.as_deref(),
    };
    let from_settings = pattern.map(|pattern| {
        let date = doc
            .date
            .as_deref()
            .and_then(super::header::parse_date)
            .map(|d| d.0);
        let values = super::redirects::UrlValues {
            slug: &doc.pelican_slug,
            lang: &joined("lang", " ").unwrap_or_else(|| settings.default_lang.clone()),
            date,
            category: &doc
                .pelican_category
                .as_deref()
                .map(pelican_slugify)
                .unwrap_or_default(),
            author: &doc
                .authors
                .first()
                .map(|a| pelican_slugify(a))
                .unwrap_or_default(),
        };
        super::redirects::format_url(pattern, &values).ok_or_else(|| {
            format!("`{pattern}` (pelicanconf.py) n'a pas pu être appliqué à ce document")
        })
    });
    let old = match (
        joined("url", "").or_else(|| joined("save_as", "")),
        from_settings,
    ) {
        (Some(u), _) => format!("/{}", u.trim_start_matches('/')),
        (None, Some(Ok(u))) => u,
        (None, Some(Err(why))) => {
            report.skipped.push(Note::new(
                shown,
                0,
                format!("ancienne adresse non reprise en alias : {why}"),
            ));
            return doc;
        }
        (None, None) => match kind {
            DocKind::Article => format!("/{}.html", doc.pelican_slug),
            DocKind::Page => format!("/{PAGES_DIR}/{}.html", doc.pelican_slug),
        },
    };
    match crate::urls::alias_file(&old) {
        Ok(_) => doc.aliases.push(old),
        Err(why) => report.skipped.push(Note::new(
            shown,
            line("url").max(line("save_as")).max(line("slug")),
            format!("ancienne adresse non reprise en alias : {why}"),
        )),
    }
    doc
}

/// Whether two language tags name the same language (`fr`, `fr-FR`, `fr_fr`).
pub(super) fn same_language(a: &str, b: &str) -> bool {
    let primary = |t: &str| {
        t.trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_lowercase()
    };
    !primary(a).is_empty() && primary(a) == primary(b)
}

/// The length of a body's leading level-1 heading (`# Titre` or `Titre` underlined with `=`)
/// with the blank lines after it, when its text is the document's title: the page shows the
/// title already, a second `<h1>` would repeat it.
pub(super) fn leading_title(body: &str, title: &str) -> Option<usize> {
    use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
    let normalize = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut events = Parser::new_ext(body, crate::markdown::options()).into_offset_iter();
    let (first, range) = events.next()?;
    if !matches!(
        first,
        Event::Start(Tag::Heading {
            level: HeadingLevel::H1,
            ..
        })
    ) || !body[..range.start].trim().is_empty()
    {
        return None;
    }
    let mut text = String::new();
    for (event, _) in events.by_ref() {
        match event {
            Event::End(TagEnd::Heading(_)) => break,
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            _ => {}
        }
    }
    if normalize(&text) != normalize(title) {
        return None;
    }
    let mut end = range.end;
    while end < body.len() {
        let line_end = body[end..].find('\n').map_or(body.len(), |i| end + i + 1);
        if !body[end..line_end].trim().is_empty() {
            break;
        }
        end = line_end;
    }
    Some(end)
}

/// `AUTHOR = '…'` of the `pelicanconf.py` next to (or above) the content folder.
pub(super) fn pelicanconf_author(source: &Path) -> Option<String> {
    pelicanconf_setting(source, "AUTHOR")
        .flatten()
        .filter(|s| !s.is_empty())
}
