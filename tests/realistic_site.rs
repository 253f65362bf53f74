//! A realistic little site (`fixtures/realistic`), written the way a contributor would: tags
//! spelled differently across kinds, a bundle with an image, a series published out of order,
//! a summer-time event, a draft and a scheduled article.

mod common;

use common::{NOW, Site, attrs, broken_links, ics_prop, select, text, texts};

/// Every file the realistic site must produce at `NOW`, and nothing else.
const EXPECTED_FILES: &[&str] = &[
    "404.html",
    "a-propos/index.html",
    "articles/atom.xml",
    "articles/deployer-django/architecture.png",
    "articles/deployer-django/index.html",
    "articles/django-premiers-pas/index.html",
    "articles/index.html",
    "articles/pytest-les-bases/index.html",
    "articles/pytest-les-fixtures/index.html",
    "atom.xml",
    "auteurs/index.html",
    "auteurs/ines/index.html",
    "auteurs/marc/index.html",
    "categories/communaute/atom.xml",
    "categories/communaute/index.html",
    "categories/index.html",
    "categories/python/atom.xml",
    "categories/python/index.html",
    "categories/web/atom.xml",
    "categories/web/index.html",
    "comments.js",
    "evenements/atelier-django-ete.ics",
    "evenements/atelier-django-ete/index.html",
    "evenements/atom.xml",
    "evenements/calendrier.ics",
    "evenements/index.html",
    "evenements/index.json",
    "evenements/ressources.json",
    "evenements/webinaire-pytest.ics",
    "evenements/webinaire-pytest/index.html",
    "event.css",
    "favicon.svg",
    "index.html",
    "og/article.png",
    "og/evenement.png",
    "og/ressource.png",
    "og/serie.png",
    "og/site.png",
    "organisateurs/index.html",
    "organisers.css",
    "organisers.js",
    "reader.js",
    "recherche/fiches/0.json",
    "recherche/filtres.json",
    "recherche/index.html",
    "recherche/index.json",
    "recherche/mots/0.json",
    "registration.js",
    "ressources/atom.xml",
    "ressources/index.html",
    "ressources/tutoriel-django-rest/index.html",
    "robots.txt",
    "search.css",
    "search.js",
    "series/decouvrir-pytest/index.html",
    "series/index.html",
    "sitemap.xml",
    "style.css",
    "tags/deploiement/atom.xml",
    "tags/deploiement/index.html",
    "tags/django-rest/atom.xml",
    "tags/django-rest/index.html",
    "tags/django/atom.xml",
    "tags/django/index.html",
    "tags/ecriture/atom.xml",
    "tags/ecriture/index.html",
    "tags/index.html",
    "tags/pytest/atom.xml",
    "tags/pytest/index.html",
    "theme.js",
];

#[test]
fn builds_exactly_the_expected_files() {
    let site = Site::fixture("realistic");
    let build = site.build().ok();
    let files = build.files();
    let expected: std::collections::BTreeSet<String> =
        EXPECTED_FILES.iter().map(|s| s.to_string()).collect();
    let missing: Vec<_> = expected.difference(&files).collect();
    let extra: Vec<_> = files.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:?}\nunexpected: {extra:?}"
    );
    assert!(
        !build.stderr.contains("avertissement"),
        "unexpected warnings:\n{}",
        build.stderr
    );
}

#[test]
fn every_internal_link_points_to_a_built_file() {
    let site = Site::fixture("realistic");
    let build = site.build().ok();
    let broken = broken_links(&build.out);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    // The checker really looked: the pages are full of internal links.
    let home = build.html("index.html");
    assert!(attrs(&home, "a[href^='/']", "href").len() > 10);
}

