//! Sites served under a path (a GitHub project page, `https://org.github.io/repo/`): every
//! address the site emits as a site path (`/style.css`, `/articles/x/`, a contributor's
//! `[lien](/evenements/)`) is put under that path. Pages are rendered with site paths and
//! rewritten here once, in one place, so no template or module has to remember it; a site at
//! the root of its host is left byte for byte as it was.

use anyhow::{Result, anyhow};
use lol_html::html_content::Element;
use lol_html::{RewriteStrSettings, element, rewrite_str};

/// The attributes that hold one address.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "data-index",
    "data-api",
];

/// `path` (a site path such as `/articles/x/`) under `base` (`/repo`, or empty): `/repo/articles/x/`.
/// Anything else (`https://…`, `//cdn…`, `#ancre`, `photo.png`) is returned as it is.
pub fn path(base: &str, path: &str) -> String {
    if is_site_path(path) {
        format!("{base}{path}")
    } else {
        path.to_string()
    }
}

fn is_site_path(value: &str) -> bool {
    value.starts_with('/') && !value.starts_with("//") && !value.starts_with("/\\")
}

/// Rewrites the site paths of an HTML document or fragment under `base`. Nothing changes
/// when `base` is empty.
pub fn html(base: &str, html: &str) -> Result<String> {
    if base.is_empty() {
        return Ok(html.to_string());
    }
    let rewrite = |el: &mut Element| {
        for name in URL_ATTRIBUTES {
            if let Some(value) = el.get_attribute(name)
                && is_site_path(value.trim_start())
            {
                el.set_attribute(name, &path(base, value.trim_start()))?;
            }
        }
        if let Some(value) = el.get_attribute("srcset") {
            let candidates: Vec<String> = value
                .split(',')
                .map(|candidate| {
                    let candidate = candidate.trim();
                    let (url, size) = candidate.split_once(' ').unwrap_or((candidate, ""));
                    format!("{} {size}", path(base, url)).trim_end().to_string()
                })
                .collect();
            el.set_attribute("srcset", &candidates.join(", "))?;
        }
        // `<meta http-equiv="refresh" content="0; url=/articles/x/">` (redirect pages).
        if el.tag_name() == "meta"
            && el
                .get_attribute("http-equiv")
                .is_some_and(|v| v.eq_ignore_ascii_case("refresh"))
            && let Some(content) = el.get_attribute("content")
            && let Some(at) = content.to_ascii_lowercase().find("url=")
        {
            let (delay, target) = content.split_at(at + 4);
            el.set_attribute("content", &format!("{delay}{}", path(base, target.trim())))?;
        }
        Ok(())
    };
    // Not strict: a contributor's raw HTML may leave the parser unsure of a text's kind, which
    // must not stop a build.
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("*", rewrite))
        .with_strict(false)
        .with_enable_esi_tags(false);
    rewrite_str(html, settings).map_err(|e| anyhow!("réécriture des adresses sous {base} : {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_paths_go_under_the_base_and_nothing_else_moves() {
        let page = r##"<a href="/">Accueil</a><link rel="stylesheet" href="/style.css"><script src="/theme.js"></script><img src="photo.png" srcset="/a.png 1x, /b.png 2x"><a href="https://x.org/">x</a><a href="//cdn.example/x">c</a><a href="#haut">h</a><form action="/recherche/" data-index="/recherche/index.json"></form><meta http-equiv="refresh" content="3; url=/articles/x/"><pre><code>href="/pas-un-lien"</code></pre>"##;
        assert_eq!(
            html("/repo", page).unwrap(),
            r##"<a href="/repo/">Accueil</a><link rel="stylesheet" href="/repo/style.css"><script src="/repo/theme.js"></script><img src="photo.png" srcset="/repo/a.png 1x, /repo/b.png 2x"><a href="https://x.org/">x</a><a href="//cdn.example/x">c</a><a href="#haut">h</a><form action="/repo/recherche/" data-index="/repo/recherche/index.json"></form><meta http-equiv="refresh" content="3; url=/repo/articles/x/"><pre><code>href="/pas-un-lien"</code></pre>"##
        );
        assert_eq!(html("", page).unwrap(), page);
        // Entities and quotes in an address survive the rewrite as written.
        assert_eq!(
            html(
                "/repo",
                r#"<a href="/tags/?a=1&amp;b=2" title="a &quot;b&quot;">t</a>"#
            )
            .unwrap(),
            r#"<a href="/repo/tags/?a=1&amp;b=2" title="a &quot;b&quot;">t</a>"#
        );
    }
}
