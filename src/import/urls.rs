//! Links in chat messages, for the importer: the shared rules live in the function crate
//! ([`classmates_api::links`], used by the Discord app too); this module adds what only the
//! importer needs, the kind of resource a link probably is.

use url::Url;

pub use classmates_api::links::{Sieve, Verdict, find_links, message_links, normalize};

use crate::content::meta::ResourceKind;

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
}
