//! `classmates check` (one `fixtures/check-*` site per diagnostic): every problem is reported
//! with its file, line, column and message, in the human, GitHub and JSON forms; the exit code is
//! 1 with errors and 0 with warnings only; nothing is written.

mod common;

use std::process::Command;

use common::{Build, Site};

/// `classmates --root <site> check <args…>`.
fn check(site: &Site, args: &[&str]) -> Build {
    let result = Command::new(env!("CARGO_BIN_EXE_classmates"))
        .arg("--root")
        .arg(site.root())
        .arg("check")
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run the classmates binary");
    Build {
        status: result.status,
        stdout: String::from_utf8_lossy(&result.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&result.stderr).into_owned(),
        out: site.output(),
    }
}

/// Checks the fixture, which must fail with exactly `errors` errors.
#[track_caller]
fn failing(fixture: &str, errors: usize) -> Build {
    let site = Site::fixture(fixture);
    let run = check(&site, &[]).failed();
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    assert_eq!(run.error_count(), errors, "{}", run.stderr);
    assert!(!site.output().exists(), "check must not write the site");
    run
}

/// Checks the fixture, which must pass (exit 0) with exactly `warnings` warnings.
#[track_caller]
fn warned(fixture: &str, warnings: usize) -> Build {
    let site = Site::fixture(fixture);
    let run = check(&site, &[]).ok();
    let summary = format!("0 erreur(s), {warnings} avertissement(s)");
    assert!(run.stderr.contains(&summary), "{}", run.stderr);
    run
}

/// Asserts that the problem at `location` is shown with `message` as its headline.
#[track_caller]
fn headline(run: &Build, severity: &str, location: &str, message: &str) {
    run.assert_problem(location, message);
    assert!(
        run.stderr.contains(&format!("{severity}: {message}\n")),
        "no `{severity}: {message}` in:\n{}",
        run.stderr
    );
}

// ---------------------------------------------------------------- validations of the build

#[test]
fn anchors_must_name_a_heading() {
    let run = failing("check-anchors", 2);
    headline(
        &run,
        "erreur",
        "content/articles/guide.md:6:6",
        "ancre « #instalation » introuvable : aucun titre de ce fichier ne porte cet identifiant",
    );
    run.assert_problem(
        "content/articles/guide.md:6:6",
        "vouliez-vous dire `#installation` ?",
    );
    headline(
        &run,
        "erreur",
        "content/articles/guide.md:10:7",
        "ancre « #premier-tes » introuvable dans content/articles/tests/index.md (tests/index.md#premier-tes)",
    );
    run.assert_problem(
        "content/articles/guide.md:10:7",
        "vouliez-vous dire `#premier-test` ?",
    );
    // Accepted: other headings, a raw HTML id, a footnote, an id of the theme (#inscription).

    // The build stops on them too.
    let site = Site::fixture("check-anchors");
    let build = site.build().failed();
    build.assert_problem("content/articles/guide.md:10:7", "#premier-tes");
}

#[test]
fn files_referenced_from_markdown_must_exist() {
    let run = failing("check-files", 4);
    headline(
        &run,
        "erreur",
        "content/articles/simple.md:8:1",
        "image « schema.svg » introuvable : seul un contenu en dossier peut avoir des fichiers à côté",
    );
    run.assert_problem(
        "content/articles/simple.md:8:1",
        "transformez l'article en dossier : déplacez le fichier vers `content/articles/simple/index.md` et mettez `schema.svg` à côté",
    );
    headline(
        &run,
        "erreur",
        "content/articles/bundle/index.md:6:27",
        "image « schemas.svg » introuvable dans `content/articles/bundle/`",
    );
    run.assert_problem(
        "content/articles/bundle/index.md:6:27",
        "vouliez-vous dire `schema.svg` ?",
    );
    headline(
        &run,
        "erreur",
        "content/articles/bundle/index.md:6:53",
        "fichier « notes.pdf » introuvable dans `content/articles/bundle/`",
    );
    headline(
        &run,
        "erreur",
        "content/articles/bundle/index.md:7:4",
        "image « ../simple/x.png » hors du dossier `content/articles/bundle/`",
    );
}

