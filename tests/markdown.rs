//! Markdown bodies (`fixtures/markdown`): heading ids, links between content files, the
//! CommonMark extensions, and code highlighting with classes only.

mod common;

use std::collections::BTreeSet;

use common::{Site, attrs, broken_links, select, texts};

#[test]
fn headings_get_stable_unique_ids() {
    let site = Site::fixture("markdown");
    let build = site.build().ok();
    let page = build.html("articles/tests-partie-1/index.html");
    let ids = attrs(&page, ".prose h2, .prose h3", "id");
    assert_eq!(ids.len(), 7, "{ids:?}");
    assert_eq!(ids[0], "premier-test");
    assert_eq!(ids[1], "premier-test-1", "a repeated heading gets a suffix");
    assert_eq!(ids[2], "etape-1", "accents are dropped");
    assert_eq!(ids[3], "etape");
    assert!(ids[4].starts_with("etape-"), "{ids:?}");
    assert_eq!(
        ids[5], "titre-avec-code-et-emphase",
        "inline code and emphasis are part of the text"
    );
    assert_eq!(ids[6], "mon-ancre", "an explicit id is kept");

    // No two elements of the page share an id (`## Étape 1` then twice `## Étape`).
    let all = attrs(&page, "[id]", "id");
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(all.len(), unique.len(), "duplicate ids: {all:?}");

    // Same input, same ids.
    let again = site
        .build_with(&site.root().join("again"), &["--now", common::NOW])
        .ok();
    assert_eq!(
        attrs(
            &again.html("articles/tests-partie-1/index.html"),
            ".prose h2, .prose h3",
            "id"
        ),
        ids
    );
}

#[test]
fn links_between_content_files_become_page_urls() {
    let site = Site::fixture("markdown");
    let build = site.build().ok();
    let page = build.html("articles/tests-partie-2/index.html");
    assert_eq!(
        attrs(&page, ".prose a:not(.heading-anchor)", "href"),
        [
            "/articles/tests-partie-1/#premier-test",
            "/articles/tests-partie-1/",
            "/glossaire/#fixture",
            "https://docs.pytest.org/",
            "#conclusion",
        ]
    );
    let glossary = build.html("glossaire/index.html");
    assert_eq!(
        attrs(&glossary, ".prose a:not(.heading-anchor)", "href"),
        ["/articles/tests-partie-2/#conclusion"]
    );
    // The anchors exist on the target pages.
    let broken = broken_links(&build.out);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn tables_footnotes_strikethrough_and_task_lists_are_rendered() {
    let site = Site::fixture("markdown");
    let build = site.build().ok();
    let page = build.html("articles/syntaxe/index.html");

    assert_eq!(texts(&page, ".prose table thead th"), ["Outil", "Rôle"]);
    assert_eq!(
        texts(&page, ".prose table tbody tr td:first-child"),
        ["pytest", "ruff"]
    );

    let references = select(&page, ".prose sup a[href^='#']");
    assert_eq!(references.len(), 1, "one footnote reference");
    let target = references[0].attr("href").unwrap().trim_start_matches('#');
    let definition = select(&page, &format!("[id='{target}']"));
    assert_eq!(
        definition.len(),
        1,
        "the footnote reference points to its definition"
    );
    assert!(common::text(&definition[0]).contains("La documentation officielle."));

    assert_eq!(texts(&page, ".prose del"), ["faux"]);

    let boxes = select(&page, ".prose li input[type=checkbox]");
    assert_eq!(boxes.len(), 2);
    assert!(boxes[0].attr("checked").is_some() && boxes[1].attr("checked").is_none());
    assert!(boxes.iter().all(|b| b.attr("disabled").is_some()));
}

#[test]
fn code_blocks_are_highlighted_with_classes_only() {
    let site = Site::fixture("markdown");
    let build = site.build().ok();
    assert!(
        !build.stderr.contains("avertissement"),
        "every language is known:\n{}",
        build.stderr
    );
    let page = build.html("articles/code/index.html");
    let blocks = select(&page, ".prose pre");
    assert_eq!(blocks.len(), 9);
    for lang in [
        "python",
        "bash",
        "yaml",
        "toml",
        "json",
        "sql",
        "html",
        "javascript",
        "rust",
    ] {
        let block = select(&page, &format!(".prose pre[data-lang={lang}] code"));
        assert_eq!(block.len(), 1, "{lang}: one block");
        let spans = block[0]
            .select(&common::selector("span[class]"))
            .filter(|s| s.value().classes().any(|c| c.starts_with("hl-")))
            .count();
        assert!(spans > 0, "{lang}: no `hl-` class in {}", block[0].html());
    }
    // The code itself is intact (escaped, not interpreted).
    let html_block = select(&page, ".prose pre[data-lang=html] code");
    assert_eq!(
        common::text(&html_block[0]),
        "<p class=\"note\">Bonjour <em>tout le monde</em></p>"
    );
    assert!(select(&page, ".prose pre em").is_empty());

    // The stylesheet carries the colours.
    assert!(build.read("style.css").contains(".hl-"));
}

#[test]
fn no_inline_style_anywhere_in_the_html() {
    let site = Site::fixture("markdown");
    let build = site.build().ok();
    let mut pages = 0;
    for (path, bytes) in common::tree(&build.out) {
        if path.ends_with(".html") {
            pages += 1;
            let text = String::from_utf8(bytes).unwrap();
            let html = scraper::Html::parse_document(&text);
            assert!(
                select(&html, "[style]").is_empty(),
                "{path} has a style attribute"
            );
            assert!(!text.contains("style="), "{path} contains `style=`");
        }
    }
    assert!(pages > 10);
}

#[test]
fn unknown_code_language_is_a_located_warning_not_an_error() {
    let site = Site::fixture("markdown");
    site.write(
        "content/articles/faute-de-frappe.md",
        "---\ntitle: \"Faute de frappe\"\ndate: 2026-10-21\nauthors: [lea]\n---\nDu code :\n\n```pyton\nprint(1)\n```\n",
    );
    let build = site.build().ok();
    build.assert_problem("content/articles/faute-de-frappe.md:8:1", "pyton");
    assert!(build.stderr.contains("avertissement"));
    let page = build.html("articles/faute-de-frappe/index.html");
    assert_eq!(texts(&page, ".prose pre code"), ["print(1)"]);
}
