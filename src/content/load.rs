//! Reading `content/`: finds every page (`<kind>/<slug>.md` or the bundle `<kind>/<slug>/index.md`
//! with its files), splits front matter from Markdown and parses the front matter of each kind.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{Entry, Kind, Meta, Source};
use crate::diagnostics::{Diagnostic, Diagnostics};

/// Folder of the content, under the site root.
pub const CONTENT_DIR: &str = "content";

/// A content file found under `content/`, before it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: Kind,
    pub slug: String,
    /// The Markdown file: `<kind>/<slug>.md` or `<kind>/<slug>/index.md`.
    pub path: PathBuf,
    /// The bundle folder, for `<kind>/<slug>/index.md`.
    pub bundle: Option<PathBuf>,
}

/// Reads and parses every content file under `root/content`. Problems are collected, not fatal:
/// the entries that parsed are returned with the diagnostics of those that did not, and the
/// sources of the files whose front matter did not parse (their bodies can still be checked).
pub fn load(root: &Path) -> (Vec<Entry>, Vec<Source>, Diagnostics) {
    let (found, mut diagnostics) = discover(root);
    let results: Vec<Result<Entry, Rejected>> = found.par_iter().map(|f| read(root, f)).collect();
    let mut entries = Vec::with_capacity(results.len());
    let mut unparsed = Vec::new();
    for result in results {
        match result {
            Ok(entry) => entries.push(entry),
            Err((problems, source, _)) => {
                problems.into_iter().for_each(|d| diagnostics.push(d));
                unparsed.extend(source.map(|s| *s));
            }
        }
    }
    (entries, unparsed, diagnostics)
}

/// Lists the content files under `root/content` without reading them, with the problems of
/// the layout itself: unknown folders, bundles without `index.md`, stray files, two files for
/// one slug.
pub fn discover(root: &Path) -> (Vec<Found>, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    let content = root.join(CONTENT_DIR);
    let mut found: Vec<Found> = Vec::new();

    if let Ok(read) = std::fs::read_dir(&content) {
        let known: Vec<&str> = Kind::ALL.iter().map(|k| k.dir()).collect();
        let mut names: Vec<_> = read.filter_map(Result::ok).map(|e| e.file_name()).collect();
        names.sort();
        for name in names {
            let name = name.to_string_lossy().into_owned();
            if name.starts_with('.') || known.contains(&name.as_str()) {
                continue;
            }
            let d = Diagnostic::warning(
                Path::new(CONTENT_DIR).join(&name),
                format!("« {name} » n'est pas un dossier de contenu connu : il est ignoré"),
            );
            diagnostics.push(match crate::yaml::did_you_mean(&name, &known) {
                Some(s) => d.with_help(format!("vouliez-vous dire `{s}` ?")),
                None => d.with_help(format!("dossiers possibles : {}", known.join(", "))),
            });
        }
    } else {
        diagnostics.push(
            Diagnostic::error(CONTENT_DIR, "dossier `content/` introuvable")
                .with_help("lancez la commande depuis la racine du site, ou passez --root"),
        );
        return (Vec::new(), diagnostics);
    }

    for kind in Kind::ALL {
        let dir = content.join(kind.dir());
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        // The file type comes with the directory entry: no `stat` per file, except for links.
        let mut children: Vec<(PathBuf, bool)> = read
            .filter_map(Result::ok)
            .map(|e| {
                let path = e.path();
                let is_dir = match e.file_type() {
                    Ok(t) if !t.is_symlink() => t.is_dir(),
                    _ => path.is_dir(),
                };
                (path, is_dir)
            })
            .collect();
        // By name: the order of the paths (one folder), without comparing them component by
        // component (a third of `serve`'s listing at 10,000 files).
        children.sort_unstable_by(|a, b| a.0.file_name().cmp(&b.0.file_name()));
        for (path, is_dir) in children {
            match classify(root, kind, path, is_dir) {
                Listed::Found(f) => found.push(f),
                Listed::Problem(d) => diagnostics.push(d),
                Listed::Hidden => {}
            }
        }
    }

    // Two files claiming the same slug in one kind.
    // Counted with a hash map (a tree of every slug was a third of the listing at 10,000
    // files); only the slugs claimed twice are ordered.
    let mut claims: crate::hash::FastMap<(Kind, &str), usize> = crate::hash::FastMap::default();
    claims.reserve(found.len());
    for f in &found {
        *claims.entry((f.kind, f.slug.as_str())).or_default() += 1;
    }
    let mut by_slug: BTreeMap<(Kind, &str), Vec<&Path>> = BTreeMap::new();
    for f in found
        .iter()
        .filter(|f| claims[&(f.kind, f.slug.as_str())] > 1)
    {
        by_slug
            .entry((f.kind, f.slug.as_str()))
            .or_default()
            .push(&f.path);
    }
    for ((kind, slug), paths) in &by_slug {
        for path in paths {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            diagnostics.push(
                Diagnostic::error(
                    crate::diagnostics::display_path(root, path),
                    format!(
                        "deux fichiers donnent le même slug « {slug} » dans `content/{}`",
                        kind.dir()
                    ),
                )
                .at(&text, 1, 1, 3)
                .with_help("gardez un seul des deux : `<slug>.md` ou `<slug>/index.md`"),
            );
        }
    }
    (found, diagnostics)
}

