//! The content model: the kinds of content contributors write, their front matter as parsed,
//! and the loading of `content/` into parsed entries.

pub mod load;
pub mod meta;

use std::path::PathBuf;

pub use meta::Meta;

/// The kinds of content, one folder each under `content/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Author,
    Article,
    Series,
    Resource,
    Event,
    Page,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Author,
        Kind::Article,
        Kind::Series,
        Kind::Resource,
        Kind::Event,
        Kind::Page,
    ];

    /// Folder under `content/`.
    pub fn dir(self) -> &'static str {
        match self {
            Kind::Author => "authors",
            Kind::Article => "articles",
            Kind::Series => "series",
            Kind::Resource => "resources",
            Kind::Event => "events",
            Kind::Page => "pages",
        }
    }

    /// French label shown on cards and filters.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Author => "Auteur",
            Kind::Article => "Article",
            Kind::Series => "Série",
            Kind::Resource => "Ressource",
            Kind::Event => "Événement",
            Kind::Page => "Page",
        }
    }

    /// What a diagnostic calls a file of this kind ("l'article", "l'événement"…).
    pub fn what(self) -> &'static str {
        match self {
            Kind::Author => "la fiche auteur",
            Kind::Article => "l'article",
            Kind::Series => "la série",
            Kind::Resource => "la ressource",
            Kind::Event => "l'événement",
            Kind::Page => "la page",
        }
    }
}

/// A content file as read from disk, before its front matter is interpreted.
#[derive(Debug, Clone)]
pub struct Source {
    pub kind: Kind,
    pub slug: String,
    /// Path on disk.
    pub path: PathBuf,
    /// Path shown in messages, relative to the site root (`content/articles/x.md`).
    pub display: PathBuf,
    /// Path relative to `content/`, with `/` separators, used to resolve links between files.
    pub content_path: String,
    /// The whole file. Shared: items, caches and rebuilds clone sources without copying text.
    pub text: std::sync::Arc<str>,
    /// 1-based line where the YAML starts, and the YAML text.
    pub yaml_first_line: usize,
    pub yaml_range: std::ops::Range<usize>,
    /// 1-based line where the Markdown body starts, and its byte range in `text`.
    pub body_first_line: usize,
    pub body_range: std::ops::Range<usize>,
    /// Other files of a bundle (`content/<kind>/<slug>/…`), relative to the bundle folder.
    pub bundle_files: Vec<PathBuf>,
    pub bundle_dir: Option<PathBuf>,
    /// The text of the body's first paragraph, once asked for
    /// (`crate::markdown::first_paragraph`).
    pub first_paragraph: std::sync::OnceLock<String>,
    /// Set when `text` holds the front matter alone ([`Source::forget_body`]): the hash of
    /// the whole file as read, which [`Source::read_again`] checks.
    pub forgotten: Option<u64>,
}

impl Source {
    pub fn yaml(&self) -> &str {
        &self.text[self.yaml_range.clone()]
    }

    pub fn body(&self) -> &str {
        (self.text.get(self.body_range.clone()))
            .expect("the body of a source is read again before it is used (Source::read_again)")
    }

    /// Drops the body from `text`, keeping the front matter (for located diagnostics), so
    /// that a build that is not kept never holds every body at once; `hash` is the hash of
    /// the whole text ([`crate::hash::hash_bytes`]). What an item takes from its body (its
    /// first paragraph) must be taken before.
    pub fn forget_body(&mut self, hash: u64) {
        self.text = std::sync::Arc::from(&self.text[..self.body_range.start]);
        self.forgotten = Some(hash);
    }

    /// The source whole again, its file read again, when its body was forgotten; fails when
    /// the file changed since it was first read (the build would mix two versions of it).
    pub fn read_again(
        &self,
    ) -> Result<std::borrow::Cow<'_, Source>, Box<crate::diagnostics::Diagnostic>> {
        let Some(hash) = self.forgotten else {
            return Ok(std::borrow::Cow::Borrowed(self));
        };
        let text = crate::diagnostics::read_text(&self.path, &self.display)?;
        if crate::hash::hash_bytes(text.as_bytes()) != hash {
            return Err(Box::new(
                crate::diagnostics::Diagnostic::error(
                    &self.display,
                    "le fichier a changé pendant la construction",
                )
                .with_help("relancez la construction une fois le fichier enregistré"),
            ));
        }
        Ok(std::borrow::Cow::Owned(Source {
            text: text.into(),
            forgotten: None,
            ..self.clone()
        }))
    }

    /// The YAML document of the front matter, for located diagnostics.
    pub fn document(&self) -> crate::yaml::Document<'_> {
        crate::yaml::Document {
            path: &self.display,
            file_text: &self.text,
            yaml: self.yaml(),
            first_line: self.yaml_first_line,
        }
    }
}

/// A content file with its front matter parsed (not yet validated against the rest of the site).
#[derive(Debug, Clone)]
pub struct Entry {
    pub source: Source,
    pub meta: Meta,
}
