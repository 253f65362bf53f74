//! `classmates import pelican`: converts a Pelican content folder (Markdown with Pelican's
//! `Key: value` headers, `{filename}` and `{static}` links, images in a static folder) into
//! articles and pages of this site. Each keeps Pelican's slug, and its old `/<slug>.html`
//! address through `aliases`; authors and categories are mapped to the site's, created when
//! missing; nothing existing is overwritten, and everything not converted is reported.

mod doc;
mod header;
mod links;
mod redirects;
mod slug;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow};

use doc::{Doc, DocKind, pelicanconf_setting};
use header::{Field, Header, ambiguous_date, convert_date, parse_header, split_list};
use links::{
    Folder, LinkKind, MARKDOWN, OTHER_SOURCES, Scan, Target, apply_edits, bundle_name, classify,
    markdown_dest, relative_path, scan_body, term_id,
};
pub use slug::pelican_slugify;

use super::{Contents, Note, Plan, Report, line_of, yaml_list, yaml_scalar};
use crate::config::Config;
use crate::content::Kind;
use crate::content::load::CONTENT_DIR;

/// What to import and how.
#[derive(Debug, Clone)]
pub struct PelicanOptions {
    /// Pelican's content folder.
    pub source: PathBuf,
    pub dry_run: bool,
    /// Name of the author of articles without `Author:` (Pelican's `AUTHOR` setting); read
    /// from `pelicanconf.py` when not given.
    pub author: Option<String>,
}

/// Pelican's folder of pages (`PAGE_PATHS`).
const PAGES_DIR: &str = "pages";

/// Header keys this importer understands.
const KNOWN_KEYS: &[&str] = &[
    "title", "date", "modified", "category", "tags", "slug", "author", "authors", "summary",
    "status", "url", "save_as", "lang",
];

