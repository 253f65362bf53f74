//! The HTML pages: what each kind of page gives its template (`PageRenderer`), the lists
//! taken from the page's declaration (`shows`), the context every template receives.

use std::collections::HashMap;

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::context::{Card, EventView, Link, Paginator, SeriesNav, SiteView, TermView, cards};
use super::layout::{Job, Layout, Target};
use super::shows::{List, Shows};
use super::templates::Templates;
use super::{alias, reading, search, seo};
use crate::content::Kind;
use crate::markdown::Rendered;
use crate::output::Output;
use crate::site::{Detail, ItemId, Site};
use crate::urls::{self, file_for_url};

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

/// Renders one page, taking every list it shows from its declaration (`shows`).
pub(super) struct PageRenderer<'a> {
    site: &'a Site,
    templates: &'a Templates,
    view: &'a SiteView,
    bodies: &'a [&'a Rendered],
    /// The body of one item, given instead of its place in `bodies`
    /// ([`super::SiteRenderer::render_with_body`]).
    body: Option<(ItemId, &'a Rendered)>,
    layout: &'a Layout,
    /// What the page shows, declared in `render::shows`.
    shows: Shows,
}

#[derive(Serialize)]
struct Listing {
    items: Vec<Card>,
}

impl<'a> PageRenderer<'a> {
    /// The renderer of `job`, a page of `site` whose files are `layout`.
    pub(super) fn new(
        site: &'a Site,
        templates: &'a Templates,
        view: &'a SiteView,
        bodies: &'a [&'a Rendered],
        body: Option<(ItemId, &'a Rendered)>,
        layout: &'a Layout,
        job: &Job,
    ) -> PageRenderer<'a> {
        PageRenderer {
            site,
            templates,
            view,
            bodies,
            body,
            layout,
            shows: Shows::of(site, &Target::Page(job.clone())),
        }
    }

    /// The items of `list` this page shows (the part its declaration says), and the number
    /// of pages of the list.
    fn shown(&self, list: List) -> (Vec<ItemId>, usize) {
        let shown = self.shows.shown(list);
        let ids = list.ids(self.site, self.layout);
        (shown.part.of(&ids).to_vec(), shown.part.pages(ids.len()))
    }

    /// The cards of the items of `list` this page shows.
    fn cards(&self, list: List) -> Vec<Card> {
        cards(self.site, &self.shown(list).0)
    }

    /// The card of item `id`, which the page must declare.
    fn card(&self, id: ItemId) -> Card {
        assert!(
            self.shows.shows_card(self.site, id),
            "a renderer read the card of {}, which its target does not declare: add it to \
             `Shows::of` in src/render/shows.rs",
            self.site.items[id].url
        );
        Card::new(self.site, &self.site.items[id])
    }

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

    pub(super) fn render(&self, job: &Job) -> Result<Output> {
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
                let home = Home {
                    upcoming: self.cards(List::Upcoming),
                    articles: self.cards(List::Newest(Kind::Article)),
                    resources: self.cards(List::Replays),
                };
                self.page("index.html", &url, &config.title, &config.description, home)
            }
            Job::Item(i) => self.item(*i, 1, &url),
            Job::Articles { page, total } => {
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
                        items: self.cards(List::Newest(Kind::Article)),
                        paginator: Paginator::new(urls::section(Kind::Article), *page, *total),
                    },
                )
            }
            Job::SeriesIndex => self.page(
                "series_list.html",
                &url,
                "Séries",
                "Des sujets traités en plusieurs parties, à lire dans l'ordre.",
                Listing {
                    items: self.cards(List::Newest(Kind::Series)),
                },
            ),
            Job::Resources { page } => {
                let (ids, pages) = self.shown(List::Replays);
                let paginator = Paginator::new(urls::section(Kind::Resource), *page, pages);
                self.page(
                    "resources.html",
                    &url,
                    &paged_title("Ressources", &paginator),
                    "Les liens qui valent la peine d'être gardés, et les replays de nos webinaires.",
                    Paged {
                        items: cards(site, &ids),
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
                    upcoming: self.cards(List::Upcoming),
                    past: self.cards(List::Past),
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
                // In the order of the site's items, then by name.
                let mut ids = self.shown(List::Newest(Kind::Author)).0;
                ids.sort_unstable();
                let mut authors: Vec<AuthorCard> = (ids.iter())
                    .map(|&a| &site.items[a])
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
                let (term, list, section, template, label) = match job {
                    Job::Tag { .. } => (
                        &site.tags[*term],
                        List::Tag(*term),
                        "tags",
                        "tag.html",
                        "Étiquette",
                    ),
                    _ => (
                        &site.categories[*term],
                        List::Category(*term),
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
                let (ids, pages) = self.shown(list);
                let paginator = Paginator::new(&view.url, *page, pages);
                let title = paged_title(&format!("{label} : {}", term.name), &paginator);
                let description = term.description.clone().unwrap_or_else(|| {
                    format!(
                        "Tout ce qui concerne « {} » : articles, séries, ressources et événements.",
                        term.name
                    )
                });
                let page = TermPage {
                    items: cards(site, &ids),
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
        let body = match self.body {
            Some((given, body)) if given == id => body,
            _ => self.bodies[id],
        };
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
            item: self.card(id),
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
                page.series = site.series_position(id).map(|(series, position)| {
                    SeriesNav::new(site, series, &self.shown(List::Parts(series)).0, position)
                });
                page.toc = reading::toc(&body.headings);
                page.reading_minutes = Some(reading::reading_minutes(body.words));
                "article.html"
            }
            Detail::Series { .. } => {
                page.parts = self.cards(List::Parts(id));
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
                let (works, pages) = self.shown(List::Works(id));
                let paginator = Paginator::new(&item.url, page_number, pages);
                page.works = cards(site, &works);
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