#[test]
fn the_link_checker_catches_broken_links() {
    let site = Site::fixture("realistic");
    let build = site.build().ok();
    std::fs::create_dir_all(build.path("essai")).unwrap();
    std::fs::write(
        build.path("essai/index.html"),
        r##"<!DOCTYPE html><html><head><link rel="stylesheet" href="/style.css"></head><body>
        <p id="ici"><a href="#ici">ok</a> <a href="/articles/">ok</a> <a href="../articles/deployer-django/architecture.png">ok</a>
        <a href="/articles/django-premiers-pas/#creer-le-projet">ok</a> <a href="https://example.org/absent/">externe</a>
        <a href="mailto:contact@example.org">courriel</a>
        <a href="/absent/">1</a> <a href="../articles/django-premiers-pas/#absente">2</a> <a href="/articles">3</a>
        <img src="absente.png" alt=""> <script src="/absent.js"></script> <a href="#nulle-part">6</a> <a href="">7</a></p>
        </body></html>"##,
    )
    .unwrap();
    let broken = broken_links(&build.out);
    assert_eq!(broken.len(), 7, "{broken:#?}");
    assert!(
        broken.iter().all(|b| b.starts_with("essai/index.html: ")),
        "{broken:#?}"
    );
    for needle in [
        "\"/absent/\"",
        "#absente",
        "\"/articles\"",
        "absente.png",
        "/absent.js",
        "#nulle-part",
        "href=\"\"",
    ] {
        assert!(
            broken.iter().any(|b| b.contains(needle)),
            "{needle} not reported: {broken:#?}"
        );
    }
}

#[test]
fn tags_are_merged_across_kinds_case_and_accent_insensitively() {
    let site = Site::fixture("realistic");
    let build = site.build().ok();

    // `Django` (two articles), `django` (a resource), `DJANGO` (an event): one tag.
    let django = build.html("tags/django/index.html");
    let mut titles = texts(&django, ".card-title a");
    assert_eq!(
        titles,
        [
            "Déployer une application Django",
            "Premiers pas avec Django",
            "Le tutoriel officiel de Django REST framework",
            "Atelier d'été : un blog avec Django",
        ],
        "every kind, newest first"
    );
    assert_eq!(
        texts(&django, "h1"),
        ["Étiquette : Django"],
        "the most used spelling names the tag"
    );

    // `Écriture` (an article, a resource) and `écriture` (an event).
    let ecriture = build.html("tags/ecriture/index.html");
    titles = texts(&ecriture, ".card-title a");
    titles.sort();
    assert_eq!(
        titles,
        [
            "Atelier d'été : un blog avec Django",
            "Le tutoriel officiel de Django REST framework",
            "pytest, partie 1 : les bases"
        ]
    );
    // Multi-word tag.
    assert_eq!(
        texts(&build.html("tags/django-rest/index.html"), ".card-title a"),
        ["Premiers pas avec Django"]
    );

    // The index lists each tag once, with its count.
    let index = build.html("tags/index.html");
    let terms = texts(&index, ".term-cloud li");
    assert_eq!(
        terms,
        [
            "Déploiement (1)",
            "Django (4)",
            "Django REST (1)",
            "Écriture (3)",
            "pytest (4)"
        ]
    );
    assert_eq!(
        attrs(&index, ".term-cloud a", "href"),
        [
            "/tags/deploiement/",
            "/tags/django/",
            "/tags/django-rest/",
            "/tags/ecriture/",
            "/tags/pytest/"
        ]
    );

    // Each item links to the merged tag, whatever its own spelling.
    let event = build.html("evenements/atelier-django-ete/index.html");
    assert_eq!(
        attrs(&event, "a.tag", "href"),
        ["/tags/django/", "/tags/ecriture/"]
    );
}

#[test]
fn bundle_files_are_copied_next_to_the_page() {
    let site = Site::fixture("realistic");
    let build = site.build().ok();
    let original = std::fs::read(
        site.root()
            .join("content/articles/deployer-django/architecture.png"),
    )
    .unwrap();
    let copied = std::fs::read(build.path("articles/deployer-django/architecture.png")).unwrap();
    assert_eq!(original, copied);

    let page = build.html("articles/deployer-django/index.html");
    let images = select(&page, ".prose img");
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].attr("alt"), Some("Architecture de déploiement"));
    // Relative to /articles/deployer-django/, the image is the copied file.
    let src = images[0].attr("src").unwrap();
    let resolved = if src.starts_with('/') {
        src.trim_start_matches('/').to_string()
    } else {
        format!("articles/deployer-django/{src}")
    };
    assert!(
        build.exists(&resolved),
        "<img src=\"{src}\"> resolves to {resolved}, which does not exist"
    );
    // The link from the bundle back to a plain article is rewritten too.
    assert!(
        attrs(&page, ".prose a", "href").contains(&"/articles/django-premiers-pas/".to_string())
    );
}

