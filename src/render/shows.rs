//! What each output file shows, declared once per kind of target ([`Shows::of`]): the lists
//! of items it shows (which part of which list, and what of each item), the item it shows
//! whole, the single cards, and the few other things it reads. Three parts of the generator
//! use this one declaration: the pages' renderer takes its lists from it (a list the target
//! does not declare is refused, [`Shows::shown`]), `incremental::fingerprint` hashes exactly
//! what it declares, and the stale rules of `incremental::plan` ask it which files show a list
//! that changed ([`Shows::shows_list`]). Changing what a page shows is changing its line here.

use std::borrow::Cow;

use super::feeds;
use super::layout::{
    ARTICLES_PER_PAGE, Job, LIST_PER_PAGE, Layout, Target, page_count, page_slice,
};
use crate::content::Kind;
use crate::site::{Detail, ItemId, Site};

/// A list of items of the site, in the order files show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum List {
    /// The items of a kind, newest first (`Site::newest_first`).
    Newest(Kind),
    /// The events to come, soonest first (`Site::upcoming_events`).
    Upcoming,
    /// The past events, latest first (`Site::past_events`).
    Past,
    /// The resources and the events with a recording, newest first
    /// (`Site::resources_and_replays`).
    Replays,
    /// The items of the tag `Site::tags[i]`, newest first.
    Tag(usize),
    /// The items of the category `Site::categories[i]`, newest first.
    Category(usize),
    /// What an author wrote, spoke at or added, newest first (`Site::by_author`).
    Works(ItemId),
    /// The published parts of a series, in their order.
    Parts(ItemId),
    /// The entries of the feed `Layout::feeds[i]`.
    Feed(usize),
    /// The items of the search index (`search::ids`).
    Search,
}

impl List {
    /// The items of the list in `site` (whose files are `layout`).
    pub fn ids<'s>(self, site: &'s Site, layout: &Layout) -> Cow<'s, [ItemId]> {
        match self {
            List::Newest(kind) => Cow::Borrowed(site.newest_first(kind)),
            List::Upcoming => Cow::Owned(site.upcoming_events()),
            List::Past => Cow::Owned(site.past_events()),
            List::Replays => Cow::Owned(site.resources_and_replays()),
            List::Tag(t) => Cow::Borrowed(&site.tags[t].items),
            List::Category(c) => Cow::Borrowed(&site.categories[c].items),
            List::Works(author) => Cow::Borrowed(site.by_author(&site.items[author].slug)),
            List::Parts(series) => match &site.items[series].detail {
                Detail::Series { parts } => Cow::Borrowed(parts),
                _ => Cow::Borrowed(&[]),
            },
            List::Feed(i) => Cow::Owned(feeds::entries(site, &layout.feeds[i])),
            List::Search => Cow::Owned(super::search::ids(site)),
        }
    }
}

/// Which part of a list a file shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    All,
    /// The first items (the home page's latest articles).
    First(usize),
    /// Page `page` (1-based) of `per_page` items, with the number of pages.
    Page {
        page: usize,
        per_page: usize,
    },
}

impl Part {
    /// The items of this part of `ids`.
    pub fn of(self, ids: &[ItemId]) -> &[ItemId] {
        match self {
            Part::All => ids,
            Part::First(n) => &ids[..ids.len().min(n)],
            Part::Page { page, per_page } => page_slice(ids, page, per_page),
        }
    }

    /// The number of pages of a list of `len` items shown so (1 but for a page).
    pub fn pages(self, len: usize) -> usize {
        match self {
            Part::Page { per_page, .. } => page_count(len, per_page),
            Part::All | Part::First(_) => 1,
        }
    }
}

/// What a file shows of each item of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Each {
    /// Its card: the item but its text, with the names of its tags and authors.
    Card,
    /// Its card and its rendered body (a feed's entries).
    CardAndBody,
    /// Its card and the number of its works (the authors' index).
    CardAndWorks,
    /// Its card and its text (the search index's entries).
    CardAndText,
}

/// One list a file shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    pub list: List,
    pub part: Part,
    pub each: Each,
}

/// The lists a file shows: at most three (the home page's), held without allocating, as the
/// stale rules ask every file of the site.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lists([Option<Shown>; 3]);

impl Lists {
    fn of(lists: &[Shown]) -> Lists {
        let mut all = Lists::default();
        for &shown in lists {
            all.push(shown);
        }
        all
    }

