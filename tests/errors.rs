//! Invalid content (one `fixtures/error_*` site per problem): the build fails, prints every
//! problem with its `path:line:col`, and leaves the previous output untouched.

mod common;

use std::collections::BTreeSet;

use common::{Build, Site, tree};

/// Builds the fixture, which must fail, with exactly `errors` errors.
#[track_caller]
fn failing(fixture: &str, errors: usize) -> Build {
    let site = Site::fixture(fixture);
    let build = site.build().failed();
    assert_eq!(build.error_count(), errors, "{}", build.stderr);
    assert!(
        !site.output().exists(),
        "a failed first build must not create the output folder"
    );
    build
}

#[test]
fn invalid_yaml() {
    let build = failing("error_invalid_yaml", 1);
    // `title: Django : le guide`: the second `: ` is where YAML gives up.
    build.assert_problem(
        "content/articles/django-guide.md:2:15",
        "« : » inattendu : une valeur qui contient « : » s'écrit entre guillemets",
    );
}

#[test]
fn missing_required_field() {
    let build = failing("error_missing_field", 1);
    build.assert_problem(
        "content/articles/sans-date.md:2:1",
        "champ obligatoire `date` manquant",
    );
}

#[test]
fn unknown_field_suggests_the_right_one() {
    let build = failing("error_unknown_field", 1);
    build.assert_problem(
        "content/articles/faute-de-frappe.md:2:1",
        "champ inconnu `titel`",
    );
    build.assert_problem(
        "content/articles/faute-de-frappe.md:2:1",
        "vouliez-vous dire `title`",
    );
}

#[test]
fn unknown_author() {
    let build = failing("error_unknown_author", 1);
    build.assert_problem("content/articles/duo.md:6:5", "auteur « bastien » inconnu");
}

#[test]
fn unknown_series() {
    let build = failing("error_unknown_series", 1);
    build.assert_problem(
        "content/articles/pytest-avance-1.md:5:9",
        "série « pytest-avance » inconnu",
    );
}

#[test]
fn unknown_category_suggests_the_right_one() {
    let build = failing("error_unknown_category", 1);
    build.assert_problem(
        "content/resources/flask.md:6:19",
        "catégorie « pyhton » inconnue",
    );
    build.assert_problem(
        "content/resources/flask.md:6:19",
        "vouliez-vous dire `python`",
    );
}

#[test]
fn event_ending_before_it_starts() {
    let build = failing("error_event_end_before_start", 1);
    build.assert_problem(
        "content/events/atelier.md:4:6",
        "se termine avant d'avoir commencé",
    );
}

#[test]
fn two_files_with_the_same_slug() {
    let build = failing("error_duplicate_slug", 2);
    build.assert_problem("content/articles/bonjour.md:1:1", "même slug « bonjour »");
    build.assert_problem(
        "content/articles/bonjour/index.md:1:1",
        "même slug « bonjour »",
    );
}

#[test]
fn bad_date() {
    let build = failing("error_bad_date", 1);
    build.assert_problem(
        "content/articles/date-francaise.md:3:7",
        "date invalide « 15/10/2026 »",
    );
}

/// `classmates check` on the fixture, which must fail with exactly `errors` errors.
#[track_caller]
fn check_failing(fixture: &str, errors: usize) -> Build {
    let run = common::run_check(&Site::fixture(fixture), &[]).failed();
    assert_eq!(run.error_count(), errors, "{}", run.stderr);
    run
}

#[test]
fn a_local_time_that_happens_twice() {
    // 2026-10-25 in Paris: clocks go back from 03:00 to 02:00, 02:30 happens twice.
    for run in [
        failing("error_ambiguous_time", 1),
        check_failing("error_ambiguous_time", 1),
    ] {
        run.assert_problem(
            "content/events/nuit.md:3:8",
            "l'heure « 2026-10-25 02:30 » existe deux fois dans le fuseau Europe/Paris",
        );
        run.assert_problem(
            "content/events/nuit.md:3:8",
            "écrivez `2026-10-25T02:30:00+02:00` (la première, heure d'été) ou `2026-10-25T02:30:00+01:00` (la seconde, heure d'hiver)",
        );
    }
}

