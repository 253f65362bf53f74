//! GitHub project pages: a site whose `base_url` holds a path (`https://org.github.io/repo/`)
//! keeps every address it emits under that path. Every generated HTML, Atom, sitemap, JSON,
//! iCalendar and robots file is parsed and each of its own-site addresses checked.

mod common;

use std::path::Path;

use common::{Build, NOW, Site, repo_root, run_build};
use scraper::Html;

const ORIGIN: &str = "https://org.github.io";
const PREFIX: &str = "/repo";

/// What is wrong with `url`, found in `file`, if it leaves the site's path.
fn escapes(url: &str) -> bool {
    let url = url.trim();
    let path = if let Some(rest) = url.strip_prefix(ORIGIN) {
        if rest.is_empty() {
            return true;
        }
        rest
    } else if url.starts_with('/') && !url.starts_with("//") {
        url
    } else {
        return false;
    };
    !(path == PREFIX || path.starts_with(&format!("{PREFIX}/")))
}

/// Own-site addresses of an HTML document or fragment: every URL attribute, the target of a
/// refresh, `srcset` candidates and the strings of JSON-LD.
fn html_urls(html: &Html) -> Vec<String> {
    let mut urls = Vec::new();
    for element in html
        .root_element()
        .descendants()
        .filter_map(scraper::ElementRef::wrap)
    {
        let e = element.value();
        for name in [
            "href",
            "src",
            "action",
            "formaction",
            "poster",
            "data-index",
            "data-api",
        ] {
            if let Some(v) = e.attr(name) {
                urls.push(v.to_string());
            }
        }
        if let Some(set) = e.attr("srcset") {
            urls.extend(
                set.split(',')
                    .filter_map(|c| c.split_whitespace().next())
                    .map(String::from),
            );
        }
        if e.name() == "meta" {
            if let Some(content) = e.attr("content") {
                if e.attr("http-equiv")
                    .is_some_and(|v| v.eq_ignore_ascii_case("refresh"))
                {
                    let target = content.split_once("url=").map(|(_, u)| u).unwrap_or("");
                    urls.push(target.to_string());
                } else {
                    urls.push(content.to_string());
                }
            }
        }
        if e.name() == "script" && e.attr("type") == Some("application/ld+json") {
            let json: serde_json::Value =
                serde_json::from_str(&element.text().collect::<String>()).expect("JSON-LD");
            json_strings(&json, &mut urls);
        }
    }
    urls
}

fn json_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|v| json_strings(v, out)),
        serde_json::Value::Object(o) => o.values().for_each(|v| json_strings(v, out)),
        _ => {}
    }
}

/// Every own-site address of every file of `build` that leaves the path, as `file: url`.
fn escaping(build: &Build) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut bad = Vec::new();
    for file in build.files() {
        let text = || build.read(&file);
        let urls: Vec<String> = match Path::new(&file).extension().and_then(|e| e.to_str()) {
            Some("html") => html_urls(&Html::parse_document(&text())),
            Some("xml") if file.ends_with("atom.xml") => {
                let feed = build.atom(&file);
                let mut urls: Vec<String> = feed.links.iter().map(|l| l.href.clone()).collect();
                urls.push(feed.id.clone());
                for entry in &feed.entries {
                    urls.push(entry.id.clone());
                    urls.extend(entry.links.iter().map(|l| l.href.clone()));
                    urls.extend(entry.authors.iter().filter_map(|a| a.uri.clone()));
                    if let Some(body) = entry.content.as_ref().and_then(|c| c.body.as_ref()) {
                        urls.extend(html_urls(&Html::parse_fragment(body)));
                    }
                }
                urls
            }
            Some("xml") => {
                let sitemap = Html::parse_document(&text());
                common::select(&sitemap, "loc")
                    .iter()
                    .map(common::text)
                    .collect()
            }
            Some("json") => {
                let mut urls = Vec::new();
                json_strings(&build.json(&file), &mut urls);
                urls
            }
            Some("ics") => {
                let calendar = build.ics(&file);
                let mut urls = Vec::new();
                for event in &calendar.events {
                    for p in &event.properties {
                        if let Some(v) = &p.value {
                            // TEXT values keep their escapes: `…\n\nhttps://…`.
                            urls.extend(
                                v.split(['\\', ' '])
                                    .map(|w| {
                                        w.strip_prefix('n')
                                            .filter(|w| w.starts_with("http"))
                                            .unwrap_or(w)
                                    })
                                    .filter(|w| w.starts_with(ORIGIN))
                                    .map(String::from),
                            );
                            if p.name == "URL" {
                                urls.push(v.clone());
                            }
                        }
                    }
                }
                urls
            }
            Some("txt") => text()
                .split_whitespace()
                .filter(|w| w.starts_with("http"))
                .map(String::from)
                .collect(),
            _ => continue,
        };
        for url in urls {
            checked += 1;
            if escapes(&url) {
                bad.push(format!("{file}: {url}"));
            }
        }
    }
    (checked, bad)
}

#[track_caller]
fn assert_under_the_path(build: &Build) {
    let (checked, bad) = escaping(build);
    assert!(checked > 100, "only {checked} addresses checked");
    assert!(
        bad.is_empty(),
        "{} addresses leave {PREFIX}/:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn every_address_of_the_starter_site_stays_under_the_path() {
    let out = tempfile::tempdir().unwrap();
    let build = run_build(
        &repo_root(),
        &out.path().join("public"),
        &["--now", NOW, "--base-url", "https://org.github.io/repo/"],
    )
    .ok();
    assert_under_the_path(&build);
    // The home link, the theme's files and the search index among them.
    let home = build.html("index.html");
    assert!(common::attrs(&home, "a.brand", "href").contains(&"/repo/".to_string()));
    assert!(
        common::attrs(&home, "link[rel=stylesheet]", "href")
            .contains(&"/repo/style.css".to_string())
    );
    assert!(common::attrs(&home, "script", "src").contains(&"/repo/theme.js".to_string()));
    let search = build.html("recherche/index.html");
    let index = common::attrs(&search, "[data-index]", "data-index");
    assert_eq!(index.len(), 1);
    assert!(index[0].starts_with("/repo/recherche/"), "{index:?}");
    assert!(
        build.exists(
            index[0]
                .trim_start_matches("/repo/")
                .split('?')
                .next()
                .unwrap()
        )
    );
}

#[test]
fn redirects_and_bodies_of_a_site_under_a_path_stay_under_it() {
    // Aliases (refresh and canonical), Markdown links written as site paths, bundles.
    for fixture in ["aliases", "realistic"] {
        let site = Site::fixture(fixture);
        let build = site
            .build_with(
                &site.root().join("public"),
                &["--now", NOW, "--base-url", "https://org.github.io/repo"],
            )
            .ok();
        assert_under_the_path(&build);
    }
}

#[test]
fn a_site_at_the_root_of_its_host_is_unchanged_by_the_rewrite() {
    // The check itself can fail: at the root, site paths are not under /repo/.
    let out = tempfile::tempdir().unwrap();
    let build = run_build(
        &repo_root(),
        &out.path().join("public"),
        &["--now", NOW, "--base-url", "https://org.github.io/"],
    )
    .ok();
    let (_, bad) = escaping(&build);
    assert!(
        bad.iter().any(|b| b.starts_with("index.html: /style.css")),
        "{bad:?}"
    );
}
