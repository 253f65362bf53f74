//! Links in chat messages: finding them in free text, telling the ones worth keeping from
//! Discord's own links and GIFs, and normalising them so that the same page shared twice (with
//! tracking parameters, `www.`, a trailing slash…) is recognised as one.

use url::Url;

use crate::content::meta::ResourceKind;

/// Query parameters that only track where a click came from.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid",
    "igsh", "yclid", "twclid", "ttclid", "_hsenc", "_hsmi", "mkt_tok", "ref_src", "ref_url", "si",
    "feature",
];

/// Hosts whose links are not resources: Discord itself, its CDN, GIF services.
const IGNORED_HOSTS: &[&str] = &[
    "discord.com",
    "discordapp.com",
    "discord.gg",
    "discordapp.net",
    "discord.media",
    "tenor.com",
    "giphy.com",
];

/// The `http(s)://` links of `text`, in order, with trailing punctuation and Markdown or
/// Discord syntax around them (`<…>`, `[texte](…)`, `**…**`) left out.
pub fn find_links(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut links = Vec::new();
    let mut from = 0;
    while let Some(found) = ["https://", "http://"]
        .iter()
        .filter_map(|p| lower[from..].find(p).map(|i| from + i))
        .min()
    {
        let rest = &text[found..];
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`'))
            .unwrap_or(rest.len());
        let candidate = trim_link(&rest[..end]);
        if candidate.len() > "https://".len() {
            links.push(candidate.to_string());
        }
        from = found + end.max(1);
    }
    links
}

/// Drops what ends a sentence or closes a bracket opened before the link.
fn trim_link(mut link: &str) -> &str {
    loop {
        let Some(last) = link.chars().last() else {
            return link;
        };
        let unbalanced =
            |open: char, close: char| link.matches(close).count() > link.matches(open).count();
        let drop = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' | '_' | '~' | '|' => true,
            ')' => unbalanced('(', ')'),
            ']' => unbalanced('[', ']'),
            '}' => unbalanced('{', '}'),
            _ => false,
        };
        if !drop {
            return link;
        }
        link = &link[..link.len() - last.len_utf8()];
    }
}

/// Whether the link points to Discord, its CDN or a GIF service.
pub fn is_ignored(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    IGNORED_HOSTS
        .iter()
        .any(|h| host == *h || host.ends_with(&format!(".{h}")))
}

/// The link without its tracking parameters (everything else as shared).
pub fn clean(url: &Url) -> Url {
    let mut cleaned = url.clone();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !is_tracking(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.len() != url.query_pairs().count() {
        if kept.is_empty() {
            cleaned.set_query(None);
        } else {
            cleaned.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    cleaned
}

fn is_tracking(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.starts_with("utm_") || TRACKING_PARAMS.contains(&key.as_str())
}

/// The identity of a link, for duplicates: host (lowercase, without `www.`), port, path without
/// a trailing slash, query without tracking parameters; no scheme (`http` and `https` are the
/// same page), no fragment. `None` for what is not an `http(s)` URL.
pub fn normalize(link: &str) -> Option<String> {
    let url = Url::parse(link.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = url.path().trim_end_matches('/');
    let query: Vec<String> = url
        .query_pairs()
        .filter(|(k, _)| !is_tracking(k))
        .map(|(k, v)| {
            if v.is_empty() {
                k.into_owned()
            } else {
                format!("{k}={v}")
            }
        })
        .collect();
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&"))
    };
    Some(format!("{host}{port}{path}{query}"))
}

/// The kind of resource a link probably is, from its host and path.
pub fn guess_kind(url: &Url) -> ResourceKind {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let path = url.path().to_ascii_lowercase();
    let is = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    if is("youtube.com") || is("youtu.be") || is("vimeo.com") || is("twitch.tv") {
        ResourceKind::Video
    } else if host.starts_with("docs.")
        || host.starts_with("doc.")
        || is("readthedocs.io")
        || is("readthedocs.org")
        || path.starts_with("/docs/")
        || path.starts_with("/doc/")
    {
        ResourceKind::Documentation
    } else if is("github.com") || is("gitlab.com") || is("pypi.org") {
        ResourceKind::Tool
    } else {
        ResourceKind::Article
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_found_without_surrounding_syntax() {
        assert_eq!(
            find_links(
                "Regardez https://example.org/a. Et <https://b.example/x?y=1>, puis \
                 [ce tuto](https://c.example/tuto) ou **https://d.example/**"
            ),
            [
                "https://example.org/a",
                "https://b.example/x?y=1",
                "https://c.example/tuto",
                "https://d.example/"
            ]
        );
        assert_eq!(
            find_links("(voir https://fr.wikipedia.org/wiki/Python_(langage))"),
            ["https://fr.wikipedia.org/wiki/Python_(langage)"]
        );
        assert!(find_links("pas de lien ici, ni http:// seul").is_empty());
    }

    #[test]
    fn the_same_page_normalises_the_same() {
        let a = normalize("https://www.Example.org/Guide/?utm_source=discord&utm_medium=chat#top");
        let b = normalize("http://example.org/Guide?fbclid=abc");
        assert_eq!(a, b);
        assert_eq!(a.as_deref(), Some("example.org/Guide"));
        assert_ne!(
            normalize("https://example.org/?page=2"),
            normalize("https://example.org/?page=3")
        );
        assert_eq!(normalize("ftp://example.org/"), None);
    }

    #[test]
    fn tracking_parameters_are_cleaned() {
        let url = Url::parse("https://youtu.be/abc?si=XYZ&t=42").unwrap();
        assert_eq!(clean(&url).as_str(), "https://youtu.be/abc?t=42");
        let url = Url::parse("https://example.org/a?utm_source=x").unwrap();
        assert_eq!(clean(&url).as_str(), "https://example.org/a");
    }

    #[test]
    fn kinds_are_guessed_from_the_host() {
        let kind = |u: &str| guess_kind(&Url::parse(u).unwrap());
        assert_eq!(
            kind("https://www.youtube.com/watch?v=x"),
            ResourceKind::Video
        );
        assert_eq!(
            kind("https://docs.python.org/fr/3/"),
            ResourceKind::Documentation
        );
        assert_eq!(
            kind("https://pytest-django.readthedocs.io/en/latest/"),
            ResourceKind::Documentation
        );
        assert_eq!(kind("https://github.com/psf/black"), ResourceKind::Tool);
        assert_eq!(
            kind("https://realpython.com/python-f-strings/"),
            ResourceKind::Article
        );
    }

    #[test]
    fn discord_and_gif_links_are_ignored() {
        let ignored = |u: &str| is_ignored(&Url::parse(u).unwrap());
        assert!(ignored("https://cdn.discordapp.com/attachments/1/2/a.png"));
        assert!(ignored("https://discord.gg/abc"));
        assert!(ignored("https://media.tenor.com/x.gif"));
        assert!(ignored("https://giphy.com/gifs/x"));
        assert!(!ignored("https://docs.python.org/"));
    }
}
