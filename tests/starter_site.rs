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

/// The « Confidentialité » page of the starter content says what is kept, why, how long and how
/// to have it deleted; the footer of every page and the registration form's consent text link
/// to it, and the consent text names the messages and the time data is kept.
#[test]
fn privacy_page_is_linked_from_the_footer_and_the_form() {
    let out = tempfile::tempdir().unwrap();
    let build = run_build(&repo_root(), &out.path().join("public"), &["--now", NOW]).ok();
    let privacy = build.read("confidentialite/index.html");
    for said in [
        "nom ou pseudo",
        "adresse e-mail",
        "pseudo Discord",
        "confirmation",
        "liste d'attente",
        "rappel",
        "lien de connexion",
        "avis de changement",
        "30 jours après la fin de l'événement",
        "lien d'annulation",
        "écrire aux organisateurs",
    ] {
        assert!(
            privacy.contains(said),
            "the privacy page does not say {said:?}"
        );
    }
    let footer = attrs(&build.html("index.html"), ".site-footer a", "href");
    assert!(
        footer.iter().any(|h| h == "/confidentialite/"),
        "{footer:?}"
    );
    let event = build.html("evenements/webinaire-pytest-fixtures/index.html");
    let consent = common::texts(&event, "#reg-consent-help").join(" ");
    for said in [
        "confirmation",
        "rappel",
        "lien de connexion",
        "30 jours après la fin",
    ] {
        assert!(consent.contains(said), "{consent}");
    }
    assert_eq!(
        attrs(&event, "#reg-consent-help a", "href"),
        ["/confidentialite/"]
    );
    let join = common::texts(&event, ".registration-join").join(" ");
    assert!(join.contains("par e-mail"), "{join}");
}
