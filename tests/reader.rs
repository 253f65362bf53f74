//! Readers' experience: sharing metadata (Open Graph, Twitter cards, canonical), JSON-LD,
//! table of contents, reading time, heading anchors, the search index, and giscus comments
//! (absent unless configured, click-to-load when configured).

mod common;

use common::{Site, attrs, broken_links, select, text, texts};
use scraper::Html;
use serde_json::Value;

const ARTICLE: &str = "articles/integration-continue/index.html";
const SHORT: &str = "articles/note-breve/index.html";
const EVENT: &str = "evenements/atelier-git/index.html";

fn meta(html: &Html, attr: &str, name: &str) -> Option<String> {
    attrs(html, &format!("meta[{attr}=\"{name}\"]"), "content")
        .into_iter()
        .next()
}

/// The JSON-LD of a page, parsed, as its `@graph`.
fn json_ld(html: &Html) -> Vec<Value> {
    let scripts = select(html, "script[type=\"application/ld+json\"]");
    assert_eq!(scripts.len(), 1, "one JSON-LD script per item page");
    let raw: String = scripts[0].text().collect();
    assert!(!raw.contains("</"), "`</` is escaped in JSON-LD: {raw}");
    let value: Value = serde_json::from_str(&raw).expect("JSON-LD is valid JSON");
    assert_eq!(value["@context"], "https://schema.org");
    value["@graph"].as_array().expect("@graph").clone()
}

fn of_type<'a>(graph: &'a [Value], kind: &str) -> &'a Value {
    graph
        .iter()
        .find(|v| v["@type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {graph:?}"))
}

#[test]
fn every_page_has_sharing_metadata() {
    let site = Site::fixture("reader-site");
    let build = site.build().ok();
    for (page, url, og_type, image) in [
        (
            ARTICLE,
            "https://club.example.org/articles/integration-continue/",
            "article",
            "https://club.example.org/og/article.png",
        ),
        (
            EVENT,
            "https://club.example.org/evenements/atelier-git/",
            "website",
            "https://club.example.org/og/evenement.png",
        ),
        (
            "index.html",
            "https://club.example.org/",
            "website",
            "https://club.example.org/og/site.png",
        ),
        (
            "tags/git/index.html",
            "https://club.example.org/tags/git/",
            "website",
            "https://club.example.org/og/site.png",
        ),
    ] {
        let html = build.html(page);
        assert_eq!(
            meta(&html, "property", "og:url").as_deref(),
            Some(url),
            "{page}"
        );
        assert_eq!(attrs(&html, "link[rel=canonical]", "href"), [url], "{page}");
        assert_eq!(
            meta(&html, "property", "og:type").as_deref(),
            Some(og_type),
            "{page}"
        );
        assert_eq!(
            meta(&html, "property", "og:image").as_deref(),
            Some(image),
            "{page}"
        );
        assert_eq!(
            meta(&html, "name", "twitter:image").as_deref(),
            Some(image),
            "{page}"
        );
        assert_eq!(
            meta(&html, "name", "twitter:card").as_deref(),
            Some("summary_large_image")
        );
        for name in ["og:title", "og:description", "og:image:alt"] {
            assert!(
                meta(&html, "property", name).is_some_and(|v| !v.is_empty()),
                "{page}: {name}"
            );
        }
        // The image is a real 1200×630 PNG of the output.
        let file = image.trim_start_matches("https://club.example.org/");
        let bytes = std::fs::read(build.path(file)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{file}");
        let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        assert_eq!((width, height), (1200, 630), "{file}");
    }
    let article = build.html(ARTICLE);
    assert_eq!(
        meta(&article, "property", "og:title").as_deref(),
        Some("L'intégration continue </script> sans douleur")
    );
    assert_eq!(
        meta(&article, "property", "og:description").as_deref(),
        Some("Mettre en place une intégration continue avec GitHub Actions, étape par étape.")
    );
    assert_eq!(
        meta(&article, "property", "article:published_time").as_deref(),
        Some("2026-10-20T09:00:00+02:00")
    );
    assert_eq!(
        meta(&article, "property", "article:modified_time").as_deref(),
        Some("2026-10-25T10:00:00+01:00")
    );
    // List pages carry no JSON-LD and no article dates.
    let home = build.html("index.html");
    assert!(select(&home, "script[type=\"application/ld+json\"]").is_empty());
    assert!(meta(&home, "property", "article:published_time").is_none());
}

#[test]
fn article_and_event_pages_describe_themselves_in_json_ld() {
    let site = Site::fixture("reader-site");
    let build = site.build().ok();

    let graph = json_ld(&build.html(ARTICLE));
    let article = of_type(&graph, "Article");
    assert_eq!(
        article["headline"],
        "L'intégration continue </script> sans douleur"
    );
    assert_eq!(article["datePublished"], "2026-10-20T09:00:00+02:00");
    assert_eq!(article["dateModified"], "2026-10-25T10:00:00+01:00");
    assert_eq!(article["author"][0]["@type"], "Person");
    assert_eq!(article["author"][0]["name"], "Léa Martin");
    assert_eq!(
        article["author"][0]["url"],
        "https://club.example.org/auteurs/lea/"
    );
    assert_eq!(
        article["mainEntityOfPage"],
        "https://club.example.org/articles/integration-continue/"
    );
    let crumbs = of_type(&graph, "BreadcrumbList")["itemListElement"]
        .as_array()
        .unwrap()
        .clone();
    let names: Vec<&str> = crumbs.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "Accueil",
            "Articles",
            "L'intégration continue </script> sans douleur"
        ]
    );
    assert_eq!(crumbs[1]["item"], "https://club.example.org/articles/");
    assert_eq!(crumbs[2]["position"], 3);

    let graph = json_ld(&build.html(EVENT));
    let event = of_type(&graph, "Event");
    assert_eq!(event["name"], "Atelier Git en ligne");
    assert_eq!(event["startDate"], "2026-11-20T18:30:00+01:00");
    assert_eq!(event["endDate"], "2026-11-20T20:00:00+01:00");
    assert_eq!(
        event["eventAttendanceMode"],
        "https://schema.org/OnlineEventAttendanceMode"
    );
    assert_eq!(event["eventStatus"], "https://schema.org/EventScheduled");
    assert_eq!(event["location"]["@type"], "VirtualLocation");
    assert_eq!(event["location"]["url"], "https://discord.gg/club");
    assert_eq!(event["organizer"]["name"], "Club Python");
    assert_eq!(event["offers"]["price"], 0);
    assert_eq!(event["offers"]["priceCurrency"], "EUR");
    assert_eq!(
        event["offers"]["availability"],
        "https://schema.org/InStock"
    );
    assert_eq!(event["maximumAttendeeCapacity"], 25);
    assert_eq!(event["performer"][0]["name"], "Léa Martin");
    assert_eq!(
        of_type(&graph, "BreadcrumbList")["itemListElement"][1]["name"],
        "Événements"
    );
}

