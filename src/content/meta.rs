//! Front matter of each kind of content, exactly as contributors write it. Parsing is strict
//! (`deny_unknown_fields`); cross-references and dates are checked later, in `site`.

use schemars::JsonSchema;
use serde::Deserialize;

/// What `dates::parse` accepts, for editors (`2026-12-10`, `2026-12-10 19:00`, RFC 3339); the
/// build's own check stays the reference.
const DATE_PATTERN: &str =
    r"^\s*\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?)?\s*$";
/// An absolute http(s) address, as `site` requires for `url`, `recording` and `slides`.
const URL_PATTERN: &str = r"^https?://[^\s/?#]+\.[^\s]*$";

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

impl Meta {
    /// The old paths that redirect to this content's page (none for authors).
    pub fn aliases(&self) -> &[String] {
        match self {
            Meta::Author(_) => &[],
            Meta::Article(m) => &m.aliases,
            Meta::Series(m) => &m.aliases,
            Meta::Resource(m) => &m.aliases,
            Meta::Event(m) => &m.aliases,
            Meta::Page(m) => &m.aliases,
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Fiche auteur",
    description = "En-tête de content/authors/<identifiant>.md ; l'identifiant est le nom du fichier."
)]
pub struct AuthorMeta {
    #[schemars(description = "Nom affiché : prénom et nom, ou pseudo.")]
    pub name: String,
    #[serde(default)]
    #[schemars(description = "Identifiant GitHub, sans @.")]
    pub github: Option<String>,
    #[serde(default)]
    #[schemars(description = "Pseudo Discord.")]
    pub discord: Option<String>,
    #[serde(default)]
    #[schemars(description = "Adresse d'une photo ou d'une image de profil.")]
    pub avatar: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Article",
    description = "En-tête de content/articles/<slug>.md ou content/articles/<slug>/index.md."
)]
pub struct ArticleMeta {
    #[schemars(description = "Titre de l'article (entre guillemets s'il contient « : »).")]
    pub title: String,
    #[schemars(
        description = "Date de publication : `2026-12-10`, `2026-12-10 19:00` (heure de Paris) ou RFC 3339. Un article daté dans le futur paraît à cette date.",
        pattern(DATE_PATTERN)
    )]
    pub date: String,
    #[schemars(
        description = "Identifiants des auteurs : noms des fichiers de content/authors/, sans `.md`.",
        length(min = 1)
    )]
    pub authors: Vec<String>,
    #[serde(default)]
    #[schemars(
        description = "Date de la dernière mise à jour importante.",
        pattern(DATE_PATTERN)
    )]
    pub updated: Option<String>,
    #[serde(default)]
    #[schemars(
        description = "Résumé d'une ou deux phrases montré dans les listes (par défaut : le premier paragraphe)."
    )]
    pub summary: Option<String>,
    #[serde(default)]
    #[schemars(description = "Étiquettes libres (réutilisez celles qui existent déjà).")]
    pub tags: Vec<String>,
    #[serde(default)]
    #[schemars(description = "Catégories, parmi la liste fermée de site.yaml.")]
    pub categories: Vec<String>,
    #[serde(default)]
    #[schemars(
        description = "Identifiant de la série (nom du fichier dans content/series/, sans `.md`)."
    )]
    pub series: Option<String>,
    #[serde(default)]
    #[schemars(
        description = "Numéro de la partie dans la série, à partir de 1.",
        range(min = 1)
    )]
    pub part: Option<u32>,
    #[serde(default)]
    #[schemars(description = "Brouillon : `true` pour ne pas publier.")]
    pub draft: bool,
    /// Old site paths that redirect here (`/mon-article.html`, `/2019/05/x/`).
    #[serde(default)]
    #[schemars(
        description = "Anciennes adresses de la page, redirigées vers elle (par exemple `/2019/05/mon-article/`)."
    )]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Série",
    description = "En-tête de content/series/<identifiant>.md ; chaque article de la série indique `series: <identifiant>` et `part: N`."
)]
pub struct SeriesMeta {
    #[schemars(description = "Titre de la série.")]
    pub title: String,
    #[serde(default)]
    #[schemars(
        description = "Résumé d'une ou deux phrases montré dans les listes (par défaut : le premier paragraphe)."
    )]
    pub summary: Option<String>,
    #[serde(default)]
    #[schemars(description = "Étiquettes libres (réutilisez celles qui existent déjà).")]
    pub tags: Vec<String>,
    #[serde(default)]
    #[schemars(description = "Catégories, parmi la liste fermée de site.yaml.")]
    pub categories: Vec<String>,
    /// Old site paths that redirect here (`/mon-article.html`, `/2019/05/x/`).
    #[serde(default)]
    #[schemars(
        description = "Anciennes adresses de la page, redirigées vers elle (par exemple `/2019/05/mon-article/`)."
    )]
    pub aliases: Vec<String>,
}