#[test]
fn a_title_with_control_characters() {
    for run in [
        failing("error_title_control", 1),
        check_failing("error_title_control", 1),
    ] {
        run.assert_problem(
            "content/events/atelier.md:2:1",
            r"le titre « Atelier\r\nX-INJECTE:oui » contient un caractère de contrôle",
        );
    }
}

#[test]
fn links_that_run_code_and_heading_attributes() {
    for run in [
        failing("error_link_scheme", 5),
        check_failing("error_link_scheme", 5),
    ] {
        run.assert_problem(
            "content/articles/piege.md:6:4",
            "lien « javascript:alert(document.cookie) » refusé : une adresse `javascript:`",
        );
        run.assert_problem(
            "content/articles/piege.md:6:53",
            "adresse `data:` n'a pas sa place",
        );
        run.assert_problem(
            "content/articles/piege.md:6:53",
            "mettez l'image dans le dossier du contenu",
        );
        run.assert_problem(
            "content/articles/piege.md:8:10",
            "attribut « onclick » refusé sur un titre : seuls `#id` et `.classe` sont permis",
        );
        run.assert_problem(
            "content/articles/piege.md:12:4",
            "lien « JaVaScRiPt:alert(1) » refusé",
        );
        run.assert_problem(
            "content/authors/lea.md:4:17",
            "lien « vbscript:msgbox(1) » refusé",
        );
    }
}

#[test]
fn link_to_a_missing_file() {
    let build = failing("error_missing_link", 1);
    build.assert_problem(
        "content/articles/lien-casse.md:8:12",
        "lien vers un fichier inexistant « ../articles/tests-pytest.md »",
    );
}

#[test]
fn every_problem_of_every_file_is_reported_in_one_run() {
    let build = failing("error_many", 12);
    let expected = [
        // Front matter and body problems of the same file.
        (
            "content/articles/champ-inconnu.md:5:1",
            "champ inconnu `tag`",
        ),
        (
            "content/articles/champ-inconnu.md:5:1",
            "vouliez-vous dire `tags`",
        ),
        (
            "content/articles/champ-inconnu.md:7:26",
            "lien vers un fichier inexistant « ../pages/etiquettes.md »",
        ),
        (
            "content/articles/lien-vers-absent.md:6:7",
            "lien vers un fichier inexistant « ../pages/guide.md#installation »",
        ),
        // Five problems in one file.
        (
            "content/articles/plusieurs-fautes.md:3:7",
            "date invalide « 2026-02-30 »",
        ),
        (
            "content/articles/plusieurs-fautes.md:4:16",
            "auteur « inconnu » inconnu",
        ),
        (
            "content/articles/plusieurs-fautes.md:5:22",
            "catégorie « donnees » inconnue",
        ),
        (
            "content/articles/plusieurs-fautes.md:6:9",
            "série « serie-fantome » inconnu",
        ),
        (
            "content/articles/plusieurs-fautes.md:9:9",
            "lien vers un fichier inexistant « autre.md »",
        ),
        (
            "content/events/webinaire.md:4:6",
            "se termine avant d'avoir commencé",
        ),
        (
            "content/events/webinaire.md:5:1",
            "`capacity` doit être au moins 1",
        ),
        (
            "content/resources/sans-url.md:2:1",
            "champ obligatoire `url` manquant",
        ),
        (
            "content/resources/yaml-casse.md:2:15",
            "« : » inattendu : une valeur qui contient « : » s'écrit entre guillemets",
        ),
    ];
    for (location, fragment) in expected {
        build.assert_problem(location, fragment);
    }
    // Reported in a stable order: by file, then line.
    let locations: Vec<&str> = build
        .stderr
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--> "))
        .collect();
    let mut sorted = locations.clone();
    sorted.sort_by_key(|l| {
        let mut parts = l.rsplitn(3, ':');
        let (col, line, path) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        (
            path.to_string(),
            line.parse::<usize>().unwrap(),
            col.parse::<usize>().unwrap(),
        )
    });
    assert_eq!(locations, sorted);
    assert_eq!(locations.len(), 12);
}