#[test]
fn dotfiles_of_a_bundle_are_never_published() {
    let site = Site::fixture("realistic");
    let bundle = "content/articles/deployer-django";
    site.write(&format!("{bundle}/.env"), "SECRET_KEY=racine\n");
    site.write(
        &format!("{bundle}/config/.env"),
        "SECRET_KEY=sous-dossier\n",
    );
    site.write(&format!("{bundle}/.git/config"), "[core]\n");
    site.write(&format!("{bundle}/config/nginx.conf"), "server {}\n");
    let build = site.build().ok();
    let published: Vec<String> = build
        .files()
        .into_iter()
        .filter(|f| f.starts_with("articles/deployer-django/"))
        .collect();
    assert!(
        published.contains(&"articles/deployer-django/config/nginx.conf".to_string()),
        "{published:?}"
    );
    for file in &published {
        assert!(
            !file.split('/').any(|part| part.starts_with('.')),
            "{file} is published"
        );
    }
}

#[test]
fn series_follow_part_order_not_date_order() {
    let site = Site::fixture("realistic");
    let build = site.build().ok();

    let series = build.html("series/decouvrir-pytest/index.html");
    assert_eq!(
        texts(&series, "ol.parts > li > a"),
        [
            "pytest, partie 1 : les bases",
            "pytest, partie 2 : les fixtures"
        ]
    );
    assert_eq!(
        attrs(&series, "ol.parts > li > a", "href"),
        [
            "/articles/pytest-les-bases/",
            "/articles/pytest-les-fixtures/"
        ]
    );

    let part1 = build.html("articles/pytest-les-bases/index.html");
    let position = texts(&part1, ".series-position");
    assert_eq!(position.len(), 1);
    assert!(position[0].contains("partie 1 sur 2"), "{position:?}");
    assert_eq!(
        attrs(&part1, ".series-position a", "href"),
        ["/series/decouvrir-pytest/"]
    );
    assert!(
        select(&part1, ".series-nav a[rel=prev]").is_empty(),
        "part 1 has no previous part"
    );
    assert_eq!(
        attrs(&part1, ".series-nav a[rel=next]", "href"),
        ["/articles/pytest-les-fixtures/"]
    );

    let part2 = build.html("articles/pytest-les-fixtures/index.html");
    assert!(texts(&part2, ".series-position")[0].contains("partie 2 sur 2"));
    assert_eq!(
        attrs(&part2, ".series-nav a[rel=prev]", "href"),
        ["/articles/pytest-les-bases/"]
    );
    assert!(
        select(&part2, ".series-nav a[rel=next]").is_empty(),
        "part 2 is the last one"
    );

    let index = build.html("series/index.html");
    assert_eq!(texts(&index, ".card-title a"), ["Découvrir pytest"]);
    assert!(texts(&index, ".card .meta").join(" ").contains("2 parties"));

    // Articles outside a series say nothing about series.
    let other = build.html("articles/django-premiers-pas/index.html");
    assert!(select(&other, ".series-position, .series-nav").is_empty());
}

#[test]
fn the_resources_links_are_published_next_to_the_manifest() {
    let site = Site::fixture("realistic");
    let build = site.build().ok();
    let links: classmates_api::manifest::SiteLinks =
        serde_json::from_value(build.json("evenements/ressources.json")).unwrap();
    assert_eq!(links.base_url, "https://pythonistes-rhone.example.org");
    assert_eq!(
        links.resources,
        [classmates_api::manifest::SiteResource {
            title: "Le tutoriel officiel de Django REST framework".into(),
            url: "https://www.django-rest-framework.org/tutorial/quickstart/".into(),
            page: "https://pythonistes-rhone.example.org/ressources/tutoriel-django-rest/".into(),
        }]
    );
}