/// The kinds of resources, as written in `kind:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(
    description = "Type de ressource : article, video, documentation, tool, book, course, podcast ou other."
)]
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

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Ressource",
    description = "En-tête de content/resources/<slug>.md : un lien commenté vers une ressource extérieure."
)]
pub struct ResourceMeta {
    #[schemars(description = "Titre de la ressource.")]
    pub title: String,
    #[schemars(
        description = "Adresse complète de la ressource (`https://…`).",
        pattern(URL_PATTERN)
    )]
    pub url: String,
    #[schemars(description = "Type de ressource.")]
    pub kind: ResourceKind,
    #[schemars(
        description = "Date d'ajout au site : `2026-12-10`.",
        pattern(DATE_PATTERN)
    )]
    pub date: String,
    #[serde(default)]
    #[schemars(description = "Éditeur ou site d'origine (par exemple « Real Python »).")]
    pub source: Option<String>,
    #[serde(default)]
    #[schemars(
        description = "Membres qui proposent la ressource (identifiants de content/authors/)."
    )]
    pub authors: Vec<String>,
    #[serde(default)]
    #[schemars(
        description = "Deux ou trois phrases : ce que c'est, à qui cela s'adresse (par défaut : le premier paragraphe)."
    )]
    pub summary: Option<String>,
    #[serde(default)]
    #[schemars(description = "Étiquettes libres (réutilisez celles qui existent déjà).")]
    pub tags: Vec<String>,
    #[serde(default)]
    #[schemars(description = "Catégories, parmi la liste fermée de site.yaml.")]
    pub categories: Vec<String>,
    #[serde(default)]
    #[schemars(description = "Brouillon : `true` pour ne pas publier.")]
    pub draft: bool,
    /// Old site paths that redirect here (`/mon-article.html`, `/2019/05/x/`).
    #[serde(default)]
    #[schemars(
        description = "Anciennes adresses de la page, redirigées vers elle (par exemple `/2019/05/mon-article/`)."
    )]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Événement",
    description = "En-tête de content/events/<slug>.md : un webinaire, une permanence, un atelier."
)]
pub struct EventMeta {
    #[schemars(description = "Titre de l'événement.")]
    pub title: String,
    #[schemars(
        description = "Début : `2026-12-10 19:00` (heure de Paris) ou RFC 3339.",
        pattern(DATE_PATTERN)
    )]
    pub start: String,
    #[schemars(
        description = "Fin, après le début : `2026-12-10 20:30`.",
        pattern(DATE_PATTERN)
    )]
    pub end: String,
    #[serde(default)]
    #[schemars(description = "Intervenants (identifiants de content/authors/).")]
    pub speakers: Vec<String>,
    #[serde(default)]
    #[schemars(description = "Lieu, ou « En ligne » et la plateforme.")]
    pub location: Option<String>,
    #[serde(default)]
    #[schemars(
        description = "Nombre de places (au moins 1) ; sans ce champ, illimité.",
        range(min = 1)
    )]
    pub capacity: Option<u32>,
    #[serde(default = "default_true")]
    #[schemars(description = "Inscription sur la page de l'événement (`true` par défaut).")]
    pub registration: bool,
    #[serde(default)]
    #[schemars(
        description = "L'événement est annulé (`true`) : la page affiche « Annulé », les inscriptions ferment, les agendas portent STATUS:CANCELLED et les inscrits sont prévenus par e-mail."
    )]
    pub cancelled: bool,
    #[serde(default)]
    #[schemars(
        description = "Fin des inscriptions (par défaut : le début de l'événement).",
        pattern(DATE_PATTERN)
    )]
    pub registration_deadline: Option<String>,
    #[serde(default)]
    #[schemars(
        description = "Résumé d'une ou deux phrases montré dans les listes (par défaut : le premier paragraphe)."
    )]
    pub summary: Option<String>,
    #[serde(default)]
    #[schemars(description = "Étiquettes libres (réutilisez celles qui existent déjà).")]
    pub tags: Vec<String>,
    #[serde(default)]
    #[schemars(description = "Catégories, parmi la liste fermée de site.yaml.")]
    pub categories: Vec<String>,
    #[serde(default)]
    #[schemars(
        description = "Adresse du replay, une fois l'événement passé.",
        pattern(URL_PATTERN)
    )]
    pub recording: Option<String>,
    #[serde(default)]
    #[schemars(
        description = "Adresse des supports de présentation.",
        pattern(URL_PATTERN)
    )]
    pub slides: Option<String>,
    #[serde(default)]
    #[schemars(description = "Brouillon : `true` pour ne pas publier.")]
    pub draft: bool,
    /// Old site paths that redirect here (`/mon-article.html`, `/2019/05/x/`).
    #[serde(default)]
    #[schemars(
        description = "Anciennes adresses de la page, redirigées vers elle (par exemple `/2019/05/mon-article/`)."
    )]
    pub aliases: Vec<String>,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Page",
    description = "En-tête de content/pages/<slug>.md : une page fixe du site (à propos, contribuer…)."
)]
pub struct PageMeta {
    #[schemars(description = "Titre de la page.")]
    pub title: String,
    /// Old site paths that redirect here (`/mon-article.html`, `/2019/05/x/`).
    #[serde(default)]
    #[schemars(
        description = "Anciennes adresses de la page, redirigées vers elle (par exemple `/2019/05/mon-article/`)."
    )]
    pub aliases: Vec<String>,
}
