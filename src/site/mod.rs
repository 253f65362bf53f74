//! The resolved site: the items and lists every page reads (`model`), made from the parsed
//! entries by resolution (`resolve`), edited in place by the patches of `crate::incremental`
//! (`edit`).

mod edit;
mod model;
mod resolve;

pub use edit::TermChanges;
pub use model::*;
pub use resolve::{Resolutions, hold_back, resolve, resolve_alone, summary};

#[cfg(test)]
mod tests {
    use super::resolve::is_absolute_url;

    #[test]
    fn urls_must_be_absolute() {
        assert!(is_absolute_url("https://docs.python.org/fr/3/"));
        assert!(!is_absolute_url("docs.python.org"));
        assert!(!is_absolute_url("https://"));
        assert!(!is_absolute_url("https://exa mple.com"));
    }
}
