//! `classmates new`: writes the skeleton of a new content file, with a front matter that already
//! passes `check` (required fields filled, optional ones as French comments) and the `$schema`
//! comment that lets editors complete and check it.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::config::Config;
use crate::content::Kind;
use crate::content::load::CONTENT_DIR;

/// What to create.
#[derive(Debug, Clone)]
pub struct NewContent {
    pub kind: Kind,
    /// The title (the name for an author); the slug comes from it.
    pub title: String,
    /// `<slug>/index.md` instead of `<slug>.md`, to put images next to it.
    pub bundle: bool,
    /// Authors (speakers for an event); required for an article.
    pub authors: Vec<String>,
    /// The date written in the front matter.
    pub today: NaiveDate,
}

/// Why nothing was created (in French, for the user).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NewError(pub String);

/// Creates the file under `root` and returns its path relative to `root`. Never overwrites.
pub fn create(root: &Path, new: &NewContent) -> Result<PathBuf, NewError> {
    let slug = crate::text::slugify(&new.title);
    if slug.is_empty() {
        return Err(NewError(format!(
            "le titre « {} » ne donne aucun nom de fichier : utilisez des lettres ou des chiffres",
            new.title
        )));
    }
    let dir = Path::new(CONTENT_DIR).join(new.kind.dir());
    let single = dir.join(format!("{slug}.md"));
    let bundle = dir.join(&slug).join("index.md");
    for taken in [&single, &dir.join(&slug)] {
        if root.join(taken).exists() {
            return Err(NewError(format!(
                "« {} » existe déjà : choisissez un autre titre, ou modifiez ce contenu",
                taken.display()
            )));
        }
    }
    let config = Config::load(root).ok();
    check_authors(root, new)?;
    let rel = if new.bundle { bundle } else { single };
    let text = render(new, config.as_ref());
    let path = root.join(&rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| NewError(format!("création de {} impossible : {e}", parent.display())))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| NewError(format!("création de {} impossible : {e}", rel.display())))?;
    file.write_all(text.as_bytes())
        .map_err(|e| NewError(format!("écriture de {} impossible : {e}", rel.display())))?;
    Ok(rel)
}