/// What the listing makes of one child of a kind's folder.
pub enum Listed {
    Found(Found),
    /// A file or folder the listing reports and leaves out.
    Problem(Diagnostic),
    /// A name starting with `.` (an editor's or the system's): left out silently.
    Hidden,
}

/// What [`discover`] makes of `path`, a child of the folder of `kind` (`is_dir`: whether it is
/// a folder, links followed).
fn classify(root: &Path, kind: Kind, path: PathBuf, is_dir: bool) -> Listed {
    let name = (path.file_name().unwrap_or_default())
        .to_string_lossy()
        .into_owned();
    if name.starts_with('.') {
        return Listed::Hidden;
    }
    let display = || crate::diagnostics::display_path(root, &path);
    if is_dir {
        let index = path.join("index.md");
        if index.is_file() {
            Listed::Found(Found {
                kind,
                slug: name,
                path: index,
                bundle: Some(path),
            })
        } else {
            Listed::Problem(
                Diagnostic::error(display(), "ce dossier n'a pas de fichier `index.md`").with_help(
                    "un contenu en dossier s'écrit dans `index.md`, à côté de ses images",
                ),
            )
        }
    } else if let Some(slug) = name.strip_suffix(".md") {
        Listed::Found(Found {
            kind,
            slug: slug.to_string(),
            path,
            bundle: None,
        })
    } else {
        Listed::Problem(
            Diagnostic::warning(display(), "fichier ignoré : seuls les fichiers `.md` sont des contenus")
                .with_help("mettez les images dans le dossier d'un contenu (`<slug>/index.md` et ses fichiers)"),
        )
    }
}

/// What [`discover`] would make of `path`, a file just written: `Some` only for a child of a
/// kind's folder that is not a folder itself (`serve` then lists it alone, without listing
/// `content/` again). `None` for anything else, which only a whole listing tells.
pub fn classify_file(root: &Path, path: &Path) -> Option<Listed> {
    let dir = path.parent()?;
    let kind = Kind::ALL
        .into_iter()
        .find(|k| dir == root.join(CONTENT_DIR).join(k.dir()))?;
    (!path.is_dir()).then(|| classify(root, kind, path.to_path_buf(), false))
}

/// The name a listed file is ordered by in its kind's folder: the bundle's folder, or the file.
pub fn listing_name(found: &Found) -> &std::ffi::OsStr {
    (found.bundle.as_ref().unwrap_or(&found.path))
        .file_name()
        .unwrap_or_default()
}

