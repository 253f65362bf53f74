//! `classmates import pelican` and `classmates import discord`: a realistic Pelican folder and
//! a realistic DiscordChatExporter export (`fixtures/import-pelican`, `fixtures/import-discord`)
//! imported into a copy of a small site (`fixtures/import-site`), which must then build.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::{Build, NOW, Site, attrs, broken_links, repo_root, texts};

/// Runs `classmates --root <root> <args…>`.
fn classmates(root: &Path, args: &[&str]) -> Build {
    let result = Command::new(env!("CARGO_BIN_EXE_classmates"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env_remove("RUST_LOG")
        // The loopback server of `fetch_titles_reads_the_pages` is reached directly.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .output()
        .expect("run the classmates binary");
    Build {
        status: result.status,
        stdout: String::from_utf8_lossy(&result.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&result.stderr).into_owned(),
        out: root.join("public"),
    }
}

fn pelican_dir() -> PathBuf {
    repo_root().join("tests/fixtures/import-pelican/content")
}

/// Front matter of a content file, as YAML.
#[track_caller]
fn front_matter(site: &Site, rel: &str) -> serde_norway::Value {
    let text = std::fs::read_to_string(site.root().join(rel))
        .unwrap_or_else(|e| panic!("read {rel}: {e}"));
    let yaml = text
        .strip_prefix("---\n")
        .and_then(|t| t.split_once("\n---\n"))
        .unwrap_or_else(|| panic!("{rel} has no front matter:\n{text}"))
        .0;
    serde_norway::from_str(yaml).unwrap_or_else(|e| panic!("{rel}: {e}\n{yaml}"))
}

fn strings(value: &serde_norway::Value) -> Vec<String> {
    value
        .as_sequence()
        .map(|items| {
            items
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Files under `dir` (relative, `/`-separated).
fn files(dir: &Path) -> BTreeSet<String> {
    common::tree(dir).into_keys().collect()
}

// ---------------------------------------------------------------- Pelican

#[test]
fn pelican_dry_run_writes_nothing() {
    let site = Site::fixture("import-site");
    let before = common::tree(site.root());
    let run = classmates(
        site.root(),
        &[
            "import",
            "pelican",
            pelican_dir().to_str().unwrap(),
            "--dry-run",
        ],
    )
    .ok();
    assert!(run.stdout.contains("simulation"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("content/articles/ecrire-des-tests-cest-facile/index.md"),
        "{}",
        run.stdout
    );
    assert_eq!(common::tree(site.root()), before, "nothing is written");
}

#[test]
fn pelican_folder_becomes_articles_that_build() {
    let site = Site::fixture("import-site");
    let run = classmates(
        site.root(),
        &["import", "pelican", pelican_dir().to_str().unwrap()],
    )
    .ok();
    let report = &run.stdout;
    let src = pelican_dir().display().to_string();

    // Articles keep Pelican's slug, computed like Pelican when `Slug:` is empty or missing.
    let articles = files(&site.root().join("content/articles"));
    assert_eq!(
        articles,
        [
            "bienvenue.md",
            "asyncio-sans-douleur.md",
            "ecrire-des-tests-cest-facile/index.md",
            "ecrire-des-tests-cest-facile/pyramide-des-tests.png",
            "fixtures-pytest/index.md",
            "fixtures-pytest/logo-pytest.png",
            "fixtures-pytest/schema-fixtures.svg",
            "les-f-strings-en-python-312.md",
        ]
        .into_iter()
        .map(String::from)
        .collect::<BTreeSet<_>>(),
        "{report}"
    );
    assert_eq!(
        std::fs::read(
            site.root()
                .join("content/articles/ecrire-des-tests-cest-facile/pyramide-des-tests.png")
        )
        .unwrap(),
        std::fs::read(pelican_dir().join("images/pyramide-des-tests.png")).unwrap(),
        "images are copied as they are"
    );
    assert_eq!(
        files(&site.root().join("content/pages")),
        BTreeSet::from(["a-propos.md".to_string()])
    );

    // Headers.
    let tests = front_matter(
        &site,
        "content/articles/ecrire-des-tests-cest-facile/index.md",
    );
    assert_eq!(
        tests["title"].as_str(),
        Some("Écrire des tests, c'est facile !")
    );
    assert_eq!(tests["date"].as_str(), Some("2019-05-12 14:30"));
    assert_eq!(tests["updated"].as_str(), Some("2019-06-01"));
    assert_eq!(
        strings(&tests["authors"]),
        ["ines"],
        "existing author found by name"
    );
    assert_eq!(strings(&tests["tags"]), ["pytest", "tests", "Python"]);
    assert_eq!(strings(&tests["categories"]), ["outils"]);
    assert_eq!(
        tests["summary"].as_str(),
        Some("Un tour d'horizon de pytest pour bien débuter.")
    );
    assert_eq!(
        strings(&tests["aliases"]),
        ["/ecrire-des-tests-cest-facile.html"]
    );
    assert!(tests.get("draft").is_none());

    let fixtures = front_matter(&site, "content/articles/fixtures-pytest/index.md");
    assert_eq!(fixtures["date"].as_str(), Some("2019-06-02 09:15"));
    assert_eq!(strings(&fixtures["authors"]), ["ines", "marc-lefevre"]);
    assert_eq!(strings(&fixtures["tags"]), ["pytest", "fixtures"]);
    assert_eq!(strings(&fixtures["categories"]), ["tutoriels"]);
    assert_eq!(strings(&fixtures["aliases"]), ["/fixtures-pytest.html"]);

    let draft = front_matter(&site, "content/articles/asyncio-sans-douleur.md");
    assert_eq!(draft["draft"].as_bool(), Some(true));
    assert_eq!(
        strings(&draft["authors"]),
        ["equipe-pythonclassmates"],
        "AUTHOR of pelicanconf.py for articles without one"
    );

    let fstrings = front_matter(&site, "content/articles/les-f-strings-en-python-312.md");
    assert_eq!(
        strings(&fstrings["categories"]),
        ["python"],
        "the folder names the category"
    );
    assert_eq!(
        strings(&fstrings["aliases"]),
        ["/les-f-strings-en-python-312.html"]
    );
    let page = front_matter(&site, "content/pages/a-propos.md");
    assert_eq!(page["title"].as_str(), Some("À propos"));
    assert_eq!(strings(&page["aliases"]), ["/pages/a-propos.html"]);

    // Bodies: links to other articles are relative file links, images bundle-relative.
    let body = std::fs::read_to_string(
        site.root()
            .join("content/articles/ecrire-des-tests-cest-facile/index.md"),
    )
    .unwrap();
    assert!(
        body.contains("![La pyramide des tests](pyramide-des-tests.png)"),
        "{body}"
    );
    assert!(
        body.contains("[les fixtures](../fixtures-pytest/index.md#les-fixtures)"),
        "{body}"
    );
    assert!(
        body.contains("[apropos]: ../../pages/a-propos.md"),
        "{body}"
    );
    assert!(
        body.contains("```python\ndef test_addition():\n    assert 1 + 1 == 2\n```"),
        "{body}"
    );
    let body = std::fs::read_to_string(
        site.root()
            .join("content/articles/fixtures-pytest/index.md"),
    )
    .unwrap();
    assert!(
        body.contains("[premier article](../ecrire-des-tests-cest-facile/index.md)"),
        "{body}"
    );
    assert!(
        body.contains("![Schéma des fixtures](schema-fixtures.svg)"),
        "{body}"
    );
    assert!(body.contains(r#"<img src="logo-pytest.png""#), "{body}");
    assert!(body.contains("[l'ancien](/ancien.html)"), "{body}");
    assert!(body.contains("![absente](/images/absente.png)"), "{body}");
    let fbody = std::fs::read_to_string(
        site.root()
            .join("content/articles/les-f-strings-en-python-312.md"),
    )
    .unwrap();
    assert!(!fbody.contains("[TOC]"), "{fbody}");

    // Authors and categories.
    assert_eq!(
        files(&site.root().join("content/authors")),
        ["equipe-pythonclassmates.md", "ines.md", "marc-lefevre.md"]
            .into_iter()
            .map(String::from)
            .collect::<BTreeSet<_>>()
    );
    let marc = front_matter(&site, "content/authors/marc-lefevre.md");
    assert_eq!(marc["name"].as_str(), Some("Marc Lefèvre"));
    let config = std::fs::read_to_string(site.root().join("site.yaml")).unwrap();
    assert!(
        config.contains(
            "    description: Git, tests, éditeurs.\n  - slug: tutoriels\n    name: Tutoriels\n"
        ),
        "{config}"
    );
    for comment in [
        "# Site minimal pour les tests des imports (Pelican, Discord).",
        "  # Les outils du quotidien.",
        "# Le serveur Discord de la communauté.",
    ] {
        assert!(config.contains(comment), "comments are kept:\n{config}");
    }

    // The report: converted, created, and everything NOT converted, located.
    for expected in [
        format!(
            "{src}/ecrire-des-tests.md → content/articles/ecrire-des-tests-cest-facile/index.md (+ 1 fichier(s)), ancienne adresse /ecrire-des-tests-cest-facile.html"
        ),
        format!(
            "{src}/brouillon-asyncio.md → content/articles/asyncio-sans-douleur.md, ancienne adresse /asyncio-sans-douleur.html, brouillon"
        ),
        "content/authors/marc-lefevre.md (auteur « Marc Lefèvre »)".to_string(),
        "site.yaml : catégorie « Tutoriels » ajoutée (slug `tutoriels`)".to_string(),
        format!("{src}/ancien.rst : fichier reStructuredText non converti"),
        format!("{src}/date-invalide.md:2 : date illisible « le 12 mai 2019 »"),
        format!("{src}/bienvenue.md : content/articles/bienvenue.md existe déjà"),
        format!(
            "{src}/tutoriels/fixtures-pytest.md:16 : fichier introuvable dans le dossier Pelican « {{static}}/images/absente.png » : le lien pointe vers son ancienne adresse /images/absente.png"
        ),
        format!(
            "{src}/tutoriels/fixtures-pytest.md:18 : lien vers une source non convertie ou absente « {{filename}}/ancien.rst » : le lien pointe vers /ancien.html"
        ),
        format!("{src}/images/inutilisee.png : fichier utilisé par aucun article converti"),
        format!("{src}/python/f-strings.md:5 : marqueur `[TOC]` retiré"),
        format!("{src}/ecrire-des-tests.md:17 : bloc de code `:::langage` converti"),
    ] {
        assert!(
            report.contains(&expected),
            "missing `{expected}` in:\n{report}"
        );
    }
    assert!(report.contains("Convertis (5) :"), "{report}");
    assert!(
        !report.contains("Lang: fr"),
        "the site's language is no loss:\n{report}"
    );

    // The result builds; old addresses redirect.
    let build = site.build().ok();
    let alias = build.html("ecrire-des-tests-cest-facile.html");
    assert_eq!(
        attrs(&alias, r#"meta[http-equiv="refresh"]"#, "content"),
        ["0; url=/articles/ecrire-des-tests-cest-facile/"]
    );
    assert_eq!(
        attrs(&alias, r#"link[rel="canonical"]"#, "href"),
        ["https://pythonclassmates.org/articles/ecrire-des-tests-cest-facile/"]
    );
    assert!(build.exists("fixtures-pytest.html"));
    assert!(build.exists("pages/a-propos.html"));
    assert!(
        !build.exists("asyncio-sans-douleur.html"),
        "a draft's alias waits for its page"
    );
    let article = build.html("articles/ecrire-des-tests-cest-facile/index.html");
    assert!(
        attrs(&article, "main img", "src")
            .iter()
            .any(|s| s.ends_with("pyramide-des-tests.png")),
        "the image is shown"
    );
    assert!(
        attrs(&article, "main a", "href")
            .contains(&"/articles/fixtures-pytest/#les-fixtures".to_string())
    );
    assert!(build.exists("articles/ecrire-des-tests-cest-facile/pyramide-des-tests.png"));
    assert!(
        texts(&build.html("categories/index.html"), "main a").contains(&"Tutoriels".to_string())
            || build.exists("categories/tutoriels/index.html")
    );
    // Only the links the report lists as not converted are broken.
    let broken = broken_links(&build.out);
    assert_eq!(broken.len(), 2, "{broken:#?}");
    assert!(
        broken.iter().any(|b| b.contains("absente.png")),
        "{broken:#?}"
    );
    assert!(
        broken.iter().any(|b| b.contains("/ancien.html")),
        "{broken:#?}"
    );

    // With the drafts, the draft and its alias appear.
    let preview = site.root().join("preview");
    let build = site.build_with(&preview, &["--now", NOW, "--drafts"]).ok();
    assert!(build.exists("asyncio-sans-douleur.html"));

    // `check` agrees.
    let check = classmates(site.root(), &["check"]);
    assert!(check.status.success(), "{}\n{}", check.stdout, check.stderr);

    // A second import overwrites nothing.
    let before = common::tree(&site.root().join("content"));
    let again = classmates(
        site.root(),
        &["import", "pelican", pelican_dir().to_str().unwrap()],
    )
    .ok();
    assert!(again.stdout.contains("Convertis (0) :"), "{}", again.stdout);
    assert!(
        again
            .stdout
            .contains("content/articles/fixtures-pytest/ existe déjà"),
        "{}",
        again.stdout
    );
    assert_eq!(common::tree(&site.root().join("content")), before);
}

/// What Pelican itself accepts converts: dates in every form dateutil reads, `Lang:` of the
/// site's language, several categories (the first kept, the others said), a leading `# Titre`
/// that repeats the title.
#[test]
fn pelican_headers_are_read_as_leniently_as_pelican() {
    let site = Site::fixture("import-site");
    let dir = repo_root().join("tests/fixtures/import-pelican-lenient/content");
    let run = classmates(site.root(), &["import", "pelican", dir.to_str().unwrap()]).ok();
    let report = &run.stdout;
    let src = dir.display().to_string();
    assert!(report.contains("Convertis (3) :"), "{report}");

    let meeting = front_matter(&site, "content/articles/rencontre-de-novembre.md");
    assert_eq!(meeting["date"].as_str(), Some("2018-11-29 21:21"));
    assert_eq!(meeting["updated"].as_str(), Some("2018-11-29 23:05"));
    assert_eq!(strings(&meeting["categories"]), ["python"]);
    let english = front_matter(&site, "content/articles/an-english-post.md");
    assert_eq!(english["date"].as_str(), Some("2018-12-06T18:30:00+01:00"));
    let christmas = front_matter(&site, "content/articles/sans-heure.md");
    assert_eq!(christmas["date"].as_str(), Some("2018-12-24"));

    // The leading title is not kept; a later one and a different one are.
    let body = std::fs::read_to_string(
        site.root()
            .join("content/articles/rencontre-de-novembre.md"),
    )
    .unwrap();
    let body = body.rsplit_once("\n---\n").unwrap().1.trim_start();
    assert!(body.starts_with("Nous étions une vingtaine."), "{body}");
    assert_eq!(body.matches("# Rencontre de novembre").count(), 1, "{body}");
    let body =
        std::fs::read_to_string(site.root().join("content/articles/an-english-post.md")).unwrap();
    assert!(body.contains("# Another title"), "{body}");

    for expected in [
        format!(
            "{src}/rencontre-2018.md:5 : catégorie(s) « Outils », « Django » non reprise(s) : seule la première, « Python », est gardée"
        ),
        format!(
            "{src}/english-post.md:5 : en-tête « Lang: en » non converti : le site est en « fr »"
        ),
        format!(
            "{src}/rencontre-2018.md:9 : titre `# …` identique au titre de l'article retiré du corps"
        ),
    ] {
        assert!(
            report.contains(&expected),
            "missing `{expected}` in:\n{report}"
        );
    }
    // `Lang:` of the site's language loses nothing: not a word about it.
    for quiet in [
        "rencontre-2018.md:7",
        "sans-heure.md:4",
        "Lang: fr",
        "Lang: FR_fr",
    ] {
        assert!(!report.contains(quiet), "`{quiet}` in:\n{report}");
    }
    assert!(
        report.contains("site.yaml : 13 ancienne(s) adresse(s) du blog redirigée(s)"),
        "{report}"
    );
    assert_eq!(
        strings(&meeting["aliases"]),
        ["/2018/11/rencontre-de-novembre/"],
        "ARTICLE_URL of pelicanconf.py"
    );

    // The old category, tag, author, archive and feed addresses lead to the new pages: an
    // HTML redirect for a page, a copy of the new feed for a feed (readers do not follow
    // an HTML redirect).
    let build = site.build().ok();
    for (old, new) in [
        // Pelican's category is the whole `Category:`; the first one is kept here.
        ("category/python-outils-django.html", "/categories/python/"),
        ("category/outils.html", "/categories/outils/"),
        ("tag/rencontre.html", "/tags/rencontre/"),
        ("author/ines-dupont.html", "/auteurs/ines/"),
        ("archives.html", "/articles/"),
        ("categories.html", "/categories/"),
        ("tags.html", "/tags/"),
        // Pelican's DEFAULT_CATEGORY, for the article without one.
        ("category/misc.html", "/articles/"),
        // ARTICLE_URL of pelicanconf.py: `{date:%Y}/{date:%m}/{slug}/`.
        (
            "2018/11/rencontre-de-novembre/index.html",
            "/articles/rencontre-de-novembre/",
        ),
    ] {
        let page = build.html(old);
        assert_eq!(
            attrs(&page, r#"meta[http-equiv="refresh"]"#, "content"),
            [format!("0; url={new}")],
            "{old}"
        );
        assert!(
            build.exists(&format!("{}index.html", &new[1..])),
            "{old} leads to {new}, which is not built"
        );
    }
    for (old, new) in [
        ("feeds/all.atom.xml", "atom.xml"),
        ("feeds/outils.atom.xml", "categories/outils/atom.xml"),
        (
            "feeds/python-outils-django.atom.xml",
            "categories/python/atom.xml",
        ),
        ("feeds/misc.atom.xml", "articles/atom.xml"),
    ] {
        let ids =
            |f: &feed_rs::model::Feed| f.entries.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        let (old_ids, new_ids) = (ids(&build.atom(old)), ids(&build.atom(new)));
        assert!(!new_ids.is_empty(), "{new} is empty");
        assert_eq!(old_ids, new_ids, "{old} is not a copy of {new}");
    }
    let config = std::fs::read_to_string(site.root().join("site.yaml")).unwrap();
    assert!(
        config.contains("redirects:\n  /feeds/all.atom.xml: /atom.xml\n"),
        "{config}"
    );
    let check = classmates(site.root(), &["check"]);
    assert!(check.status.success(), "{}\n{}", check.stdout, check.stderr);
}

#[test]
fn pelican_leaves_existing_redirects_alone() {
    let site = Site::fixture("import-site");
    site.write(
        "content/pages/ancien-blog.md",
        "---\ntitle: L'ancien blog\naliases: [/les-f-strings-en-python-312.html]\n---\nIl a déménagé.\n",
    );
    let run = classmates(
        site.root(),
        &["import", "pelican", pelican_dir().to_str().unwrap()],
    )
    .ok();
    assert!(
        run.stdout.contains(
            "f-strings.md : ancienne adresse /les-f-strings-en-python-312.html déjà redirigée par content/pages/ancien-blog.md : alias non repris"
        ),
        "{}",
        run.stdout
    );
    let fstrings = front_matter(&site, "content/articles/les-f-strings-en-python-312.md");
    assert!(fstrings.get("aliases").is_none());
    let build = site.build().ok();
    assert_eq!(
        attrs(
            &build.html("les-f-strings-en-python-312.html"),
            r#"meta[http-equiv="refresh"]"#,
            "content"
        ),
        ["0; url=/ancien-blog/"]
    );
}

// ---------------------------------------------------------------- Discord

fn discord_export() -> PathBuf {
    repo_root().join("tests/fixtures/import-discord/export.json")
}

#[test]
fn discord_links_become_draft_resources() {
    let site = Site::fixture("import-site");
    let run = classmates(
        site.root(),
        &["import", "discord", discord_export().to_str().unwrap()],
    )
    .ok();
    let report = &run.stdout;

    let created: BTreeSet<String> = files(&site.root().join("content/resources"));
    assert_eq!(
        created,
        [
            "github-psf-black-the-uncompromising-python-code-formatter.md",
            "la-doc-officielle-de-django-rest-framework.md",
            "les-fixtures-pytest-en-10-minutes.md",
            "pour-formater-son-code-python-et-la-doc.md",
            "tester-avec-real-python.md",
        ]
        .into_iter()
        .map(String::from)
        .collect::<BTreeSet<_>>(),
        "{report}"
    );

    let video = front_matter(
        &site,
        "content/resources/les-fixtures-pytest-en-10-minutes.md",
    );
    assert_eq!(
        video["url"].as_str(),
        Some("https://www.youtube.com/watch?v=abc123"),
        "tracking parameters are dropped"
    );
    assert_eq!(video["kind"].as_str(), Some("video"));
    assert_eq!(video["date"].as_str(), Some("2024-03-05 14:30"));
    assert_eq!(video["source"].as_str(), Some("Discord, @Inès"));
    assert_eq!(video["draft"].as_bool(), Some(true));
    assert_eq!(strings(&video["tags"]), ["pytest"]);
    assert!(
        video["summary"]
            .as_str()
            .unwrap()
            .starts_with("Une introduction pas à pas aux fixtures")
    );

    let drf = front_matter(
        &site,
        "content/resources/la-doc-officielle-de-django-rest-framework.md",
    );
    assert_eq!(
        drf["title"].as_str(),
        Some("La doc officielle de Django REST framework")
    );
    assert_eq!(drf["kind"].as_str(), Some("article"));
    assert_eq!(drf["source"].as_str(), Some("Discord, @yacine"));
    assert_eq!(
        strings(&drf["tags"]),
        ["Django REST"],
        "the site's own spelling"
    );

    let black = front_matter(
        &site,
        "content/resources/github-psf-black-the-uncompromising-python-code-formatter.md",
    );
    assert_eq!(black["kind"].as_str(), Some("tool"));
    assert_eq!(black["date"].as_str(), Some("2024-03-09 23:30"));
    assert_eq!(strings(&black["tags"]), ["Python"]);
    let docs = front_matter(
        &site,
        "content/resources/pour-formater-son-code-python-et-la-doc.md",
    );
    assert_eq!(docs["kind"].as_str(), Some("documentation"));
    assert_eq!(
        docs["url"].as_str(),
        Some("https://docs.python.org/fr/3/tutorial/")
    );

    for expected in [
        "https://www.realpython.com/python-testing?utm_source=discord&utm_medium=social : déjà sur le site (content/resources/tester-avec-real-python.md)",
        "https://youtube.com/watch?v=abc123&feature=share : déjà partagé plus haut (message 1100000000000000001)",
        "https://tenor.com/view/happy-cat-dance-123456 : lien Discord ou GIF ignoré",
        "https://discord.gg/pythonclassmates : lien Discord ou GIF ignoré",
        "https://pythonclassmates.org/articles/bienvenue/ : lien vers le site lui-même",
        "message 1100000000000000006 de FluxRSS (robot)",
        "content/resources/les-fixtures-pytest-en-10-minutes.md : « Les fixtures pytest en 10 minutes » (video, Discord, @Inès) https://www.youtube.com/watch?v=abc123",
    ] {
        assert!(
            report.contains(expected),
            "missing `{expected}` in:\n{report}"
        );
    }
    assert!(
        report.contains("export.json:62 : https://www.realpython.com"),
        "duplicates are located in the export:\n{report}"
    );
    assert!(
        !report.contains("cdn.discordapp.com"),
        "attachments are not links"
    );

    // Drafts: absent from the site until published, shown with --drafts.
    let build = site.build().ok();
    assert!(!build.exists("ressources/les-fixtures-pytest-en-10-minutes/index.html"));
    let preview = site.root().join("preview");
    let build = site.build_with(&preview, &["--now", NOW, "--drafts"]).ok();
    let page = build.html("ressources/les-fixtures-pytest-en-10-minutes/index.html");
    assert!(
        page.html()
            .contains("Partagé sur Discord par @Inès dans #ressources"),
        "{}",
        page.html()
    );

    // A second import finds everything already there.
    let again = classmates(
        site.root(),
        &["import", "discord", discord_export().to_str().unwrap()],
    )
    .ok();
    assert!(again.stdout.contains("Convertis (0) :"), "{}", again.stdout);
    assert!(again.stdout.contains("Aucune nouvelle ressource."));
}

/// A tiny HTTP server on the loopback interface: `/avec-og` and `/sans-og` are pages, anything
/// else is a 404. Records the User-Agent of each request.
fn serve_pages() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let agents = Arc::new(Mutex::new(Vec::new()));
    let seen = agents.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let request = String::from_utf8_lossy(&request).into_owned();
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
                if let Some(agent) = request.lines().find_map(|l| {
                    l.strip_prefix("user-agent: ")
                        .or_else(|| l.strip_prefix("User-Agent: "))
                }) {
                    seen.lock().unwrap().push(agent.to_string());
                }
                let (status, body) = match path.as_str() {
                    "/avec-og" | "/avec-og-bis" => (
                        "200 OK",
                        "<!doctype html><html><head><title>Titre HTML</title>\
                         <meta property=\"og:title\" content=\"Comprendre les décorateurs\">\
                         <meta property=\"og:description\" content=\"Un guide pas à pas, avec des exemples.\">\
                         </head><body>…</body></html>",
                    ),
                    "/sans-og" => (
                        "200 OK",
                        "<html><head><title> Les  générateurs en Python </title></head></html>",
                    ),
                    _ => ("404 Not Found", "<html><title>Introuvable</title></html>"),
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes());
            });
        }
    });
    (port, agents)
}

#[test]
fn fetch_titles_reads_the_pages() {
    let (port, agents) = serve_pages();
    let site = Site::fixture("import-site");
    let base = format!("http://127.0.0.1:{port}");
    let message = |id: u32, content: &str| {
        serde_json::json!({
            "id": format!("90{id}"),
            "type": "Default",
            "timestamp": "2024-04-02T10:00:00+02:00",
            "content": content,
            "author": {"id": "1", "name": "lea", "nickname": "Léa", "isBot": false},
            "attachments": [],
            "embeds": [],
            "reactions": []
        })
    };
    let export = serde_json::json!({
        "guild": {"id": "1", "name": "PythonClassmates"},
        "channel": {"id": "2", "name": "liens"},
        "messages": [
            message(1, &format!("À lire : {base}/avec-og")),
            message(2, &format!("Et ça {base}/sans-og")),
            message(3, &format!("Lien mort {base}/disparu")),
            message(4, &format!("Le même titre : {base}/avec-og-bis")),
        ]
    });
    let path = site.root().join("export.json");
    std::fs::write(&path, serde_json::to_string_pretty(&export).unwrap()).unwrap();

    let run = classmates(
        site.root(),
        &[
            "import",
            "discord",
            path.to_str().unwrap(),
            "--fetch-titles",
        ],
    )
    .ok();
    let report = &run.stdout;
    let og = front_matter(&site, "content/resources/comprendre-les-decorateurs.md");
    assert_eq!(og["title"].as_str(), Some("Comprendre les décorateurs"));
    assert_eq!(
        og["summary"].as_str(),
        Some("Un guide pas à pas, avec des exemples.")
    );
    let twin = front_matter(&site, "content/resources/comprendre-les-decorateurs-2.md");
    assert_eq!(
        twin["url"].as_str(),
        Some(format!("{base}/avec-og-bis").as_str()),
        "same title, next free slug"
    );
    let title = front_matter(&site, "content/resources/les-generateurs-en-python.md");
    assert_eq!(title["title"].as_str(), Some("Les générateurs en Python"));
    assert_eq!(title["summary"].as_str(), Some("Et ça"));
    let dead = front_matter(&site, "content/resources/lien-mort.md");
    assert_eq!(dead["title"].as_str(), Some("Lien mort"), "{report}");
    assert!(
        report.contains(&format!(
            "{base}/disparu : page non récupérée (réponse HTTP 404 Not Found)"
        )),
        "{report}"
    );
    let agents = agents.lock().unwrap();
    assert_eq!(agents.len(), 4, "{agents:?}");
    assert!(
        agents.iter().all(|a| a.starts_with("classmates/")),
        "{agents:?}"
    );
    site.build_with(&site.root().join("preview"), &["--now", NOW, "--drafts"])
        .ok();
}
