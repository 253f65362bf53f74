//! JSON Schemas of the front matter of each kind of content and of `site.yaml`, generated from
//! the very types the parser reads them into, so that editors can complete and check fields as
//! contributors type, and can never disagree with the build on which fields exist.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;

use crate::content::Kind;
use crate::content::meta::{
    ArticleMeta, AuthorMeta, EventMeta, PageMeta, ResourceMeta, SeriesMeta,
};

/// Folder of the schemas, at the root of the repository.
pub const SCHEMA_DIR: &str = "schemas";

/// Draft 7, the version the YAML language server (and most editors) understand best.
fn settings() -> SchemaSettings {
    SchemaSettings::draft07()
}

/// File name of the schema of a kind's front matter: `article.json`.
pub fn file_name(kind: Kind) -> String {
    let name = match kind {
        Kind::Author => "author",
        Kind::Article => "article",
        Kind::Series => "series",
        Kind::Resource => "resource",
        Kind::Event => "event",
        Kind::Page => "page",
    };
    format!("{name}.json")
}

/// File name of the schema of `site.yaml`.
pub const SITE_SCHEMA: &str = "site.json";

fn render<T: JsonSchema>() -> String {
    pretty(&settings().into_generator().into_root_schema_for::<T>())
}

fn pretty(schema: &schemars::Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("schemas serialize");
    text.push('\n');
    text
}

/// Every schema: (file name, JSON text), in a stable order.
pub fn schemas() -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = Kind::ALL
        .iter()
        .map(|&kind| {
            let text = match kind {
                Kind::Author => render::<AuthorMeta>(),
                Kind::Article => render::<ArticleMeta>(),
                Kind::Series => render::<SeriesMeta>(),
                Kind::Resource => render::<ResourceMeta>(),
                Kind::Event => render::<EventMeta>(),
                Kind::Page => render::<PageMeta>(),
            };
            (file_name(kind), text)
        })
        .collect();
    all.push((
        SITE_SCHEMA.to_string(),
        pretty(&crate::config::json_schema(settings())),
    ));
    all
}

/// Writes every schema into `dir` (created if needed); returns the paths written.
pub fn write(dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("création de {}", dir.display()))?;
    let mut written = Vec::new();
    for (name, text) in schemas() {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("écriture de {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// The `$schema` comment that the YAML language server reads in a front matter, for a file at
/// `content/<kind>/<slug>.md` (or one folder deeper for a bundle's `index.md`).
pub fn modeline(kind: Kind, bundle: bool) -> String {
    let up = if bundle { "../../../" } else { "../../" };
    format!(
        "# yaml-language-server: $schema={up}{SCHEMA_DIR}/{}",
        file_name(kind)
    )
}
