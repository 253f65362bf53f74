//! Importers: bring content written elsewhere (a Pelican site, links shared on Discord) into
//! `content/` as ordinary files a maintainer reviews. They share a report of what was
//! converted, created and left aside, a plan of files written only at the end (so `--dry-run`
//! runs the same code) that never overwrites anything, and YAML writing helpers.

pub mod discord;
pub mod fetch;
pub mod pelican;
pub mod urls;

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::content::Kind;
use crate::content::load::{CONTENT_DIR, split_front_matter};

/// Reads the site's configuration from `config_text` and checks that `root` has a `content/`
/// folder: what both importers need before converting anything.
pub fn site_config(root: &Path, config_text: &str) -> Result<crate::config::Config> {
    let config =
        crate::config::Config::parse(Path::new(crate::config::CONFIG_FILE), config_text)
            .map_err(|problems| anyhow::anyhow!("site.yaml invalide : {}", one_line(&problems)))?;
    if !root.join(CONTENT_DIR).is_dir() {
        return Err(anyhow::anyhow!(
            "dossier `content/` introuvable dans {} : lancez la commande depuis la racine du site, ou passez --root",
            root.display()
        ));
    }
    Ok(config)
}

/// Configuration problems on one line, for an importer's error message.
pub fn one_line(problems: &[crate::diagnostics::Diagnostic]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ; ")
}

/// Reads `site.yaml` under `root`, naming the file in the error.
pub fn read_config_text(root: &Path) -> Result<String> {
    let path = root.join(crate::config::CONFIG_FILE);
    std::fs::read_to_string(&path).with_context(|| {
        format!(
            "lecture de {} : lancez la commande depuis la racine du site, ou passez --root",
            path.display()
        )
    })
}

/// Something worth telling the maintainer, located when possible (`file:line`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The file it is about, as shown (relative when possible).
    pub path: String,
    /// 1-based line, 0 when the note concerns the whole file.
    pub line: usize,
    pub message: String,
}

impl Note {
    pub fn new(path: impl Into<String>, line: usize, message: impl Into<String>) -> Note {
        Note {
            path: path.into(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{} : {}", self.path, self.message)
        } else {
            write!(f, "{}:{} : {}", self.path, self.line, self.message)
        }
    }
}

/// What an import did, or would do with `--dry-run`.
#[derive(Debug, Default)]
pub struct Report {
    pub title: String,
    pub dry_run: bool,
    /// One line per source converted (or resource created), with where it went.
    pub converted: Vec<String>,
    /// Files created besides the converted content, and edits (`site.yaml`).
    pub created: Vec<String>,
    /// Things converted with a change worth checking.
    pub notices: Vec<Note>,
    /// Things NOT converted, and why.
    pub skipped: Vec<Note>,
    /// Closing advice.
    pub footer: Vec<String>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.title)?;
        if self.dry_run {
            writeln!(f, "(simulation : aucun fichier n'a été écrit)")?;
        }
        let sections: [(&str, Vec<String>); 4] = [
            ("Convertis", self.converted.clone()),
            ("Créés ou modifiés", self.created.clone()),
            (
                "À vérifier",
                self.notices.iter().map(ToString::to_string).collect(),
            ),
            (
                "NON convertis",
                self.skipped.iter().map(ToString::to_string).collect(),
            ),
        ];
        for (i, (heading, lines)) in sections.into_iter().enumerate() {
            // What was converted is always said, even when nothing was; the rest only if any.
            if i > 0 && lines.is_empty() {
                continue;
            }
            writeln!(f, "\n{heading} ({}) :", lines.len())?;
            for line in lines {
                writeln!(f, "  {line}")?;
            }
        }
        for line in &self.footer {
            writeln!(f, "\n{line}")?;
        }
        Ok(())
    }
}

/// A file to write.
#[derive(Debug, Clone)]
pub enum Contents {
    Text(String),
    /// Copy of a file on disk.
    Copy(PathBuf),
}

/// The files an import writes, checked and written only at the end. New files never replace
/// an existing one; `site.yaml` is the only file edited in place.
#[derive(Debug, Default)]
pub struct Plan {
    /// (path relative to the site root, contents), in the order planned.
    pub files: Vec<(String, Contents)>,
    /// New text of `site.yaml`, when the import edits it.
    pub config: Option<String>,
}

impl Plan {
    /// Writes everything under `root`. Stops at the first file that already exists.
    pub fn write(&self, root: &Path) -> Result<()> {
        for (rel, contents) in &self.files {
            let path = root.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("création du dossier {}", parent.display()))?;
            }
            let bytes = match contents {
                Contents::Text(text) => text.clone().into_bytes(),
                Contents::Copy(from) => {
                    std::fs::read(from).with_context(|| format!("lecture de {}", from.display()))?
                }
            };
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .with_context(|| format!("écriture de {rel} (le fichier existe-t-il déjà ?)"))?;
            file.write_all(&bytes)
                .with_context(|| format!("écriture de {rel}"))?;
        }
        if let Some(text) = &self.config {
            let path = root.join(crate::config::CONFIG_FILE);
            std::fs::write(&path, text)
                .with_context(|| format!("écriture de {}", path.display()))?;
        }
        Ok(())
    }
}