/// What a contributor's pull request must see in one run, not one CI round per problem: a
/// misspelled key does not hide a dead anchor, a missing image or a link to a missing file
/// of the body; a missing field does not hide a bad date or an unknown category; values of
/// the wrong type are all reported, in French; a link to a file that exists but has errors
/// says so; a file that is not UTF-8 is located at its first bad byte.
#[test]
fn one_run_reports_every_problem_of_every_file() {
    let build = failing("error_one_round", 19);
    let expected = [
        // Misspelled key, and the body's problems of the same file.
        (
            "content/articles/resume-mal-ecrit.md:5:1",
            "champ inconnu `sumary` dans l'article",
        ),
        (
            "content/articles/resume-mal-ecrit.md:9:6",
            "ancre « #lancer-les-tests » introuvable",
        ),
        (
            "content/articles/resume-mal-ecrit.md:9:39",
            "lien vers un fichier inexistant « guide-absent.md »",
        ),
        (
            "content/articles/resume-mal-ecrit.md:11:1",
            "image « capture.png » introuvable",
        ),
        // A missing field, a bad date, a misspelled key and an unknown category.
        (
            "content/articles/sans-auteur.md:2:1",
            "champ obligatoire `authors` manquant",
        ),
        (
            "content/articles/sans-auteur.md:3:7",
            "date invalide « 2026-02-30 »",
        ),
        (
            "content/articles/sans-auteur.md:4:1",
            "champ inconnu `categorie`",
        ),
        (
            "content/articles/sans-auteur.md:5:14",
            "catégorie « pyhton » inconnue",
        ),
        // Links into files with errors of their own.
        (
            "content/articles/avec-image/index.md:6:7",
            "lien vers « ../resume-mal-ecrit.md » : ce fichier existe mais contient des erreurs",
        ),
        (
            "content/articles/avec-image/index.md:6:44",
            "ce fichier existe mais contient des erreurs",
        ),
        (
            "content/articles/avec-image/index.md:6:44",
            "ancre « #titre-absent » introuvable dans content/articles/sans-auteur.md",
        ),
        (
            "content/articles/avec-image/index.md:7:4",
            "lien vers un fichier inexistant « ../ancien.md »",
        ),
        (
            "content/articles/avec-image/index.md:9:1",
            "image « schema.png » introuvable",
        ),
        // Every value of the wrong type, and the missing field, in French.
        (
            "content/resources/mauvais-types.md:2:1",
            "champ obligatoire `url` manquant",
        ),
        (
            "content/resources/mauvais-types.md:3:7",
            "`kind` : valeur « tutoriel » inconnue : valeurs possibles `article`, `video`",
        ),
        (
            "content/resources/mauvais-types.md:5:7",
            "`tags` : type invalide : le nombre 3 au lieu d'une liste",
        ),
        (
            "content/resources/mauvais-types.md:6:8",
            "`draft` : type invalide : le texte \"peut-etre\" au lieu de `true` ou `false`",
        ),
        // A missing end does not hide a bad start nor a bad capacity.
        (
            "content/events/sans-fin.md:2:1",
            "champ obligatoire `end` manquant",
        ),
        (
            "content/events/sans-fin.md:3:8",
            "date invalide « 2026-10-32 19:00 »",
        ),
        (
            "content/events/sans-fin.md:4:1",
            "`capacity` doit être au moins 1",
        ),
        // Latin-1: `é` (0xE9) is the 12th character of line 2.
        (
            "content/articles/latin1.md:2:12",
            "le fichier n'est pas encodé en UTF-8 : octet invalide 0xE9 ligne 2, colonne 12",
        ),
    ];
    for (location, fragment) in expected {
        build.assert_problem(location, fragment);
    }
    // Anchors are checked once every body is rendered, when the build no longer holds them:
    // the problem still shows its line.
    let anchor = "ancre « #lancer-les-tests » introuvable";
    let shown = build
        .stderr
        .split(anchor)
        .nth(1)
        .expect("the anchor problem");
    assert!(
        (shown.split("erreur").next().unwrap_or_default())
            .contains("Voir [plus bas](#lancer-les-tests) et [le guide](guide-absent.md)."),
        "{}",
        build.stderr
    );
    for english in [
        "invalid type",
        "unknown variant",
        "expected",
        "stream did not contain",
    ] {
        assert!(
            !build.stderr.contains(english),
            "English left in:\n{}",
            build.stderr
        );
    }
    // The stand-ins given to missing fields so that the rest is read are never shown.
    assert!(!build.stderr.contains("« »"), "{}", build.stderr);
    assert!(!build.stderr.contains("url: \"\""), "{}", build.stderr);
    // `check` reports the same errors.
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_classmates"))
        .arg("--root")
        .arg(Site::fixture("error_one_round").root())
        .arg("check")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert_eq!(check.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("19 erreur(s), "), "{stderr}");
}