#[test]
fn events_in_a_physical_place_are_not_online() {
    let site = Site::fixture("reader-site");
    site.write(
        "content/events/rencontre.md",
        "---\ntitle: Rencontre\nstart: 2026-11-21 18:00\nend: 2026-11-21 20:00\nlocation: \"Médiathèque, salle 2\"\nregistration: false\n---\nEn vrai.\n",
    );
    let build = site.build().ok();
    let graph = json_ld(&build.html("evenements/rencontre/index.html"));
    let event = of_type(&graph, "Event");
    assert_eq!(
        event["eventAttendanceMode"],
        "https://schema.org/OfflineEventAttendanceMode"
    );
    assert_eq!(event["location"]["@type"], "Place");
    assert_eq!(event["location"]["name"], "Médiathèque, salle 2");
    assert!(event.get("maximumAttendeeCapacity").is_none());
}

#[test]
fn long_articles_get_a_table_of_contents_reading_time_and_heading_anchors() {
    let site = Site::fixture("reader-site");
    let build = site.build().ok();
    let html = build.html(ARTICLE);
    assert_eq!(
        texts(&html, "nav.toc li a"),
        [
            "Pourquoi automatiser",
            "Le premier workflow",
            "Les étapes",
            "Aller plus loin"
        ]
    );
    assert_eq!(
        attrs(&html, "nav.toc li a", "href"),
        [
            "#pourquoi-automatiser",
            "#le-premier-workflow",
            "#les-etapes",
            "#aller-plus-loin"
        ]
    );
    assert_eq!(texts(&html, "nav.toc > ol > li > ol > li"), ["Les étapes"]);
    assert_eq!(select(&html, "nav.toc > ol > li").len(), 3);
    assert_eq!(texts(&html, ".reading-time"), ["1 min de lecture"]);
    // One `#` link at the end of each h2 and h3 of the body, with a label.
    let anchors = select(&html, ".prose :is(h2, h3) > a.heading-anchor");
    assert_eq!(anchors.len(), 4);
    for a in &anchors {
        let heading = a.parent().and_then(scraper::ElementRef::wrap).unwrap();
        assert_eq!(
            a.attr("href").unwrap(),
            format!("#{}", heading.attr("id").unwrap())
        );
        assert_eq!(text(a), "#");
        assert!(
            a.attr("aria-label")
                .unwrap()
                .starts_with("Lien vers la section")
        );
    }
    // Code blocks are there for the copy button, which the deferred script adds.
    assert_eq!(select(&html, ".prose pre.code").len(), 1);
    assert_eq!(attrs(&html, "script[src=\"/reader.js\"]", "defer"), [""]);
    // The theme script sits in the head, not deferred, to apply the choice before painting.
    let theme = select(&html, "head script[src=\"/theme.js\"]");
    assert_eq!(theme.len(), 1);
    assert!(theme[0].attr("defer").is_none() && theme[0].attr("async").is_none());
    assert_eq!(select(&html, "button[data-theme-toggle]").len(), 1);

    // A short article: reading time, but no table of contents.
    let short = build.html(SHORT);
    assert!(select(&short, "nav.toc").is_empty());
    assert_eq!(texts(&short, ".reading-time"), ["1 min de lecture"]);
    assert_eq!(select(&short, ".prose h2 > a.heading-anchor").len(), 1);

    // Anchors and the TOC only decorate pages: the Atom feed keeps the plain body.
    assert!(!build.read("atom.xml").contains("heading-anchor"));
}