/// Converts the Pelican folder; writes unless `dry_run`.
pub fn import(root: &Path, options: &PelicanOptions) -> Result<Report> {
    let source = &options.source;
    if !source.is_dir() {
        return Err(anyhow!(
            "dossier Pelican introuvable : {}",
            source.display()
        ));
    }
    let config_text = super::read_config_text(root)?;
    let config = super::site_config(root, &config_text)?;
    let shown = |rel: &str| format!("{}/{rel}", source.display()).replace("//", "/");
    let mut report = Report {
        title: format!("Import Pelican depuis {}", source.display()),
        dry_run: options.dry_run,
        ..Report::default()
    };

    // Sort the folder's files: Markdown sources, other sources, static files.
    let mut markdown = Vec::new();
    let mut statics: HashSet<String> = HashSet::new();
    let mut static_order = Vec::new();
    for entry in walkdir::WalkDir::new(source)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
    {
        let entry = entry.with_context(|| format!("lecture de {}", source.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(source)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .replace('\\', "/");
        let ext = entry
            .path()
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if MARKDOWN.contains(&ext.as_str()) {
            markdown.push(rel);
        } else if OTHER_SOURCES.contains(&ext.as_str()) {
            let what = if ext == "rst" {
                "fichier reStructuredText non converti : convertissez-le à la main en Markdown"
            } else {
                "source Pelican non Markdown non convertie"
            };
            report.skipped.push(Note::new(shown(&rel), 0, what));
        } else {
            statics.insert(rel.clone());
            static_order.push(rel);
        }
    }

    let default_author = options
        .author
        .clone()
        .or_else(|| pelicanconf_author(source));
    let settings = Settings {
        default_author: default_author.as_deref(),
        language: &config.language,
        article_url: pelicanconf_setting(source, "ARTICLE_URL").flatten(),
        page_url: pelicanconf_setting(source, "PAGE_URL").flatten(),
        default_lang: pelicanconf_setting(source, "DEFAULT_LANG")
            .flatten()
            .unwrap_or_else(|| config.language.clone()),
    };
    let mut docs: Vec<Doc> = Vec::new();
    let mut headers: Vec<Header> = Vec::new();
    for rel in &markdown {
        let path = source.join(rel);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("lecture de {}", path.display()))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
        let header = parse_header(&text);
        let kind = if rel.split('/').next() == Some(PAGES_DIR) && rel.contains('/') {
            DocKind::Page
        } else {
            DocKind::Article
        };
        let doc = read_doc(
            rel,
            kind,
            text,
            &header,
            &shown(rel),
            &mut report,
            &settings,
        );
        docs.push(doc);
        headers.push(header);
    }

    // Where each converted document goes; never over an existing file.
    let mut taken: HashMap<(Kind, String), String> = HashMap::new();
    for doc in docs.iter_mut().filter(|d| d.converted) {
        let kind = doc.kind.kind();
        if let Some(existing) = super::content_exists(root, kind, &doc.slug) {
            report.skipped.push(Note::new(
                shown(&doc.rel),
                0,
                format!("{existing} existe déjà : rien n'est remplacé"),
            ));
            doc.converted = false;
        } else if let Some(first) = taken.get(&(kind, doc.slug.clone())) {
            report.skipped.push(Note::new(
                shown(&doc.rel),
                0,
                format!(
                    "même slug « {} » que {} : non converti",
                    doc.slug,
                    shown(first)
                ),
            ));
            doc.converted = false;
        } else if doc.kind == DocKind::Page
            && crate::urls::RESERVED_PATHS.contains(&doc.slug.as_str())
        {
            report.skipped.push(Note::new(
                shown(&doc.rel),
                0,
                format!(
                    "la page prendrait l'adresse /{}/ d'une section du site : non convertie",
                    doc.slug
                ),
            ));
            doc.converted = false;
        } else {
            taken.insert((kind, doc.slug.clone()), doc.rel.clone());
        }
    }

    // Old addresses already redirected by the site stay with their page.
    let mut claimed: HashMap<String, String> = HashMap::new();
    for fm in super::scan_front_matter(root, &Kind::ALL) {
        for alias in fm.strings("aliases") {
            if let Ok(file) = crate::urls::alias_file(&alias) {
                claimed.entry(file).or_insert_with(|| fm.path.clone());
            }
        }
    }
    for doc in docs.iter_mut().filter(|d| d.converted) {
        doc.aliases.retain(|alias| {
            let owner = crate::urls::alias_file(alias)
                .ok()
                .and_then(|file| claimed.get(&file));
            if let Some(owner) = owner {
                report.skipped.push(Note::new(
                    shown(&doc.rel),
                    0,
                    format!(
                        "ancienne adresse {alias} déjà redirigée par {owner} : alias non repris"
                    ),
                ));
            }
            owner.is_none()
        });
    }

    // Authors: the site's, by id or by name; created when missing.
    let existing = super::scan_front_matter(root, &[Kind::Author]);
    let mut author_ids: HashMap<String, String> = HashMap::new();
    for fm in &existing {
        author_ids.insert(fm.slug.clone(), fm.slug.clone());
        if let Some(name) = fm.str("name") {
            author_ids
                .entry(crate::text::slugify(name))
                .or_insert_with(|| fm.slug.clone());
        }
    }
    let mut plan = Plan::default();
    let mut authors_of: Vec<Vec<String>> = Vec::new();
    for (doc, header) in docs.iter().zip(&headers) {
        let mut ids = Vec::new();
        if doc.converted {
            for name in &doc.authors {
                let key = crate::text::slugify(name);
                if key.is_empty() {
                    report.skipped.push(Note::new(
                        shown(&doc.rel),
                        doc.line_of_key(header, "author")
                            .max(doc.line_of_key(header, "authors")),
                        format!("auteur illisible « {name} » : non repris"),
                    ));
                    continue;
                }
                let id = author_ids.entry(key.clone()).or_insert_with(|| {
                    let rel = format!("{CONTENT_DIR}/authors/{key}.md");
                    plan.files.push((
                        rel.clone(),
                        Contents::Text(format!("---\nname: {}\n---\n", yaml_scalar(name))),
                    ));
                    report.created.push(format!("{rel} (auteur « {name} »)"));
                    key.clone()
                });
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
        }
        authors_of.push(ids);
    }
    for (doc, ids) in docs.iter_mut().zip(&authors_of) {
        if doc.converted && doc.kind == DocKind::Article && ids.is_empty() {
            report.skipped.push(Note::new(
                shown(&doc.rel),
                0,
                "aucun auteur : ajoutez `Author:` ou passez --author \"Nom\" ; non converti",
            ));
            doc.converted = false;
        }
    }

    // Categories: the site's, by slug or name; added to site.yaml when missing.
    let mut category_of: HashMap<String, String> = HashMap::new();
    for c in &config.categories {
        category_of.insert(c.slug.clone(), c.slug.clone());
        category_of
            .entry(crate::text::slugify(&c.name))
            .or_insert_with(|| c.slug.clone());
    }
    let mut new_categories: Vec<(String, String)> = Vec::new();
    for doc in docs.iter().filter(|d| d.converted) {
        if let Some(name) = &doc.category {
            let key = crate::text::slugify(name);
            if !key.is_empty() && !category_of.contains_key(&key) {
                category_of.insert(key.clone(), key.clone());
                new_categories.push((key, name.clone()));
            }
        }
    }
    if !new_categories.is_empty() {
        match append_categories(&config_text, &new_categories) {
            Ok(text) => {
                for (slug, name) in &new_categories {
                    report.created.push(format!(
                        "site.yaml : catégorie « {name} » ajoutée (slug `{slug}`) ; donnez-lui une description"
                    ));
                }
                plan.config = Some(text);
            }
            Err(why) => {
                for (slug, name) in &new_categories {
                    report.skipped.push(Note::new(
                        crate::config::CONFIG_FILE,
                        0,
                        format!("catégorie « {name} » non ajoutée ({why}) : ajoutez `- slug: {slug}` à la main"),
                    ));
                    category_of.remove(slug);
                }
            }
        }
    }

    // Links and images: what each one points to, then which documents become bundles.
    let folder = Folder {
        docs: docs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.rel.clone(), i))
            .collect(),
        statics,
        old_urls: docs
            .iter()
            .enumerate()
            .flat_map(|(i, d)| d.aliases.iter().map(move |a| (a.clone(), i)))
            .collect(),
    };
    let mut scans: Vec<Scan> = Vec::new();
    let mut used_statics: HashSet<String> = HashSet::new();
    for doc in &docs {
        if !doc.converted {
            scans.push(Scan::default());
            continue;
        }
        let scan = scan_body(&doc.text[doc.body_start..]);
        for site in &scan.links {
            if let Target::Static(rel) = classify(&doc.rel, &site.dest, &folder) {
                used_statics.insert(rel);
            }
        }
        scans.push(scan);
    }
    for (i, doc) in docs.iter_mut().enumerate() {
        if !doc.converted {
            continue;
        }
        let mut names: HashSet<String> = HashSet::new();
        for site in &scans[i].links {
            if let Target::Static(rel) = classify(&doc.rel, &site.dest, &folder)
                && !doc.files.iter().any(|(r, _)| *r == rel)
            {
                let name = bundle_name(&rel, &mut names);
                doc.files.push((rel, name));
            }
        }
    }

    // Rewrite each body and plan the files.
    let content_paths: Vec<Option<String>> = docs
        .iter()
        .map(|d| d.converted.then(|| d.content_path()))
        .collect();
    let targets = Targets {
        folder: &folder,
        docs: &docs,
        content_paths: &content_paths,
        categories: &category_of,
        authors: &author_ids,
    };
    for (i, doc) in docs.iter().enumerate() {
        if !doc.converted {
            continue;
        }
        let here = content_paths[i].clone().unwrap_or_default();
        let body = rewrite_body(doc, &scans[i], &here, &targets, &shown, &mut report);
        let rel = format!("{CONTENT_DIR}/{here}");
        let categories: Vec<String> = doc
            .category
            .as_ref()
            .and_then(|c| category_of.get(&crate::text::slugify(c)).cloned())
            .into_iter()
            .collect();
        let text = format!(
            "{}\n{}",
            front_matter(doc, &authors_of[i], &categories),
            body.trim_start_matches(['\n', '\r'])
        );
        plan.files.push((rel.clone(), Contents::Text(text)));
        let bundle_dir = rel.trim_end_matches("index.md").to_string();
        for (from, name) in &doc.files {
            plan.files.push((
                format!("{bundle_dir}{name}"),
                Contents::Copy(source.join(from)),
            ));
        }
        let mut line = format!("{} → {rel}", shown(&doc.rel));
        if !doc.files.is_empty() {
            line.push_str(&format!(" (+ {} fichier(s))", doc.files.len()));
        }
        if !doc.aliases.is_empty() {
            line.push_str(&format!(", ancienne adresse {}", doc.aliases.join(", ")));
        }
        if doc.draft {
            line.push_str(", brouillon");
        }
        report.converted.push(line);
    }
    for rel in &static_order {
        if !used_statics.contains(rel) {
            report.skipped.push(Note::new(
                shown(rel),
                0,
                "fichier utilisé par aucun article converti : non copié",
            ));
        }
    }
    redirects::plan(
        source,
        &docs,
        &category_of,
        &author_ids,
        &claimed,
        &config,
        &config_text,
        &mut plan,
        &mut report,
    );
    if !options.dry_run {
        plan.write(root)?;
    }
    report.footer.push(
        "Relisez les articles convertis, puis lancez `classmates build` : les anciennes adresses \
         /<slug>.html redirigent vers les nouvelles."
            .into(),
    );
    Ok(report)
}

