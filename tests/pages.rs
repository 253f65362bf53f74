//! The HTML pages of sections: home, events, an event's page (with or without a registration
//! form), pagination of articles, and template overrides.

mod common;

use common::{Site, attrs, broken_links, select, selector, text, texts};

// ---------------------------------------------------------------- home and events (fixtures/events)

#[test]
fn home_shows_upcoming_events_then_latest_articles_then_resources() {
    let site = Site::fixture("events");
    let build = site.build().ok();
    let home = build.html("index.html");

    let sections: Vec<String> = select(&home, "main > section h2")
        .iter()
        .map(text)
        .collect();
    assert_eq!(
        sections,
        [
            "Prochains événements",
            "Derniers articles",
            "Dernières ressources"
        ]
    );

    let section_titles = |heading_id: &str| -> Vec<String> {
        let section = select(&home, &format!("section[aria-labelledby={heading_id}]"));
        assert_eq!(section.len(), 1, "section {heading_id}");
        section[0]
            .select(&selector(".card-title a"))
            .map(|a| text(&a))
            .collect()
    };
    assert_eq!(
        section_titles("a-venir"),
        [
            "Journée portes ouvertes",
            "Revue de code collective",
            "Atelier SQL",
            "Webinaire : Git sans peur",
            "Diffusion en direct de la PyCon",
            "Permanence d'entraide",
        ],
        "upcoming events only (including the one under way), soonest first"
    );
    assert_eq!(
        section_titles("derniers-articles"),
        ["Un article récent", "Un article ancien"]
    );
    assert_eq!(
        section_titles("dernieres-ressources"),
        [
            "Meetup d'octobre : les décorateurs",
            "La documentation de Python"
        ],
        "resources include the replay of the past event, not the upcoming one with a recording address"
    );
}

#[test]
fn events_page_lists_upcoming_before_past() {
    let site = Site::fixture("events");
    let build = site.build().ok();
    let page = build.html("evenements/index.html");

    let headings = texts(&page, "main section h2");
    assert_eq!(headings, ["À venir", "Passés"]);
    let upcoming: Vec<String> = select(&page, "section[aria-labelledby=a-venir] .card-title a")
        .iter()
        .map(text)
        .collect();
    let past: Vec<String> = select(&page, "section[aria-labelledby=passes] .card-title a")
        .iter()
        .map(text)
        .collect();
    assert_eq!(
        upcoming,
        [
            "Journée portes ouvertes",
            "Revue de code collective",
            "Atelier SQL",
            "Webinaire : Git sans peur",
            "Diffusion en direct de la PyCon",
            "Permanence d'entraide",
        ],
        "an event under way is not past yet"
    );
    assert_eq!(
        past,
        [
            "Meetup d'octobre : les décorateurs",
            "Meetup de septembre : rentrée"
        ],
        "most recent first"
    );
    // In the document too, every upcoming card comes before every past one.
    let all = texts(&page, ".card-title a");
    assert_eq!(all, [upcoming, past].concat());
    assert_eq!(
        attrs(&page, "main a[href$='.ics']", "href"),
        [
            "webcal://club.example.org/evenements/calendrier.ics",
            "/evenements/calendrier.ics"
        ]
    );
}

