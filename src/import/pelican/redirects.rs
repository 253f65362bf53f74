//! The old addresses of a Pelican blog that are no article or page (category, tag, author,
//! archive pages and feeds, at Pelican's default URLs or those of `pelicanconf.py`), written to
//! `redirects:` of `site.yaml` so that they lead to this site's pages and feeds.

use std::collections::HashMap;
use std::path::Path;

use super::doc::{Doc, DocKind, pelicanconf_setting};
use super::slug::pelican_slugify;
use crate::config::Config;
use crate::content::Kind;
use crate::import::{Note, Plan, Report, yaml_scalar};
use crate::urls;

/// A Pelican URL setting with its default (`None` when the blog has no such page).
fn setting(source: &Path, name: &str, default: Option<&str>) -> Option<String> {
    match pelicanconf_setting(source, name) {
        Some(value) => value,
        None => default.map(str::to_owned),
    }
    .filter(|v| !v.trim().is_empty())
}

/// What a Pelican URL setting (`ARTICLE_URL = '{date:%Y}/{date:%m}/{slug}.html'`) is
/// formatted with, as Pelican's `Content.url_format` gives it.
pub(super) struct UrlValues<'a> {
    pub(super) slug: &'a str,
    pub(super) lang: &'a str,
    pub(super) date: Option<chrono::NaiveDateTime>,
    /// Slugs, as Pelican puts them in URLs.
    pub(super) category: &'a str,
    pub(super) author: &'a str,
}