/// Ids of the authors of the site (`content/authors/<id>.md` or `<id>/index.md`), sorted.
pub fn author_ids(root: &Path) -> Vec<String> {
    let dir = root.join(CONTENT_DIR).join(Kind::Author.dir());
    let mut ids: Vec<String> = std::fs::read_dir(dir)
        .map(|read| {
            read.filter_map(Result::ok)
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if e.path().join("index.md").is_file() {
                        Some(name)
                    } else {
                        name.strip_suffix(".md").map(str::to_owned)
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

fn check_authors(root: &Path, new: &NewContent) -> Result<(), NewError> {
    let known = author_ids(root);
    let create_yours = "créez d'abord votre fiche : classmates new author \"Votre nom\"";
    if new.kind == Kind::Article && new.authors.is_empty() {
        return Err(NewError(if known.is_empty() {
            format!(
                "un article a au moins un auteur : {create_yours}, puis ajoutez --author <identifiant>"
            )
        } else {
            format!(
                "indiquez l'auteur avec --author <identifiant> (auteurs : {}) ; sinon, {create_yours}",
                known.join(", ")
            )
        }));
    }
    for author in &new.authors {
        if !known.contains(author) {
            let candidates: Vec<&str> = known.iter().map(String::as_str).collect();
            let hint = match crate::yaml::did_you_mean(author, &candidates) {
                Some(s) => format!("vouliez-vous dire « {s} » ?"),
                None => create_yours.to_string(),
            };
            return Err(NewError(format!(
                "auteur « {author} » inconnu (pas de content/authors/{author}.md) : {hint}"
            )));
        }
    }
    Ok(())
}

/// A YAML double-quoted string.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The text of the new file.
pub fn render(new: &NewContent, config: Option<&Config>) -> String {
    let today = new.today.format("%Y-%m-%d");
    let tz = config
        .map(|c| c.timezone.to_string())
        .unwrap_or_else(|| "Europe/Paris".into());
    let categories = config
        .map(|c| {
            c.categories
                .iter()
                .map(|c| c.slug.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let categories_line = if categories.is_empty() {
        "# categories: []  # parmi celles de site.yaml\n".to_string()
    } else {
        format!("# categories: []  # parmi : {categories}\n")
    };
    let list = |ids: &[String]| format!("[{}]", ids.join(", "));
    let title = quoted(&new.title);
    let mut text = String::from("---\n");
    let _ = writeln!(text, "{}", crate::schema::modeline(new.kind, new.bundle));
    let optional = "# Champs facultatifs : retirez le « # » d'une ligne pour vous en servir.\n";
    let body = match new.kind {
        Kind::Article => {
            let _ = write!(
                text,
                "title: {title}\ndate: {today}\nauthors: {}\n{optional}\
                 # summary: \"Une ou deux phrases qui donnent envie de lire.\"\n\
                 # tags: []  # libres ; réutilisez celles qui existent déjà\n\
                 {categories_line}\
                 # series: identifiant-de-la-serie\n\
                 # part: 1\n\
                 # updated: {today}\n\
                 # draft: true  # brouillon : pas publié\n",
                list(&new.authors)
            );
            "Écrivez ici votre article, en Markdown. Le titre s'affiche déjà en haut de la \
                    page : commencez vos intertitres à `##`.\n"
        }
        Kind::Series => {
            let _ = write!(
                text,
                "title: {title}\n{optional}\
                 # summary: \"Ce que la série apprend, et à qui.\"\n\
                 # tags: []\n\
                 {categories_line}"
            );
            "Présentez la série : à qui elle s'adresse, ce qu'on saura faire à la fin. \
                    Chaque article de la série indique `series: <identifiant>` et `part: N` \
                    dans son en-tête.\n"
        }
        Kind::Resource => {
            let authors = if new.authors.is_empty() {
                format!("{optional}# authors: [votre-identifiant]  # qui propose la ressource\n")
            } else {
                format!("authors: {}\n{optional}", list(&new.authors))
            };
            let _ = write!(
                text,
                "title: {title}\n\
                 url: https://example.org/  # à remplacer par l'adresse de la ressource\n\
                 kind: other  # article, video, documentation, tool, book, course, podcast ou other\n\
                 date: {today}  # date d'ajout au site\n\
                 {authors}\
                 # source: \"Éditeur ou site d'origine\"\n\
                 # summary: \"Ce que c'est, à qui cela s'adresse.\"\n\
                 # tags: []\n\
                 {categories_line}\
                 # draft: true\n"
            );
            "Deux ou trois phrases : ce que c'est, à qui cela s'adresse, pourquoi vous \
                    la recommandez.\n"
        }
        Kind::Event => {
            let speakers = if new.authors.is_empty() {
                format!("{optional}# speakers: [votre-identifiant]\n")
            } else {
                format!("speakers: {}\n{optional}", list(&new.authors))
            };
            let _ = write!(
                text,
                "title: {title}\n\
                 start: {today} 19:00  # heure locale ({tz})\n\
                 end: {today} 20:30\n\
                 {speakers}\
                 # location: \"En ligne (Discord)\"\n\
                 # capacity: 30  # nombre de places ; sans cette ligne, illimité\n\
                 # registration: false  # pas d'inscription sur la page\n\
                 # registration_deadline: {today} 12:00  # par défaut : le début\n\
                 # summary: \"Une phrase pour l'annonce.\"\n\
                 # tags: []\n\
                 {categories_line}\
                 # recording: https://…  # le replay, une fois l'événement passé\n\
                 # slides: https://…  # les supports\n\
                 # draft: true\n"
            );
            "Le programme de l'événement : ce qu'on y verra, pour qui, ce qu'il faut \
                    préparer.\n"
        }
        Kind::Author => {
            let _ = write!(
                text,
                "name: {title}\n{optional}\
                 # github: identifiant-github\n\
                 # discord: pseudo-discord\n\
                 # avatar: https://…  # une image de profil\n"
            );
            "Quelques mots sur vous : ce que vous apprenez, ce que vous aimez construire.\n"
        }
        Kind::Page => {
            let _ = writeln!(text, "title: {title}");
            "Le texte de la page, en Markdown.\n"
        }
    };
    text.push_str("---\n\n");
    text.push_str(body);
    text
}