#[test]
fn malformed_addresses_and_placeholders() {
    let run = failing("check-urls", 2);
    headline(
        &run,
        "erreur",
        "content/resources/pep-8.md:3:6",
        "adresse invalide « peps.python.org/pep-0008/ »",
    );
    headline(
        &run,
        "erreur",
        "content/events/webinaire.md:6:10",
        "adresse invalide « slides.pdf »",
    );
    headline(
        &run,
        "avertissement",
        "content/resources/exemple.md:3:6",
        "adresse d'exemple « https://example.org/ » à remplacer",
    );
}

/// The problems the build already finds are found by `check` too, at the same place.
#[test]
fn every_validation_of_the_build_is_run() {
    let cases = [
        (
            "error_unknown_field",
            "content/articles/faute-de-frappe.md:2:1",
            "vouliez-vous dire `title`",
        ),
        (
            "error_unknown_author",
            "content/articles/duo.md:6:5",
            "auteur « bastien » inconnu",
        ),
        (
            "error_unknown_series",
            "content/articles/pytest-avance-1.md:5:9",
            "série « pytest-avance » inconnu",
        ),
        (
            "error_unknown_category",
            "content/resources/flask.md:6:19",
            "vouliez-vous dire `python`",
        ),
        (
            "error_duplicate_slug",
            "content/articles/bonjour/index.md:1:1",
            "même slug « bonjour »",
        ),
        (
            "error_event_end_before_start",
            "content/events/atelier.md:4:6",
            "se termine avant d'avoir commencé",
        ),
        (
            "error_missing_link",
            "content/articles/lien-casse.md:8:12",
            "lien vers un fichier inexistant",
        ),
        (
            "error_bad_date",
            "content/articles/date-francaise.md:3:7",
            "date invalide « 15/10/2026 »",
        ),
    ];
    for (fixture, location, fragment) in cases {
        let site = Site::fixture(fixture);
        let run = check(&site, &[]).failed();
        run.assert_problem(location, fragment);
    }
    let run = failing("error_many", 12);
    run.assert_problem(
        "content/articles/plusieurs-fautes.md:6:9",
        "série « serie-fantome » inconnu",
    );
}

// ---------------------------------------------------------------- review warnings

#[test]
fn tags_spelled_differently_are_warnings() {
    let run = warned("check-tags", 3);
    headline(
        &run,
        "avertissement",
        "content/articles/trois.md:6:5",
        "l'étiquette « django » s'écrit déjà « Django » ailleurs",
    );
    run.assert_problem(
        "content/articles/trois.md:6:5",
        "écrivez « Django », comme dans content/articles/deux.md",
    );
    // Three spellings used once each: the alphabetically first one wins, as in the build.
    headline(
        &run,
        "avertissement",
        "content/articles/trois.md:7:5",
        "l'étiquette « Écriture » s'écrit déjà « ecriture » ailleurs",
    );
    headline(
        &run,
        "avertissement",
        "content/resources/flask.md:6:18",
        "l'étiquette « écriture » s'écrit déjà « ecriture » ailleurs",
    );
    // A warning never stops the build.
    Site::fixture("check-tags").build().ok();
}

#[test]
fn gaps_in_series_parts_are_warnings() {
    let run = warned("check-series", 2);
    headline(
        &run,
        "avertissement",
        "content/articles/pytest-3.md:6:7",
        "il manque la partie 2 de la série « pytest » (parties : 1, 3)",
    );
    headline(
        &run,
        "avertissement",
        "content/articles/pytest-bonus.md:5:9",
        "partie sans numéro dans la série « pytest », dont les autres parties sont numérotées (1, 3)",
    );
}

