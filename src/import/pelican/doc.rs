//! A Markdown file of the Pelican folder as the importer understands it (`Doc`), and the
//! settings read from `pelicanconf.py`: what the importer's steps share.

use std::path::Path;

use super::header::Header;
use crate::content::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DocKind {
    Article,
    Page,
}

impl DocKind {
    pub(super) fn kind(self) -> Kind {
        match self {
            DocKind::Article => Kind::Article,
            DocKind::Page => Kind::Page,
        }
    }
}

/// A Markdown file of the Pelican folder, as understood.
#[derive(Debug)]
pub(super) struct Doc {
    /// Path relative to the Pelican folder, `/`-separated.
    pub(super) rel: String,
    pub(super) kind: DocKind,
    pub(super) text: String,
    pub(super) body_start: usize,
    pub(super) title: String,
    /// Pelican's slug (its old address is `/<slug>.html`).
    pub(super) pelican_slug: String,
    /// File name here.
    pub(super) slug: String,
    pub(super) date: Option<String>,
    pub(super) updated: Option<String>,
    pub(super) authors: Vec<String>,
    pub(super) category: Option<String>,
    /// The category as Pelican has it (the whole `Category:`, or the folder): its old address.
    pub(super) pelican_category: Option<String>,
    pub(super) tags: Vec<String>,
    pub(super) summary: Option<String>,
    pub(super) draft: bool,
    pub(super) aliases: Vec<String>,
    /// Whether it is converted (not skipped).
    pub(super) converted: bool,
    /// Files copied next to it, in order: (path in the Pelican folder, name in the bundle).
    pub(super) files: Vec<(String, String)>,
}

impl Doc {
    /// Path relative to `content/` once converted.
    pub(super) fn content_path(&self) -> String {
        let dir = self.kind.kind().dir();
        if self.files.is_empty() {
            format!("{dir}/{}.md", self.slug)
        } else {
            format!("{dir}/{}/index.md", self.slug)
        }
    }

    pub(super) fn line_of_key(&self, header: &Header, key: &str) -> usize {
        header
            .fields
            .iter()
            .find(|f| f.key == key)
            .map(|f| f.line)
            .unwrap_or(0)
    }
}

/// A string setting of the `pelicanconf.py` next to (or above) the content folder: `None`
/// when it is not set, `Some(None)` when it is set to `None`.
pub(super) fn pelicanconf_setting(source: &Path, name: &str) -> Option<Option<String>> {
    let candidates = [
        source.join("pelicanconf.py"),
        source.parent()?.join("pelicanconf.py"),
    ];
    for path in candidates {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for line in text.lines() {
            let Some(rest) = line.strip_prefix(name) else {
                continue;
            };
            let Some(value) = rest.trim_start().strip_prefix('=') else {
                continue;
            };
            let value = value.trim();
            if value == "None" || value.starts_with("None ") || value.starts_with("None#") {
                return Some(None);
            }
            let quote = value.chars().next()?;
            if matches!(quote, '\'' | '"')
                && let Some(end) = value[1..].find(quote)
            {
                return Some(Some(value[1..1 + end].to_string()));
            }
        }
    }
    None
}