/// The problems of a file that did not parse, its source if it could be split, and what its
/// front matter says apart from the problems ([`Held`]) when that much could be read.
pub type Rejected = (Vec<Diagnostic>, Option<Box<Source>>, Option<Box<Held>>);

/// A file held back by problems in its front matter, read as far as they allow: the fields in
/// error set aside, stand-ins for the missing ones, so that its other fields are checked in
/// the same run (`crate::site::held_back_problems`).
#[derive(Debug, Clone)]
pub struct Held {
    /// The entry as read: its source has the patched YAML in place of the written one.
    pub entry: Entry,
    /// The first line of the patched file that is not the written YAML: problems found at or
    /// after it concern the stand-ins, not the file.
    pub stand_ins_line: usize,
}

/// Reads and parses one content file found by [`discover`].
pub fn read(root: &Path, found: &Found) -> Result<Entry, Rejected> {
    let content = root.join(CONTENT_DIR);
    let (kind, slug, path) = (found.kind, found.slug.as_str(), found.path.as_path());
    let bundle = found.bundle.as_deref();
    let display = crate::diagnostics::display_path(root, path);
    let text = crate::diagnostics::read_text(path, &display).map_err(|d| (vec![*d], None, None))?;
    let mut problems = Vec::new();
    if crate::text::slugify(slug) != slug {
        problems.push(
            Diagnostic::error(
                &display,
                format!("nom de fichier « {slug} » invalide : il sert d'adresse à la page"),
            )
            .with_help(format!(
                "renommez-le en « {} » (minuscules, chiffres et tirets)",
                crate::text::slugify(slug)
            )),
        );
    }
    let (yaml_first_line, yaml_range, body_first_line, body_range) = split_front_matter(&text)
        .map_err(|message| {
            (vec![Diagnostic::error(&display, message)
                .at(&text, 1, 1, 3)
                .with_help("le fichier doit commencer par une ligne `---`, les champs YAML, puis une autre ligne `---`")], None, None)
        })?;
    let content_path = crate::diagnostics::display_path(&content, path)
        .to_string_lossy()
        .replace('\\', "/");
    let bundle_files = bundle.map(bundle_files).unwrap_or_default();
    let source = Source {
        kind,
        slug: slug.to_string(),
        path: path.to_path_buf(),
        display,
        content_path,
        text: text.into(),
        yaml_first_line,
        yaml_range,
        body_first_line,
        body_range,
        bundle_files,
        bundle_dir: bundle.map(Path::to_path_buf),
        first_paragraph: std::sync::OnceLock::new(),
        forgotten: None,
    };
    let doc = source.document();
    let what = kind.what();
    let parsed = match kind {
        Kind::Author => doc.parse_all(what).map(Meta::Author),
        Kind::Article => doc.parse_all(what).map(Meta::Article),
        Kind::Series => doc.parse_all(what).map(Meta::Series),
        Kind::Resource => doc.parse_all(what).map(Meta::Resource),
        Kind::Event => doc.parse_all(what).map(Meta::Event),
        Kind::Page => doc.parse_all(what).map(Meta::Page),
    };
    problems.extend(parsed.problems);
    let Some(meta) = parsed.value else {
        return Err((problems, Some(Box::new(source)), None));
    };
    if problems.is_empty() {
        return Ok(Entry { source, meta });
    }
    let held = match parsed.patched {
        None => Held {
            entry: Entry {
                source: source.clone(),
                meta,
            },
            stand_ins_line: source.body_first_line - 1,
        },
        Some(yaml) => {
            let text = format!(
                "{}{yaml}{}",
                &source.text[..source.yaml_range.start],
                &source.text[source.yaml_range.end..]
            );
            let (_, yaml_range, body_first_line, body_range) = split_front_matter(&text)
                .expect("the patched YAML has the lines of the written one, and its `---`");
            Held {
                entry: Entry {
                    source: Source {
                        text: text.into(),
                        yaml_range,
                        body_first_line,
                        body_range,
                        first_paragraph: std::sync::OnceLock::new(),
                        ..source.clone()
                    },
                    meta,
                },
                stand_ins_line: source.body_first_line - 1,
            }
        }
    };
    Err((problems, Some(Box::new(source)), Some(Box::new(held))))
}