/// Whether `slug` is taken in `content/<kind>/` (as `<slug>.md` or `<slug>/`).
pub fn content_exists(root: &Path, kind: Kind, slug: &str) -> Option<String> {
    let dir = format!("{CONTENT_DIR}/{}", kind.dir());
    let flat = format!("{dir}/{slug}.md");
    let bundle = format!("{dir}/{slug}");
    if root.join(&flat).exists() {
        Some(flat)
    } else if root.join(&bundle).exists() {
        Some(format!("{bundle}/"))
    } else {
        None
    }
}

/// A content file's front matter, read leniently (importers must cope with a site that does
/// not build yet).
#[derive(Debug)]
pub struct FrontMatter {
    pub kind: Kind,
    pub slug: String,
    /// Path relative to the site root.
    pub path: String,
    pub yaml: serde_norway::Mapping,
}

impl FrontMatter {
    pub fn str(&self, key: &str) -> Option<&str> {
        self.yaml.get(key).and_then(serde_norway::Value::as_str)
    }

    /// A list of strings (`tags`), ignoring anything else.
    pub fn strings(&self, key: &str) -> Vec<String> {
        match self.yaml.get(key) {
            Some(serde_norway::Value::Sequence(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Every content file of `kinds` under `root/content` with its front matter, sorted by path.
/// Files that cannot be read or parsed are left out.
pub fn scan_front_matter(root: &Path, kinds: &[Kind]) -> Vec<FrontMatter> {
    let mut found = Vec::new();
    for &kind in kinds {
        let dir = root.join(CONTENT_DIR).join(kind.dir());
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut children: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for path in children {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if name.starts_with('.') {
                continue;
            }
            let (file, slug) = if path.is_dir() {
                (path.join("index.md"), name)
            } else if let Some(slug) = name.strip_suffix(".md") {
                (path.clone(), slug.to_string())
            } else {
                continue;
            };
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let Ok((_, yaml, _, _)) = split_front_matter(&text) else {
                continue;
            };
            let Ok(serde_norway::Value::Mapping(yaml)) =
                serde_norway::from_str::<serde_norway::Value>(&text[yaml])
            else {
                continue;
            };
            found.push(FrontMatter {
                kind,
                slug,
                path: crate::diagnostics::display_path(root, &file)
                    .to_string_lossy()
                    .replace('\\', "/"),
                yaml,
            });
        }
    }
    found
}

/// A YAML scalar for `text`: plain when that is unambiguous, double-quoted otherwise (JSON
/// strings are valid YAML). Safe in block and flow context alike.
pub fn yaml_scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text.trim() == text
        && !text.starts_with([
            '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%',
            '@', '`',
        ])
        && !text
            .chars()
            .any(|c| c.is_control() || matches!(c, ',' | '[' | ']' | '{' | '}' | '#' | '"' | '\\'))
        && !text.contains(": ")
        && !text.ends_with(':')
        && !looks_typed(text);
    if plain {
        text.to_string()
    } else {
        serde_json::to_string(text).expect("a string serialises")
    }
}

/// Whether YAML could read `text` as something other than a string (number, boolean, null,
/// date).
fn looks_typed(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "~"
    ) || text.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '+')
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || ".:-+eE_ xXoObB".contains(c))
}

/// A YAML flow list: `[a, "b, c"]`.
pub fn yaml_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| yaml_scalar(i)).collect();
    format!("[{}]", items.join(", "))
}

/// Cuts a slug to at most `max` bytes at a hyphen, so file names stay readable.
pub fn shorten_slug(slug: &str, max: usize) -> String {
    if slug.len() <= max {
        return slug.to_string();
    }
    let cut = &slug[..max];
    match cut.rfind('-') {
        Some(i) if i > 0 => cut[..i].to_string(),
        _ => cut.trim_end_matches('-').to_string(),
    }
}

/// Line (1-based) of the byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_round_trip_through_yaml() {
        for text in [
            "Écrire des tests, c'est facile !",
            "Python : les bases",
            "2019",
            "true",
            "#python",
            "- liste",
            "a \"citation\"",
            "C:\\chemin",
            "Django REST",
            "/mon-article.html",
            "1.5",
            "ligne\nsuivante",
        ] {
            let yaml = format!(
                "k: {}\nl: {}\n",
                yaml_scalar(text),
                yaml_list(&[text.into()])
            );
            let value: serde_norway::Value = serde_norway::from_str(&yaml).unwrap();
            assert_eq!(value["k"].as_str(), Some(text), "{yaml}");
            assert_eq!(value["l"][0].as_str(), Some(text), "{yaml}");
        }
        assert_eq!(yaml_scalar("Django REST"), "Django REST");
        assert_eq!(yaml_scalar("/mon-article.html"), "/mon-article.html");
    }

    #[test]
    fn slugs_are_shortened_at_hyphens() {
        assert_eq!(shorten_slug("abc-def-ghi", 9), "abc-def");
        assert_eq!(shorten_slug("abc", 9), "abc");
        assert_eq!(shorten_slug("abcdefghij", 5), "abcde");
    }
}
