//! `redirects:` of `site.yaml`: old addresses that are no page of the content (a previous
//! generator's category, tag, archive and feed pages: `/category/python.html`,
//! `/feeds/all.atom.xml`), each sent to a page or a feed of the site. An HTML address gets a
//! redirect page (`alias.html`, as aliases do); a feed address gets a copy of the new feed,
//! since feed readers do not follow an HTML redirect.

use std::path::Path;

use crate::config::CONFIG_FILE;
use crate::content::Kind;
use crate::diagnostics::{Diagnostic, Severity};
use crate::site::Site;
use crate::urls;

/// Whether `from` is the address of a feed (`.xml`, `.atom`, `.rss`).
pub fn is_feed(from: &str) -> bool {
    let lower = from.to_ascii_lowercase();
    [".xml", ".atom", ".rss"].iter().any(|e| lower.ends_with(e))
}

/// The title of the page at the site path `to`, if the site writes it (the redirect page
/// names it).
pub fn target_title(site: &Site, to: &str) -> Option<String> {
    let title = &site.config.title;
    let sections = [
        (urls::HOME, title.as_str()),
        (urls::section(Kind::Article), "Articles"),
        (urls::SERIES, "Séries"),
        (urls::section(Kind::Resource), "Ressources"),
        (urls::EVENTS, "Événements"),
        (urls::AUTHORS, "Auteurs"),
        (urls::TAGS, "Étiquettes"),
        (urls::CATEGORIES, "Catégories"),
        (urls::SEARCH, "Recherche"),
    ];
    if let Some((_, name)) = sections.iter().find(|(url, _)| *url == to) {
        return Some(name.to_string());
    }
    if let Some(slug) = to
        .strip_prefix(urls::TAGS)
        .and_then(|r| r.strip_suffix('/'))
    {
        return site
            .tag_index(slug)
            .map(|t| format!("Étiquette : {}", site.tags[t].name));
    }
    if let Some(slug) = to
        .strip_prefix(urls::CATEGORIES)
        .and_then(|r| r.strip_suffix('/'))
    {
        return site
            .categories
            .iter()
            .find(|c| c.slug == slug)
            .map(|c| format!("Catégorie : {}", c.name));
    }
    site.items
        .iter()
        .find(|item| item.url == to)
        .map(|item| item.title.clone())
}

/// The redirects written as pages: index in `config.redirects`, and the title of the target.
pub fn pages(site: &Site) -> Vec<(usize, String)> {
    site.config
        .redirects
        .iter()
        .enumerate()
        .filter(|(_, (from, _))| !is_feed(from) && crate::urls::alias_file(from).is_ok())
        .filter_map(|(i, (_, to))| target_title(site, to).map(|title| (i, title)))
        .collect()
}

/// The file of an old feed address (`/feeds/all.atom.xml` → `feeds/all.atom.xml`).
pub fn feed_path(from: &str) -> Result<String, String> {
    // Same rules as an alias, for the path itself.
    let as_page = format!("{}.html", from.rsplit_once('.').map_or(from, |(p, _)| p));
    crate::urls::alias_file(&as_page)?;
    Ok(from.trim_start_matches('/').to_string())
}

/// The problems of `redirects:`: an address that is not a path, or that the build writes
/// already (an error at its line of site.yaml); a target that the site does not write (a
/// warning: that redirect is left out until the page exists again). `feeds`: the path of every
/// feed the site writes, the copies at old feed addresses included (`render::feeds::specs`).
pub fn check(root: &Path, site: &Site, feeds: &[&str]) -> Vec<Diagnostic> {
    if site.config.redirects.is_empty() {
        return Vec::new();
    }
    let text = std::fs::read_to_string(root.join(CONFIG_FILE)).unwrap_or_default();
    let at = |from: &str, message: String, help: &str| {
        let line = text
            .lines()
            .position(|l| {
                let l = l.trim_start();
                l.starts_with(&format!("{from}:"))
                    || l.starts_with(&format!("\"{from}\":"))
                    || l.starts_with(&format!("'{from}':"))
            })
            .map_or(1, |i| i + 1);
        let column = text
            .lines()
            .nth(line - 1)
            .map_or(1, |l| l.chars().take_while(|c| *c == ' ').count() + 1);
        Diagnostic::error(CONFIG_FILE, message)
            .at(&text, line, column, from.chars().count())
            .with_help(help.to_string())
    };
    let item_files: std::collections::HashSet<String> = site
        .items
        .iter()
        .map(|item| crate::urls::file_for_url(&item.url))
        .chain(site.items.iter().flat_map(|item| {
            item.aliases
                .iter()
                .filter_map(|a| crate::urls::alias_file(a).ok())
        }))
        .collect();
    let mut problems = Vec::new();
    for (from, to) in &site.config.redirects {
        let help = "une redirection s'écrit `/ancienne/adresse.html: /nouvelle/adresse/` : une ancienne adresse du site, libre, vers une page ou un flux qu'il génère";
        let file = if is_feed(from) {
            feed_path(from)
        } else {
            crate::urls::alias_file(from)
        };
        let file = match file {
            Ok(file) => file,
            Err(why) => {
                problems.push(at(from, format!("redirection invalide : {why}"), help));
                continue;
            }
        };
        let generated = if is_feed(from) {
            // `feeds` holds the copy written at `from` itself.
            feeds.iter().filter(|&&path| path == file).count() > 1
        } else {
            item_files.contains(&file) || crate::urls::is_generated_page(&file)
        };
        if generated {
            problems.push(at(
                from,
                format!(
                    "la redirection « {from} » prendrait l'adresse d'une page ou d'un flux du site"
                ),
                help,
            ));
            continue;
        }
        let exists = if is_feed(from) {
            feeds.contains(&to.trim_start_matches('/'))
        } else {
            target_title(site, to).is_some()
        };
        if !exists {
            let mut d = at(
                from,
                format!(
                    "la redirection « {from} » mène à « {to} », que le site ne génère pas : elle n'est pas écrite"
                ),
                if is_feed(from) {
                    "une ancienne adresse de flux mène à un flux du site : `/atom.xml`, `/categories/<slug>/atom.xml`, `/tags/<slug>/atom.xml`…"
                } else {
                    "la cible est une page du site : `/categories/<slug>/`, `/tags/<slug>/`, `/articles/<slug>/`…"
                },
            );
            d.severity = Severity::Warning;
            problems.push(d);
        }
    }
    problems
}
