//! Rendering: every output file of the site (HTML pages through the Tera templates, feeds,
//! calendars, the events manifest, sitemap) produced from the resolved site, in parallel, in a
//! deterministic form.

pub mod alias;
pub mod calendar;
pub mod context;
pub mod feeds;
pub mod manifest;
pub mod prefix;
pub mod reading;
pub mod search;
pub mod seo;
pub mod templates;

use std::collections::HashMap;

use anyhow::{Context as _, Result};
use rayon::prelude::*;
use serde::Serialize;

use crate::content::Kind;
use crate::markdown::Rendered;
use crate::output::Output;
use crate::site::{Detail, ItemId, Site};
use crate::urls::{self, file_for_url};
use context::{Card, EventView, Link, Paginator, SeriesNav, SiteView, TermView, cards};
pub use templates::Templates;

/// Articles per page of `/articles/`.
pub const ARTICLES_PER_PAGE: usize = 10;

/// Cards per page of the other long lists (a tag, a category, the resources, an author's
/// works): a phone gets a light page, and a rebuild after a change to one card renders one
/// page of each list that shows it, not the whole list.
pub const LIST_PER_PAGE: usize = 20;

/// Number of pages of a list of `len` items (an empty list still has its page).
pub fn page_count(len: usize, per_page: usize) -> usize {
    len.div_ceil(per_page).max(1)
}

/// The items of page `page` (1-based) of `ids`.
pub fn page_slice(ids: &[ItemId], page: usize, per_page: usize) -> &[ItemId] {
    let start = ((page - 1) * per_page).min(ids.len());
    &ids[start..(start + per_page).min(ids.len())]
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
    /// Open Graph / Twitter card fields and JSON-LD.
    seo: seo::Seo,
    #[serde(flatten)]
    page: T,
}

/// Renders everything the site is made of. `bodies[i]` is the Markdown body of `site.items[i]`.
pub fn render_site(
    site: &Site,
    templates: &Templates,
    bodies: &[&Rendered],
) -> Result<Vec<Output>> {
    let layout = Layout::new(site);
    let renderer = SiteRenderer::new(site, templates, bodies, &layout);
    let mut outputs: Vec<Output> = renderer
        .targets()
        .par_iter()
        .map(|target| renderer.render_files(target))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    outputs.sort_by(|a, b| a.path.cmp(&b.path));
    renderer.check_aliases(outputs.iter().map(|o| o.path.as_str()))?;
    Ok(outputs)
}

/// One file of the site to render.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// An HTML page, through a template.
    Page(Job),
    /// An Atom feed: `Layout::feeds[i]`.
    Feed(usize),
    /// The iCalendar file of one event.
    Calendar(ItemId),
    /// The iCalendar file with every event.
    Calendars,
    /// The events manifest read by the registrations function.
    Manifest,
    /// The resources' links, next to the manifest, read by the Discord app.
    Links,
    /// The files of the search index, under `recherche/` (its path is the entry file's).
    SearchIndex,
    Robots,
    Sitemap,
    Stylesheet,
}

/// The files a resolved site is made of, before any is rendered. It depends on the site's
/// structure only (its items, their dates and terms), not on their texts: a rebuild after a
/// change to a body alone keeps it.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The HTML pages, in the order of the targets.
    pub jobs: Vec<Job>,
    pub feeds: Vec<feeds::Spec>,
    /// Every file to render, HTML pages first.
    pub targets: Vec<Target>,
}

impl Layout {
    pub fn new(site: &Site) -> Layout {
        let jobs = jobs(site);
        let feeds = feeds::specs(site);
        let mut targets: Vec<Target> = jobs.iter().cloned().map(Target::Page).collect();
        targets.extend((0..feeds.len()).map(Target::Feed));
        targets.extend(calendar::events(site).into_iter().map(Target::Calendar));
        targets.extend([
            Target::Calendars,
            Target::Manifest,
            Target::Links,
            Target::SearchIndex,
            Target::Robots,
            Target::Sitemap,
            Target::Stylesheet,
        ]);
        Layout {
            jobs,
            feeds,
            targets,
        }
    }
}

/// Renders the files of one state of the site, each on its own: the full build renders every
/// target, a rebuild (`crate::incremental`) only those whose inputs changed, through the same
/// code.
pub struct SiteRenderer<'a> {
    pub site: &'a Site,
    pub templates: &'a Templates,
    pub bodies: &'a [&'a Rendered],
    pub view: SiteView,
    pub layout: &'a Layout,
}

