//! The theme: Tera templates from `themes/default/templates/`, each overridable by a file of the
//! same name in the site's own `templates/`, and the theme's single stylesheet.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow};
use serde::Serialize;

/// Folder of the default theme, under the site root.
pub const THEME_DIR: &str = "themes/default";
/// Folder of a site's template overrides, under the site root.
pub const OVERRIDES_DIR: &str = "templates";

pub struct Templates {
    tera: tera::Tera,
    stylesheet: String,
    /// Static files of the theme (besides `style.css`), to copy: (path on disk, path in output).
    pub static_files: Vec<(PathBuf, String)>,
}

impl Templates {
    /// Loads the theme's templates, then the site's overrides.
    pub fn load(root: &Path) -> Result<Templates> {
        let theme = root.join(THEME_DIR);
        let mut files: Vec<(PathBuf, String)> = list_files(&theme.join("templates"))?;
        let overrides = root.join(OVERRIDES_DIR);
        if overrides.is_dir() {
            for (path, name) in list_files(&overrides)? {
                files.retain(|(_, n)| n != &name);
                files.push((path, name));
            }
        }
        if files.is_empty() {
            return Err(anyhow!(
                "aucun modèle trouvé dans {}",
                theme.join("templates").display()
            ));
        }
        let mut tera = tera::Tera::new();
        tera.autoescape_on([".html", ".xml"]);
        tera.add_template_files(files.iter().map(|(path, name)| (path, Some(name.as_str()))))
            .map_err(|e| anyhow!("{e}"))
            .context("modèles du thème invalides")?;

        let css_path = theme.join("static/style.css");
        let theme_css = std::fs::read_to_string(&css_path)
            .with_context(|| format!("lecture de {}", css_path.display()))?;
        let stylesheet = theme_css;
        let static_files = list_files(&theme.join("static"))?
            .into_iter()
            .filter(|(_, name)| name != "style.css")
            .collect();
        Ok(Templates {
            tera,
            stylesheet,
            static_files,
        })
    }

    pub fn render<T: Serialize>(&self, name: &str, context: &T) -> Result<String> {
        let context = tera::Context::from_serialize(context).map_err(|e| anyhow!("{e}"))?;
        self.tera
            .render(name, &context)
            .map_err(|e| anyhow!("modèle {name} : {}", error_chain(&e)))
    }

    /// The one stylesheet of the site: the theme's, then the highlighting rules.
    pub fn stylesheet(&self) -> String {
        self.stylesheet.clone()
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(" : {s}"));
        source = s.source();
    }
    text
}

/// Files under `dir`, with their `/`-separated path relative to it, sorted.
fn list_files(dir: &Path) -> Result<Vec<(PathBuf, String)>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.with_context(|| format!("lecture de {}", dir.display()))?;
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .unwrap_or(entry.path())
                .to_string_lossy()
                .replace('\\', "/");
            if !rel.split('/').any(|part| part.starts_with('.')) {
                files.push((entry.path().to_path_buf(), rel));
            }
        }
    }
    Ok(files)
}
