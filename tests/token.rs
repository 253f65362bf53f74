//! `classmates token SLUG`, the real binary on the `browser-site` fixture: the organiser token
//! is the function's own derivation of the admin token it says it used (`ADMIN_TOKEN`, else
//! `.classmates/admin-token`), and it fails clearly without an admin token or for a slug that is
//! not an event of the site.

mod common;

use std::process::{Command, Output};

use common::Site;

const SLUG: &str = "atelier-deux-places";

fn token(site: &Site, slug: &str, admin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_classmates"));
    command
        .arg("--root")
        .arg(site.root())
        .args(["token", slug])
        .env_remove("RUST_LOG")
        .env_remove("ADMIN_TOKEN");
    if let Some(admin) = admin {
        command.env("ADMIN_TOKEN", admin);
    }
    command.output().expect("run the classmates binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn prints_the_token_derived_from_the_admin_token_it_names() {
    let site = Site::fixture("browser-site");
    // From the environment, as in production.
    let admin = "production-admin-token-0123";
    let out = token(&site, SLUG, Some(admin));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("{}\n", classmates_api::token::organiser_token(admin, SLUG)),
        "stdout holds the token alone"
    );
    assert!(text(&out.stderr).contains("la variable d'environnement ADMIN_TOKEN"));
    assert!(
        !text(&out.stderr).contains(admin),
        "the admin token is never printed"
    );

    // Without ADMIN_TOKEN: the one `serve` keeps in .classmates/admin-token.
    let local = "0123456789abcdef0123456789abcdef";
    site.write(".classmates/admin-token", &format!("{local}\n"));
    let out = token(&site, SLUG, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        classmates_api::token::organiser_token(local, SLUG)
    );
    assert!(
        text(&out.stderr).contains(".classmates/admin-token"),
        "{}",
        text(&out.stderr)
    );
    // ADMIN_TOKEN wins over the file, as under `serve`.
    let out = token(&site, SLUG, Some(admin));
    assert_eq!(
        text(&out.stdout).trim(),
        classmates_api::token::organiser_token(admin, SLUG)
    );
    // Another event, another token.
    let out = token(&site, "webinaire-passe", None);
    assert!(out.status.success());
    assert_ne!(
        text(&out.stdout).trim(),
        classmates_api::token::organiser_token(local, SLUG)
    );
}

#[test]
fn fails_clearly_without_an_admin_token_or_for_an_unknown_event() {
    let site = Site::fixture("browser-site");
    let out = token(&site, SLUG, None);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("aucun jeton d'administration"), "{stderr}");
    assert!(
        stderr.contains("ADMIN_TOKEN") && stderr.contains("classmates serve"),
        "{stderr}"
    );
    assert!(
        !site.root().join(".classmates/admin-token").exists(),
        "it never makes an admin token"
    );

    let out = token(&site, SLUG, Some("short"));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("trop courte"),
        "{}",
        text(&out.stderr)
    );

    let out = token(
        &site,
        "atelier-inconnu",
        Some("production-admin-token-0123"),
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("« atelier-inconnu » n'est pas un événement du site")
            && stderr.contains("atelier-deux-places, webinaire-passe"),
        "{stderr}"
    );
}