impl<'a> SiteRenderer<'a> {
    /// `layout` is `Layout::new(site)`, or an earlier one of the same structure.
    pub fn new(
        site: &'a Site,
        templates: &'a Templates,
        bodies: &'a [&'a Rendered],
        layout: &'a Layout,
    ) -> SiteRenderer<'a> {
        SiteRenderer {
            site,
            templates,
            bodies,
            view: SiteView::new(site),
            layout,
        }
    }

    /// Every file to render, HTML pages first.
    pub fn targets(&self) -> &[Target] {
        &self.layout.targets
    }

    /// Path of the file of `target` in the output folder, without rendering it.
    pub fn path(&self, target: &Target) -> String {
        let site = self.site;
        match target {
            Target::Page(Job::Alias { item, alias }) => {
                let old = &site.items[*item].aliases[*alias];
                urls::alias_file(old).unwrap_or_else(|_| file_for_url(old))
            }
            Target::Page(Job::Redirect(i)) => {
                let old = &site.config.redirects[*i].0;
                urls::alias_file(old).unwrap_or_else(|_| file_for_url(old))
            }
            Target::Page(job) => file_for_url(&job.url(site)),
            Target::Feed(i) => self.layout.feeds[*i].path.clone(),
            Target::Calendar(id) => calendar::event_path(&site.items[*id]),
            Target::Calendars => calendar::ALL_EVENTS_PATH.into(),
            Target::Manifest => classmates_api::manifest::MANIFEST_PATH.into(),
            Target::Links => classmates_api::manifest::LINKS_PATH.into(),
            Target::SearchIndex => search::INDEX_PATH.into(),
            Target::Robots => "robots.txt".into(),
            Target::Sitemap => "sitemap.xml".into(),
            Target::Stylesheet => "style.css".into(),
        }
    }

    /// Every file of `target`: one, except for the search index (see `search`).
    pub fn render_files(&self, target: &Target) -> Result<Vec<Output>> {
        match target {
            Target::SearchIndex => search::index(self.site),
            _ => Ok(vec![self.render(target)?]),
        }
    }

    /// The file of `target` (for the search index, its entry file only).
    pub fn render(&self, target: &Target) -> Result<Output> {
        let mut output = self.render_site_paths(target)?;
        let base = self.site.config.base_path();
        if !base.is_empty() && output.path.ends_with(".html") {
            let html = String::from_utf8(output.bytes)?;
            output.bytes = prefix::html(base, &html)?.into_bytes();
        }
        Ok(output)
    }

    /// The file of `target`, its HTML with site paths (`/style.css`), as if at the root.
    fn render_site_paths(&self, target: &Target) -> Result<Output> {
        let site = self.site;
        match target {
            Target::Page(job) => PageRenderer {
                site,
                templates: self.templates,
                view: &self.view,
                bodies: self.bodies,
            }
            .render(job),
            Target::Feed(i) => feeds::render(site, self.bodies, &self.layout.feeds[*i]),
            Target::Calendar(id) => Ok(calendar::event_calendar(site, &site.items[*id])),
            Target::Calendars => Ok(calendar::all_events(site)),
            Target::Manifest => manifest::manifest(site),
            Target::Links => manifest::links(site),
            Target::SearchIndex => Ok(search::index(site)?.swap_remove(0)),
            Target::Robots => Ok(Output::new(
                "robots.txt",
                format!(
                    "User-agent: *\nAllow: /\n\nSitemap: {}\n",
                    site.config.absolute("/sitemap.xml")
                ),
            )),
            Target::Sitemap => Ok(sitemap(site, &self.layout.jobs)),
            Target::Stylesheet => Ok(Output::new("style.css", self.templates.stylesheet())),
        }
    }

    /// Fails when the redirect page of an alias would take the place of another file of the
    /// site: `paths` (every rendered file), the theme's static files or a bundle's files.
    pub fn check_aliases<'p>(&self, paths: impl IntoIterator<Item = &'p str>) -> Result<()> {
        let aliases: Vec<(ItemId, usize)> = self
            .layout
            .jobs
            .iter()
            .filter_map(|job| match job {
                Job::Alias { item, alias } => Some((*item, *alias)),
                _ => None,
            })
            .collect();
        if aliases.is_empty() {
            return Ok(());
        }
        let copied: Vec<String> = self
            .site
            .items
            .iter()
            .filter(|item| item.source.bundle_dir.is_some())
            .flat_map(|item| {
                (item.source.bundle_files.iter()).map(|file| urls::bundle_file(&item.url, file))
            })
            .collect();
        let mut every: Vec<&str> = paths.into_iter().collect();
        every.extend(copied.iter().map(String::as_str));
        every.extend(
            self.templates
                .static_files
                .iter()
                .map(|(_, rel)| rel.as_str()),
        );
        alias::check_collisions(self.site, every, &aliases)
    }
}

