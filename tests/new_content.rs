//! `classmates new`: the file it creates is where it says, carries the `$schema` comment with a
//! correct relative path, passes `check` without error, and is never overwritten.

mod common;

use std::path::{Component, Path, PathBuf};
use std::process::{Command, Output};

use common::Site;

/// `classmates --root <site> <args…>`, with no git identity to guess an author from.
fn run(site: &Site, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_classmates"))
        .arg("--root")
        .arg(site.root())
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run the classmates binary")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Creates a content, asserts it was printed and written, and returns its path and text.
#[track_caller]
fn create(site: &Site, args: &[&str]) -> (String, String) {
    let mut all = vec!["new"];
    all.extend_from_slice(args);
    let output = run(site, &all);
    assert!(output.status.success(), "{}", stderr(&output));
    let path = stdout(&output).trim().to_string();
    let text = std::fs::read_to_string(site.root().join(&path))
        .unwrap_or_else(|e| panic!("read {path}: {e}"));
    (path, text)
}

/// Resolves `relative` from the folder of `file` (both `/`-separated, relative to the root).
fn resolve(file: &str, relative: &str) -> PathBuf {
    let mut path: Vec<String> = Path::new(file)
        .parent()
        .unwrap()
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    for component in Path::new(relative).components() {
        match component {
            Component::ParentDir => {
                assert!(path.pop().is_some(), "{relative} climbs above the root");
            }
            other => path.push(other.as_os_str().to_string_lossy().into_owned()),
        }
    }
    path.iter().collect()
}

/// The `$schema` path of the front matter, checked to point at `schemas/<name>` from the file.
#[track_caller]
fn assert_schema_comment(path: &str, text: &str, name: &str) {
    let second = text.lines().nth(1).unwrap();
    let schema = second
        .strip_prefix("# yaml-language-server: $schema=")
        .unwrap_or_else(|| panic!("no $schema comment on line 2 of {path}:\n{text}"));
    assert_eq!(resolve(path, schema), Path::new("schemas").join(name));
    assert!(common::repo_root().join("schemas").join(name).is_file());
}

fn check_passes(site: &Site) -> String {
    let output = run(site, &["check"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "check failed:\n{}",
        stderr(&output)
    );
    stderr(&output)
}

#[test]
fn every_kind_is_created_and_passes_check() {
    let site = Site::fixture("check-clean");
    let cases: [(&[&str], &str, &str); 7] = [
        (
            &[
                "article",
                "Comprendre les décorateurs : @ et functools",
                "--author",
                "lea",
            ],
            "content/articles/comprendre-les-decorateurs-et-functools.md",
            "article.json",
        ),
        (
            &[
                "article",
                "Un article \"illustré\"",
                "--bundle",
                "--author",
                "lea",
            ],
            "content/articles/un-article-illustre/index.md",
            "article.json",
        ),
        (
            &["series", "Tests avec pytest"],
            "content/series/tests-avec-pytest.md",
            "series.json",
        ),
        (
            &["resource", "La documentation de Django", "--author", "lea"],
            "content/resources/la-documentation-de-django.md",
            "resource.json",
        ),
        (
            &["event", "Webinaire : les fixtures", "--author", "lea"],
            "content/events/webinaire-les-fixtures.md",
            "event.json",
        ),
        (
            &["event", "Permanence d'entraide", "--bundle"],
            "content/events/permanence-d-entraide/index.md",
            "event.json",
        ),
        (
            &["author", "Camille Dupont"],
            "content/authors/camille-dupont.md",
            "author.json",
        ),
    ];
    for (args, expected, schema) in cases {
        let (path, text) = create(&site, args);
        assert_eq!(path, expected);
        assert!(text.starts_with("---\n# yaml-language-server: $schema="));
        assert_schema_comment(&path, &text, schema);
    }
    let article =
        std::fs::read_to_string(site.root().join(cases[0].1)).expect("the article exists");
    assert!(
        article.contains("title: \"Comprendre les décorateurs : @ et functools\"\n"),
        "{article}"
    );
    assert!(article.contains("authors: [lea]\n"));
    assert!(article.contains("# categories: []  # parmi : python, web\n"));

    // No error; the only warning is the placeholder address of the resource.
    let report = check_passes(&site);
    assert!(
        report.contains("0 erreur(s), 1 avertissement(s)"),
        "{report}"
    );
    assert!(report.contains("adresse d'exemple « https://example.org/ » à remplacer"));
    site.build().ok();
}

#[test]
fn an_existing_content_is_never_overwritten() {
    let site = Site::fixture("check-clean");
    let (path, before) = create(&site, &["article", "Bonjour le monde", "--author", "lea"]);
    std::fs::write(site.root().join(&path), "modifié à la main").unwrap();
    let again = run(
        &site,
        &["new", "article", "Bonjour le monde", "--author", "lea"],
    );
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        stderr(&again),
        "erreur : « content/articles/bonjour-le-monde.md » existe déjà : choisissez un autre titre, ou modifiez ce contenu\n"
    );
    assert_eq!(
        std::fs::read_to_string(site.root().join(&path)).unwrap(),
        "modifié à la main"
    );
    assert_ne!(before, "modifié à la main");

    // Nor taken by a bundle of the same slug.
    let bundle = run(
        &site,
        &[
            "new",
            "article",
            "Bonjour le monde",
            "--bundle",
            "--author",
            "lea",
        ],
    );
    assert_eq!(bundle.status.code(), Some(1));
    assert!(
        !site
            .root()
            .join("content/articles/bonjour-le-monde")
            .exists()
    );
}

#[test]
fn an_article_needs_a_known_author() {
    let site = Site::fixture("check-clean");
    let none = run(&site, &["new", "article", "Sans auteur"]);
    assert_eq!(none.status.code(), Some(1));
    assert_eq!(
        stderr(&none),
        "erreur : indiquez l'auteur avec --author <identifiant> (auteurs : lea) ; sinon, créez d'abord votre fiche : classmates new author \"Votre nom\"\n"
    );
    let typo = run(&site, &["new", "article", "Faute", "--author", "lee"]);
    assert_eq!(typo.status.code(), Some(1));
    assert!(
        stderr(&typo).contains(
            "auteur « lee » inconnu (pas de content/authors/lee.md) : vouliez-vous dire « lea » ?"
        ),
        "{}",
        stderr(&typo)
    );
    assert!(!site.root().join("content/articles/sans-auteur.md").exists());
    assert!(!site.root().join("content/articles/faute.md").exists());
}
