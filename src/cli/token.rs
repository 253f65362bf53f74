//! `classmates token SLUG`: prints the organiser token of an event, derived from the admin token
//! by `classmates_api::token::organiser_token` (the function checks it with the same code), so
//! nothing is stored. The admin token comes from `ADMIN_TOKEN` (as in Lambda, and as `serve`
//! reads it first), else from `.classmates/admin-token` (the one `serve` made).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use clap::Args;

use crate::build::{BuildError, load_site};
use crate::content::Kind;
use crate::site::Publish;

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Identifiant (slug) de l'événement, tel que dans son adresse : /evenements/SLUG/.
    pub slug: String,
}

/// Where the admin token was found, said to the user.
fn admin_token(root: &Path) -> Result<(String, String)> {
    let min = classmates_api::config::MIN_ADMIN_TOKEN_LEN;
    if let Ok(token) = std::env::var("ADMIN_TOKEN")
        && !token.trim().is_empty()
    {
        if token.trim().chars().count() < min {
            bail!(
                "la variable ADMIN_TOKEN est trop courte ({min} caractères au moins, comme pour la fonction)"
            );
        }
        return Ok((
            token.trim().to_owned(),
            "la variable d'environnement ADMIN_TOKEN".to_owned(),
        ));
    }
    let path = super::serve::admin_token_path(root);
    match super::serve::stored_admin_token(&path) {
        Some(token) => Ok((token, path.display().to_string())),
        None => Err(anyhow!(
            "aucun jeton d'administration : définissez la variable ADMIN_TOKEN (celle de la fonction \
             en production), ou lancez d'abord `classmates serve`, qui crée {}",
            path.display()
        )),
    }
}

/// The slugs of the site's events (drafts included: their token works once they are published).
fn event_slugs(root: &Path) -> Result<Vec<String>> {
    let publish = Publish {
        now: crate::dates::now_or(None),
        drafts: true,
    };
    let (site, _, _) = load_site(root, publish, None).map_err(|err| match err {
        BuildError::Invalid(diagnostics) => {
            super::report::report(diagnostics);
            anyhow!("le site contient des erreurs : corrigez-les pour connaître ses événements")
        }
        BuildError::Other(err) => err,
    })?;
    let mut slugs: Vec<String> = site
        .items
        .iter()
        .filter(|item| item.kind == Kind::Event)
        .map(|item| item.slug.clone())
        .collect();
    slugs.sort();
    Ok(slugs)
}

fn token(root: &Path, slug: &str) -> Result<(String, String)> {
    let slugs = event_slugs(root)?;
    if !slugs.iter().any(|s| s == slug) {
        let known = if slugs.is_empty() {
            "le site n'a aucun événement".to_owned()
        } else {
            format!("événements du site : {}", slugs.join(", "))
        };
        bail!("« {slug} » n'est pas un événement du site ({known})");
    }
    let (admin, source) = admin_token(root)?;
    Ok((classmates_api::token::organiser_token(&admin, slug), source))
}

pub fn run(root: &Path, args: TokenArgs) -> ExitCode {
    match token(root, &args.slug) {
        Ok((token, source)) => {
            eprintln!(
                "Jeton d'organisateur de « {} », dérivé du jeton d'administration lu dans {source} :",
                args.slug
            );
            println!("{token}");
            eprintln!(
                "Il ouvre la liste des inscrits et le lien de connexion de cet événement seulement \
                 (page /organisateurs/ du site). Gardez-le secret."
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            super::report::report_error(&err);
            ExitCode::FAILURE
        }
    }
}