/// `/` + a Pelican URL setting formatted like Python's `str.format` with `values` (`{date}`
/// takes a strftime format after `:`); `None` for a field this importer does not know.
pub(super) fn format_url(pattern: &str, values: &UrlValues) -> Option<String> {
    use std::fmt::Write as _;
    let mut out = String::from("/");
    let mut rest = pattern.trim_start_matches('/');
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}')? + open;
        let field = &rest[open + 1..close];
        let (name, spec) = field.split_once(':').unwrap_or((field, ""));
        match name {
            "slug" => out.push_str(values.slug),
            "lang" => out.push_str(values.lang),
            "category" => out.push_str(values.category),
            "author" => out.push_str(values.author),
            "date" => {
                let date = values.date?;
                let spec = if spec.is_empty() {
                    "%Y-%m-%d %H:%M:%S"
                } else {
                    spec
                };
                if chrono::format::StrftimeItems::new(spec)
                    .any(|item| matches!(item, chrono::format::Item::Error))
                {
                    return None;
                }
                write!(out, "{}", date.format(spec)).ok()?;
            }
            _ => return None,
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// `/` + a Pelican URL with its `{slug}`.
fn old(url: &str, slug: &str) -> String {
    format!("/{}", url.replace("{slug}", slug).trim_start_matches('/'))
}

/// Plans the `redirects:` of the converted documents' categories, tags and authors, and of
/// the blog's archive pages and feeds, into `plan.config`; reports them.
#[allow(clippy::too_many_arguments)]
pub(super) fn plan(
    source: &Path,
    docs: &[Doc],
    category_of: &HashMap<String, String>,
    author_ids: &HashMap<String, String>,
    claimed: &HashMap<String, String>,
    config: &Config,
    config_text: &str,
    plan: &mut Plan,
    report: &mut Report,
) {
    let url = |name: &str, default: Option<&str>| setting(source, name, default);
    let category_url = url("CATEGORY_URL", Some("category/{slug}.html"));
    let tag_url = url("TAG_URL", Some("tag/{slug}.html"));
    let author_url = url("AUTHOR_URL", Some("author/{slug}.html"));
    let category_feeds = [
        url("CATEGORY_FEED_ATOM", Some("feeds/{slug}.atom.xml")),
        url("CATEGORY_FEED_RSS", None),
    ];
    let tag_feeds = [url("TAG_FEED_ATOM", None), url("TAG_FEED_RSS", None)];
    let mut wanted: Vec<(String, String)> = Vec::new();
    let all_feed = urls::site_path(urls::FEED);
    let articles = urls::section(Kind::Article);
    for (from, to) in [
        (
            url("FEED_ALL_ATOM", Some("feeds/all.atom.xml")),
            all_feed.as_str(),
        ),
        (url("FEED_ALL_RSS", None), &all_feed),
        (url("FEED_ATOM", None), &all_feed),
        (url("FEED_RSS", None), &all_feed),
        (url("ARCHIVES_URL", Some("archives.html")), articles),
        (
            url("CATEGORIES_URL", Some("categories.html")),
            urls::CATEGORIES,
        ),
        (url("TAGS_URL", Some("tags.html")), urls::TAGS),
        (url("AUTHORS_URL", Some("authors.html")), urls::AUTHORS),
    ] {
        if let Some(from) = from {
            wanted.push((old(&from, ""), to.to_string()));
        }
    }
    for doc in docs
        .iter()
        .filter(|d| d.converted && !d.draft && d.kind == DocKind::Article)
    {
        if let (Some(pelican), Some(kept)) = (&doc.pelican_category, &doc.category)
            && let Some(slug) = category_of.get(&crate::text::slugify(kept))
        {
            let old_slug = pelican_slugify(pelican);
            if let Some(u) = &category_url {
                wanted.push((old(u, &old_slug), urls::term("categories", slug)));
            }
            for feed in category_feeds.iter().flatten() {
                let to = urls::site_path(&urls::term_feed("categories", slug));
                wanted.push((old(feed, &old_slug), to));
            }
        }
        if doc.pelican_category.is_none() {
            // Pelican files an article without a category under DEFAULT_CATEGORY (`misc`);
            // here it is in no category: its old category page leads to the articles.
            let misc = pelican_slugify(&url("DEFAULT_CATEGORY", Some("misc")).unwrap_or_default());
            if let Some(u) = category_url.as_ref().filter(|_| !misc.is_empty()) {
                wanted.push((old(u, &misc), articles.to_string()));
            }
            for feed in category_feeds.iter().flatten().filter(|_| !misc.is_empty()) {
                let to = urls::site_path(&urls::section_feed(Kind::Article));
                wanted.push((old(feed, &misc), to));
            }
        }
        for tag in &doc.tags {
            let (old_slug, slug) = (pelican_slugify(tag), crate::text::slugify(tag));
            if let Some(u) = &tag_url {
                wanted.push((old(u, &old_slug), urls::term("tags", &slug)));
            }
            for feed in tag_feeds.iter().flatten() {
                let to = urls::site_path(&urls::term_feed("tags", &slug));
                wanted.push((old(feed, &old_slug), to));
            }
        }
        if let Some(u) = &author_url {
            for name in &doc.authors {
                if let Some(id) = author_ids.get(&crate::text::slugify(name)) {
                    wanted.push((old(u, &pelican_slugify(name)), urls::item(Kind::Author, id)));
                }
            }
        }
    }
    // Each old address once (the first wins); none the site redirects already.
    let mut new: Vec<(String, String)> = Vec::new();
    for (from, to) in wanted {
        let taken =
            new.iter().any(|(f, _)| *f == from) || config.redirects.iter().any(|(f, _)| *f == from);
        let aliased = crate::urls::alias_file(&from)
            .ok()
            .and_then(|file| claimed.get(&file));
        if let Some(owner) = aliased {
            report.skipped.push(Note::new(
                crate::config::CONFIG_FILE,
                0,
                format!("ancienne adresse {from} déjà redirigée par {owner} : non reprise"),
            ));
        } else if !taken {
            new.push((from, to));
        }
    }
    if new.is_empty() {
        return;
    }
    let text = plan
        .config
        .clone()
        .unwrap_or_else(|| config_text.to_string());
    match append_redirects(&text, &new) {
        Ok(text) => {
            report.created.push(format!(
                "site.yaml : {} ancienne(s) adresse(s) du blog redirigée(s) (`redirects:` : catégories, étiquettes, auteurs, archives, flux)",
                new.len()
            ));
            plan.config = Some(text);
        }
        Err(why) => report.skipped.push(Note::new(
            crate::config::CONFIG_FILE,
            0,
            format!(
                "anciennes adresses des catégories, étiquettes et flux non redirigées ({why}) : ajoutez-les à `redirects:`"
            ),
        )),
    }
}

/// Adds `redirects` to the `redirects:` block of `site.yaml` (created at the end when there is
/// none), as text, so comments and layout stay; the result is checked by parsing it.
fn append_redirects(text: &str, new: &[(String, String)]) -> Result<String, String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let key = lines.iter().position(|l| {
        l.strip_prefix("redirects")
            .and_then(|r| r.trim_start().strip_prefix(':'))
            .is_some_and(|r| r.trim().is_empty() || r.trim().starts_with('#'))
    });
    let entries: String = new
        .iter()
        .map(|(from, to)| format!("  {}: {}\n", yaml_scalar(from), yaml_scalar(to)))
        .collect();
    let mut out = String::with_capacity(text.len() + entries.len() + 100);
    match key {
        Some(key) => {
            let mut last = key;
            for (i, line) in lines.iter().enumerate().skip(key + 1) {
                if line.trim().is_empty() || line.trim_start().starts_with('#') {
                    continue;
                }
                if !line.starts_with([' ', '\t']) {
                    break;
                }
                last = i;
            }
            for (i, line) in lines.iter().enumerate() {
                out.push_str(line);
                if i == last {
                    if !line.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push_str(&entries);
                }
            }
        }
        None => {
            if text.contains("\nredirects:") || text.starts_with("redirects:") {
                return Err("`redirects:` n'est pas une liste en style bloc".into());
            }
            out.push_str(text);
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str("\n# Anciennes adresses du blog Pelican (catégories, étiquettes, flux…) et les pages qui les remplacent.\nredirects:\n");
            out.push_str(&entries);
        }
    }
    let config =
        Config::parse(Path::new(crate::config::CONFIG_FILE), &out).map_err(|problems| {
            format!(
                "site.yaml ne serait plus valide : {}",
                crate::import::one_line(&problems)
            )
        })?;
    if new
        .iter()
        .all(|(from, to)| config.redirects.iter().any(|(f, t)| f == from && t == to))
    {
        Ok(out)
    } else {
        Err("la liste `redirects:` n'a pas pu être complétée".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pelican_url_settings_are_formatted_like_pelican() {
        let values = UrlValues {
            slug: "mon-article",
            lang: "fr",
            date: chrono::NaiveDate::from_ymd_opt(2018, 11, 29)
                .and_then(|d| d.and_hms_opt(21, 21, 0)),
            category: "python",
            author: "ines-dupont",
        };
        let f = |p: &str| format_url(p, &values);
        assert_eq!(
            f("{date:%Y}/{date:%m}/{date:%d}/{slug}/").as_deref(),
            Some("/2018/11/29/mon-article/")
        );
        assert_eq!(
            f("posts/{slug}.html").as_deref(),
            Some("/posts/mon-article.html")
        );
        assert_eq!(
            f("{category}/{author}/{lang}/{slug}.html").as_deref(),
            Some("/python/ines-dupont/fr/mon-article.html")
        );
        assert_eq!(
            f("{date:%Y}/{date:%b}/{slug}").as_deref(),
            Some("/2018/Nov/mon-article")
        );
        assert_eq!(f("{inconnu}/{slug}.html"), None);
        assert_eq!(f("{slug"), None);
    }

    #[test]
    fn redirects_are_appended_keeping_comments() {
        let text = "title: T\ndescription: D\nbase_url: https://x.org\nlanguage: fr\ntimezone: Europe/Paris\ncategories: []\n# fin\n";
        let out = append_redirects(text, &[("/tag/a.html".into(), "/tags/a/".into())]).unwrap();
        assert!(out.starts_with(text), "{out}");
        assert!(
            out.ends_with("redirects:\n  /tag/a.html: /tags/a/\n"),
            "{out}"
        );
        let again = append_redirects(&out, &[("/tag/b.html".into(), "/tags/b/".into())]).unwrap();
        assert!(
            again.ends_with("redirects:\n  /tag/a.html: /tags/a/\n  /tag/b.html: /tags/b/\n"),
            "{again}"
        );
    }
}
