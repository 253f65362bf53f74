//! The files a resolved site is made of, before any is rendered: the targets (`Target`, the
//! HTML pages `Job`), their order in a `Layout`, and how long lists are cut into pages.

use crate::content::Kind;
use crate::site::{ItemId, Site};
use crate::urls;

use super::{calendar, feeds};

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
