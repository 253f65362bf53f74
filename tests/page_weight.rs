//! What a reader downloads: an article with code stays under 50 KB (HTML plus every stylesheet
//! and script it references, uncompressed), and no page makes the browser fetch anything from
//! another origin (scripts, stylesheets, fonts, images, frames). Links to elsewhere are fine.
//! `scripts/audit` measures the same in a real browser; this keeps `cargo test` honest.

mod common;

use std::path::Path;

use common::{NOW, Site, repo_root, run_build, select, tree};
use scraper::Html;

const LIMIT: usize = 50 * 1024;

/// Elements and attributes whose URL the browser fetches on its own when the page loads.
const FETCHED: &[(&str, &str)] = &[
    ("script[src]", "src"),
    ("img[src]", "src"),
    ("img[srcset]", "srcset"),
    ("source[src]", "src"),
    ("source[srcset]", "srcset"),
    ("iframe[src]", "src"),
    ("video[src]", "src"),
    ("video[poster]", "poster"),
    ("audio[src]", "src"),
    ("embed[src]", "src"),
    ("object[data]", "data"),
    ("input[type=image]", "src"),
];
/// `<link rel=…>` kinds that make the browser fetch (or connect to) their `href`.
const FETCHING_RELS: &[&str] = &[
    "stylesheet",
    "icon",
    "apple-touch-icon",
    "manifest",
    "preload",
    "prefetch",
    "modulepreload",
    "preconnect",
    "dns-prefetch",
];

/// True for a URL on another origin than the site: absolute (`https:`, `//host`) and not under
/// the site's own `base_url`.
fn third_party(url: &str, base_url: &str) -> bool {
    let url = url.trim();
    let absolute = url.starts_with("//") || url.contains("://");
    absolute && !url.starts_with(base_url.trim_end_matches('/'))
}

/// Every third-party URL that `page` (HTML) or the stylesheets it references would fetch, as
/// `"<tag> <url>"`.
fn third_party_fetches(page: &Html, out: &Path, page_path: &str, base_url: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (css, attr) in FETCHED {
        for element in select(page, css) {
            let value = element.attr(attr).unwrap_or_default();
            // `srcset`: "url 1x, url 2x".
            for url in value.split(',').filter_map(|c| c.split_whitespace().next()) {
                if third_party(url, base_url) {
                    found.push(format!("<{}> {url}", element.value().name()));
                }
            }
        }
    }
    for link in select(page, "link[href]") {
        let rels = link.attr("rel").unwrap_or_default().to_ascii_lowercase();
        let href = link.attr("href").unwrap_or_default();
        if rels.split_whitespace().any(|r| FETCHING_RELS.contains(&r))
            && third_party(href, base_url)
        {
            found.push(format!("<link rel={rels}> {href}"));
        }
    }
    for style in select(page, "style") {
        found.extend(css_fetches(&style.text().collect::<String>(), base_url));
    }
    for href in stylesheets(page) {
        if let Some(file) = local_file(&href, out, page_path, base_url) {
            let css = std::fs::read_to_string(&file).unwrap_or_default();
            found.extend(css_fetches(&css, base_url));
        }
    }
    found
}

/// Third-party `url(…)` and `@import` of a stylesheet (web fonts, background images).
fn css_fetches(css: &str, base_url: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in css
        .match_indices("url(")
        .chain(css.match_indices("@import"))
    {
        let rest = &css[at..];
        // `@import url(…)` is found by its `url(`.
        if rest.starts_with("@import") && rest[7..].trim_start().starts_with("url(") {
            continue;
        }
        let start = rest.find(['(', '"', '\'']).map_or(rest.len(), |i| i + 1);
        let rest = rest[start..].trim_start_matches(['"', '\'', ' ']);
        let end = rest.find(['"', '\'', ')', ';']).unwrap_or(rest.len());
        if third_party(&rest[..end], base_url) {
            found.push(format!("css {}", &rest[..end]));
        }
    }
    found
}

/// `href` of the page's stylesheets and `src` of its scripts.
fn stylesheets(page: &Html) -> Vec<String> {
    select(page, "link[rel~=stylesheet][href]")
        .iter()
        .filter_map(|l| l.attr("href").map(str::to_owned))
        .collect()
}

fn scripts(page: &Html) -> Vec<String> {
    select(page, "script[src]")
        .iter()
        .filter_map(|s| s.attr("src").map(str::to_owned))
        .collect()
}