/// One HTML page to render.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Job {
    Home,
    Item(ItemId),
    Articles {
        page: usize,
        total: usize,
    },
    SeriesIndex,
    Resources {
        page: usize,
    },
    Events,
    Authors,
    Tags,
    Tag {
        term: usize,
        page: usize,
    },
    Categories,
    Category {
        term: usize,
        page: usize,
    },
    /// The pages after the first of an author's works (the first is the author's page).
    Works {
        author: ItemId,
        page: usize,
    },
    NotFound,
    Search,
    /// The organisers' page: their tools in the browser, from the published manifest and the
    /// registrations function (not in the sitemap, not indexed).
    Organisers,
    // The redirect page of `site.items[item].aliases[alias]`.
    Alias {
        item: ItemId,
        alias: usize,
    },
    /// The redirect page of `site.config.redirects[i]`, an old address of the site.
    Redirect(usize),
}

impl Job {
    /// Site path of the page.
    pub fn url(&self, site: &Site) -> String {
        match self {
            Job::Home => urls::HOME.into(),
            Job::Item(i) => site.items[*i].url.clone(),
            Job::Articles { page, .. } => urls::page(urls::section(Kind::Article), *page),
            Job::SeriesIndex => urls::SERIES.into(),
            Job::Resources { page } => urls::page(urls::section(Kind::Resource), *page),
            Job::Events => urls::EVENTS.into(),
            Job::Authors => urls::AUTHORS.into(),
            Job::Tags => urls::TAGS.into(),
            Job::Tag { term, page } => {
                urls::page(&urls::term("tags", &site.tags[*term].slug), *page)
            }
            Job::Categories => urls::CATEGORIES.into(),
            Job::Category { term, page } => urls::page(
                &urls::term("categories", &site.categories[*term].slug),
                *page,
            ),
            Job::Works { author, page } => urls::page(&site.items[*author].url, *page),
            Job::NotFound => urls::NOT_FOUND.into(),
            Job::Search => urls::SEARCH.into(),
            Job::Organisers => urls::ORGANISERS.into(),
            Job::Alias { item, alias } => site.items[*item].aliases[*alias].clone(),
            Job::Redirect(i) => site.config.redirects[*i].0.clone(),
        }
    }
}

fn jobs(site: &Site) -> Vec<Job> {
    let mut jobs = vec![
        Job::Home,
        Job::SeriesIndex,
        Job::Events,
        Job::Authors,
        Job::Tags,
        Job::Categories,
        Job::NotFound,
        Job::Search,
        Job::Organisers,
    ];
    let articles = site
        .items
        .iter()
        .filter(|i| i.kind == Kind::Article)
        .count();
    let total = page_count(articles, ARTICLES_PER_PAGE);
    jobs.extend((1..=total).map(|page| Job::Articles { page, total }));
    let pages = |len: usize| 1..=page_count(len, LIST_PER_PAGE);
    jobs.extend(pages(site.resources_and_replays().len()).map(|page| Job::Resources { page }));
    jobs.extend((0..site.items.len()).map(Job::Item));
    for &author in site.newest_first(Kind::Author) {
        let count = site.by_author(&site.items[author].slug).len();
        jobs.extend(pages(count).skip(1).map(|page| Job::Works { author, page }));
    }
    for (term, tag) in site.tags.iter().enumerate() {
        jobs.extend(pages(tag.items.len()).map(|page| Job::Tag { term, page }));
    }
    for (term, category) in site.categories.iter().enumerate() {
        jobs.extend(pages(category.items.len()).map(|page| Job::Category { term, page }));
    }
    for (id, item) in site.items.iter().enumerate() {
        jobs.extend((0..item.aliases.len()).map(|alias| Job::Alias { item: id, alias }));
    }
    jobs.extend(
        crate::redirects::pages(site)
            .into_iter()
            .map(|(i, _)| Job::Redirect(i)),
    );
    jobs
}