/// `redirects:` of site.yaml: an old address the build writes already is an error at its line;
/// one leading to a page the site does not write is a warning (and is not written).
#[test]
fn redirects_that_would_take_a_page_or_lead_nowhere() {
    let build = failing("error_redirects", 2);
    build.assert_problem(
        "site.yaml:12:3",
        "la redirection « /tags/ » prendrait l'adresse d'une page ou d'un flux du site",
    );
    build.assert_problem(
        "site.yaml:13:3",
        "la redirection « /atom.xml » prendrait l'adresse d'une page ou d'un flux du site",
    );
    build.assert_problem(
        "site.yaml:14:3",
        "la redirection « /category/perdue.html » mène à « /categories/perdue/ », que le site ne génère pas",
    );
}

// ---------------------------------------------------------------- the previous output is kept

/// Names in `dir` (not recursive).
fn names(dir: &std::path::Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn failed_build_leaves_the_previous_output_untouched() {
    let site = Site::fixture("keep_previous_output");
    let first = site.build().ok();
    let before = tree(&first.out);
    assert!(before.contains_key("articles/bonjour/index.html"));
    let root_before = names(site.root());

    // A new article that would change many pages, and a broken one.
    site.write(
        "content/articles/nouveau.md",
        "---\ntitle: \"Nouveau\"\ndate: 2026-10-15\nauthors: [lea]\n---\nNouveau.\n",
    );
    site.write(
        "content/articles/bonjour.md",
        "---\ntitle: \"Bonjour\"\ndate: 2026-10-32\nauthors: [lea]\n---\nCassé.\n",
    );
    let failed = site.build().failed();
    failed.assert_problem("content/articles/bonjour.md:3:7", "date invalide");
    assert!(failed.stderr.contains("le site précédent est conservé"));

    assert_eq!(
        tree(&first.out),
        before,
        "the output changed after a failed build"
    );
    assert_eq!(
        names(site.root()),
        root_before,
        "temporary folders left next to the output"
    );
}

#[test]
fn template_error_leaves_the_previous_output_untouched() {
    let site = Site::fixture("keep_previous_output");
    let first = site.build().ok();
    let before = tree(&first.out);
    let root_before = names(site.root());

    site.write("templates/article.html", "{% extends \"base.html\" %}{% block content %}{{ article.missing.field }}{% endblock content %}");
    let failed = site.build().failed();
    assert!(failed.stderr.contains("article.html"), "{}", failed.stderr);

    assert_eq!(tree(&first.out), before);
    let mut root_after = names(site.root());
    assert!(root_after.remove("templates"));
    assert_eq!(
        root_after, root_before,
        "temporary folders left next to the output"
    );
}

#[test]
fn successful_rebuild_replaces_the_output_and_cleans_up() {
    let site = Site::fixture("keep_previous_output");
    let first = site.build().ok();
    std::fs::write(first.path("stale.html"), "from an older build").unwrap();
    let root_before = names(site.root());

    site.write(
        "content/articles/nouveau.md",
        "---\ntitle: \"Nouveau\"\ndate: 2026-10-15\nauthors: [lea]\n---\nNouveau.\n",
    );
    let second = site.build().ok();
    assert!(second.exists("articles/nouveau/index.html"));
    assert!(
        !second.exists("stale.html"),
        "the output is replaced as a whole"
    );
    assert_eq!(
        names(site.root()),
        root_before,
        "temporary folders left next to the output"
    );
}
