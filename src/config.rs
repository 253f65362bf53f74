//! `site.yaml`: the site's title, address, time zone and closed list of categories, read
//! strictly then validated.

use std::path::Path;

use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnostics::Diagnostic;
use crate::yaml::Document;

/// The file name of the site configuration, at the root of the site.
pub const CONFIG_FILE: &str = "site.yaml";

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "site.yaml",
    description = "Configuration du site PythonClassmates : titre, adresse, fuseau horaire et liste fermée des catégories."
)]
struct RawConfig {
    #[schemars(description = "Nom du site, dans l'en-tête de chaque page et les flux.")]
    title: String,
    #[schemars(description = "Description du site (page d'accueil, moteurs de recherche, flux).")]
    description: String,
    #[schemars(
        description = "Adresse publique du site, sans barre finale : `https://pythonclassmates.org`.",
        pattern(r"^https?://")
    )]
    base_url: String,
    #[schemars(description = "Langue des pages : `fr`.")]
    language: String,
    #[schemars(
        description = "Fuseau horaire IANA des dates écrites sans décalage : `Europe/Paris`."
    )]
    timezone: String,
    #[schemars(description = "Liste fermée des catégories que les contenus peuvent citer.")]
    categories: Vec<Category>,
    #[serde(default)]
    #[schemars(description = "Adresse de l'API d'inscription aux événements (`/api` par défaut).")]
    registration_api: Option<String>,
    #[serde(default)]
    #[schemars(description = "Lien d'invitation au serveur Discord.")]
    discord_invite: Option<String>,
    #[serde(default)]
    #[schemars(
        description = "Commentaires giscus (discussions GitHub) sous les articles : chargés seulement quand le lecteur les demande. Sans cette clé, aucun commentaire."
    )]
    comments: Option<Comments>,
    #[serde(default)]
    #[schemars(
        description = "Anciennes adresses qui ne sont pas des pages de contenu (celles d'un ancien générateur : `/category/python.html`, `/feeds/all.atom.xml`), chacune avec la page ou le flux du site vers lequel elle redirige : `/category/python.html: /categories/python/`."
    )]
    redirects: std::collections::BTreeMap<String, String>,
}

/// Comments under articles, through giscus (GitHub Discussions). The values come from the
/// configuration page of giscus (https://giscus.app/fr).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    description = "Réglages de giscus : recopiez les valeurs données par https://giscus.app/fr."
)]
pub struct Comments {
    #[schemars(
        description = "Dépôt GitHub public qui héberge les discussions : `propriétaire/nom`.",
        pattern(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    )]
    pub repo: String,
    #[schemars(description = "Identifiant du dépôt donné par giscus (`R_…`).")]
    pub repo_id: String,
    #[schemars(description = "Catégorie des discussions (`Commentaires`).")]
    pub category: String,
    #[schemars(description = "Identifiant de la catégorie donné par giscus (`DIC_…`).")]
    pub category_id: String,
    #[serde(default)]
    #[schemars(description = "Comment une page retrouve sa discussion (`pathname` par défaut).")]
    pub mapping: CommentsMapping,
    #[serde(default = "default_true")]
    #[schemars(description = "Réactions sous l'article (`true` par défaut).")]
    pub reactions: bool,
    #[serde(default)]
    #[schemars(description = "Zone de saisie en haut ou en bas (`bottom` par défaut).")]
    pub input_position: InputPosition,
}

fn default_true() -> bool {
    true
}

/// How giscus maps a page to its discussion.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CommentsMapping {
    #[default]
    Pathname,
    Url,
    Title,
    #[serde(rename = "og:title")]
    OgTitle,
}

/// Where giscus puts its comment box.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum InputPosition {
    Top,
    #[default]
    Bottom,
}

/// One entry of the closed list of categories.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(description = "Une catégorie : les contenus la citent par son `slug`.")]
pub struct Category {
    #[schemars(
        description = "Identifiant : minuscules sans accents, chiffres et tirets (`donnees`).",
        pattern(r"^[a-z0-9]+(-[a-z0-9]+)*$")
    )]
    pub slug: String,
    #[schemars(description = "Nom affiché : `Données`.")]
    pub name: String,
    #[serde(default)]
    #[schemars(description = "Une phrase qui présente la catégorie.")]
    pub description: Option<String>,
}

/// The JSON Schema of `site.yaml`, generated from the type it is read into.
pub fn json_schema(settings: schemars::generate::SchemaSettings) -> schemars::Schema {
    settings
        .into_generator()
        .into_root_schema_for::<RawConfig>()
}

