//! Machine-readable outputs: Atom feeds (`fixtures/feeds`), iCalendar files and the events
//! manifest (`fixtures/calendar`).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::DateTime;
use common::{NOW, Site, ics_prop};

const BASE: &str = "https://club.example.org";

fn feed_paths(build: &common::Build) -> BTreeSet<String> {
    build
        .files()
        .into_iter()
        .filter(|f| f.ends_with("atom.xml"))
        .collect()
}

/// Entry links of a feed, in order.
fn entry_links(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| e.links.first().expect("entry link").href.clone())
        .collect()
}

// ---------------------------------------------------------------- Atom

#[test]
fn every_feed_parses_with_absolute_links_newest_first() {
    let site = Site::fixture("feeds");
    let build = site.build().ok();
    let expected: BTreeSet<String> = [
        "atom.xml",
        "articles/atom.xml",
        "ressources/atom.xml",
        "evenements/atom.xml",
        "tags/python/atom.xml",
        "tags/typage/atom.xml",
        "categories/python/atom.xml",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(feed_paths(&build), expected);

    for path in &expected {
        let feed = build.atom(path);
        assert!(!feed.entries.is_empty(), "{path} is empty");
        let self_link = feed
            .links
            .iter()
            .find(|l| l.rel.as_deref() == Some("self"))
            .unwrap_or_else(|| panic!("{path}: no self link"));
        assert_eq!(self_link.href, format!("{BASE}/{path}"));
        for link in feed
            .links
            .iter()
            .chain(feed.entries.iter().flat_map(|e| e.links.iter()))
        {
            assert!(
                link.href.starts_with(&format!("{BASE}/")),
                "{path}: link {} is not absolute",
                link.href
            );
        }
        let dates: Vec<_> = feed
            .entries
            .iter()
            .map(|e| {
                e.published
                    .unwrap_or_else(|| panic!("{path}: entry without date"))
            })
            .collect();
        let mut sorted = dates.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(dates, sorted, "{path}: entries are not newest first");
        assert!(feed.updated.is_some(), "{path}: no updated date");
        for entry in &feed.entries {
            assert!(entry.title.is_some(), "{path}: entry without title");
            assert!(entry.id.starts_with(BASE), "{path}: entry id {}", entry.id);
        }
    }
}

#[test]
fn feeds_hold_the_right_entries() {
    let site = Site::fixture("feeds");
    let build = site.build().ok();
    let urls =
        |paths: &[&str]| -> Vec<String> { paths.iter().map(|p| format!("{BASE}{p}")).collect() };

    assert_eq!(
        entry_links(&build.atom("atom.xml")),
        urls(&[
            "/evenements/atelier-typage/",
            "/articles/dataclasses/",
            "/ressources/real-python/",
            "/articles/generateurs/",
            "/evenements/soiree-rentree/",
        ])
    );
    assert_eq!(
        entry_links(&build.atom("articles/atom.xml")),
        urls(&["/articles/dataclasses/", "/articles/generateurs/"])
    );
    assert_eq!(
        entry_links(&build.atom("ressources/atom.xml")),
        urls(&["/ressources/real-python/", "/evenements/soiree-rentree/"]),
        "resources and replays"
    );
    assert_eq!(
        entry_links(&build.atom("evenements/atom.xml")),
        urls(&["/evenements/atelier-typage/", "/evenements/soiree-rentree/"])
    );
    assert_eq!(
        entry_links(&build.atom("tags/python/atom.xml")),
        urls(&[
            "/articles/dataclasses/",
            "/ressources/real-python/",
            "/articles/generateurs/",
            "/evenements/soiree-rentree/"
        ]),
        "`Python`, `python` and `PYTHON` are one tag"
    );
    assert_eq!(
        entry_links(&build.atom("tags/typage/atom.xml")),
        urls(&["/evenements/atelier-typage/", "/articles/dataclasses/"])
    );
    assert_eq!(
        entry_links(&build.atom("categories/python/atom.xml")),
        urls(&[
            "/evenements/atelier-typage/",
            "/articles/dataclasses/",
            "/ressources/real-python/",
            "/articles/generateurs/"
        ])
    );

    // An article entry carries its dates, author and rendered body.
    let articles = build.atom("articles/atom.xml");
    let entry = &articles.entries[0];
    assert_eq!(
        entry.published.unwrap(),
        DateTime::parse_from_rfc3339("2026-10-20T09:00:00+02:00").unwrap()
    );
    // Clocks went back at 3:00 that day: 10:00 is already winter time.
    assert_eq!(
        entry.updated.unwrap(),
        DateTime::parse_from_rfc3339("2026-10-25T10:00:00+01:00").unwrap()
    );
    assert_eq!(
        entry
            .authors
            .iter()
            .map(|a| a.name.as_deref().unwrap_or(""))
            .collect::<Vec<_>>(),
        ["Léa Martin"]
    );
    let body = entry
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .expect("article content");
    assert!(body.contains("Moins de code répétitif"), "{body}");
    assert_eq!(
        articles.title.as_ref().unwrap().content,
        "Club Python : articles"
    );
}

#[test]
fn base_url_flag_overrides_site_yaml_everywhere() {
    let site = Site::fixture("feeds");
    let build = site
        .build_with(
            &site.root().join("preview"),
            &["--now", NOW, "--base-url", "https://preview.example.net/"],
        )
        .ok();
    let preview = "https://preview.example.net";

    for path in feed_paths(&build) {
        let feed = build.atom(&path);
        for link in feed
            .links
            .iter()
            .chain(feed.entries.iter().flat_map(|e| e.links.iter()))
        {
            assert!(
                link.href.starts_with(&format!("{preview}/")),
                "{path}: {}",
                link.href
            );
        }
    }
    assert_eq!(
        entry_links(&build.atom("articles/atom.xml"))[0],
        format!("{preview}/articles/dataclasses/")
    );
    assert!(
        build
            .read("sitemap.xml")
            .contains(&format!("<loc>{preview}/articles/dataclasses/</loc>"))
    );
    assert!(
        build
            .read("robots.txt")
            .contains(&format!("Sitemap: {preview}/sitemap.xml"))
    );
    assert_eq!(
        build.json("evenements/index.json")["events"][1]["url"],
        format!("{preview}/evenements/atelier-typage/")
    );
    let canonical = common::attrs(
        &build.html("articles/dataclasses/index.html"),
        "link[rel=canonical]",
        "href",
    );
    assert_eq!(canonical, [format!("{preview}/articles/dataclasses/")]);

    // Nothing still points to the address of site.yaml.
    for (path, bytes) in common::tree(&build.out) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("club.example.org"),
            "{path} still mentions club.example.org"
        );
    }
}

