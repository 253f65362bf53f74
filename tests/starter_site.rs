//! The repository's own starter content (`content/`, `site.yaml`) must always build cleanly.

mod common;

use common::{NOW, attrs, broken_links, repo_root, run_build};

#[test]
fn starter_content_builds_without_warnings_or_broken_links() {
    let out = tempfile::tempdir().unwrap();
    let build = run_build(&repo_root(), &out.path().join("public"), &["--now", NOW]).ok();
    assert!(
        !build.stderr.contains("avertissement"),
        "warnings:\n{}",
        build.stderr
    );
    assert!(
        !build.stderr.contains("erreur"),
        "errors:\n{}",
        build.stderr
    );
    assert!(build.stderr.contains("Site construit"), "{}", build.stderr);

    for page in [
        "index.html",
        "articles/index.html",
        "evenements/index.html",
        "ressources/index.html",
        "404.html",
        "sitemap.xml",
        "atom.xml",
        "evenements/calendrier.ics",
        "evenements/index.json",
    ] {
        assert!(build.exists(page), "{page} missing");
    }
    let articles = attrs(&build.html("articles/index.html"), ".card-title a", "href");
    assert!(!articles.is_empty());
    for href in articles {
        assert!(
            build.exists(&format!("{}index.html", href.trim_start_matches('/'))),
            "{href}"
        );
    }
    let broken = broken_links(&build.out);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