#[test]
fn duplicate_series_parts_are_errors() {
    let site = Site::fixture("check-series");
    site.write(
        "content/articles/pytest-bonus.md",
        "---\ntitle: \"Bonus\"\ndate: 2026-10-04\nauthors: [lea]\nseries: pytest\npart: 3\n---\nTexte.\n",
    );
    let run = check(&site, &[]).failed();
    run.assert_problem(
        "content/articles/pytest-bonus.md:6:1",
        "la partie 3 de la série « pytest » existe déjà",
    );
}

#[test]
fn raw_script_and_iframe_are_flagged_for_the_reviewer() {
    let run = warned("check-raw-html", 2);
    headline(
        &run,
        "avertissement",
        "content/articles/video.md:8:1",
        "HTML brut `<iframe>` dans le Markdown : à vérifier à la relecture",
    );
    headline(
        &run,
        "avertissement",
        "content/articles/video.md:10:16",
        "HTML brut `<script>` dans le Markdown : à vérifier à la relecture",
    );
}

/// What a reviewer must look at, reported by `check` without failing it: a second `<h1>`
/// written in the body (`# …` or underlined with `=`), `updated` before `date`, images loaded
/// from another site (Markdown, raw HTML, an author's avatar), categories of site.yaml that
/// differ only by case or a plural.
#[test]
fn review_warnings_for_titles_dates_images_and_categories() {
    let run = warned("check-review", 8);
    let article = "content/articles/avec-images/index.md";
    for (location, message) in [
        (
            format!("{article}:8:1"),
            "titre de niveau 1 dans le corps : la page a déjà le sien (`title`), cela fait deux `<h1>`",
        ),
        (
            format!("{article}:17:1"),
            "titre de niveau 1 dans le corps : la page a déjà le sien (`title`), cela fait deux `<h1>`",
        ),
        (
            format!("{article}:4:10"),
            "mise à jour (`updated: 2026-10-01 18:00`) antérieure à la publication (`date: 2026-10-10`)",
        ),
        (
            format!("{article}:12:1"),
            "image chargée depuis un autre site (cdn.exemple.org) : « https://cdn.exemple.org/logo.png »",
        ),
        (
            format!("{article}:15:1"),
            "image chargée depuis un autre site (images.exemple.net) : « //images.exemple.net/banniere.jpg »",
        ),
        (
            "content/authors/lea.md:3:9".to_string(),
            "image chargée depuis un autre site (avatars.githubusercontent.com) : « https://avatars.githubusercontent.com/u/1?v=4 »",
        ),
        (
            "site.yaml:11:11".to_string(),
            "la catégorie « Tutoriels » (`tutoriels`) ne diffère de « Tutoriel » (`tutoriel`) que par la casse, les accents ou le pluriel",
        ),
        (
            "site.yaml:15:11".to_string(),
            "la catégorie « python » (`langage-python`) ne diffère de « Python » (`python`) que par la casse, les accents ou le pluriel",
        ),
    ] {
        headline(&run, "avertissement", &location, message);
    }
    assert!(!run.stderr.contains("bien.md"), "{}", run.stderr);
    // Warnings only: the site builds.
    Site::fixture("check-review").build().ok();
}

#[test]
fn event_handlers_and_script_addresses_in_raw_html_are_review_warnings() {
    // The third warning: the image is loaded from another site (`review_warnings…`).
    let run = warned("check-raw-handlers", 3);
    headline(
        &run,
        "avertissement",
        "content/articles/poignees.md:6:58",
        "attribut `onerror` dans du HTML brut : à vérifier à la relecture",
    );
    headline(
        &run,
        "avertissement",
        "content/articles/poignees.md:8:10",
        "adresse `javascript:` dans du HTML brut : à vérifier à la relecture",
    );
}

#[test]
fn a_clean_site_passes() {
    let site = Site::fixture("check-clean");
    let run = check(&site, &[]).ok();
    assert_eq!(run.stderr, "Aucun problème trouvé.\n");
    let run = check(&site, &["--format", "github"]).ok();
    assert_eq!(run.stdout, "");
    let run = check(&site, &["--format", "json"]).ok();
    assert_eq!(run.stdout, "[]\n");
}

