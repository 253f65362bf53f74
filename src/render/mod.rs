//! Rendering: every output file of the site (HTML pages through the Tera templates, feeds,
//! calendars, the events manifest, sitemap) produced from the resolved site, in parallel, in a
//! deterministic form.

pub mod calendar;
pub mod context;
pub mod feeds;
pub mod manifest;
pub mod templates;

use std::collections::HashMap;

use anyhow::{Context as _, Result};
use rayon::prelude::*;
use serde::Serialize;

use crate::content::Kind;
use crate::markdown::Rendered;
use crate::site::{Detail, ItemId, Site};
use context::{Card, EventView, Link, Paginator, SeriesNav, SiteView, TermView, cards};
pub use templates::Templates;

/// Articles per page of `/articles/`.
pub const ARTICLES_PER_PAGE: usize = 10;

/// One file of the built site: its path relative to the output folder and its bytes.
#[derive(Debug)]
pub struct Output {
    pub path: String,
    pub bytes: Vec<u8>,
}

impl Output {
    fn new(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Output {
        Output {
            path: path.into(),
            bytes: bytes.into(),
        }
    }
}

/// The context every page template receives.
#[derive(Serialize)]
struct PageContext<'a, T: Serialize> {
    site: &'a SiteView,
    /// Site path of this page (`/articles/x/`).
    current_url: &'a str,
    /// Absolute URL of this page.
    canonical: String,
    /// `<title>` and `<h1>` of the page.
    title: &'a str,
    description: &'a str,
    #[serde(flatten)]
    page: T,
}

/// Renders everything the site is made of. `bodies[i]` is the Markdown body of `site.items[i]`.
pub fn render_site(site: &Site, templates: &Templates, bodies: &[Rendered]) -> Result<Vec<Output>> {
    let view = SiteView::new(site);
    let jobs = jobs(site);
    let renderer = PageRenderer {
        site,
        templates,
        view: &view,
        bodies,
    };
    let mut outputs: Vec<Output> = jobs
        .par_iter()
        .map(|job| renderer.render(job))
        .collect::<Result<Vec<_>>>()?;
    outputs.extend(feeds::feeds(site, bodies)?);
    outputs.extend(calendar::calendars(site));
    outputs.push(manifest::manifest(site)?);
    outputs.push(Output::new(
        "robots.txt",
        format!(
            "User-agent: *\nAllow: /\n\nSitemap: {}\n",
            site.config.absolute("/sitemap.xml")
        ),
    ));
    outputs.push(sitemap(site, &jobs));
    outputs.push(Output::new("style.css", templates.stylesheet()));
    outputs.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(outputs)
}

/// One HTML page to render.
#[derive(Debug, Clone)]
enum Job {
    Home,
    Item(ItemId),
    Articles { page: usize, total: usize },
    SeriesIndex,
    Resources,
    Events,
    Authors,
    Tags,
    Tag(usize),
    Categories,
    Category(usize),
    NotFound,
}

impl Job {
    fn url(&self, site: &Site) -> String {
        match self {
            Job::Home => "/".into(),
            Job::Item(i) => site.items[*i].url.clone(),
            Job::Articles { page: 1, .. } => "/articles/".into(),
            Job::Articles { page, .. } => format!("/articles/page/{page}/"),
            Job::SeriesIndex => "/series/".into(),
            Job::Resources => "/ressources/".into(),
            Job::Events => "/evenements/".into(),
            Job::Authors => "/auteurs/".into(),
            Job::Tags => "/tags/".into(),
            Job::Tag(t) => format!("/tags/{}/", site.tags[*t].slug),
            Job::Categories => "/categories/".into(),
            Job::Category(c) => format!("/categories/{}/", site.categories[*c].slug),
            Job::NotFound => "/404.html".into(),
        }
    }
}

fn jobs(site: &Site) -> Vec<Job> {
    let mut jobs = vec![
        Job::Home,
        Job::SeriesIndex,
        Job::Resources,
        Job::Events,
        Job::Authors,
        Job::Tags,
        Job::Categories,
        Job::NotFound,
    ];
    let articles = site
        .items
        .iter()
        .filter(|i| i.kind == Kind::Article)
        .count();
    let total = articles.div_ceil(ARTICLES_PER_PAGE).max(1);
    jobs.extend((1..=total).map(|page| Job::Articles { page, total }));
    jobs.extend((0..site.items.len()).map(Job::Item));
    jobs.extend((0..site.tags.len()).map(Job::Tag));
    jobs.extend((0..site.categories.len()).map(Job::Category));
    jobs
}

/// Path of the file serving `url` (`/a/b/` → `a/b/index.html`).
pub fn file_for_url(url: &str) -> String {
    let trimmed = url.trim_start_matches('/');
    if trimmed.is_empty() {
        "index.html".into()
    } else if trimmed.ends_with('/') {
        format!("{trimmed}index.html")
    } else {
        trimmed.to_string()
    }
}

