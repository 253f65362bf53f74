//! `aliases`: old addresses of a page (a previous generator's `/mon-article.html`, a renamed
//! page) become small redirect pages through the overridable `alias.html` template; invalid or
//! colliding aliases stop the build with their `path:line:col`.

mod common;

use common::{NOW, Site, attrs, broken_links, select, text};

#[test]
fn each_alias_redirects_to_its_page() {
    let site = Site::fixture("aliases");
    let build = site.build().ok();

    for (file, target) in [
        ("tests-avec-pytest.html", "/articles/tests-avec-pytest/"),
        (
            "2019/05/tester-avec-pytest/index.html",
            "/articles/tests-avec-pytest/",
        ),
        (
            "articles/tester-pytest/index.html",
            "/articles/tests-avec-pytest/",
        ),
        ("pages/a-propos.html", "/a-propos/"),
        ("qui-sommes-nous/index.html", "/a-propos/"),
        ("liens/doc-python.html", "/ressources/doc-python/"),
        (
            "evenements/atelier-pytest/index.html",
            "/evenements/atelier/",
        ),
    ] {
        let page = build.html(file);
        assert_eq!(
            attrs(&page, r#"meta[http-equiv="refresh"]"#, "content"),
            [format!("0; url={target}")],
            "{file}"
        );
        assert_eq!(
            attrs(&page, r#"link[rel="canonical"]"#, "href"),
            [format!("https://club.example.org{target}")],
            "{file}"
        );
        assert_eq!(
            attrs(&page, r#"meta[name="robots"]"#, "content"),
            ["noindex"],
            "{file}"
        );
        let links = select(&page, "body a");
        assert_eq!(links.len(), 1, "{file}");
        assert_eq!(links[0].attr("href"), Some(target), "{file}");
        assert!(
            text(&select(&page, "body p")[0]).starts_with("Cette page a changé d'adresse"),
            "{file}"
        );
    }
    let title = build.html("tests-avec-pytest.html");
    assert_eq!(
        common::texts(&title, "body a"),
        ["Tester avec pytest"],
        "the visible link names the page"
    );

    let sitemap = build.read("sitemap.xml");
    assert!(sitemap.contains("/articles/tests-avec-pytest/"));
    assert!(
        !sitemap.contains("tests-avec-pytest.html") && !sitemap.contains("qui-sommes-nous"),
        "redirects are not listed in the sitemap:\n{sitemap}"
    );
    assert_eq!(broken_links(&build.out), Vec::<String>::new());
}

#[test]
fn drafts_aliases_exist_only_with_their_page() {
    let site = Site::fixture("aliases");
    let build = site.build().ok();
    assert!(!build.exists("brouillon.html"));
    assert!(!build.exists("articles/brouillon/index.html"));

    let preview = site.root().join("preview");
    let build = site.build_with(&preview, &["--now", NOW, "--drafts"]).ok();
    assert!(build.exists("articles/brouillon/index.html"));
    assert_eq!(
        attrs(
            &build.html("brouillon.html"),
            r#"meta[http-equiv="refresh"]"#,
            "content"
        ),
        ["0; url=/articles/brouillon/"]
    );
}

#[test]
fn the_redirect_template_can_be_overridden() {
    let site = Site::fixture("aliases");
    site.write(
        "templates/alias.html",
        "<!DOCTYPE html><title>{{ title }}</title><meta http-equiv=\"refresh\" content=\"3; url={{ target }}\"><p id=\"perso\">Déménagé vers {{ canonical }}</p>\n",
    );
    let build = site.build().ok();
    let page = build.html("tests-avec-pytest.html");
    assert_eq!(
        common::texts(&page, "#perso"),
        ["Déménagé vers https://club.example.org/articles/tests-avec-pytest/"]
    );
    assert_eq!(
        attrs(&page, r#"meta[http-equiv="refresh"]"#, "content"),
        ["3; url=/articles/tests-avec-pytest/"]
    );
}

#[test]
fn invalid_and_colliding_aliases_are_located() {
    let site = Site::fixture("error_alias");
    let build = site.build().failed();
    assert_eq!(build.error_count(), 8, "{}", build.stderr);
    let premier = "content/articles/premier.md";
    build.assert_problem(
        &format!("{premier}:6:5"),
        "l'alias « ancien-premier.html » doit commencer par `/`",
    );
    build.assert_problem(
        &format!("{premier}:7:5"),
        "prendrait l'adresse de content/articles/second.md",
    );
    build.assert_problem(&format!("{premier}:9:5"), "n'est pas une page");
    let second = "content/articles/second.md";
    build.assert_problem(
        &format!("{second}:5:11"),
        "l'alias « /commun.html » est déjà déclaré par content/articles/premier.md",
    );
    build.assert_problem(&format!("{second}:5:25"), "d'une page du site");
    build.assert_problem(&format!("{second}:5:40"), "l'adresse de la page elle-même");
    let infos = "content/pages/infos.md";
    build.assert_problem(&format!("{infos}:3:11"), "alias invalide « /a b.html »");
    build.assert_problem(&format!("{infos}:3:22"), "segment vide, `.` ou `..`");
    assert!(!site.output().exists());
}

#[test]
fn aliases_over_generated_files_are_located_in_check_and_build() {
    let site = Site::fixture("error_alias_generated");
    let check = common::run_check(&site, &[]).failed();
    let build = site.build().failed();
    for run in [check, build] {
        assert_eq!(run.error_count(), 6, "{}", run.stderr);
        let file = "content/articles/ancien.md";
        for (line, alias, taken) in [
            (6, "/atom.xml/", "atom.xml"),
            (
                7,
                "/evenements/calendrier.ics/",
                "evenements/calendrier.ics",
            ),
            (8, "/style.css/", "style.css"),
            (9, "/theme.js/", "theme.js"),
            (10, "/sitemap.xml/", "sitemap.xml"),
            (11, "/articles/album/photo.png/", "articles/album/photo.png"),
        ] {
            run.assert_problem(
                &format!("{file}:{line}:5"),
                &format!("l'alias « {alias} » prendrait la place du fichier généré `{taken}`"),
            );
        }
        assert!(!run.stderr.contains("File exists"), "{}", run.stderr);
        assert!(!run.stderr.contains("themes/"), "{}", run.stderr);
    }
    assert!(!site.output().exists());
}
