//! The site's URL scheme, the one place that knows it: the address of each page (items,
//! sections, lists and their pages, terms, the search page), the files serving them, the paths
//! an alias may take, and what links between content files resolve to. Content, resolution,
//! rendering and the incremental engine ask here instead of writing an address themselves.

use std::path::Path;

use crate::content::Kind;
use crate::hash::FastMap;

/// The home page.
pub const HOME: &str = "/";
/// The index of series.
pub const SERIES: &str = "/series/";
/// The index of events (upcoming and past).
pub const EVENTS: &str = "/evenements/";
/// The index of authors.
pub const AUTHORS: &str = "/auteurs/";
/// The index of tags; a tag's page is [`term`]`("tags", slug)`.
pub const TAGS: &str = "/tags/";
/// The index of categories; a category's page is [`term`]`("categories", slug)`.
pub const CATEGORIES: &str = "/categories/";
/// The search page.
pub const SEARCH: &str = "/recherche/";
/// The organisers' page (their registrations lists, behind a token; not indexed).
pub const ORGANISERS: &str = "/organisateurs/";
/// The page shown for an address the site does not have.
pub const NOT_FOUND: &str = "/404.html";

/// Site path of the section listing `kind` (`/articles/`).
pub fn section(kind: Kind) -> &'static str {
    match kind {
        Kind::Author => AUTHORS,
        Kind::Article => "/articles/",
        Kind::Series => SERIES,
        Kind::Resource => "/ressources/",
        Kind::Event => EVENTS,
        Kind::Page => HOME,
    }
}

/// Site path of the page of the item `slug` of `kind` (`/articles/x/`; a page: `/x/`).
pub fn item(kind: Kind, slug: &str) -> String {
    match kind {
        Kind::Page => format!("/{slug}/"),
        _ => format!("{}{slug}/", section(kind)),
    }
}

/// Site path of the page of the term `slug` of `section` (`tags` or `categories`).
pub fn term(section: &str, slug: &str) -> String {
    format!("/{section}/{slug}/")
}

/// Path in the output of the Atom feed of the term `slug` of `section`.
pub fn term_feed(section: &str, slug: &str) -> String {
    format!("{section}/{slug}/atom.xml")
}

/// Path in the output of the sitemap.
pub const SITEMAP: &str = "sitemap.xml";
/// Path in the output of the instructions for crawlers.
pub const ROBOTS: &str = "robots.txt";

/// Path in the output of the Atom feed of everything the site publishes.
pub const FEED: &str = "atom.xml";

/// Path in the output of the Atom feed of the section listing `kind` (`articles/atom.xml`).
pub fn section_feed(kind: Kind) -> String {
    format!("{}atom.xml", section(kind).trim_start_matches('/'))
}

/// Site path of the file at `file` in the output (`atom.xml` → `/atom.xml`).
pub fn site_path(file: &str) -> String {
    format!("/{file}")
}

/// Site path of page `page` of the list whose first page is at `base` (`/tags/python/`):
/// `base` itself, then `base` + `page/2/`…
pub fn page(base: &str, page: usize) -> String {
    if page == 1 {
        base.to_string()
    } else {
        format!("{base}page/{page}/")
    }
}

/// Site path of the iCalendar file of the event `slug`.
pub fn event_calendar(slug: &str) -> String {
    format!("/evenements/{slug}.ics")
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

/// Path in the output of the file `rel` of the bundle of the page at `url` (beside its
/// `index.html`).
pub fn bundle_file(url: &str, rel: &Path) -> String {
    let base = file_for_url(url);
    let base = base.trim_end_matches("index.html");
    format!("{base}{}", rel.to_string_lossy().replace('\\', "/"))
}

/// What links between content files resolve to, by path relative to `content/`.
pub type LinkTargets = FastMap<String, LinkTarget>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTarget {
    pub url: String,
    pub published: bool,
    /// The file exists but has errors of its own (it is not published until they are fixed).
    pub in_error: bool,
}

/// Paths at the root of the site that pages cannot take.
pub const RESERVED_PATHS: &[&str] = &[
    "articles",
    "series",
    "ressources",
    "evenements",
    "auteurs",
    "tags",
    "categories",
    "api",
    "recherche",
    "organisateurs",
    "404",
];

/// The output file of the redirect page of `alias`: `/a.html` → `a.html`, `/2019/05/x/` and
/// `/2019/05/x` → `2019/05/x/index.html`. An error says why the alias is not a valid old path.
pub fn alias_file(alias: &str) -> Result<String, String> {
    let Some(path) = alias.strip_prefix('/') else {
        return Err(format!("l'alias « {alias} » doit commencer par `/`"));
    };
    if path.is_empty() {
        return Err("l'alias « / » prendrait l'adresse de l'accueil".into());
    }
    if alias.chars().any(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '\\' | '"' | '<' | '>')
    }) {
        return Err(format!(
            "alias invalide « {alias} » : ni espace, ni `?`, ni `#`, ni `\\`"
        ));
    }
    let dir = path.strip_suffix('/');
    if dir
        .unwrap_or(path)
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(format!(
            "alias invalide « {alias} » : segment vide, `.` ou `..`"
        ));
    }
    if dir.is_some() {
        return Ok(format!("{path}index.html"));
    }
    let last = path.rsplit('/').next().unwrap_or_default();
    match last.rsplit_once('.') {
        None => Ok(format!("{path}/index.html")),
        Some((_, ext)) if ext.eq_ignore_ascii_case("html") || ext.eq_ignore_ascii_case("htm") => {
            Ok(path.to_string())
        }
        Some(_) => Err(format!(
            "l'alias « {alias} » n'est pas une page : il finit par `/` ou par `.html`"
        )),
    }
}

/// Whether the site itself generates the HTML file `file` (home, sections, pagination, tags,
/// categories, reserved paths), whatever the content.
pub fn is_generated_page(file: &str) -> bool {
    let first = file.split('/').next().unwrap_or_default();
    matches!(file, "index.html" | "404.html")
        || file.starts_with("articles/page/")
        || file.starts_with("ressources/page/")
        // The pages after the first of an author's works: `auteurs/<slug>/page/2/index.html`.
        || (first == "auteurs" && file.split('/').nth(2) == Some("page"))
        || (RESERVED_PATHS.contains(&first)
            && (file == format!("{first}/index.html")
                || matches!(first, "tags" | "categories" | "api" | "recherche")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_map_to_html_files() {
        assert_eq!(alias_file("/mon-article.html").unwrap(), "mon-article.html");
        assert_eq!(alias_file("/2019/05/x/").unwrap(), "2019/05/x/index.html");
        assert_eq!(alias_file("/ancien").unwrap(), "ancien/index.html");
        assert_eq!(alias_file("/v1.2/").unwrap(), "v1.2/index.html");
        for bad in [
            "mon-article.html",
            "/",
            "/a b.html",
            "/a.html?x=1",
            "/a//b/",
            "/../a.html",
            "/flux.xml",
        ] {
            assert!(alias_file(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn generated_pages_are_reserved() {
        assert!(is_generated_page("index.html"));
        assert!(is_generated_page("articles/index.html"));
        assert!(is_generated_page("articles/page/2/index.html"));
        assert!(is_generated_page("tags/python/index.html"));
        assert!(!is_generated_page("articles/ancien-nom/index.html"));
        assert!(!is_generated_page("tag/python.html"));
    }
}