    fn push(&mut self, shown: Shown) {
        let free = self.0.iter_mut().find(|slot| slot.is_none());
        *free.expect("a file shows at most three lists") = Some(shown);
    }

    pub fn iter(&self) -> impl Iterator<Item = Shown> + '_ {
        self.0.iter().flatten().copied()
    }
}

/// The items of which a file shows the card alone.
#[derive(Debug, Clone, Copy, Default)]
pub enum Cards {
    #[default]
    None,
    One(ItemId),
    /// The authors of an item (those that exist), and its series.
    OfItem {
        item: ItemId,
        series: Option<ItemId>,
    },
}

impl Cards {
    pub fn ids<'s>(self, site: &'s Site) -> impl Iterator<Item = ItemId> + 's {
        let (one, authors, series) = match self {
            Cards::None => (None, &[][..], None),
            Cards::One(id) => (Some(id), &[][..], None),
            Cards::OfItem { item, series } => (None, &site.items[item].authors[..], series),
        };
        let authors = authors.iter().filter_map(|a| site.id(Kind::Author, a));
        one.into_iter().chain(authors).chain(series)
    }
}

/// A tag or a category (its index in `Site::tags` or `Site::categories`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TermRef {
    Tag(usize),
    Category(usize),
}

/// What one output file shows. Besides what is declared here, every file may show the site's
/// settings (`site.yaml`, the build's `now`, the site view of the templates).
#[derive(Debug, Default)]
pub struct Shows {
    /// The lists it shows.
    pub lists: Lists,
    /// The item it shows whole (its page): its card, its text and its rendered body.
    pub whole: Option<ItemId>,
    /// Items of which it shows the card alone (an item's authors and series, an alias's item,
    /// an event's calendar).
    pub cards: Cards,
    /// Every tag and category with its number of items (the indexes of terms, the search page
    /// and index, the page not found).
    pub terms: bool,
    /// One term's slug, name and description (its pages).
    pub term: Option<TermRef>,
    /// The old address `aliases[alias]` of item `item` (its redirect page).
    pub alias: Option<(ItemId, usize)>,
    /// The redirect `site.config.redirects[i]` and the title of the page it leads to.
    pub redirect: Option<usize>,
    /// The address of every page, and the items' dates (the sitemap).
    pub addresses: bool,
    /// The theme's stylesheet.
    pub stylesheet: bool,
}

impl Shows {
    /// What `target` of `site` shows: the declaration.
    pub fn of(site: &Site, target: &Target) -> Shows {
        let list = |list: List, part: Part| Shown {
            list,
            part,
            each: Each::Card,
        };
        let page = |page: usize| Part::Page {
            page,
            per_page: LIST_PER_PAGE,
        };
        let mut shows = Shows::default();
        match target {
            Target::Page(job) => match job {
                Job::Home => {
                    shows.lists = Lists::of(&[
                        list(List::Upcoming, Part::All),
                        list(List::Newest(Kind::Article), Part::First(HOME_LATEST)),
                        list(List::Replays, Part::First(HOME_LATEST)),
                    ])
                }
                Job::Item(id) => shows.item_page(site, *id),
                Job::Articles { page, .. } => {
                    shows.lists = Lists::of(&[list(
                        List::Newest(Kind::Article),
                        Part::Page {
                            page: *page,
                            per_page: ARTICLES_PER_PAGE,
                        },
                    )])
                }
                Job::SeriesIndex => {
                    shows.lists = Lists::of(&[list(List::Newest(Kind::Series), Part::All)])
                }
                Job::Resources { page: p } => {
                    shows.lists = Lists::of(&[list(List::Replays, page(*p))])
                }
                Job::Events => {
                    shows.lists =
                        Lists::of(&[list(List::Upcoming, Part::All), list(List::Past, Part::All)])
                }
                Job::Authors => {
                    shows.lists = Lists::of(&[Shown {
                        list: List::Newest(Kind::Author),
                        part: Part::All,
                        each: Each::CardAndWorks,
                    }])
                }
                Job::Tags | Job::Categories | Job::NotFound | Job::Search => shows.terms = true,
                // The site's settings only: the events come from the manifest, in the browser.
                Job::Organisers => {}
                Job::Tag { term, page: p } => {
                    shows.term = Some(TermRef::Tag(*term));
                    shows.lists = Lists::of(&[list(List::Tag(*term), page(*p))]);
                }
                Job::Category { term, page: p } => {
                    shows.term = Some(TermRef::Category(*term));
                    shows.lists = Lists::of(&[list(List::Category(*term), page(*p))]);
                }
                // The author's card (their page without the biography) and a page of works.
                Job::Works { author, page: p } => {
                    shows.cards = Cards::One(*author);
                    shows.lists = Lists::of(&[list(List::Works(*author), page(*p))]);
                }
                Job::Alias { item, alias } => {
                    shows.cards = Cards::One(*item);
                    shows.alias = Some((*item, *alias));
                }
                Job::Redirect(i) => shows.redirect = Some(*i),
            },
            Target::Feed(i) => {
                shows.lists = Lists::of(&[Shown {
                    list: List::Feed(*i),
                    part: Part::All,
                    each: Each::CardAndBody,
                }])
            }
            Target::Calendar(id) => shows.cards = Cards::One(*id),
            Target::Calendars | Target::Manifest => {
                shows.lists = Lists::of(&[list(List::Newest(Kind::Event), Part::All)])
            }
            Target::Links => {
                shows.lists = Lists::of(&[list(List::Newest(Kind::Resource), Part::All)])
            }
            Target::SearchIndex => {
                // Its filters list the tags and categories.
                shows.terms = true;
                shows.lists = Lists::of(&[Shown {
                    list: List::Search,
                    part: Part::All,
                    each: Each::CardAndText,
                }]);
            }
            Target::Robots => {}
            Target::Sitemap => shows.addresses = true,
            Target::Stylesheet => shows.stylesheet = true,
        }
        shows
    }