/// Everything a link of one document can point to.
struct Targets<'a> {
    folder: &'a Folder,
    docs: &'a [Doc],
    /// Where each document goes under `content/`, `None` when it is not converted.
    content_paths: &'a [Option<String>],
    /// Category and author ids of the site, by slug of their name.
    categories: &'a HashMap<String, String>,
    authors: &'a HashMap<String, String>,
}

/// The body of `doc` with its links rewritten for this site (`here` is its path under
/// `content/`), reporting what could not be.
fn rewrite_body(
    doc: &Doc,
    scan: &Scan,
    here: &str,
    targets: &Targets,
    shown: &dyn Fn(&str) -> String,
    report: &mut Report,
) -> String {
    let body = &doc.text[doc.body_start..];
    let body_line = line_of(&doc.text, doc.body_start);
    let at = |offset: usize| body_line + line_of(body, offset) - 1;
    let mut edits: Vec<(Range<usize>, String)> = scan.edits.clone();
    for note in &scan.notes {
        report
            .notices
            .push(Note::new(shown(&doc.rel), at(note.0), note.1.clone()));
    }
    for site in &scan.links {
        let Some(range) = site.range.clone() else {
            report.skipped.push(Note::new(
                shown(&doc.rel),
                at(site.at),
                format!(
                    "lien « {} » non réécrit (écriture inhabituelle) : vérifiez-le",
                    site.dest
                ),
            ));
            continue;
        };
        let replacement = match classify(&doc.rel, &site.dest, targets.folder) {
            Target::Keep => None,
            Target::Doc(target, anchor) => match &targets.content_paths[target] {
                Some(path) => Some(format!(
                    "{}{}",
                    relative_path(here, path),
                    anchor.map(|a| format!("#{a}")).unwrap_or_default()
                )),
                None => {
                    let old = old_url(&targets.docs[target]);
                    report.notices.push(Note::new(
                        shown(&doc.rel),
                        at(site.at),
                        format!(
                            "lien vers {} qui n'est pas converti : il pointe vers son ancienne adresse {old}",
                            shown(&targets.docs[target].rel)
                        ),
                    ));
                    Some(old)
                }
            },
            Target::Static(rel) => doc
                .files
                .iter()
                .find(|(r, _)| *r == rel)
                .map(|(_, name)| name.clone()),
            Target::Site(url) => Some(url),
            Target::Unconverted(old, why) => {
                report.skipped.push(Note::new(
                    shown(&doc.rel),
                    at(site.at),
                    format!("{why} « {} » : le lien pointe vers {old}", site.dest),
                ));
                Some(old)
            }
            Target::Missing(why, old) => {
                report.skipped.push(Note::new(
                    shown(&doc.rel),
                    at(site.at),
                    format!(
                        "{why} « {} » : le lien pointe vers son ancienne adresse {old}",
                        site.dest
                    ),
                ));
                Some(old)
            }
        };
        let replacement = replacement.map(|r| match &site.kind {
            LinkKind::Category => format!("/categories/{}/", term_id(&r, targets.categories)),
            LinkKind::Author => format!("/auteurs/{}/", term_id(&r, targets.authors)),
            _ => r,
        });
        if let Some(replacement) = replacement
            && replacement != site.dest
        {
            edits.push((range, markdown_dest(&replacement, site.angle)));
        }
    }
    apply_edits(body, edits)
}

