//! Redirect pages for `aliases`: old paths of the site (a previous generator's
//! `/mon-article.html`, a renamed page) keep working by sending visitors and search engines to
//! the page's new address, through the overridable `alias.html` template.

use anyhow::{Context as _, Result, anyhow};
use serde::Serialize;

use super::Output;
use super::context::SiteView;
use super::templates::Templates;
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
    let old = &item.aliases[alias];
    let file = crate::site::alias_file(old).map_err(|e| anyhow!(e))?;
    let context = AliasContext {
        site: view,
        current_url: old,
        canonical: site.config.absolute(&item.url),
        target: &item.url,
        title: &item.title,
        description: &item.summary,
    };
    let html = templates
        .render("alias.html", &context)
        .with_context(|| format!("rendu de la redirection {old}"))?;
    Ok(Output {
        path: file,
        bytes: html.into_bytes(),
    })
}

/// Fails when an alias's file is also another output of the build (a theme file, a bundle's
/// file…; `paths` lists every file of the build): `site` already rejects collisions with
/// pages, this keeps any other one from being silently overwritten.
pub fn check_collisions<'p>(
    site: &Site,
    paths: impl IntoIterator<Item = &'p str>,
    aliases: &[(ItemId, usize)],
) -> Result<()> {
    if aliases.is_empty() {
        return Ok(());
    }
    let mut seen = std::collections::HashMap::new();
    for path in paths {
        *seen.entry(path).or_insert(0usize) += 1;
    }
    for &(id, alias) in aliases {
        let item = &site.items[id];
        let old = &item.aliases[alias];
        let file = crate::site::alias_file(old).map_err(|e| anyhow!(e))?;
        if seen.get(file.as_str()).copied().unwrap_or(0) > 1 {
            return Err(anyhow!(
                "{} : l'alias « {old} » prendrait la place du fichier généré {file}",
                item.source.display.display()
            ));
        }
    }
    Ok(())
}