/// The output file a same-site URL points to (None for other origins or missing files).
fn local_file(
    url: &str,
    out: &Path,
    page_path: &str,
    base_url: &str,
) -> Option<std::path::PathBuf> {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let url = url
        .strip_prefix(base_url.trim_end_matches('/'))
        .unwrap_or(url);
    if third_party(url, base_url) {
        return None;
    }
    let file = match url.strip_prefix('/') {
        Some(rooted) => out.join(rooted),
        None => out.join(page_path).parent()?.join(url),
    };
    file.is_file().then_some(file)
}

/// Bytes of the page plus every stylesheet and script it references, uncompressed, with the
/// list of what was counted.
fn page_weight(out: &Path, page_path: &str, base_url: &str) -> (usize, Vec<String>) {
    let html = std::fs::read_to_string(out.join(page_path)).unwrap();
    let page = Html::parse_document(&html);
    let mut total = html.len();
    let mut parts = vec![format!("{page_path} {}", html.len())];
    for url in stylesheets(&page).into_iter().chain(scripts(&page)) {
        let file = local_file(&url, out, page_path, base_url)
            .unwrap_or_else(|| panic!("{page_path}: {url} is not a file of the output"));
        let bytes = std::fs::metadata(&file).unwrap().len() as usize;
        total += bytes;
        parts.push(format!("{url} {bytes}"));
    }
    (total, parts)
}

/// Every HTML page of `out` with the third-party fetches it would make.
fn all_third_party(out: &Path, base_url: &str) -> Vec<String> {
    let mut found = Vec::new();
    for path in tree(out).keys().filter(|p| p.ends_with(".html")) {
        let page = Html::parse_document(&std::fs::read_to_string(out.join(path)).unwrap());
        for fetch in third_party_fetches(&page, out, path, base_url) {
            found.push(format!("{path}: {fetch}"));
        }
    }
    found
}

/// Articles of the output whose page shows highlighted code.
fn articles_with_code(out: &Path) -> Vec<String> {
    tree(out)
        .into_iter()
        .filter(|(path, bytes)| {
            path.starts_with("articles/")
                && path.ends_with("/index.html")
                && String::from_utf8_lossy(bytes).contains("<pre class=\"code")
        })
        .map(|(path, _)| path)
        .collect()
}

#[test]
fn starter_articles_with_code_weigh_under_50_kb_and_no_page_fetches_elsewhere() {
    let out = tempfile::tempdir().unwrap();
    let build = run_build(&repo_root(), &out.path().join("public"), &["--now", NOW]).ok();
    let base_url = "https://pythonclassmates.org";

    let articles = articles_with_code(&build.out);
    assert!(
        !articles.is_empty(),
        "the starter site has no article with code"
    );
    for article in &articles {
        let (total, parts) = page_weight(&build.out, article, base_url);
        assert!(
            total < LIMIT,
            "{article}: {total} bytes ≥ {LIMIT}: {parts:?}"
        );
    }
    assert_eq!(all_third_party(&build.out, base_url), Vec::<String>::new());
}

#[test]
fn an_article_with_heavy_code_goes_over_the_limit() {
    let site = Site::fixture("page-weight");
    let code: String = (0..1500)
        .map(|i| format!("valeur_{i} = {i} * 2\n"))
        .collect();
    site.write(
        "content/articles/lourd.md",
        &format!(
            "---\ntitle: Lourd\ndate: 2026-10-03\nauthors: [lea]\n---\n```python\n{code}```\n"
        ),
    );
    let build = site.build().ok();
    let base_url = "https://club.example.org";

    let (light, parts) = page_weight(&build.out, "articles/boucles/index.html", base_url);
    assert!(light < LIMIT, "{parts:?}");
    let (heavy, parts) = page_weight(&build.out, "articles/lourd/index.html", base_url);
    assert!(heavy > LIMIT, "{heavy} bytes: {parts:?}");
    // The page's own stylesheet and scripts are counted, not only the HTML.
    assert!(
        parts.iter().any(|p| p.starts_with("/style.css ")),
        "{parts:?}"
    );
    assert!(
        parts.iter().any(|p| p.starts_with("/reader.js ")),
        "{parts:?}"
    );
}

#[test]
fn an_image_from_elsewhere_is_reported_but_links_are_not() {
    let site = Site::fixture("page-weight");
    let build = site.build().ok();
    assert_eq!(
        all_third_party(&build.out, "https://club.example.org"),
        ["articles/integration/index.html: <img> https://images.example.net/schema.png"]
    );
    assert!(third_party(
        "//fonts.example.com/a.woff2",
        "https://club.example.org"
    ));
    assert!(!third_party(
        "https://club.example.org/style.css",
        "https://club.example.org/"
    ));
    assert_eq!(
        css_fetches(
            "@import url(\"https://fonts.example.com/css\"); a { background: url(/a.png) }",
            "https://club.example.org"
        ),
        ["css https://fonts.example.com/css"]
    );
}