#[test]
fn reading_time_counts_two_hundred_words_a_minute() {
    let site = Site::fixture("reader-site");
    let words = vec!["mot"; 1001].join(" ");
    site.write(
        "content/articles/long.md",
        &format!("---\ntitle: Long\ndate: 2026-10-01\nauthors: [lea]\n---\n{words}\n"),
    );
    let build = site.build().ok();
    assert_eq!(
        texts(&build.html("articles/long/index.html"), ".reading-time"),
        ["6 min de lecture"]
    );
}

#[test]
fn the_search_index_folds_accents_and_covers_the_searchable_kinds() {
    let site = Site::fixture("reader-site");
    let build = site.build().ok();
    let index = build.json("recherche/index.json");
    assert_eq!(index["v"], 2);
    assert_eq!(index["n"], 4);
    assert!(index["h"].as_str().unwrap().len() == 16, "{index}");
    // Newest first; no author or page in the index. The cards, by files of `cards` items.
    let per_file = index["cards"].as_u64().unwrap() as usize;
    assert!(per_file >= 1);
    let cards: Vec<serde_json::Value> = (0..4usize.div_ceil(per_file))
        .flat_map(|n| {
            build
                .json(&format!("recherche/fiches/{n}.json"))
                .as_array()
                .unwrap()
                .clone()
        })
        .collect();
    let urls: Vec<&str> = cards.iter().map(|c| c[1].as_str().unwrap()).collect();
    assert_eq!(
        urls,
        [
            "/evenements/atelier-git/",
            "/articles/integration-continue/",
            "/articles/note-breve/",
            "/ressources/pro-git/",
        ]
    );
    assert_eq!(
        cards[1],
        serde_json::json!([
            "L'intégration continue </script> sans douleur",
            "/articles/integration-continue/",
            "article",
            "2026-10-20",
            "Mettre en place une intégration continue avec GitHub Actions, étape par étape."
        ])
    );
    assert_eq!(cards[0][2], "event");
    assert_eq!(cards[3][2], "resource");

    // The words, from every shard the entry file lists, with the items holding them and where:
    // `T`itle, tag or cateGory, `S`ummary, `B`ody.
    let shards = index["shards"].as_array().unwrap();
    let mut words: Vec<(String, String)> = Vec::new();
    for (n, first) in shards.iter().enumerate() {
        let shard = build.json(&format!("recherche/mots/{n}.json"));
        let (w, p) = (
            shard["w"].as_array().unwrap(),
            shard["p"].as_array().unwrap(),
        );
        assert_eq!(w.len(), p.len());
        assert_eq!(
            &w[0], first,
            "the entry file lists the first word of each shard"
        );
        for (w, p) in w.iter().zip(p) {
            words.push((w.as_str().unwrap().into(), p.as_str().unwrap().into()));
        }
    }
    assert!(words.is_sorted(), "sorted and distinct words");
    assert!(words.windows(2).all(|w| w[0].0 != w[1].0));
    assert!(
        words.iter().all(|(w, _)| w
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
        "{words:?}"
    );
    let postings = |word: &str| -> Option<String> {
        words
            .iter()
            .find(|(w, _)| w == word)
            .map(|(_, p)| p.clone())
    };
    // Item 1 is the article: its first posting is "1" + its field.
    assert_eq!(
        postings("recuperer").as_deref(),
        Some("1B"),
        "accents folded"
    );
    assert_eq!(postings("depot").as_deref(), Some("1B"));
    assert_eq!(postings("zygomorphe").as_deref(), Some("1B"));
    assert_eq!(
        postings("etapes").as_deref(),
        Some("1B"),
        "headings are indexed, accents folded"
    );
    assert_eq!(
        postings("integration").as_deref(),
        Some("1T"),
        "a word of the title counts as one"
    );
    assert_eq!(
        postings("outils").as_deref(),
        Some("1G2G"),
        "category of the article and of the resource (item 1, then 1 + 2)"
    );
    assert_eq!(postings("actions").as_deref(), Some("1S"));
    assert_eq!(
        postings("vos"),
        None,
        "stop words are left out of the body words"
    );

    // The filters: item numbers as differences, by kind, category and tag.
    let filters = build.json("recherche/filtres.json");
    assert_eq!(filters["type"]["event"], serde_json::json!([0]));
    assert_eq!(filters["type"]["article"], serde_json::json!([1, 1]));
    assert_eq!(filters["categorie"]["Outils"], serde_json::json!([1, 2]));
    assert_eq!(filters["etiquette"]["Git"], serde_json::json!([0, 1, 1, 1]));

    // The page: a form with its filters, the script, the index address; in the navigation.
    let html = build.html("recherche/index.html");
    assert_eq!(
        attrs(&html, "form[data-search]", "data-index"),
        ["/recherche/index.json"]
    );
    assert_eq!(
        texts(&html, "select[name=type] option"),
        [
            "Tous les types",
            "Article",
            "Série",
            "Ressource",
            "Événement"
        ]
    );
    assert!(texts(&html, "select[name=etiquette] option").contains(&"Git".to_string()));
    assert!(texts(&html, "select[name=categorie] option").contains(&"Outils".to_string()));
    assert_eq!(attrs(&html, "script[src=\"/search.js\"]", "defer"), [""]);
    assert!(
        attrs(&build.html("index.html"), "header nav a", "href")
            .contains(&"/recherche/".to_string())
    );
    assert!(
        build
            .read("sitemap.xml")
            .contains("https://club.example.org/recherche/")
    );
}

#[test]
fn comments_are_absent_unless_configured() {
    let site = Site::fixture("reader-site");
    let build = site.build().ok();
    let html = build.read(ARTICLE);
    assert!(
        !html.contains("giscus"),
        "no trace of giscus without `comments`"
    );
    assert!(select(&Html::parse_document(&html), ".comments").is_empty());
}

#[test]
fn configured_comments_wait_for_the_reader() {
    let site = Site::fixture("reader-site");
    let config = std::fs::read_to_string(site.root().join("site.yaml")).unwrap();
    site.write(
        "site.yaml",
        &format!(
            "{config}comments:\n  repo: club-python/site\n  repo_id: R_kgDOabc\n  category: Commentaires\n  category_id: DIC_kwDOxyz\n"
        ),
    );
    let build = site.build().ok();
    let html = build.html(ARTICLE);
    let section = select(&html, "section.comments");
    assert_eq!(section.len(), 1);
    let section = section[0];
    assert_eq!(section.attr("data-giscus-repo"), Some("club-python/site"));
    assert_eq!(section.attr("data-giscus-repo-id"), Some("R_kgDOabc"));
    assert_eq!(section.attr("data-giscus-category"), Some("Commentaires"));
    assert_eq!(section.attr("data-giscus-category-id"), Some("DIC_kwDOxyz"));
    assert_eq!(section.attr("data-giscus-mapping"), Some("pathname"));
    assert_eq!(section.attr("data-giscus-reactions"), Some("1"));
    assert_eq!(section.attr("data-giscus-input-position"), Some("bottom"));
    assert_eq!(
        texts(&html, "button[data-comments-load]"),
        ["Afficher les commentaires"]
    );
    // Nothing third-party in the initial HTML: every script is the site's own.
    for src in attrs(&html, "script[src]", "src") {
        assert!(src.starts_with('/') && !src.starts_with("//"), "{src}");
    }
    assert!(select(&html, "iframe").is_empty());
    // Comments go under articles only.
    assert!(select(&build.html(EVENT), "section.comments").is_empty());
}

#[test]
fn comment_settings_are_checked_strictly() {
    let site = Site::fixture("reader-site");
    let config = std::fs::read_to_string(site.root().join("site.yaml")).unwrap();
    site.write(
        "site.yaml",
        &format!(
            "{config}comments:\n  repo: pas-un-depot\n  repo_id: R_1\n  category: C\n  category_id: DIC_1\n  theme: dark\n"
        ),
    );
    let build = site.build().failed();
    assert!(build.stderr.contains("theme"), "{}", build.stderr);
    site.write(
        "site.yaml",
        &format!(
            "{config}comments:\n  repo: pas-un-depot\n  repo_id: R_1\n  category: C\n  category_id: DIC_1\n"
        ),
    );
    let build = site.build().failed();
    assert!(
        build
            .stderr
            .contains("dépôt GitHub invalide « pas-un-depot »"),
        "{}",
        build.stderr
    );
}

#[test]
fn reader_pages_have_no_broken_links() {
    let site = Site::fixture("reader-site");
    let build = site.build().ok();
    assert_eq!(broken_links(&build.out), Vec::<String>::new());
}