#[test]
fn upcoming_event_page_shows_facts_and_an_open_registration_form() {
    let site = Site::fixture("events");
    let build = site.build().ok();
    let page = build.html("evenements/webinaire-git/index.html");

    assert_eq!(texts(&page, "main h1"), ["Webinaire : Git sans peur"]);
    let time = select(&page, ".event-facts time");
    assert_eq!(time.len(), 1);
    assert_eq!(text(&time[0]), "jeudi 3 décembre 2026, 19 h 00 – 20 h 30");
    assert_eq!(time[0].attr("datetime"), Some("2026-12-03T19:00:00+01:00"));
    assert_eq!(
        texts(&page, ".event-facts a[href^='/auteurs/']"),
        ["Léa Martin", "Sam Petit"]
    );
    assert_eq!(
        attrs(&page, ".event-facts a[href^='/auteurs/']", "href"),
        ["/auteurs/lea/", "/auteurs/sam/"]
    );
    let facts = texts(&page, ".event-facts dd").join(" | ");
    assert!(facts.contains("Discord, salon Webinaires"), "{facts}");
    assert!(facts.contains("30 places"), "{facts}");

    let agenda: Vec<_> = select(&page, "a")
        .into_iter()
        .filter(|a| text(a) == "Ajouter à mon agenda")
        .collect();
    assert_eq!(agenda.len(), 1);
    assert_eq!(
        agenda[0].attr("href"),
        Some("/evenements/webinaire-git.ics")
    );
    assert!(build.exists("evenements/webinaire-git.ics"));
    assert!(
        !build
            .read("evenements/webinaire-git/index.html")
            .contains("Voir le replay")
    );

    let forms = select(&page, "form");
    assert_eq!(forms.len(), 1);
    assert_eq!(forms[0].attr("method"), Some("post"));
    assert_eq!(
        forms[0].attr("action"),
        Some("/api/events/webinaire-git/registrations")
    );
    for name in ["name", "email", "consent"] {
        assert_eq!(
            select(&page, &format!("form input[name={name}][required]")).len(),
            1,
            "field {name}"
        );
    }
}

#[test]
fn event_times_are_shown_in_the_site_time_zone() {
    let site = Site::fixture("events");
    let build = site.build().ok();
    // Written in UTC (17:30Z), shown in Paris time (winter: UTC+1).
    let page = build.html("evenements/atelier-sql/index.html");
    assert_eq!(
        texts(&page, ".event-facts time"),
        ["vendredi 20 novembre 2026, 18 h 30 – 20 h 00"]
    );
    assert_eq!(
        attrs(&page, ".event-facts time", "datetime"),
        ["2026-11-20T18:30:00+01:00"]
    );
    assert!(
        build
            .read("evenements/atelier-sql/index.html")
            .contains("19 novembre 2026, 12 h 00"),
        "deadline shown in the form"
    );
    assert_eq!(
        attrs(&page, "form", "action"),
        ["/api/events/atelier-sql/registrations"]
    );
}

#[test]
fn past_event_page_shows_the_recording_and_no_form() {
    let site = Site::fixture("events");
    let build = site.build().ok();
    let page = build.html("evenements/meetup-octobre/index.html");

    assert!(
        select(&page, "form").is_empty(),
        "no registration form on a past event"
    );
    assert!(select(&page, ".registration").is_empty());
    assert!(select(&page, "script[src='/registration.js']").is_empty());
    assert_eq!(
        texts(&page, ".event-facts time"),
        ["jeudi 8 octobre 2026, 19 h 00 – 21 h 00"]
    );
    assert!(
        texts(&page, ".event-facts dd")
            .join(" ")
            .contains("Bar Le Serpent, Lyon")
    );
    let replay: Vec<_> = select(&page, "a")
        .into_iter()
        .filter(|a| text(a) == "Voir le replay")
        .collect();
    assert_eq!(replay.len(), 1);
    assert_eq!(
        replay[0].attr("href"),
        Some("https://videos.example.org/meetup-octobre")
    );
    assert_eq!(
        attrs(&page, "a.button[href$='.ics']", "href"),
        ["/evenements/meetup-octobre.ics"]
    );
    assert!(texts(&page, ".notice")[0].contains("terminé"));

    // A past event without recording: no replay link either.
    let september = build.html("evenements/meetup-septembre/index.html");
    assert!(select(&september, "form").is_empty());
    assert!(
        !build
            .read("evenements/meetup-septembre/index.html")
            .contains("Voir le replay")
    );
}

#[test]
fn events_without_open_registration_show_no_form() {
    let site = Site::fixture("events");
    let build = site.build().ok();

    let closed = build.html("evenements/inscriptions-closes/index.html");
    assert!(select(&closed, "form").is_empty(), "deadline passed");
    assert!(texts(&closed, ".notice")[0].contains("closes"));

    let free = build.html("evenements/permanence-janvier/index.html");
    assert!(select(&free, "form").is_empty(), "registration: false");
    assert!(texts(&free, ".notice")[0].contains("Pas d'inscription"));
    assert_eq!(
        attrs(&free, "a.button[href$='.ics']", "href"),
        ["/evenements/permanence-janvier.ics"]
    );
}