struct PageRenderer<'a> {
    site: &'a Site,
    templates: &'a Templates,
    view: &'a SiteView,
    bodies: &'a [&'a Rendered],
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
        self.page_with(
            template,
            url,
            title,
            description,
            page,
            seo::Seo::website(self.site),
        )
    }

    fn page_with<T: Serialize>(
        &self,
        template: &str,
        url: &str,
        title: &str,
        description: &str,
        page: T,
        seo: seo::Seo,
    ) -> Result<Output> {
        let context = PageContext {
            site: self.view,
            current_url: url,
            canonical: self.site.config.absolute(url),
            title,
            description,
            seo,
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
            Job::Item(i) => self.item(*i, 1, &url),
            Job::Articles { page, total } => {
                let ids = site.newest_first(Kind::Article);
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
                self.page(
                    "articles.html",
                    &url,
                    &title,
                    "Les articles écrits par les membres de la communauté.",
                    Articles {
                        items: cards(site, page_slice(ids, *page, ARTICLES_PER_PAGE)),
                        paginator: Paginator::new(urls::section(Kind::Article), *page, *total),
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
                        items: cards(site, ids),
                    },
                )
            }
            Job::Resources { page } => {
                let ids = site.resources_and_replays();
                let paginator = Paginator::new(
                    urls::section(Kind::Resource),
                    *page,
                    page_count(ids.len(), LIST_PER_PAGE),
                );
                self.page(
                    "resources.html",
                    &url,
                    &paged_title("Ressources", &paginator),
                    "Les liens qui valent la peine d'être gardés, et les replays de nos webinaires.",
                    Paged {
                        items: cards(site, page_slice(&ids, *page, LIST_PER_PAGE)),
                        paginator,
                    },
                )
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
            Job::Tag { term, page } | Job::Category { term, page } => {
                let (term, section, template, label) = match job {
                    Job::Tag { .. } => (&site.tags[*term], "tags", "tag.html", "Étiquette"),
                    _ => (
                        &site.categories[*term],
                        "categories",
                        "category.html",
                        "Catégorie",
                    ),
                };
                #[derive(Serialize)]
                struct TermPage {
                    term: TermView,
                    items: Vec<Card>,
                    paginator: Paginator,
                    feed: String,
                }
                let view = term_view(term, section);
                let paginator = Paginator::new(
                    &view.url,
                    *page,
                    page_count(term.items.len(), LIST_PER_PAGE),
                );
                let title = paged_title(&format!("{label} : {}", term.name), &paginator);
                let description = term.description.clone().unwrap_or_else(|| {
                    format!(
                        "Tout ce qui concerne « {} » : articles, séries, ressources et événements.",
                        term.name
                    )
                });
                let page = TermPage {
                    items: cards(site, page_slice(&term.items, *page, LIST_PER_PAGE)),
                    paginator,
                    feed: format!("/{}", urls::term_feed(section, &term.slug)),
                    term: view,
                };
                self.page(template, &url, &title, &description, page)
            }
            Job::Works { author, page } => self.item(*author, *page, &url),
            Job::Alias { item, alias } => {
                alias::render(site, self.templates, self.view, *item, *alias)
            }
            Job::Redirect(i) => alias::redirect(site, self.templates, self.view, *i),
            Job::Search => {
                #[derive(Serialize)]
                struct Filter {
                    value: String,
                    name: String,
                }
                #[derive(Serialize)]
                struct SearchPage {
                    index: String,
                    kinds: Vec<Filter>,
                    tags: Vec<Filter>,
                    categories: Vec<Filter>,
                }
                let filter = |t: &crate::site::Term| Filter {
                    value: t.name.clone(),
                    name: t.name.clone(),
                };
                let page = SearchPage {
                    index: format!("/{}", search::INDEX_PATH),
                    kinds: search::KINDS
                        .iter()
                        .map(|&k| Filter {
                            value: search::kind_name(k),
                            name: k.label().to_string(),
                        })
                        .collect(),
                    tags: site.tags.iter().map(filter).collect(),
                    categories: site.categories.iter().map(filter).collect(),
                };
                self.page(
                    "search.html",
                    &url,
                    "Recherche",
                    "Cherchez parmi les articles, séries, ressources et événements du site.",
                    page,
                )
            }
            Job::Organisers => {
                #[derive(Serialize)]
                struct OrganisersPage {
                    /// The events manifest, from which the page lists the events.
                    manifest: String,
                }
                let page = OrganisersPage {
                    manifest: format!("/{}", classmates_api::manifest::MANIFEST_PATH),
                };
                self.page(
                    "organisers.html",
                    &url,
                    "Espace organisateurs",
                    "Liste des inscrits et lien de connexion d'un événement, avec son jeton d'organisateur.",
                    page,
                )
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

    /// The page of an item; `page` is the page of an author's works (their page is the first).
    fn item(&self, id: ItemId, page_number: usize, url: &str) -> Result<Output> {
        let site = self.site;
        let item = &site.items[id];
        let body = &self.bodies[id];
        #[derive(Serialize)]
        struct ItemPage<'a> {
            item: Card,
            content: String,
            headings: &'a [crate::markdown::Heading],
            /// The h2/h3 headings when there are enough for a table of contents.
            toc: Vec<reading::TocEntry>,
            /// Articles: estimated minutes of reading.
            reading_minutes: Option<usize>,
            updated: Option<String>,
            updated_human: Option<String>,
            series: Option<SeriesNav>,
            parts: Vec<Card>,
            event: Option<EventView>,
            /// Authors: everything they wrote, spoke at or added (one page of it); profile
            /// links.
            works: Vec<Card>,
            paginator: Option<Paginator>,
            profile: Vec<Link>,
            avatar: Option<String>,
        }
        let mut page = ItemPage {
            item: Card::new(site, item),
            content: reading::with_heading_anchors(&body.html, &body.headings),
            headings: &body.headings,
            toc: Vec::new(),
            reading_minutes: None,
            updated: None,
            updated_human: None,
            series: None,
            parts: Vec::new(),
            event: None,
            works: Vec::new(),
            paginator: None,
            profile: Vec::new(),
            avatar: None,
        };
        let template = match &item.detail {
            Detail::Article { updated, .. } => {
                page.updated = updated.as_ref().map(crate::dates::rfc3339);
                page.updated_human = updated.as_ref().map(crate::dates::french_short_date);
                page.series = SeriesNav::new(site, id);
                page.toc = reading::toc(&body.headings);
                let words = reading::plain_text(item.source.body())
                    .split_whitespace()
                    .count();
                page.reading_minutes = Some(reading::reading_minutes(words));
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
                let works = site.by_author(&item.slug);
                let paginator = Paginator::new(
                    &item.url,
                    page_number,
                    page_count(works.len(), LIST_PER_PAGE),
                );
                page.works = cards(site, page_slice(works, page_number, LIST_PER_PAGE));
                if page_number > 1 {
                    // The biography is on the first page only (and nothing of it is read:
                    // these pages' fingerprints do not read the body).
                    page.content.clear();
                    page.headings = &[];
                    page.toc.clear();
                }
                page.paginator = Some(paginator);
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
        let title = match &page.paginator {
            Some(paginator) => paged_title(&item.title, paginator),
            None => item.title.clone(),
        };
        self.page_with(
            template,
            url,
            &title,
            &description,
            page,
            seo::Seo::item(site, item),
        )
    }
}

/// A cards list cut into pages.
#[derive(Serialize)]
struct Paged {
    items: Vec<Card>,
    paginator: Paginator,
}

/// The title of a page of a list: `Ressources`, then `Ressources, page 2 sur 5`.
fn paged_title(title: &str, paginator: &Paginator) -> String {
    if paginator.current == 1 {
        title.to_string()
    } else {
        format!(
            "{title}, page {} sur {}",
            paginator.current, paginator.total
        )
    }
}

fn term_view(term: &crate::site::Term, section: &str) -> TermView {
    TermView {
        name: term.name.clone(),
        slug: term.slug.clone(),
        url: urls::term(section, &term.slug),
        description: term.description.clone(),
        count: term.items.len(),
    }
}

fn sitemap(site: &Site, jobs: &[Job]) -> Output {
    // Sorted by address (each page has its own); a large site has thousands.
    let mut entries: Vec<(String, Option<&crate::dates::Instant>)> = jobs
        .par_iter()
        .filter(|j| {
            !matches!(
                j,
                Job::NotFound | Job::Organisers | Job::Alias { .. } | Job::Redirect(_)
            )
        })
        .map(|job| {
            let lastmod = match job {
                Job::Item(i) => site.items[*i].date.as_ref(),
                _ => None,
            };
            (job.url(site), lastmod)
        })
        .collect();
    entries.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut xml = String::with_capacity(entries.len() * 120);
    xml.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let base = crate::text::escape_html(&site.config.base_url);
    for (url, lastmod) in entries {
        xml.push_str("  <url>\n    <loc>");
        xml.push_str(&base);
        crate::text::push_escaped_html(&mut xml, &url);
        xml.push_str("</loc>\n");
        if let Some(lastmod) = lastmod {
            xml.push_str("    <lastmod>");
            xml.push_str(&crate::dates::rfc3339(lastmod));
            xml.push_str("</lastmod>\n");
        }
        xml.push_str("  </url>\n");
    }
    xml.push_str("</urlset>\n");
    Output::new("sitemap.xml", xml)
}
