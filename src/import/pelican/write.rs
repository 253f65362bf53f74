//! Writing a converted document: its body's links rewritten to this site's (`rewrite_body`),
//! its front matter, and the categories added to `site.yaml`.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;

use anyhow::Result;

use super::doc::{Doc, DocKind};
use super::links::{
    Folder, LinkKind, Scan, Target, apply_edits, classify, markdown_dest, relative_path, term_id,
};

use crate::config::Config;
use crate::import::{Note, Report, line_of, yaml_list, yaml_scalar};

/// Everything a link of one document can point to.
pub(super) struct Targets<'a> {
    pub(super) folder: &'a Folder,
    pub(super) docs: &'a [Doc],
    /// Where each document goes under `content/`, `None` when it is not converted.
    pub(super) content_paths: &'a [Option<String>],
    /// Category and author ids of the site, by slug of their name.
    pub(super) categories: &'a HashMap<String, String>,
    pub(super) authors: &'a HashMap<String, String>,
}

/// The body of `doc` with its links rewritten for this site (`here` is its path under
/// `content/`), reporting what could not be.
pub(super) fn rewrite_body(
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
            LinkKind::Category => crate::urls::term("categories", &term_id(&r, targets.categories)),
            LinkKind::Author => {
                crate::urls::item(crate::content::Kind::Author, &term_id(&r, targets.authors))
            }
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

/// The address of a document on the old site (its alias), for links to it when it is not
/// converted.
pub(super) fn old_url(doc: &Doc) -> String {
    doc.aliases
        .first()
        .cloned()
        .unwrap_or_else(|| format!("/{}.html", doc.pelican_slug))
}

/// The front matter of a converted document.
pub(super) fn front_matter(doc: &Doc, authors: &[String], categories: &[String]) -> String {
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
                crate::import::one_line(&problems)
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
