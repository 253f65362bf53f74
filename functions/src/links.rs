//! Links in chat messages, shared by `classmates import discord` (the generator) and the Discord
//! app's « Proposer au site » (the function), so both judge a link the same way: finding links
//! in free text, telling the ones worth keeping from Discord's own links and GIFs, normalising
//! them so that the same page shared twice (with tracking parameters, `www.`, a trailing
//! slash…) is recognised as one, and the duplicate rules ([`Sieve`]).

use std::collections::HashMap;
use std::collections::HashSet;

use url::Url;

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

/// The links of a message: those of its text, then those of its embeds, each page once (by
/// [`normalize`]), in order; what is not an `http(s)` URL is left out.
pub fn message_links<'a>(
    content: &str,
    embed_urls: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut seen = HashSet::new();
    find_links(content)
        .into_iter()
        .chain(embed_urls.into_iter().map(str::to_owned))
        .filter(|link| Url::parse(link).is_ok())
        .filter(|link| normalize(link).is_some_and(|key| seen.insert(key)))
        .collect()
}

/// What becomes of one link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A link to Discord, its CDN or a GIF service.
    Ignored,
    /// A page of the site itself.
    OwnSite,
    /// The site already has it; where (a file or a page).
    OnSite(String),
    /// Shared earlier; where (the first message's id).
    SharedBefore(String),
    /// A new resource: its identity ([`normalize`]) and its URL without tracking parameters.
    New { key: String, url: Url },
}

/// The duplicate rules: a link is kept once, unless it points to Discord or a GIF, to the site
/// itself, or to a resource the site already has.
#[derive(Debug, Clone, Default)]
pub struct Sieve {
    own_host: Option<String>,
    known: HashMap<String, String>,
    shared: HashMap<String, String>,
}

/// Host without `www.`, lowercase.
fn bare_host(url: &Url) -> Option<String> {
    url.host_str()
        .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
}

impl Sieve {
    /// For the site at `base_url` (its own pages are not resources).
    pub fn new(base_url: &str) -> Sieve {
        Sieve {
            own_host: Url::parse(base_url).ok().as_ref().and_then(bare_host),
            ..Sieve::default()
        }
    }

    /// A resource of the site: its `url` and where it is (the first one given stays).
    pub fn add_known(&mut self, url: &str, place: impl Into<String>) {
        if let Some(key) = normalize(url) {
            self.known.entry(key).or_insert_with(|| place.into());
        }
    }

    /// The verdict on `link`, shared in `origin` (a message id); a new link is remembered as
    /// shared there. `None` when `link` is not an `http(s)` URL.
    pub fn judge(&mut self, link: &str, origin: &str) -> Option<Verdict> {
        let key = normalize(link)?;
        let url = Url::parse(link.trim()).ok()?;
        let host = bare_host(&url);
        Some(if is_ignored(&url) {
            Verdict::Ignored
        } else if host.is_some() && host == self.own_host {
            Verdict::OwnSite
        } else if let Some(place) = self.known.get(&key) {
            Verdict::OnSite(place.clone())
        } else if let Some(first) = self.shared.get(&key) {
            Verdict::SharedBefore(first.clone())
        } else {
            self.shared.insert(key.clone(), origin.to_owned());
            Verdict::New {
                key,
                url: clean(&url),
            }
        })
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
    fn discord_and_gif_links_are_ignored() {
        let ignored = |u: &str| is_ignored(&Url::parse(u).unwrap());
        assert!(ignored("https://cdn.discordapp.com/attachments/1/2/a.png"));
        assert!(ignored("https://discord.gg/abc"));
        assert!(ignored("https://media.tenor.com/x.gif"));
        assert!(ignored("https://giphy.com/gifs/x"));
        assert!(!ignored("https://docs.python.org/"));
    }

    #[test]
    fn a_link_is_kept_once_unless_known_or_ignored() {
        let mut sieve = Sieve::new("https://pythonclassmates.org/");
        sieve.add_known("https://docs.python.org/fr/3/", "content/resources/doc.md");
        let judge = |sieve: &mut Sieve, link: &str| sieve.judge(link, "m1").unwrap();
        assert_eq!(
            judge(&mut sieve, "https://docs.python.org/fr/3?utm_source=x"),
            Verdict::OnSite("content/resources/doc.md".into())
        );
        assert_eq!(
            judge(&mut sieve, "https://www.pythonclassmates.org/articles/a/"),
            Verdict::OwnSite
        );
        assert_eq!(judge(&mut sieve, "https://tenor.com/x"), Verdict::Ignored);
        assert!(matches!(
            judge(&mut sieve, "https://realpython.com/a/?fbclid=1"),
            Verdict::New { ref url, .. } if url.as_str() == "https://realpython.com/a/"
        ));
        assert_eq!(
            sieve.judge("http://realpython.com/a", "m2"),
            Some(Verdict::SharedBefore("m1".into()))
        );
        assert_eq!(sieve.judge("pas un lien", "m3"), None);
        assert_eq!(
            message_links(
                "https://a.example/x et https://a.example/x/",
                ["https://b.example/"]
            ),
            ["https://a.example/x", "https://b.example/"]
        );
    }
}