/// Files of a bundle other than `index.md`, relative to the bundle folder, sorted. Dotfiles and
/// dot-folders at any depth (`.env`, `sub/.env`, `.git/`) are never published.
fn bundle_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.path().strip_prefix(dir).ok().map(Path::to_path_buf))
        .filter(|p| p != Path::new("index.md"))
        .collect();
    files.sort();
    files
}

type Split = (usize, std::ops::Range<usize>, usize, std::ops::Range<usize>);

/// Finds the YAML between the opening and closing `---` lines: (first YAML line, YAML byte
/// range, first body line, body byte range).
pub fn split_front_matter(text: &str) -> Result<Split, String> {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let rest = &text[bom..];
    let first_end = rest.find('\n').map(|i| i + 1).unwrap_or(rest.len());
    if rest[..first_end].trim_end() != "---" {
        return Err("le fichier ne commence pas par un bloc d'en-tête `---`".into());
    }
    let yaml_start = bom + first_end;
    let mut offset = yaml_start;
    for (line, l) in (2..).zip(text[yaml_start..].split_inclusive('\n')) {
        if l.trim_end() == "---" {
            let body_start = offset + l.len();
            return Ok((2, yaml_start..offset, line + 1, body_start..text.len()));
        }
        offset += l.len();
    }
    Err("le bloc d'en-tête `---` n'est jamais fermé".into())
}

#[cfg(test)]
mod tests {
    use super::split_front_matter;

    #[test]
    fn splits_yaml_and_body_with_lines() {
        let text = "---\ntitle: a\n---\n\nCorps\n";
        let (yl, yr, bl, br) = split_front_matter(text).unwrap();
        assert_eq!((yl, &text[yr]), (2, "title: a\n"));
        assert_eq!((bl, &text[br]), (4, "\nCorps\n"));
    }

    /// A page file read, its body forgotten, then read again (`Source::forget_body`,
    /// `Source::read_again`): the source whole as first read, or an error once the file
    /// changed in between.
    #[test]
    fn a_forgotten_body_is_read_again_unless_the_file_changed() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("content/pages");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a-propos.md");
        let text = "---\ntitle: À propos\n---\n\nPremier paragraphe.\n\n## Suite\n";
        std::fs::write(&path, text).unwrap();
        let found = super::Found {
            kind: crate::content::Kind::Page,
            slug: "a-propos".into(),
            path: path.clone(),
            bundle: None,
        };
        let mut source = super::read(root.path(), &found).unwrap().source;
        let whole = source.clone();
        source.forget_body(crate::hash::hash_bytes(text.as_bytes()));
        assert_eq!(source.yaml(), "title: À propos\n");
        assert!(source.text.len() < text.len(), "the body is dropped");
        let again = source.read_again().unwrap();
        assert_eq!((&*again.text, again.body()), (&*whole.text, whole.body()));
        assert_eq!(again.forgotten, None);

        std::fs::write(&path, text.replace("Premier", "Autre")).unwrap();
        let problem = source.read_again().unwrap_err();
        assert_eq!(
            problem.path,
            std::path::Path::new("content/pages/a-propos.md")
        );
        assert!(problem.message.contains("a changé pendant la construction"));
        assert!(problem.is_error());
    }

    #[test]
    fn unclosed_front_matter_is_an_error() {
        assert!(split_front_matter("---\ntitle: a\n").is_err());
        assert!(split_front_matter("title: a\n").is_err());
    }
}
