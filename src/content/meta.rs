//! Front matter of each kind of content, exactly as contributors write it. Parsing is strict
//! (`deny_unknown_fields`); cross-references and dates are checked later, in `site`.

use serde::Deserialize;

/// The parsed front matter of one file.
#[derive(Debug, Clone)]
pub enum Meta {
    Author(AuthorMeta),
    Article(ArticleMeta),
    Series(SeriesMeta),
    Resource(ResourceMeta),
    Event(EventMeta),
    Page(PageMeta),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorMeta {
    pub name: String,
    #[serde(default)]
    pub github: Option<String>,
    #[serde(default)]
    pub discord: Option<String>,
    #[serde(default)]
    pub avatar: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleMeta {
    pub title: String,
    pub date: String,
    pub authors: Vec<String>,
    #[serde(default)]
    pub updated: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub series: Option<String>,
    #[serde(default)]
    pub part: Option<u32>,
    #[serde(default)]
    pub draft: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesMeta {
    pub title: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
}

/// The kinds of resources, as written in `kind:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    Article,
    Video,
    Documentation,
    Tool,
    Book,
    Course,
    Podcast,
    Other,
}

impl ResourceKind {
    pub fn label(self) -> &'static str {
        match self {
            ResourceKind::Article => "Article",
            ResourceKind::Video => "Vidéo",
            ResourceKind::Documentation => "Documentation",
            ResourceKind::Tool => "Outil",
            ResourceKind::Book => "Livre",
            ResourceKind::Course => "Cours",
            ResourceKind::Podcast => "Podcast",
            ResourceKind::Other => "Autre",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceMeta {
    pub title: String,
    pub url: String,
    pub kind: ResourceKind,
    pub date: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub draft: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventMeta {
    pub title: String,
    pub start: String,
    pub end: String,
    #[serde(default)]
    pub speakers: Vec<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub capacity: Option<u32>,
    #[serde(default = "default_true")]
    pub registration: bool,
    #[serde(default)]
    pub registration_deadline: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub recording: Option<String>,
    #[serde(default)]
    pub slides: Option<String>,
    #[serde(default)]
    pub draft: bool,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageMeta {
    pub title: String,
}