#[test]
fn template_errors_are_found_without_writing() {
    let site = Site::fixture("check-clean");
    site.write(
        "templates/article.html",
        "{% extends \"base.html\" %}{% block content %}{{ article.missing.field }}{% endblock content %}",
    );
    let files = |root: &std::path::Path| -> Vec<std::path::PathBuf> {
        let mut files: Vec<_> = walkdir_sorted(root);
        files.sort();
        files
    };
    let before = files(site.root());
    let run = check(&site, &[]).failed();
    assert!(run.stderr.contains("article.html"), "{}", run.stderr);
    assert!(!site.output().exists());
    // Every file was made to find the failing one, and nothing is left in the site's folder
    // (a check streams as a build does, its files dropped).
    assert_eq!(files(site.root()), before);
}

fn walkdir_sorted(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all.extend(walkdir_sorted(&path));
        }
        all.push(path);
    }
    all
}

// ---------------------------------------------------------------- output formats

#[test]
fn human_format_quotes_the_line_with_a_caret() {
    let site = Site::fixture("check-formats");
    let run = check(&site, &[]).failed();
    let expected = "\
erreur: ancre « #suite » introuvable : aucun titre de ce fichier ne porte cet identifiant
 --> content/articles/deux-problemes.md:6:11
  |
6 | Une ancre [cassée](#suite).
  |           ^^^^^^^^^^^^^^^^
  |
aide: ce fichier n'a aucun titre : retirez l'ancre ou ajoutez un titre `## …`
";
    assert!(run.stderr.contains(expected), "{}", run.stderr);
    assert!(
        run.stderr.ends_with("1 erreur(s), 1 avertissement(s)\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn github_format_is_workflow_commands() {
    let site = Site::fixture("check-formats");
    let run = check(&site, &["--format", "github"]).failed();
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        run.stdout,
        "::error file=content/articles/deux-problemes.md,line=6,col=11,title=classmates check::ancre « #suite » introuvable : aucun titre de ce fichier ne porte cet identifiant%0Aaide : ce fichier n'a aucun titre : retirez l'ancre ou ajoutez un titre `## …`\n\
         ::warning file=content/articles/deux-problemes.md,line=8,col=1,title=classmates check::HTML brut `<iframe>` dans le Markdown : à vérifier à la relecture%0Aaide : le contenu intégré vient d'un autre site : la relecture doit vérifier sa source (un simple lien suffit souvent)\n"
    );
    assert_eq!(run.stderr, "1 erreur(s), 1 avertissement(s)\n");
}

#[test]
fn json_format_is_an_array_of_problems() {
    let site = Site::fixture("check-formats");
    let run = check(&site, &["--format", "json"]).failed();
    let problems: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(
        problems,
        serde_json::json!([
            {
                "severity": "error",
                "file": "content/articles/deux-problemes.md",
                "line": 6,
                "column": 11,
                "message": "ancre « #suite » introuvable : aucun titre de ce fichier ne porte cet identifiant",
                "help": "ce fichier n'a aucun titre : retirez l'ancre ou ajoutez un titre `## …`"
            },
            {
                "severity": "warning",
                "file": "content/articles/deux-problemes.md",
                "line": 8,
                "column": 1,
                "message": "HTML brut `<iframe>` dans le Markdown : à vérifier à la relecture",
                "help": "le contenu intégré vient d'un autre site : la relecture doit vérifier sa source (un simple lien suffit souvent)"
            }
        ])
    );
}

#[test]
fn warnings_only_exit_zero_in_every_format() {
    let site = Site::fixture("check-raw-html");
    for format in ["human", "github", "json"] {
        let run = check(&site, &["--format", format]);
        assert_eq!(run.status.code(), Some(0), "{format}: {}", run.stderr);
    }
    let run = check(&site, &["--format", "github"]);
    assert_eq!(run.stdout.matches("::warning ").count(), 2);
}