// ---------------------------------------------------------------- iCalendar

/// UTC start and end of the published events of `fixtures/calendar`, by UID.
fn expected_times() -> BTreeMap<&'static str, (&'static str, &'static str)> {
    BTreeMap::from([
        (
            "atelier-ete@club.example.org",
            ("20260714T170000Z", "20260714T190000Z"),
        ),
        (
            "hackathon@club.example.org",
            ("20270320T080000Z", "20270321T170000Z"),
        ),
        (
            "permanence@club.example.org",
            ("20261112T170000Z", "20261112T190000Z"),
        ),
        (
            "webinaire-hiver@club.example.org",
            ("20261203T180000Z", "20261203T193000Z"),
        ),
    ])
}

#[test]
fn site_calendar_has_one_vevent_per_published_event_in_utc() {
    let site = Site::fixture("calendar");
    let build = site.build().ok();
    let calendar = build.ics("evenements/calendrier.ics");
    assert_eq!(
        ics_prop(&calendar.properties, "VERSION").as_deref(),
        Some("2.0")
    );
    assert!(ics_prop(&calendar.properties, "PRODID").is_some());

    let mut found = BTreeMap::new();
    for event in &calendar.events {
        let uid = ics_prop(&event.properties, "UID").expect("UID");
        let start = ics_prop(&event.properties, "DTSTART").expect("DTSTART");
        let end = ics_prop(&event.properties, "DTEND").expect("DTEND");
        assert!(
            ics_prop(&event.properties, "DTSTAMP").is_some_and(|s| s.ends_with('Z')),
            "{uid}: DTSTAMP"
        );
        let slug = uid.split('@').next().unwrap().to_string();
        assert_eq!(
            ics_prop(&event.properties, "URL"),
            Some(format!("{BASE}/evenements/{slug}/"))
        );
        assert!(found.insert(uid, (start, end)).is_none(), "duplicate UID");
    }
    assert_eq!(calendar.events.len(), 4, "the draft is left out");
    let expected: BTreeMap<String, (String, String)> = expected_times()
        .into_iter()
        .map(|(k, (s, e))| (k.to_string(), (s.to_string(), e.to_string())))
        .collect();
    assert_eq!(found, expected);

    let summaries: BTreeSet<String> = calendar
        .events
        .iter()
        .filter_map(|e| ics_prop(&e.properties, "SUMMARY"))
        .collect();
    assert!(summaries.contains("Atelier d'été"), "{summaries:?}");
    let location = calendar
        .events
        .iter()
        .find(|e| {
            ics_prop(&e.properties, "UID")
                .unwrap()
                .starts_with("atelier-ete@")
        })
        .unwrap();
    assert!(
        ics_prop(&location.properties, "LOCATION")
            .unwrap()
            .starts_with("Parc de la Tête d")
    );
}

