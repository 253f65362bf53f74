//! Same input and same `--now` give the same bytes, whatever the output folder and however
//! many threads render it.

mod common;

use common::{NOW, Site, repo_root, run_build_env, tree};

#[track_caller]
fn assert_same_tree(a: &std::path::Path, b: &std::path::Path) {
    let (a, b) = (tree(a), tree(b));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "different files"
    );
    for (path, bytes) in &a {
        assert!(bytes == &b[path], "{path} differs between the two builds");
    }
    assert!(a.len() > 20);
}

#[test]
fn two_builds_of_the_same_site_are_byte_identical() {
    let site = Site::fixture("realistic");
    let one = run_build_env(
        site.root(),
        &site.root().join("one"),
        &["--now", NOW],
        &[("RAYON_NUM_THREADS", "1")],
    )
    .ok();
    let two = run_build_env(
        site.root(),
        &site.root().join("two"),
        &["--now", NOW],
        &[("RAYON_NUM_THREADS", "4")],
    )
    .ok();
    assert_same_tree(&one.out, &two.out);
}

#[test]
fn two_builds_of_the_starter_content_are_byte_identical() {
    let out = tempfile::tempdir().unwrap();
    let one = run_build_env(
        &repo_root(),
        &out.path().join("one"),
        &["--now", NOW],
        &[("RAYON_NUM_THREADS", "1")],
    )
    .ok();
    let two = run_build_env(&repo_root(), &out.path().join("two"), &["--now", NOW], &[]).ok();
    assert_same_tree(&one.out, &two.out);
}

#[test]
fn another_now_changes_the_output() {
    // The comparison above can fail: `--now` really changes what is built.
    let site = Site::fixture("realistic");
    let before = run_build_env(
        site.root(),
        &site.root().join("before"),
        &["--now", NOW],
        &[],
    )
    .ok();
    let after = run_build_env(
        site.root(),
        &site.root().join("after"),
        &["--now", "2026-12-20T12:00:00+01:00"],
        &[],
    )
    .ok();
    assert_ne!(tree(&before.out), tree(&after.out));
    assert!(
        before
            .read("evenements/index.html")
            .contains("webinaire-pytest")
    );
    let past = common::texts(
        &after.html("evenements/index.html"),
        "section[aria-labelledby=passes] .card-title a",
    );
    assert_eq!(
        past[0], "Webinaire : pytest en pratique",
        "the webinar is over by then"
    );
}
