//! Redirect pages for `aliases`: old paths of the site (a previous generator's
//! `/mon-article.html`, a renamed page) keep working by sending visitors and search engines to
//! the page's new address, through the overridable `alias.html` template.

use std::collections::BTreeMap;
use std::ops::Bound;

use anyhow::{Context as _, Result, anyhow};
use serde::Serialize;

use super::context::SiteView;
use super::templates::Templates;
use crate::diagnostics::Diagnostic;
use crate::output::Output;
use crate::site::{ItemId, Site};

/// What `alias.html` receives.
#[derive(Serialize)]
struct AliasContext<'a> {
    site: &'a SiteView,
    /// The old path being redirected (`/mon-article.html`).
    current_url: &'a str,
    /// Absolute URL of the page it redirects to (`<link rel="canonical">`).
    canonical: String,
    /// Site path of that page (`/articles/mon-article/`), for the refresh and the link.
    target: &'a str,
    /// Title of that page.
    title: &'a str,
    description: &'a str,
}

/// Renders the redirect page of the `alias`-th alias of item `id`.
pub fn render(
    site: &Site,
    templates: &Templates,
    view: &SiteView,
    id: ItemId,
    alias: usize,
) -> Result<Output> {
    let item = &site.items[id];
    page(
        templates,
        AliasContext {
            site: view,
            current_url: &item.aliases[alias],
            canonical: site.config.absolute(&item.url),
            target: &item.url,
            title: &item.title,
            description: &item.summary,
        },
    )
}

/// Renders the redirect page of `site.config.redirects[i]` (an old address of the site).
pub fn redirect(site: &Site, templates: &Templates, view: &SiteView, i: usize) -> Result<Output> {
    let (old, target) = &site.config.redirects[i];
    let title = crate::redirects::target_title(site, target)
        .ok_or_else(|| anyhow!("la redirection {old} mène à une page absente : {target}"))?;
    page(
        templates,
        AliasContext {
            site: view,
            current_url: old,
            canonical: site.config.absolute(target),
            target,
            title: &title,
            description: &site.config.description,
        },
    )
}

/// The redirect page of `context.current_url`, through `alias.html`.
fn page(templates: &Templates, context: AliasContext) -> Result<Output> {
    let old = context.current_url;
    let file = crate::urls::alias_file(old).map_err(|e| anyhow!(e))?;
    let html = templates
        .render("alias.html", &context)
        .with_context(|| format!("rendu de la redirection {old}"))?;
    Ok(Output {
        path: file,
        bytes: html.into_bytes(),
    })
}

/// Aliases whose redirect page cannot be written, each reported at its alias: the build stops
/// with these as its problems (`crate::build::BuildError::Invalid`), and so does `check`.
#[derive(Debug, thiserror::Error)]
#[error("{} alias prendrai(en)t la place d'un fichier généré", .0.len())]
pub struct Collisions(pub Vec<Diagnostic>);

/// Fails when the redirect page of an alias would take the place of another file of the build,
/// or could not be written next to one: `paths` lists every file the build writes, aliases'
/// pages included. `/atom.xml/` needs a folder `atom.xml/` where the feed is a file;
/// `/style.css` is not a page at all (refused earlier, by `site`). `site` already rejects
/// collisions with pages; this catches every other file, whatever writes it.
pub fn check_collisions<'p>(
    site: &Site,
    paths: impl IntoIterator<Item = &'p str>,
    aliases: &[(ItemId, usize)],
) -> Result<()> {
    if aliases.is_empty() {
        return Ok(());
    }
    let mut written: BTreeMap<&str, usize> = BTreeMap::new();
    for path in paths {
        *written.entry(path).or_insert(0) += 1;
    }
    let mut problems = Vec::new();
    for &(id, alias) in aliases {
        let item = &site.items[id];
        let old = &item.aliases[alias];
        let file = crate::urls::alias_file(old).map_err(|e| anyhow!(e))?;
        // The same file, a file where the alias needs a folder, or a folder where it needs a
        // file.
        let taken = if written.get(file.as_str()).copied().unwrap_or(0) > 1 {
            Some(file.clone())
        } else {
            let inside = format!("{file}/");
            file.match_indices('/')
                .map(|(at, _)| file[..at].to_string())
                .find(|dir| written.contains_key(dir.as_str()))
                .or_else(|| {
                    let from = (Bound::Included(inside.as_str()), Bound::Unbounded);
                    written
                        .range::<str, _>(from)
                        .next()
                        .map(|(path, _)| *path)
                        .filter(|path| path.starts_with(&inside))
                        .map(str::to_owned)
                })
        };
        if let Some(taken) = taken {
            problems.push(
                item.source
                    .document()
                    .value_error(
                        "aliases",
                        old,
                        format!("l'alias « {old} » prendrait la place du fichier généré `{taken}`"),
                    )
                    .with_help(format!(
                        "la construction écrit déjà `{taken}` : retirez cet alias ou choisissez un autre ancien chemin"
                    )),
            );
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Collisions(problems).into())
    }
}