struct PageRenderer<'a> {
    site: &'a Site,
    templates: &'a Templates,
    view: &'a SiteView,
    bodies: &'a [Rendered],
}

#[derive(Serialize)]
struct Listing {
    items: Vec<Card>,
}

impl PageRenderer<'_> {
    fn page<T: Serialize>(
        &self,
        template: &str,
        url: &str,
        title: &str,
        description: &str,
        page: T,
    ) -> Result<Output> {
        let context = PageContext {
            site: self.view,
            current_url: url,
            canonical: self.site.config.absolute(url),
            title,
            description,
            page,
        };
        let html = self
            .templates
            .render(template, &context)
            .with_context(|| format!("rendu de la page {url}"))?;
        Ok(Output::new(file_for_url(url), html))
    }

    fn render(&self, job: &Job) -> Result<Output> {
        let site = self.site;
        let url = job.url(site);
        let config = &site.config;
        match job {
            Job::Home => {
                #[derive(Serialize)]
                struct Home {
                    upcoming: Vec<Card>,
                    articles: Vec<Card>,
                    resources: Vec<Card>,
                }
                let articles = site.newest_first(Kind::Article);
                let resources = site.resources_and_replays();
                let home = Home {
                    upcoming: cards(site, &site.upcoming_events()),
                    articles: cards(site, &articles[..articles.len().min(6)]),
                    resources: cards(site, &resources[..resources.len().min(6)]),
                };
                self.page("index.html", &url, &config.title, &config.description, home)
            }
            Job::Item(i) => self.item(*i, &url),
            Job::Articles { page, total } => {
                let ids = site.newest_first(Kind::Article);
                let start = (page - 1) * ARTICLES_PER_PAGE;
                let slice = &ids[start.min(ids.len())..(start + ARTICLES_PER_PAGE).min(ids.len())];
                let page_url = |p: usize| {
                    if p == 1 {
                        "/articles/".to_string()
                    } else {
                        format!("/articles/page/{p}/")
                    }
                };
                #[derive(Serialize)]
                struct Articles {
                    items: Vec<Card>,
                    paginator: Paginator,
                }
                let title = if *page == 1 {
                    "Articles".to_string()
                } else {
                    format!("Articles, page {page} sur {total}")
                };
                let paginator = Paginator {
                    current: *page,
                    total: *total,
                    previous: (*page > 1).then(|| page_url(page - 1)),
                    next: (page < total).then(|| page_url(page + 1)),
                };
                self.page(
                    "articles.html",
                    &url,
                    &title,
                    "Les articles écrits par les membres de la communauté.",
                    Articles {
                        items: cards(site, slice),
                        paginator,
                    },
                )
            }
            Job::SeriesIndex => {
                let ids = site.newest_first(Kind::Series);
                self.page(
                    "series_list.html",
                    &url,
                    "Séries",
                    "Des sujets traités en plusieurs parties, à lire dans l'ordre.",
                    Listing {
                        items: cards(site, &ids),
                    },
                )
            }
            Job::Resources => {
                let ids = site.resources_and_replays();
                self.page("resources.html", &url, "Ressources", "Les liens qui valent la peine d'être gardés, et les replays de nos webinaires.", Listing { items: cards(site, &ids) })
            }
            Job::Events => {
                #[derive(Serialize)]
                struct Events {
                    upcoming: Vec<Card>,
                    past: Vec<Card>,
                }
                let events = Events {
                    upcoming: cards(site, &site.upcoming_events()),
                    past: cards(site, &site.past_events()),
                };
                self.page(
                    "events.html",
                    &url,
                    "Événements",
                    "Les webinaires de la communauté : à venir et passés, avec leurs replays.",
                    events,
                )
            }
            Job::Authors => {
                #[derive(Serialize)]
                struct AuthorCard {
                    name: String,
                    url: String,
                    summary: String,
                    count: usize,
                }
                let mut authors: Vec<AuthorCard> = site
                    .items
                    .iter()
                    .filter(|i| i.kind == Kind::Author)
                    .map(|a| AuthorCard {
                        name: a.title.clone(),
                        url: a.url.clone(),
                        summary: a.summary.clone(),
                        count: site.by_author(&a.slug).len(),
                    })
                    .collect();
                authors.sort_by_key(|a| a.name.to_lowercase());
                #[derive(Serialize)]
                struct Authors {
                    authors: Vec<AuthorCard>,
                }
                self.page(
                    "authors.html",
                    &url,
                    "Auteurs",
                    "Les membres qui écrivent, animent et partagent.",
                    Authors { authors },
                )
            }
            Job::Tags => {
                #[derive(Serialize)]
                struct Terms {
                    terms: Vec<TermView>,
                }
                let terms = site.tags.iter().map(|t| term_view(t, "tags")).collect();
                self.page(
                    "tags.html",
                    &url,
                    "Étiquettes",
                    "Tous les sujets abordés sur le site.",
                    Terms { terms },
                )
            }
            Job::Categories => {
                #[derive(Serialize)]
                struct Terms {
                    terms: Vec<TermView>,
                }
                let terms = site
                    .categories
                    .iter()
                    .map(|t| term_view(t, "categories"))
                    .collect();
                self.page(
                    "categories.html",
                    &url,
                    "Catégories",
                    "Les grandes rubriques du site.",
                    Terms { terms },
                )
            }
            Job::Tag(t) | Job::Category(t) => {
                let (term, section, template, label) = match job {
                    Job::Tag(_) => (&site.tags[*t], "tags", "tag.html", "Étiquette"),
                    _ => (
                        &site.categories[*t],
                        "categories",
                        "category.html",
                        "Catégorie",
                    ),
                };
                #[derive(Serialize)]
                struct TermPage {
                    term: TermView,
                    items: Vec<Card>,
                    feed: String,
                }
                let title = format!("{label} : {}", term.name);
                let description = term.description.clone().unwrap_or_else(|| {
                    format!(
                        "Tout ce qui concerne « {} » : articles, séries, ressources et événements.",
                        term.name
                    )
                });
                let page = TermPage {
                    term: term_view(term, section),
                    items: cards(site, &term.items),
                    feed: format!("/{section}/{}/atom.xml", term.slug),
                };
                self.page(template, &url, &title, &description, page)
            }
            Job::NotFound => self.page(
                "404.html",
                &url,
                "Page introuvable",
                "Cette page n'existe pas ou plus.",
                HashMap::<String, String>::new(),
            ),
        }
    }

    fn item(&self, id: ItemId, url: &str) -> Result<Output> {
        let site = self.site;
        let item = &site.items[id];
        let body = &self.bodies[id];
        #[derive(Serialize)]
        struct ItemPage<'a> {
            item: Card,
            content: &'a str,
            headings: &'a [crate::markdown::Heading],
            updated: Option<String>,
            updated_human: Option<String>,
            series: Option<SeriesNav>,
            parts: Vec<Card>,
            event: Option<EventView>,
            /// Authors: everything they wrote, spoke at or added; profile links.
            works: Vec<Card>,
            profile: Vec<Link>,
            avatar: Option<String>,
        }
        let mut page = ItemPage {
            item: Card::new(site, item),
            content: &body.html,
            headings: &body.headings,
            updated: None,
            updated_human: None,
            series: None,
            parts: Vec::new(),
            event: None,
            works: Vec::new(),
            profile: Vec::new(),
            avatar: None,
        };
        let template = match &item.detail {
            Detail::Article { updated, .. } => {
                page.updated = updated.as_ref().map(crate::dates::rfc3339);
                page.updated_human = updated.as_ref().map(crate::dates::french_short_date);
                page.series = SeriesNav::new(site, id);
                "article.html"
            }
            Detail::Series { parts } => {
                page.parts = cards(site, parts);
                "series.html"
            }
            Detail::Resource { .. } => "resource.html",
            Detail::Event(_) => {
                page.event = EventView::new(site, item);
                "event.html"
            }
            Detail::Author {
                github,
                discord,
                avatar,
            } => {
                page.works = cards(site, &site.by_author(&item.slug));
                if let Some(g) = github {
                    page.profile.push(Link {
                        name: format!("GitHub : {g}"),
                        url: format!("https://github.com/{g}"),
                    });
                }
                if let Some(d) = discord {
                    page.profile.push(Link {
                        name: format!("Discord : {d}"),
                        url: String::new(),
                    });
                }
                page.avatar = avatar.clone();
                "author.html"
            }
            Detail::Page => "page.html",
        };
        let description = crate::text::truncate_words(&item.summary, 200);
        self.page(template, url, &item.title, &description, page)
    }
}

fn term_view(term: &crate::site::Term, section: &str) -> TermView {
    TermView {
        name: term.name.clone(),
        slug: term.slug.clone(),
        url: format!("/{section}/{}/", term.slug),
        description: term.description.clone(),
        count: term.items.len(),
    }
}

fn sitemap(site: &Site, jobs: &[Job]) -> Output {
    let mut entries: Vec<(String, Option<String>)> = jobs
        .iter()
        .filter(|j| !matches!(j, Job::NotFound))
        .map(|job| {
            let lastmod = match job {
                Job::Item(i) => site.items[*i].date.as_ref().map(crate::dates::rfc3339),
                _ => None,
            };
            (site.config.absolute(&job.url(site)), lastmod)
        })
        .collect();
    entries.sort();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (loc, lastmod) in entries {
        xml.push_str("  <url>\n    <loc>");
        xml.push_str(&crate::text::escape_html(&loc));
        xml.push_str("</loc>\n");
        if let Some(lastmod) = lastmod {
            xml.push_str(&format!("    <lastmod>{lastmod}</lastmod>\n"));
        }
        xml.push_str("  </url>\n");
    }
    xml.push_str("</urlset>\n");
    Output::new("sitemap.xml", xml)
}
