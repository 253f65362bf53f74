//! Atom feeds (RFC 4287): everything, each section, each tag and each category, so members can
//! follow exactly what interests them. Dates come from the content, never from the clock, so
//! the same input gives the same feeds.

use anyhow::Result;
use atom_syndication::{Category, Content, Entry, Feed, FixedDateTime, Link, Person, Text};
use rayon::prelude::*;

use crate::content::Kind;
use crate::markdown::Rendered;
use crate::output::Output;
use crate::site::{ItemId, Site, Term};

/// Entries per feed.
pub const FEED_SIZE: usize = 20;

/// One feed: its path, its title and the items it may list, newest first.
#[derive(Debug, Clone)]
pub struct Spec {
    pub path: String,
    pub title: String,
    pub ids: Vec<ItemId>,
}

/// Every feed of the site, rendered.
pub fn feeds(site: &Site, bodies: &[&Rendered]) -> Result<Vec<Output>> {
    specs(site)
        .par_iter()
        .map(|spec| render(site, bodies, spec))
        .collect()
}

/// Every feed of the site: everything, each section, each tag and each category.
pub fn specs(site: &Site) -> Vec<Spec> {
    let dated = |kind: Option<Kind>| -> Vec<ItemId> {
        let ids = match kind {
            Some(kind) => site.newest_first(kind),
            None => site.newest(),
        };
        ids.iter()
            .copied()
            .filter(|&i| {
                let item = &site.items[i];
                item.date.is_some()
                    && matches!(
                        item.kind,
                        Kind::Article | Kind::Resource | Kind::Event | Kind::Series
                    )
            })
            .collect()
    };
    let title = &site.config.title;
    let spec = |path: String, title: String, ids: Vec<ItemId>| Spec { path, title, ids };
    let mut specs: Vec<Spec> = vec![
        spec(crate::urls::FEED.into(), title.clone(), dated(None)),
        spec(
            crate::urls::section_feed(Kind::Article),
            format!("{title} : articles"),
            dated(Some(Kind::Article)),
        ),
        spec(
            crate::urls::section_feed(Kind::Resource),
            format!("{title} : ressources"),
            site.resources_and_replays(),
        ),
        spec(
            crate::urls::section_feed(Kind::Event),
            format!("{title} : événements"),
            dated(Some(Kind::Event)),
        ),
    ];
    specs.extend(site.tags.iter().map(|term| term_spec(site, term, "tags")));
    specs.extend(
        site.categories
            .iter()
            .map(|term| term_spec(site, term, "categories")),
    );
    // Old feed addresses of `redirects:` get a copy of the feed they lead to.
    let copies = feed_copies(site, &specs);
    specs.extend(copies);
    specs
}

/// Copies of the feeds of `specs` at the old feed addresses that redirect to them.
pub fn feed_copies(site: &Site, specs: &[Spec]) -> Vec<Spec> {
    site.config
        .redirects
        .iter()
        .filter(|(from, _)| {
            crate::redirects::is_feed(from) && crate::redirects::feed_path(from).is_ok()
        })
        .filter_map(|(from, to)| {
            let spec = specs
                .iter()
                .find(|s| s.path == to.trim_start_matches('/'))?;
            Some(Spec {
                path: crate::redirects::feed_path(from).ok()?,
                ..spec.clone()
            })
        })
        .collect()
}

/// The feed of a tag (`section` "tags") or a category ("categories").
pub fn term_spec(site: &Site, term: &Term, section: &str) -> Spec {
    Spec {
        path: crate::urls::term_feed(section, &term.slug),
        title: format!("{} : {}", site.config.title, term.name),
        ids: term.items.clone(),
    }
}

/// The items a feed shows: its dated items, at most [`FEED_SIZE`].
pub fn entries(site: &Site, spec: &Spec) -> Vec<ItemId> {
    spec.ids
        .iter()
        .copied()
        .filter(|&i| site.items[i].date.is_some())
        .take(FEED_SIZE)
        .collect()
}

/// Renders one feed.
pub fn render(site: &Site, bodies: &[&Rendered], spec: &Spec) -> Result<Output> {
    feed(site, bodies, &spec.path, &spec.title, &entries(site, spec))
}