#[test]
fn each_event_has_its_own_calendar_file() {
    let site = Site::fixture("calendar");
    let build = site.build().ok();
    let files: BTreeSet<String> = build
        .files()
        .into_iter()
        .filter(|f| f.ends_with(".ics"))
        .collect();
    let expected: BTreeSet<String> = [
        "calendrier",
        "atelier-ete",
        "hackathon",
        "permanence",
        "webinaire-hiver",
    ]
    .iter()
    .map(|s| format!("evenements/{s}.ics"))
    .collect();
    assert_eq!(files, expected);

    for (uid, (start, end)) in expected_times() {
        let slug = uid.split('@').next().unwrap();
        let calendar = build.ics(&format!("evenements/{slug}.ics"));
        assert_eq!(calendar.events.len(), 1, "{slug}");
        let props = &calendar.events[0].properties;
        assert_eq!(ics_prop(props, "UID").as_deref(), Some(uid));
        assert_eq!(ics_prop(props, "DTSTART").as_deref(), Some(start));
        assert_eq!(ics_prop(props, "DTEND").as_deref(), Some(end));
    }
}

/// Every `.ics` file of `build` parses as one calendar, ends its lines with CRLF and has no line
/// longer than 75 octets (RFC 5545 §3.1).
#[track_caller]
fn assert_rfc_5545_lines(build: &common::Build) {
    let paths: Vec<String> = build
        .files()
        .into_iter()
        .filter(|f| f.ends_with(".ics"))
        .collect();
    assert!(!paths.is_empty(), "no calendar");
    for path in paths {
        build.ics(&path);
        let text = build.read(&path);
        assert!(
            text.starts_with("BEGIN:VCALENDAR\r\n") && text.ends_with("END:VCALENDAR\r\n"),
            "{path}"
        );
        for line in text.split_inclusive('\n') {
            assert!(
                line.ends_with("\r\n"),
                "{path}: line without CRLF: {line:?}"
            );
            assert!(
                line.len() - 2 <= 75,
                "{path}: line of {} octets: {line:?}",
                line.len() - 2
            );
        }
    }
}

#[test]
fn calendar_files_follow_rfc_5545_line_rules() {
    let site = Site::fixture("calendar");
    assert_rfc_5545_lines(&site.build().ok());
}

#[test]
fn starter_calendars_follow_rfc_5545_line_rules() {
    let out = tempfile::tempdir().unwrap();
    let build = common::run_build(
        &common::repo_root(),
        &out.path().join("public"),
        &["--now", NOW],
    )
    .ok();
    assert_rfc_5545_lines(&build);
}

