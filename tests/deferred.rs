//! `serve` leaves for later the pages deep in long lists (`Session::defer_deep_pages`): a new
//! article shifts every page of the articles list by one card, so the rebuild writes the other
//! files first and returns, those pages are written next, a page asked for first, and once
//! all are written the output folder is what a full build gives. Checked on the `pagination`
//! fixture (11 articles: two pages of `/articles/`, the second with the oldest one).

mod common;

use classmates::build::{BuildOptions, build_site};
use classmates::incremental::Session;
use common::{NOW, Site, tree};

const PAGE_2: &str = "articles/page/2/index.html";

fn options(site: &Site) -> BuildOptions {
    BuildOptions {
        root: site.root().to_path_buf(),
        output: site.root().join(".classmates/site"),
        drafts: false,
        now: chrono::DateTime::parse_from_rfc3339(NOW)
            .unwrap()
            .with_timezone(&chrono::Utc),
        base_url: Some("http://127.0.0.1:1111".into()),
        registration_api: None,
    }
}

fn article(title: &str, date: &str) -> String {
    format!("---\ntitle: \"{title}\"\ndate: {date}\nauthors: [lea]\n---\nLe contenu.\n")
}

#[track_caller]
fn assert_same_as_full_build(site: &Site, options: &BuildOptions, what: &str) {
    let fresh = site.root().join("full");
    build_site(&BuildOptions {
        output: fresh.clone(),
        ..options.clone()
    })
    .unwrap_or_else(|e| panic!("{what}: the full build fails: {e:?}"));
    let (incremental, full) = (tree(&options.output), tree(&fresh));
    assert_eq!(
        incremental.keys().collect::<Vec<_>>(),
        full.keys().collect::<Vec<_>>(),
        "{what}: the same files"
    );
    for (path, bytes) in &full {
        assert!(incremental[path] == *bytes, "{what}: {path} differs");
    }
    std::fs::remove_dir_all(&fresh).unwrap();
}

#[test]
fn pages_deep_in_lists_are_written_after_the_others_those_asked_for_first() {
    let site = Site::fixture("pagination");
    let options = options(&site);
    let mut session = Session::new(options.clone());
    session.defer_deep_pages(true);
    let first = session.rebuild().expect("the fixture builds");
    assert_eq!(first.deferred, 0, "a first build writes everything");
    let read = |rel: &str| std::fs::read_to_string(options.output.join(rel)).unwrap();
    let page_2 = read(PAGE_2);
    assert!(page_2.contains("Article numéro 01"), "{page_2}");
    assert!(!page_2.contains("Article numéro 02"), "{page_2}");

    // The newest article: every card of the list moves one place down.
    let new = "content/articles/nouveau.md";
    site.write(new, &article("Un article tout neuf", "2026-06-01"));
    session.changed(&site.root().join(new));
    let report = session.rebuild().expect("the edit builds");
    assert!(
        report.deferred >= 2,
        "page 2 and the search index: {report:?}"
    );
    let deferred = session.deferred_paths();
    assert!(deferred.iter().any(|p| p == PAGE_2), "{deferred:?}");
    assert!(deferred.iter().all(|p| !p.ends_with("articles/index.html")));
    // What is in view first is written: the new page, the first page of the list.
    assert!(read("articles/index.html").contains("Un article tout neuf"));
    assert!(read("articles/nouveau/index.html").contains("Un article tout neuf"));
    // Page 2 waits, as it was.
    assert_eq!(read(PAGE_2), page_2);

    // Asked for, it is written first.
    let done = session
        .render_deferred(&[PAGE_2.to_string()], 1)
        .expect("written");
    assert_eq!(done, [PAGE_2]);
    let now = read(PAGE_2);
    assert!(
        now.contains("Article numéro 02") && now.contains("Article numéro 01"),
        "the card that was last on page 1 is now on page 2: {now}"
    );
    assert!(!session.deferred_paths().contains(&PAGE_2.to_string()));
    while !session.render_deferred(&[], 1).expect("written").is_empty() {}
    assert!(session.deferred_paths().is_empty());
    assert_same_as_full_build(&site, &options, "all deferred files written");

    // A rebuild before the rest is written: what was left is found stale again.
    site.write(new, &article("Un article renommé", "2026-06-02"));
    session.changed(&site.root().join(new));
    session.rebuild().expect("the edit builds");
    std::fs::remove_file(site.root().join(new)).unwrap();
    session.changed(&site.root().join(new));
    let report = session.rebuild().expect("the deletion builds");
    assert!(report.deferred >= 1, "{report:?}");
    while !session
        .render_deferred(&[], 64)
        .expect("written")
        .is_empty()
    {}
    assert_same_as_full_build(&site, &options, "deferred twice, then written");
    let page_2 = read(PAGE_2);
    assert!(!page_2.contains("Article numéro 02"), "{page_2}");
}

#[test]
fn a_build_that_does_not_defer_leaves_nothing_for_later() {
    let site = Site::fixture("pagination");
    let options = options(&site);
    let mut session = Session::new(options.clone());
    session.rebuild().expect("the fixture builds");
    let new = "content/articles/nouveau.md";
    site.write(new, &article("Un article tout neuf", "2026-06-01"));
    session.changed(&site.root().join(new));
    let report = session.rebuild().expect("the edit builds");
    assert_eq!(report.deferred, 0);
    assert!(session.deferred_paths().is_empty());
    assert!(session.render_deferred(&[], 64).unwrap().is_empty());
    assert_same_as_full_build(&site, &options, "no deferral");
}
