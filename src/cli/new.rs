//! `classmates new`: creates a new article, series, resource, event or author file, ready to
//! be filled in, and prints its path.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::content::Kind;
use crate::scaffold::{self, NewContent};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NewKind {
    /// Un article (content/articles/).
    Article,
    /// Une série d'articles (content/series/).
    Series,
    /// Une ressource extérieure commentée (content/resources/).
    Resource,
    /// Un événement : webinaire, permanence, atelier (content/events/).
    Event,
    /// Une fiche auteur (content/authors/) ; le « titre » est votre nom.
    Author,
}

impl From<NewKind> for Kind {
    fn from(kind: NewKind) -> Kind {
        match kind {
            NewKind::Article => Kind::Article,
            NewKind::Series => Kind::Series,
            NewKind::Resource => Kind::Resource,
            NewKind::Event => Kind::Event,
            NewKind::Author => Kind::Author,
        }
    }
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Type de contenu.
    #[arg(value_enum)]
    pub kind: NewKind,
    /// Titre (ou nom, pour une fiche auteur) : il donne aussi le nom du fichier.
    pub title: String,
    /// Crée un dossier `<slug>/index.md`, pour mettre des images à côté du texte.
    #[arg(long)]
    pub bundle: bool,
    /// Identifiant d'un auteur (intervenant pour un événement), répétable. Pour un article,
    /// par défaut : l'auteur dont l'identifiant correspond à `git config user.name`.
    #[arg(long = "author", value_name = "IDENTIFIANT")]
    pub authors: Vec<String>,
}

pub fn run(root: &Path, args: NewArgs) -> ExitCode {
    let kind = Kind::from(args.kind);
    let mut authors = args.authors;
    if kind == Kind::Article
        && authors.is_empty()
        && let Some(id) = git_author(root)
    {
        eprintln!("Auteur : {id} (d'après git config user.name ; sinon, passez --author)");
        authors.push(id);
    }
    let tz = crate::config::Config::load(root)
        .map(|c| c.timezone)
        .unwrap_or(chrono_tz::Europe::Paris);
    let new = NewContent {
        kind,
        title: args.title,
        bundle: args.bundle,
        authors,
        today: chrono::Utc::now().with_timezone(&tz).date_naive(),
    };
    match scaffold::create(root, &new) {
        Ok(path) => {
            println!("{}", path.to_string_lossy().replace('\\', "/"));
            eprintln!("Complétez l'en-tête et le texte, puis vérifiez avec : classmates check");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("erreur : {e}");
            ExitCode::FAILURE
        }
    }
}

/// The author id matching `git config user.name`, if such an author file exists.
fn git_author(root: &Path) -> Option<String> {
    let output = std::process::Command::new("git")
        .args(["config", "user.name"])
        .current_dir(root)
        .output()
        .ok()?;
    let name = String::from_utf8_lossy(&output.stdout);
    let id = crate::text::slugify(name.trim());
    (!id.is_empty() && scaffold::author_ids(root).contains(&id)).then_some(id)
}
