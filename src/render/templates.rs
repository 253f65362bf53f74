//! The theme: Tera templates from `themes/default/templates/`, each overridable by a file of the
//! same name in the site's own `templates/`, and the theme's single stylesheet.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
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
    /// Per template name, a hash of its text and of every template it may use (see
    /// [`Templates::fingerprint`]).
    fingerprints: HashMap<String, u64>,
}

thread_local! {
    /// The names of the templates rendered on this thread, while [`Templates::recording`] runs.
    static RECORDING: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
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
        let fingerprints = fingerprints(&files)?;
        let mut tera = tera::Tera::new();
        tera.autoescape_on([".html", ".xml"]);
        tera.set_escape_fn(crate::text::write_escaped_html);
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
            fingerprints,
        })
    }

    pub fn render<T: Serialize>(&self, name: &str, context: &T) -> Result<String> {
        RECORDING.with(|names| {
            if let Some(names) = names.borrow_mut().as_mut() {
                names.push(name.to_string());
            }
        });
        let context = tera::Context::from_serialize(context).map_err(|e| anyhow!("{e}"))?;
        self.tera
            .render(name, &context)
            .map_err(|e| anyhow!("modèle {name} : {}", error_chain(&e)))
    }

    /// The one stylesheet of the site: the theme's, then the highlighting rules.
    pub fn stylesheet(&self) -> String {
        self.stylesheet.clone()
    }

    /// A hash of the template `name` and of every template it may extend, include or import,
    /// transitively: what a page rendered through `name` depends on in the theme. `None` for
    /// an unknown name.
    pub fn fingerprint(&self, name: &str) -> Option<u64> {
        self.fingerprints.get(name).copied()
    }

    /// Runs `f` and gives, with its result, the names of the templates it rendered: those
    /// rendered on this thread, so `f` must not hand its rendering to other threads.
    pub fn recording<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
        let previous = RECORDING.with(|names| names.borrow_mut().replace(Vec::new()));
        let result = f();
        let names = RECORDING.with(|names| std::mem::replace(&mut *names.borrow_mut(), previous));
        (result, names.unwrap_or_default())
    }
}

/// Fingerprints of every template (`files`: path on disk and name). A template depends on the
/// templates whose names it quotes (`{% extends "base.html" %}`, `{% include "partials/…" %}`,
/// `{% import … %}`): any quoted string that names another template counts, which may take a
/// few too many, never too few.
fn fingerprints(files: &[(PathBuf, String)]) -> Result<HashMap<String, u64>> {
    let mut texts: HashMap<&str, String> = HashMap::new();
    for (path, name) in files {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("lecture de {}", path.display()))?;
        texts.insert(name.as_str(), text);
    }
    let quoted = |text: &str| -> Vec<String> {
        let mut names = Vec::new();
        // Every piece between two quotes, whatever the quotes around it: an apostrophe in the
        // text does not hide a name.
        for quote in ['"', '\'', '`'] {
            for piece in text.split(quote) {
                if texts.contains_key(piece) {
                    names.push(piece.to_string());
                }
            }
        }
        names
    };
    let uses: HashMap<&str, Vec<String>> = texts
        .iter()
        .map(|(name, text)| (*name, quoted(text)))
        .collect();
    let state = foldhash::fast::FixedState::with_seed(0);
    let mut out = HashMap::new();
    for name in texts.keys() {
        // Every template reachable from `name`, hashed in name order.
        let mut reached: Vec<&str> = vec![name];
        let mut i = 0;
        while i < reached.len() {
            for used in &uses[reached[i]] {
                if !reached.contains(&used.as_str()) {
                    reached.push(used.as_str());
                }
            }
            i += 1;
        }
        reached.sort_unstable();
        let mut hasher = state.build_hasher();
        for r in reached {
            hasher.write(r.as_bytes());
            hasher.write_u8(0);
            hasher.write(texts[r].as_bytes());
            hasher.write_u8(0);
        }
        out.insert(name.to_string(), hasher.finish());
    }
    Ok(out)
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