#[test]
fn only_past_events_with_a_recording_are_replays() {
    let site = Site::fixture("events");
    let build = site.build().ok();
    let resources = build.html("ressources/index.html");
    assert_eq!(
        texts(&resources, ".card-title a"),
        [
            "Meetup d'octobre : les décorateurs",
            "La documentation de Python"
        ]
    );
    assert_eq!(
        attrs(&resources, ".card-replay .card-title a", "href"),
        ["/evenements/meetup-octobre/"]
    );
    let feed = build.read("ressources/atom.xml");
    assert!(feed.contains("/evenements/meetup-octobre/"));
    assert!(
        !feed.contains("diffusion-pycon"),
        "an upcoming event is no replay, even with a recording address"
    );

    // Once it is over, it becomes one.
    let later = site
        .build_with(
            &site.root().join("later"),
            &["--now", "2026-12-12T18:00:00+01:00"],
        )
        .ok();
    let titles = texts(
        &later.html("ressources/index.html"),
        ".card-replay .card-title a",
    );
    assert_eq!(
        titles,
        [
            "Diffusion en direct de la PyCon",
            "Meetup d'octobre : les décorateurs"
        ]
    );
}

#[test]
fn event_under_way_is_upcoming_but_closed_to_registration() {
    let site = Site::fixture("events");
    let build = site.build().ok();
    let page = build.html("evenements/portes-ouvertes/index.html");
    assert!(
        select(&page, "form").is_empty(),
        "registration closes when the event starts"
    );
    assert!(texts(&page, ".notice")[0].contains("closes"));
    assert!(!texts(&page, ".notice")[0].contains("terminé"));
    assert_eq!(
        build.json("evenements/index.json")["events"][2]["slug"],
        "portes-ouvertes"
    );
}