#[test]
fn line_breaks_in_text_values_cannot_start_a_property() {
    // The site's title (NAME, X-WR-CALNAME), an event's location and summary hold CR, LF and
    // CRLF followed by what would be properties of their own; the title has `;`, `,` and `\`.
    let site = Site::fixture("calendar-injection");
    let build = site.build().ok();
    assert_rfc_5545_lines(&build);
    for path in ["evenements/calendrier.ics", "evenements/atelier.ics"] {
        let calendar = build.ics(path);
        assert_eq!(calendar.events.len(), 1, "{path}");
        let names: Vec<&str> = calendar
            .properties
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "VERSION",
                "PRODID",
                "CALSCALE",
                "METHOD",
                "NAME",
                "X-WR-CALNAME"
            ],
            "{path}"
        );
        let event = &calendar.events[0].properties;
        let names: BTreeSet<&str> = event.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "DESCRIPTION",
                "DTEND",
                "DTSTAMP",
                "DTSTART",
                "LOCATION",
                "SUMMARY",
                "UID",
                "URL"
            ]
            .into_iter()
            .collect(),
            "{path}"
        );
        assert_eq!(event.len(), 8, "{path}: a property twice");
        assert_eq!(
            ics_prop(event, "DTSTART").as_deref(),
            Some("20261112T170000Z")
        );
        // The parser keeps the escapes: each line break is one `\n`, nothing else is lost.
        assert_eq!(
            ics_prop(event, "LOCATION").as_deref(),
            Some(r"Salle 1\nX-INJECTE:oui\nATTENDEE:mailto:a@example.org\nEND:VEVENT")
        );
        assert_eq!(
            ics_prop(event, "SUMMARY").as_deref(),
            Some(r"Atelier \; virgules\, et \\ barres obliques")
        );
        assert!(
            ics_prop(event, "DESCRIPTION")
                .unwrap()
                .starts_with(r"Première ligne\nDTSTART:19700101T000000Z\n\n"),
        );
    }
    let calendar = build.ics("evenements/calendrier.ics");
    assert_eq!(
        ics_prop(&calendar.properties, "NAME").as_deref(),
        Some(r"Club\nBEGIN:VEVENT\nUID:injecte : événements")
    );
    assert_eq!(
        ics_prop(&calendar.properties, "X-WR-CALNAME"),
        ics_prop(&calendar.properties, "NAME")
    );
}

#[test]
fn uids_are_stable_across_builds() {
    let site = Site::fixture("calendar");
    let first = site.build().ok();
    let second = site
        .build_with(&site.root().join("again"), &["--now", NOW])
        .ok();
    assert_eq!(
        first.read("evenements/calendrier.ics"),
        second.read("evenements/calendrier.ics")
    );

    // Even at another date, each event keeps its UID.
    let later = site
        .build_with(
            &site.root().join("later"),
            &["--now", "2027-02-01T10:00:00+01:00"],
        )
        .ok();
    let uids = |build: &common::Build| -> Vec<String> {
        build
            .ics("evenements/calendrier.ics")
            .events
            .iter()
            .filter_map(|e| ics_prop(&e.properties, "UID"))
            .collect()
    };
    assert_eq!(uids(&first), uids(&later));
    assert_eq!(uids(&first).len(), 4);
}

// ---------------------------------------------------------------- events manifest

#[test]
fn manifest_describes_every_published_event() {
    let site = Site::fixture("calendar");
    let build = site.build().ok();
    let manifest = build.json("evenements/index.json");
    let events = manifest["events"].as_array().expect("events array");
    let slugs: Vec<&str> = events.iter().map(|e| e["slug"].as_str().unwrap()).collect();
    assert_eq!(
        slugs,
        ["atelier-ete", "permanence", "webinaire-hiver", "hackathon"],
        "by start date, draft left out"
    );

    for event in events {
        let slug = event["slug"].as_str().unwrap();
        assert_eq!(event["url"], format!("{BASE}/evenements/{slug}/"));
        assert!(event["title"].as_str().is_some_and(|t| !t.is_empty()));
        for field in ["start", "end", "registration_deadline"] {
            let value = event[field]
                .as_str()
                .unwrap_or_else(|| panic!("{slug}.{field}"));
            DateTime::parse_from_rfc3339(value)
                .unwrap_or_else(|e| panic!("{slug}.{field} = {value}: {e}"));
        }
        assert!(event["registration"].is_boolean(), "{slug}.registration");
        assert!(
            event.get("capacity").is_some(),
            "{slug}.capacity is always present"
        );
    }

    let by_slug = |slug: &str| events.iter().find(|e| e["slug"] == slug).unwrap();
    let winter = by_slug("webinaire-hiver");
    assert_eq!(winter["title"], "Webinaire d'hiver");
    assert_eq!(winter["start"], "2026-12-03T19:00:00+01:00");
    assert_eq!(winter["end"], "2026-12-03T20:30:00+01:00");
    assert_eq!(winter["capacity"], 30);
    assert_eq!(winter["registration"], true);
    assert_eq!(
        winter["registration_deadline"], winter["start"],
        "the deadline defaults to the start"
    );

    let summer = by_slug("atelier-ete");
    assert_eq!(summer["start"], "2026-07-14T19:00:00+02:00");
    assert_eq!(summer["end"], "2026-07-14T21:00:00+02:00");
    assert_eq!(summer["capacity"], 15);

    let hackathon = by_slug("hackathon");
    assert_eq!(hackathon["start"], "2027-03-20T09:00:00+01:00");
    assert_eq!(hackathon["end"], "2027-03-21T18:00:00+01:00");
    assert!(hackathon["capacity"].is_null(), "no capacity: unlimited");
    assert_eq!(
        hackathon["registration_deadline"],
        "2027-03-13T23:59:00+01:00"
    );

    assert_eq!(by_slug("permanence")["registration"], false);
}