    /// An item's page: the item whole, the cards of its authors, its series with the parts,
    /// and, for an author, the first page of their works.
    fn item_page(&mut self, site: &Site, id: ItemId) {
        let item = &site.items[id];
        self.whole = Some(id);
        let series = match &item.detail {
            Detail::Article {
                series: Some(series),
                ..
            } => site.id(Kind::Series, series),
            Detail::Series { .. } => Some(id),
            _ => None,
        };
        self.cards = Cards::OfItem { item: id, series };
        if let Some(series) = series {
            self.lists.push(Shown {
                list: List::Parts(series),
                part: Part::All,
                each: Each::Card,
            });
        }
        if item.kind == Kind::Author {
            self.lists.push(Shown {
                list: List::Works(id),
                part: Part::Page {
                    page: 1,
                    per_page: LIST_PER_PAGE,
                },
                each: Each::Card,
            });
        }
    }

    /// How this file shows `list`: the renderer's way to a list, so that a page cannot show
    /// a list its fingerprint does not read. Panics when the list is not declared ([`of`]
    /// must say it).
    ///
    /// [`of`]: Shows::of
    pub fn shown(&self, list: List) -> Shown {
        match self.lists.iter().find(|shown| shown.list == list) {
            Some(shown) => shown,
            None => panic!(
                "a renderer read {list:?}, which its target does not declare: add it to \
                 `Shows::of` in src/render/shows.rs"
            ),
        }
    }

    /// Whether the card of `id` is declared (the item shown whole, a single card).
    pub fn shows_card(&self, site: &Site, id: ItemId) -> bool {
        self.whole == Some(id) || self.cards.ids(site).any(|card| card == id)
    }

    /// Whether this file shows a list for which `changed` holds.
    pub fn shows_list(&self, changed: impl Fn(List) -> bool) -> bool {
        self.lists.iter().any(|shown| changed(shown.list))
    }
}

/// The latest articles and resources on the home page.
pub const HOME_LATEST: usize = 6;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "which its target does not declare")]
    fn an_undeclared_list_is_refused() {
        let shows = Shows {
            lists: Lists::of(&[Shown {
                list: List::Upcoming,
                part: Part::All,
                each: Each::Card,
            }]),
            ..Shows::default()
        };
        assert_eq!(shows.shown(List::Upcoming).part, Part::All);
        shows.shown(List::Past);
    }

    #[test]
    fn parts_cut_lists() {
        let ids: Vec<ItemId> = (0..45).collect();
        assert_eq!(Part::All.of(&ids).len(), 45);
        assert_eq!(Part::First(6).of(&ids), &[0, 1, 2, 3, 4, 5]);
        assert_eq!(Part::First(6).of(&ids[..2]), &[0, 1]);
        let third = Part::Page {
            page: 3,
            per_page: 20,
        };
        assert_eq!(third.of(&ids), &[40, 41, 42, 43, 44]);
        assert_eq!(third.pages(ids.len()), 3);
        assert_eq!(third.pages(0), 1);
        assert_eq!(Part::All.pages(45), 1);
    }
}