/// The validated site configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub title: String,
    pub description: String,
    /// Without a trailing slash: `https://pythonclassmates.org`.
    pub base_url: String,
    pub language: String,
    pub timezone: Tz,
    pub categories: Vec<Category>,
    /// Base URL of the registrations function, without a trailing slash (`/api` by default).
    pub registration_api: String,
    pub discord_invite: Option<String>,
    /// giscus comments under articles; none when absent.
    pub comments: Option<Comments>,
    /// Old addresses → site paths (`redirects:`), checked and written by `crate::redirects`.
    pub redirects: Vec<(String, String)>,
}

impl Config {
    /// Reads and validates `site.yaml` under `root`.
    pub fn load(root: &Path) -> Result<Config, Vec<Diagnostic>> {
        let path = root.join(CONFIG_FILE);
        let text = crate::diagnostics::read_text(&path, Path::new(CONFIG_FILE)).map_err(|d| {
            let d = match d.line {
                0 => d.with_help("lancez la commande depuis la racine du site, ou passez --root"),
                _ => *d,
            };
            vec![d]
        })?;
        Config::parse(Path::new(CONFIG_FILE), &text)
    }

    /// Parses the text of a `site.yaml` shown to the user as `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, Vec<Diagnostic>> {
        let doc = Document {
            path,
            file_text: text,
            yaml: text,
            first_line: 1,
        };
        let raw: RawConfig = doc.parse("site.yaml")?;
        let mut problems = Vec::new();
        let timezone = raw.timezone.parse::<Tz>().unwrap_or_else(|_| {
            problems.push(
                doc.value_error(
                    "timezone",
                    &raw.timezone,
                    format!("fuseau horaire inconnu « {} »", raw.timezone),
                )
                .with_help("utilisez un nom de la base IANA, par exemple `Europe/Paris`"),
            );
            Tz::Europe__Paris
        });
        let base_url = raw.base_url.trim_end_matches('/').to_string();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            problems.push(
                doc.value_error(
                    "base_url",
                    &raw.base_url,
                    "`base_url` doit être une adresse absolue",
                )
                .with_help("par exemple `https://pythonclassmates.org`"),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for category in &raw.categories {
            if crate::text::slugify(&category.slug) != category.slug {
                problems.push(
                    doc.value_error(
                        "categories",
                        &category.slug,
                        format!("slug de catégorie invalide « {} »", category.slug),
                    )
                    .with_help(format!(
                        "utilisez `{}`",
                        crate::text::slugify(&category.slug)
                    )),
                );
            }
            if !seen.insert(category.slug.as_str()) {
                problems.push(doc.value_error(
                    "categories",
                    &category.slug,
                    format!("la catégorie « {} » est déclarée deux fois", category.slug),
                ));
            }
        }
        if let Some(comments) = &raw.comments {
            let valid = |part: &str| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
            };
            let repo_ok = matches!(comments.repo.split_once('/'), Some((owner, name)) if valid(owner) && valid(name));
            if !repo_ok {
                problems.push(
                    doc.value_error(
                        "repo",
                        &comments.repo,
                        format!("dépôt GitHub invalide « {} »", comments.repo),
                    )
                    .with_help("écrivez `propriétaire/nom`, par exemple `PythonClassmates/site`"),
                );
            }
            for (key, value) in [
                ("repo_id", &comments.repo_id),
                ("category", &comments.category),
                ("category_id", &comments.category_id),
            ] {
                if value.trim().is_empty() {
                    problems.push(
                        doc.value_error(key, value, format!("`comments.{key}` est vide"))
                            .with_help("recopiez la valeur donnée par https://giscus.app/fr"),
                    );
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Config {
            title: raw.title,
            description: raw.description,
            base_url,
            language: raw.language,
            timezone,
            categories: raw.categories,
            registration_api: raw
                .registration_api
                .unwrap_or_else(|| "/api".into())
                .trim_end_matches('/')
                .to_string(),
            discord_invite: raw.discord_invite,
            comments: raw.comments,
            redirects: raw.redirects.into_iter().collect(),
        })
    }

    /// Replaces the base URL (`--base-url`).
    pub fn with_base_url(mut self, base_url: &str) -> Config {
        self.base_url = base_url.trim_end_matches('/').to_string();
        self
    }

    /// The path of `base_url` (`/repo` for `https://org.github.io/repo/`, a GitHub project
    /// page), empty for a site at the root of its host. Every site path the site emits goes
    /// under it (`render::prefix`).
    pub fn base_path(&self) -> &str {
        let rest = self
            .base_url
            .split_once("://")
            .map_or(self.base_url.as_str(), |(_, rest)| rest);
        rest.find('/').map_or("", |at| &rest[at..])
    }

    /// The absolute URL of a site path such as `/articles/x/`.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub fn category(&self, slug: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.slug == slug)
    }
}
