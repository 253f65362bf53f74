//! `classmates import pelican`: converts a Pelican content folder (Markdown with Pelican's
//! `Key: value` headers, `{filename}` and `{static}` links, images in a static folder) into
//! articles and pages of this site. Each keeps Pelican's slug, and its old `/<slug>.html`
//! address through `aliases`; authors and categories are mapped to the site's, created when
//! missing; nothing existing is overwritten, and everything not converted is reported.

mod doc;
mod header;
mod links;
mod read;
mod redirects;
mod slug;
mod write;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow};

use doc::{Doc, DocKind, pelicanconf_setting};
use header::{Header, parse_header};
use links::{Folder, MARKDOWN, OTHER_SOURCES, Scan, Target, bundle_name, classify, scan_body};
pub use slug::pelican_slugify;

use super::{Contents, Note, Plan, Report, yaml_scalar};
use crate::content::Kind;
use crate::content::load::CONTENT_DIR;
use read::*;
use write::*;

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