#[test]
fn event_pages_have_no_broken_links() {
    let site = Site::fixture("events");
    let build = site.build().ok();
    let broken = broken_links(&build.out);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

// ---------------------------------------------------------------- pagination (fixtures/pagination)

#[test]
fn articles_are_paginated_ten_per_page() {
    let site = Site::fixture("pagination");
    let build = site.build().ok();

    let first = build.html("articles/index.html");
    let titles = texts(&first, ".card-title a");
    let expected: Vec<String> = (2..=11)
        .rev()
        .map(|i| format!("Article numéro {i:02}"))
        .collect();
    assert_eq!(titles, expected, "the ten newest, newest first");
    assert!(select(&first, ".pagination a[rel=prev]").is_empty());
    assert_eq!(
        attrs(&first, ".pagination a[rel=next]", "href"),
        ["/articles/page/2/"]
    );
    assert!(
        texts(&first, ".pagination")
            .join(" ")
            .contains("Page 1 sur 2")
    );

    let second = build.html("articles/page/2/index.html");
    assert_eq!(texts(&second, ".card-title a"), ["Article numéro 01"]);
    assert_eq!(
        attrs(&second, ".pagination a[rel=prev]", "href"),
        ["/articles/"]
    );
    assert!(select(&second, ".pagination a[rel=next]").is_empty());
    assert_eq!(texts(&second, "main h1"), ["Articles, page 2 sur 2"]);

    assert!(
        !build.exists("articles/page/1/index.html"),
        "page 1 is /articles/"
    );
    assert!(!build.exists("articles/page/3/index.html"));
    let sitemap = build.read("sitemap.xml");
    assert!(sitemap.contains("<loc>https://club.example.org/articles/page/2/</loc>"));
    let broken = broken_links(&build.out);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn ten_articles_fit_on_one_page() {
    let site = Site::fixture("pagination");
    std::fs::remove_file(site.root().join("content/articles/article-11.md")).unwrap();
    let build = site.build().ok();
    assert_eq!(
        texts(&build.html("articles/index.html"), ".card-title a").len(),
        10
    );
    assert!(select(&build.html("articles/index.html"), ".pagination").is_empty());
    assert!(!build.exists("articles/page/2/index.html"));
}

#[test]
fn tags_categories_resources_and_works_are_paginated_twenty_per_page() {
    let site = Site::fixture("pagination");
    // 25 articles by the same author, all with the same tag and category; 21 resources.
    for i in 1..=25 {
        site.write(
            &format!("content/articles/article-{i:02}.md"),
            &format!(
                "---\ntitle: \"Article numéro {i:02}\"\ndate: 2026-01-{i:02}\nauthors: [lea]\ntags: [Python]\ncategories: [python]\n---\nLe contenu de l'article {i:02}.\n"
            ),
        );
    }
    for i in 1..=21 {
        site.write(
            &format!("content/resources/lien-{i:02}.md"),
            &format!(
                "---\ntitle: \"Lien {i:02}\"\ndate: 2026-02-{i:02}\nurl: https://docs.python.org/{i}/\nkind: documentation\n---\nUn lien.\n"
            ),
        );
    }
    let build = site.build().ok();
    for (first, second, h1) in [
        (
            "tags/python/",
            "tags/python/page/2/",
            "Étiquette : Python, page 2 sur 2",
        ),
        (
            "categories/python/",
            "categories/python/page/2/",
            "Catégorie : Python, page 2 sur 2",
        ),
        ("auteurs/lea/", "auteurs/lea/page/2/", "Léa Martin"),
    ] {
        let page = build.html(&format!("{first}index.html"));
        let titles = texts(&page, ".card-title a");
        let newest: Vec<String> = (6..=25)
            .rev()
            .map(|i| format!("Article numéro {i:02}"))
            .collect();
        assert_eq!(titles, newest, "{first}: the twenty newest, newest first");
        assert_eq!(
            attrs(&page, ".pagination a[rel=next]", "href"),
            [format!("/{second}")],
            "{first}"
        );
        let page = build.html(&format!("{second}index.html"));
        let oldest: Vec<String> = (1..=5)
            .rev()
            .map(|i| format!("Article numéro {i:02}"))
            .collect();
        assert_eq!(texts(&page, ".card-title a"), oldest, "{second}");
        assert_eq!(
            attrs(&page, ".pagination a[rel=prev]", "href"),
            [format!("/{first}")],
            "{second}"
        );
        assert_eq!(texts(&page, "main h1"), [h1], "{second}");
        assert!(
            texts(&page, "title").join(" ").contains("page 2 sur 2"),
            "{second}: its own title"
        );
        assert!(!build.exists(&format!("{first}page/1/index.html")));
        assert!(!build.exists(&format!("{first}page/3/index.html")));
    }
    // The author's biography is on the first page of their works only.
    let bio = |rel: &str| texts(&build.html(rel), ".prose").join(" ");
    assert!(!bio("auteurs/lea/index.html").is_empty());
    assert!(bio("auteurs/lea/page/2/index.html").is_empty());

    let resources = build.html("ressources/index.html");
    assert_eq!(texts(&resources, ".card-title a").len(), 20);
    let last = build.html("ressources/page/2/index.html");
    assert_eq!(texts(&last, ".card-title a"), ["Lien 01"]);

    let sitemap = build.read("sitemap.xml");
    assert!(sitemap.contains("<loc>https://club.example.org/tags/python/page/2/</loc>"));
    let broken = broken_links(&build.out);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

// ---------------------------------------------------------------- template overrides (fixtures/template_override)

#[test]
fn a_site_template_overrides_the_theme_one() {
    let site = Site::fixture("template_override");
    assert!(
        site.root()
            .join("themes/default/templates/page.html")
            .is_file(),
        "the theme has its own page.html"
    );
    let build = site.build().ok();

    let page = build.html("mentions-legales/index.html");
    assert_eq!(
        attrs(&page, "article.page-sur-mesure", "data-override"),
        ["oui"]
    );
    assert_eq!(
        texts(&page, "main h1"),
        ["Mentions légales (modèle du site)"]
    );
    assert!(
        texts(&page, ".prose")
            .join(" ")
            .contains("hébergé par une association")
    );
    // The override still extends the theme's base.html.
    assert_eq!(attrs(&page, "link[rel=stylesheet]", "href"), ["/style.css"]);

    // Templates that are not overridden come from the theme.
    let article = build.html("articles/bonjour/index.html");
    assert!(select(&article, ".page-sur-mesure").is_empty());
    assert_eq!(texts(&article, "main h1"), ["Bonjour"]);
}