fn feed(
    site: &Site,
    bodies: &[&Rendered],
    path: &str,
    title: &str,
    ids: &[ItemId],
) -> Result<Output> {
    let config = &site.config;
    let self_url = config.absolute(&format!("/{path}"));
    let page_url = config.absolute(&format!("/{}", path.trim_end_matches("atom.xml")));
    let entries: Vec<Entry> = ids
        .iter()
        .map(|&i| entry(site, bodies, i))
        .collect::<Result<_>>()?;
    let updated = entries
        .iter()
        .map(|e| e.updated)
        .max()
        .unwrap_or_else(epoch);
    let mut feed = Feed::default();
    feed.set_title(Text::plain(title));
    feed.set_id(self_url.clone());
    feed.set_updated(updated);
    feed.set_lang(Some(config.language.clone()));
    feed.set_subtitle(Some(Text::plain(config.description.clone())));
    feed.set_authors(vec![Person {
        name: config.title.clone(),
        uri: Some(config.base_url.clone() + "/"),
        ..Default::default()
    }]);
    feed.set_links(vec![
        Link {
            href: self_url,
            rel: "self".into(),
            mime_type: Some("application/atom+xml".into()),
            ..Default::default()
        },
        Link {
            href: page_url,
            rel: "alternate".into(),
            mime_type: Some("text/html".into()),
            ..Default::default()
        },
    ]);
    feed.set_entries(entries);
    let mut bytes = Vec::new();
    feed.write_to(&mut bytes)?;
    bytes.push(b'\n');
    Ok(Output {
        path: path.to_string(),
        bytes,
    })
}

fn entry(site: &Site, bodies: &[&Rendered], id: ItemId) -> Result<Entry> {
    let item = &site.items[id];
    let url = site.config.absolute(&item.url);
    let date: FixedDateTime = item.date.map(|d| d.fixed_offset()).unwrap_or_else(epoch);
    let updated = match &item.detail {
        crate::site::Detail::Article {
            updated: Some(u), ..
        } => u.fixed_offset(),
        _ => date,
    };
    let mut entry = Entry::default();
    entry.set_title(Text::plain(format!(
        "{} : {}",
        item.kind.label(),
        item.title
    )));
    entry.set_id(url.clone());
    entry.set_updated(updated);
    entry.set_published(Some(date));
    entry.set_links(vec![Link {
        href: url.clone(),
        rel: "alternate".into(),
        mime_type: Some("text/html".into()),
        ..Default::default()
    }]);
    entry.set_authors(
        item.authors
            .iter()
            .filter_map(|a| site.get(Kind::Author, a))
            .map(|a| Person {
                name: a.title.clone(),
                uri: Some(site.config.absolute(&a.url)),
                ..Default::default()
            })
            .collect::<Vec<_>>(),
    );
    entry.set_categories(
        item.tags
            .iter()
            .zip(&item.tag_slugs)
            .map(|(t, slug)| Category {
                term: slug.clone(),
                label: Some(t.clone()),
                ..Default::default()
            })
            .collect::<Vec<_>>(),
    );
    let summary = match item.event() {
        Some(e) => format!(
            "{} — {}",
            crate::dates::french_range(&e.start, &e.end),
            item.summary
        ),
        None => item.summary.clone(),
    };
    entry.set_summary(Some(Text::plain(summary)));
    if shows_body(item) {
        entry.set_content(Some(Content {
            base: Some(url),
            // Site paths in the body resolve against the host: under a base path they would
            // leave the site.
            value: Some(super::prefix::html(
                site.config.base_path(),
                &bodies[id].html,
            )?),
            content_type: Some("html".into()),
            ..Default::default()
        }));
    }
    Ok(entry)
}

/// Whether the entry of `item` in a feed holds its body (articles only; the others, their
/// summary).
pub fn shows_body(item: &crate::site::Item) -> bool {
    item.kind == Kind::Article
}

fn epoch() -> FixedDateTime {
    chrono::DateTime::UNIX_EPOCH.fixed_offset()
}