#[test]
fn the_events_page_offers_a_webcal_subscription_and_the_file() {
    let site = Site::fixture("calendar");
    let build = site.build().ok();
    let page = build.html("evenements/index.html");
    let links = common::attrs(&page, "main a", "href");
    assert!(
        links.contains(&"webcal://club.example.org/evenements/calendrier.ics".to_string()),
        "{links:?}"
    );
    assert!(
        links.contains(&"/evenements/calendrier.ics".to_string()),
        "{links:?}"
    );
    let subscribe: Vec<String> = common::select(&page, "main a[href^='webcal:']")
        .iter()
        .map(common::text)
        .collect();
    assert_eq!(subscribe, ["S'abonner au calendrier"]);
}

/// `cancelled: true` (`fixtures/event-cancelled`, beside an event that is held): the page says
/// « Annulé » and takes no registration, the calendars carry `STATUS:CANCELLED`, JSON-LD says
/// `EventCancelled`, the events list labels it, and the manifest tells the function.
#[test]
fn a_cancelled_event_says_so_everywhere() {
    let site = Site::fixture("event-cancelled");
    let build = site.build().ok();

    let page = build.read("evenements/webinaire-annule/index.html");
    let html = scraper::Html::parse_document(&page);
    let heading = common::text(&common::select(&html, "h1")[0]);
    assert!(heading.starts_with("Annulé"), "{heading}");
    assert!(page.contains("Cet événement est annulé."), "{page}");
    assert!(
        common::select(&html, "form").is_empty(),
        "no registration form"
    );
    assert!(!page.contains("registration.js"));
    let held = build.html("evenements/webinaire-maintenu/index.html");
    assert_eq!(common::select(&held, "form.registration-form").len(), 1);
    assert!(!common::text(&common::select(&held, "h1")[0]).contains("Annulé"));

    let status = |html: &scraper::Html| {
        let scripts = common::select(html, "script[type=\"application/ld+json\"]");
        let raw: String = scripts[0].text().collect();
        let ld: serde_json::Value = serde_json::from_str(&raw).unwrap();
        let graph = ld["@graph"].as_array().unwrap().clone();
        let event = graph
            .iter()
            .find(|v| v["@type"] == "Event")
            .unwrap()
            .clone();
        event["eventStatus"].as_str().unwrap().to_owned()
    };
    assert_eq!(status(&html), "https://schema.org/EventCancelled");
    assert_eq!(status(&held), "https://schema.org/EventScheduled");

    for file in [
        "evenements/webinaire-annule.ics",
        "evenements/calendrier.ics",
    ] {
        let calendar = build.ics(file);
        for event in &calendar.events {
            let uid = ics_prop(&event.properties, "UID").unwrap();
            let status = ics_prop(&event.properties, "STATUS");
            if uid.starts_with("webinaire-annule@") {
                assert_eq!(status.as_deref(), Some("CANCELLED"), "{file}");
            } else {
                assert_eq!(status, None, "{file}: {uid}");
            }
        }
    }

    let manifest = build.json("evenements/index.json");
    let by_slug = |slug: &str| {
        manifest["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["slug"] == slug)
            .unwrap()
            .clone()
    };
    assert_eq!(by_slug("webinaire-annule")["cancelled"], true);
    assert!(
        by_slug("webinaire-maintenu")
            .get("cancelled")
            .is_none_or(|c| c == false)
    );

    let list = build.read("evenements/index.html");
    assert!(list.contains("Annulé"), "the events list labels it");
}