#[test]
fn naive_summer_date_takes_the_summer_offset() {
    let site = Site::fixture("realistic");
    let build = site.build().ok();

    let manifest = build.json("evenements/index.json");
    let event = manifest["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["slug"] == "atelier-django-ete")
        .expect("event in manifest");
    assert_eq!(event["start"], "2026-07-14T19:00:00+02:00");
    assert_eq!(event["end"], "2026-07-14T21:00:00+02:00");

    let calendar = build.ics("evenements/atelier-django-ete.ics");
    assert_eq!(calendar.events.len(), 1);
    assert_eq!(
        ics_prop(&calendar.events[0].properties, "DTSTART").as_deref(),
        Some("20260714T170000Z")
    );
    assert_eq!(
        ics_prop(&calendar.events[0].properties, "DTEND").as_deref(),
        Some("20260714T190000Z")
    );
    assert!(
        build
            .read("evenements/atelier-django-ete.ics")
            .contains("DTSTART:20260714T170000Z")
    );

    let page = build.html("evenements/atelier-django-ete/index.html");
    assert_eq!(
        texts(&page, ".event-facts time"),
        ["mardi 14 juillet 2026, 19 h 00 – 21 h 00"]
    );
}

#[test]
fn drafts_appear_only_with_the_drafts_flag() {
    let site = Site::fixture("realistic");
    let build = site.build().ok();
    assert!(!build.exists("articles/asyncio-sans-douleur/index.html"));
    assert!(!build.exists("tags/asyncio/index.html"));
    assert!(
        !build
            .read("articles/index.html")
            .contains("asyncio sans douleur")
    );
    assert!(!build.read("atom.xml").contains("asyncio-sans-douleur"));
    assert!(!build.read("sitemap.xml").contains("asyncio-sans-douleur"));

    let preview = site
        .build_with(&site.root().join("preview"), &["--now", NOW, "--drafts"])
        .ok();
    assert!(preview.exists("articles/asyncio-sans-douleur/index.html"));
    assert!(preview.exists("tags/asyncio/index.html"));
    assert!(
        texts(&preview.html("articles/index.html"), ".card-title a")
            .contains(&"asyncio sans douleur".to_string())
    );
}

#[test]
fn scheduled_articles_appear_once_now_has_passed_their_date() {
    let site = Site::fixture("realistic");
    let before = site.build().ok();
    assert!(!before.exists("articles/nouveautes-python-3-15/index.html"));
    assert!(!before.exists("tags/python-3-15/index.html"));
    assert!(!before.read("articles/index.html").contains("Python 3.15"));
    assert!(
        !before
            .read("articles/atom.xml")
            .contains("nouveautes-python-3-15")
    );
    assert!(
        !before
            .read("auteurs/ines/index.html")
            .contains("Python 3.15")
    );

    // A minute before publication: still hidden.
    let almost = site
        .build_with(
            &site.root().join("almost"),
            &["--now", "2026-12-15T07:59:00+01:00"],
        )
        .ok();
    assert!(!almost.exists("articles/nouveautes-python-3-15/index.html"));

    let after = site
        .build_with(
            &site.root().join("after"),
            &["--now", "2026-12-15T08:00:00+01:00"],
        )
        .ok();
    assert!(after.exists("articles/nouveautes-python-3-15/index.html"));
    assert!(after.exists("tags/python-3-15/index.html"));
    assert_eq!(
        texts(&after.html("articles/index.html"), ".card-title a")[0],
        "Les nouveautés de Python 3.15",
        "newest first"
    );
    assert!(
        after
            .read("articles/atom.xml")
            .contains("/articles/nouveautes-python-3-15/")
    );
}

#[test]
fn past_event_with_a_recording_is_listed_as_a_replay_in_resources() {
    let site = Site::fixture("realistic");
    let build = site.build().ok();
    let resources = build.html("ressources/index.html");
    let cards = select(&resources, ".card");
    let titles: Vec<String> = cards
        .iter()
        .map(|c| text(&c.select(&common::selector(".card-title")).next().unwrap()))
        .collect();
    assert_eq!(
        titles,
        [
            "Le tutoriel officiel de Django REST framework",
            "Atelier d'été : un blog avec Django"
        ]
    );
    assert_eq!(
        attrs(&resources, ".card-replay .card-title a", "href"),
        ["/evenements/atelier-django-ete/"]
    );
    assert!(
        texts(&resources, ".card-replay .kind")
            .iter()
            .all(|k| k == "Replay")
    );
    // The upcoming event is no replay.
    assert!(
        !build
            .read("ressources/index.html")
            .contains("pytest en pratique")
    );
    let feed = build.atom("ressources/atom.xml");
    let links: Vec<&str> = feed
        .entries
        .iter()
        .map(|e| e.links[0].href.as_str())
        .collect();
    assert_eq!(
        links,
        [
            "https://pythonistes-rhone.example.org/ressources/tutoriel-django-rest/",
            "https://pythonistes-rhone.example.org/evenements/atelier-django-ete/",
        ]
    );
}

#[test]
fn author_pages_list_everything_written_spoken_at_or_added() {
    let site = Site::fixture("realistic");
    let build = site.build().ok();
    let marc = build.html("auteurs/marc/index.html");
    assert_eq!(
        texts(&marc, ".card-title a"),
        [
            "Webinaire : pytest en pratique",
            "Déployer une application Django",
            "pytest, partie 1 : les bases",
            "pytest, partie 2 : les fixtures",
            "Le tutoriel officiel de Django REST framework",
        ],
        "spoke at, co-wrote, wrote, added; newest first"
    );
    let ines = build.html("auteurs/ines/index.html");
    assert_eq!(
        texts(&ines, ".card-title a"),
        [
            "Webinaire : pytest en pratique",
            "Déployer une application Django",
            "Premiers pas avec Django",
            "Atelier d'été : un blog avec Django"
        ]
    );
    assert_eq!(
        attrs(&ines, ".profile a", "href"),
        ["https://github.com/ines-b"]
    );
    let authors = build.html("auteurs/index.html");
    assert_eq!(
        texts(&authors, "ul.authors > li > a"),
        ["Inès Benali", "Marc Dupuis"]
    );
}

#[test]
fn categories_gather_every_kind_newest_first() {
    let site = Site::fixture("realistic");
    let build = site.build().ok();
    let web = build.html("categories/web/index.html");
    assert_eq!(
        texts(&web, ".card-title a"),
        [
            "Déployer une application Django",
            "Premiers pas avec Django",
            "Le tutoriel officiel de Django REST framework",
            "Atelier d'été : un blog avec Django",
        ]
    );
    let communaute = build.html("categories/communaute/index.html");
    assert_eq!(
        texts(&communaute, ".card-title a"),
        [
            "Webinaire : pytest en pratique",
            "Atelier d'été : un blog avec Django"
        ]
    );
    let index = build.html("categories/index.html");
    assert_eq!(
        attrs(&index, "main a[href^='/categories/']", "href"),
        [
            "/categories/python/",
            "/categories/web/",
            "/categories/communaute/"
        ]
    );
}

#[test]
fn sitemap_and_robots_use_absolute_urls() {
    let site = Site::fixture("realistic");
    let build = site.build().ok();
    let robots = build.read("robots.txt");
    assert!(
        robots.contains("Sitemap: https://pythonistes-rhone.example.org/sitemap.xml"),
        "{robots}"
    );

    let sitemap = build.read("sitemap.xml");
    let locs: Vec<&str> = sitemap
        .split("<loc>")
        .skip(1)
        .map(|s| s.split("</loc>").next().unwrap())
        .collect();
    assert!(
        locs.iter()
            .all(|l| l.starts_with("https://pythonistes-rhone.example.org/")),
        "{locs:?}"
    );
    for expected in [
        "/",
        "/articles/pytest-les-bases/",
        "/evenements/webinaire-pytest/",
        "/tags/ecriture/",
        "/a-propos/",
        "/auteurs/ines/",
    ] {
        let url = format!("https://pythonistes-rhone.example.org{expected}");
        assert!(
            locs.contains(&url.as_str()),
            "{url} missing from the sitemap"
        );
    }
    // Every HTML page but the 404 and the organisers' page (not indexed) is in the sitemap,
    // and every sitemap entry exists.
    let pages = build
        .files()
        .into_iter()
        .filter(|f| f.ends_with("index.html") && f != "organisateurs/index.html")
        .count();
    assert_eq!(locs.len(), pages);
    assert!(
        !locs.iter().any(|l| l.contains("/organisateurs/")),
        "{locs:?}"
    );
    assert!(
        build
            .read("organisateurs/index.html")
            .contains(r#"<meta name="robots" content="noindex, nofollow">"#)
    );
    for loc in &locs {
        let path = loc.trim_start_matches("https://pythonistes-rhone.example.org/");
        assert!(
            build.exists(&format!("{path}index.html")),
            "{loc} is not a page"
        );
    }
}