/// Reads a document's header into a `Doc`, reporting what is not converted. The document is
/// marked not converted when it cannot be (no title, no date…).
/// What `read_doc` takes from the site and from `pelicanconf.py`.
struct Settings<'a> {
    /// Pelican's `AUTHOR`, or `--author`.
    default_author: Option<&'a str>,
    /// The site's language.
    language: &'a str,
    /// Pelican's `ARTICLE_URL` and `PAGE_URL` (`{date:%Y}/{slug}/`…), when set.
    article_url: Option<String>,
    page_url: Option<String>,
    /// Pelican's `DEFAULT_LANG` (`{lang}` of the URLs).
    default_lang: String,
}

fn read_doc(
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
            .and_then(header::parse_date)
            .map(|d| d.0);
        let values = redirects::UrlValues {
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
        redirects::format_url(pattern, &values).ok_or_else(|| {
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
fn same_language(a: &str, b: &str) -> bool {
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
fn leading_title(body: &str, title: &str) -> Option<usize> {
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
fn pelicanconf_author(source: &Path) -> Option<String> {
    pelicanconf_setting(source, "AUTHOR")
        .flatten()
        .filter(|s| !s.is_empty())
}

/// The address of a document on the old site (its alias), for links to it when it is not
/// converted.
fn old_url(doc: &Doc) -> String {
    doc.aliases
        .first()
        .cloned()
        .unwrap_or_else(|| format!("/{}.html", doc.pelican_slug))
}

/// The front matter of a converted document.
fn front_matter(doc: &Doc, authors: &[String], categories: &[String]) -> String {
    let mut out = String::from("---\n");
    out.push_str(&format!("title: {}\n", yaml_scalar(&doc.title)));
    if doc.kind == DocKind::Article {
        if let Some(date) = &doc.date {
            out.push_str(&format!("date: {date}\n"));
        }
        if let Some(updated) = &doc.updated {
            out.push_str(&format!("updated: {updated}\n"));
        }
        out.push_str(&format!("authors: {}\n", yaml_list(authors)));
        if let Some(summary) = &doc.summary {
            out.push_str(&format!("summary: {}\n", yaml_scalar(summary)));
        }
        if !doc.tags.is_empty() {
            out.push_str(&format!("tags: {}\n", yaml_list(&doc.tags)));
        }
        if !categories.is_empty() {
            out.push_str(&format!("categories: {}\n", yaml_list(categories)));
        }
        if doc.draft {
            out.push_str("draft: true\n");
        }
    }
    if !doc.aliases.is_empty() {
        out.push_str(&format!("aliases: {}\n", yaml_list(&doc.aliases)));
    }
    out.push_str("---\n");
    out
}

/// Appends categories to the `categories:` list of `site.yaml`, as text, so comments and
/// layout stay as they are. The result is checked by parsing it.
pub fn append_categories(text: &str, new: &[(String, String)]) -> Result<String, String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let key = lines
        .iter()
        .position(|l| {
            l.strip_prefix("categories")
                .and_then(|r| r.trim_start().strip_prefix(':'))
                .is_some_and(|r| {
                    let r = r.trim();
                    r.is_empty() || r.starts_with('#')
                })
        })
        .ok_or("pas de liste `categories:` en style bloc dans site.yaml")?;
    let mut last = key;
    let mut indent: Option<String> = None;
    for (i, line) in lines.iter().enumerate().skip(key + 1) {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let starts_col0 = !line.starts_with([' ', '\t']);
        if starts_col0 && !line.starts_with('-') {
            break;
        }
        if indent.is_none() && trimmed.starts_with('-') {
            indent = Some(line[..line.len() - line.trim_start().len()].to_string());
        }
        last = i;
    }
    let indent = indent.unwrap_or_else(|| "  ".into());
    let mut added = String::new();
    for (slug, name) in new {
        added.push_str(&format!(
            "{indent}- slug: {}\n{indent}  name: {}\n",
            yaml_scalar(slug),
            yaml_scalar(name)
        ));
    }
    let mut out = String::with_capacity(text.len() + added.len());
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        if i == last {
            if !line.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&added);
        }
    }
    let config =
        Config::parse(Path::new(crate::config::CONFIG_FILE), &out).map_err(|problems| {
            format!(
                "site.yaml ne serait plus valide : {}",
                super::one_line(&problems)
            )
        })?;
    let slugs: BTreeMap<&str, ()> = config
        .categories
        .iter()
        .map(|c| (c.slug.as_str(), ()))
        .collect();
    if new.iter().all(|(s, _)| slugs.contains_key(s.as_str())) {
        Ok(out)
    } else {
        Err("la liste `categories:` n'a pas pu être complétée".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_are_appended_keeping_comments() {
        let text = "title: T\ndescription: D\nbase_url: https://x.org\nlanguage: fr\ntimezone: Europe/Paris\n\
                    # Les catégories.\ncategories:\n  - slug: python\n    name: Python\n    # fin\n\n# Autre réglage.\ndiscord_invite: https://discord.gg/x\n";
        let out = append_categories(text, &[("tutoriels".into(), "Tutoriels".into())]).unwrap();
        assert!(
            out.contains("    name: Python\n  - slug: tutoriels\n    name: Tutoriels\n    # fin\n"),
            "{out}"
        );
        assert!(
            out.contains("# Les catégories.\n")
                && out.ends_with("discord_invite: https://discord.gg/x\n")
        );
        let flow = "title: T\ndescription: D\nbase_url: https://x.org\nlanguage: fr\ntimezone: Europe/Paris\ncategories: []\n";
        assert!(append_categories(flow, &[("a".into(), "A".into())]).is_err());
    }
}
