//! The few self-contained HTML pages the function serves itself: the cancellation page reached
//! from the link given at registration, and its outcomes. No external resource, everything
//! escaped.

use crate::manifest::ManifestEvent;
use crate::store::{Status, TokenInfo};

/// Escapes text for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1d1d1f}\
h1{font-size:1.5rem}button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:.4rem;background:#b3261e;color:#fff;cursor:pointer}\
button:focus-visible{outline:3px solid #1d1d1f;outline-offset:2px}.note{color:#555;font-size:.95rem}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n\
         <body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        escape(title)
    )
}

fn back_link(event: Option<&ManifestEvent>) -> String {
    match event {
        Some(event) => format!(
            "<p><a href=\"{}\">Retour à la page de l’événement</a></p>\n",
            escape(&event.url)
        ),
        None => String::new(),
    }
}

/// The page behind `cancel_url`: what the registration is, and a button that cancels it.
pub fn cancel_page(event: Option<&ManifestEvent>, info: &TokenInfo, action: &str) -> String {
    let title = match event {
        Some(event) => format!("Annuler votre inscription à «\u{a0}{}\u{a0}»", event.title),
        None => "Annuler votre inscription".to_owned(),
    };
    let mut body = format!("<h1>{}</h1>\n", escape(&title));
    if let Some(event) = event {
        body.push_str(&format!("<p>{}</p>\n", escape(&event.when)));
    }
    let standing = match (info.status, info.position) {
        (Status::Registered, _) => "Vous êtes inscrit·e à cet événement.".to_owned(),
        (Status::Waitlisted, Some(position)) => {
            format!("Vous êtes sur la liste d’attente, en position {position}.")
        }
        (Status::Waitlisted, None) => "Vous êtes sur la liste d’attente.".to_owned(),
    };
    body.push_str(&format!("<p>{}</p>\n", escape(&standing)));
    let seat = match info.status {
        Status::Registered => {
            " Votre place est libérée pour la première personne de la liste d’attente, s’il y en a une."
        }
        Status::Waitlisted => "",
    };
    body.push_str(&format!(
        "<form method=\"post\" action=\"{}\">\n<button type=\"submit\">Annuler mon inscription</button>\n</form>\n\
         <p class=\"note\">L’annulation supprime votre nom, votre adresse e-mail et votre pseudo Discord.{seat}</p>\n",
        escape(action)
    ));
    body.push_str(&back_link(event));
    page(&title, &body)
}

/// Shown for an unknown or already cancelled token.
pub fn not_found_page() -> String {
    page(
        "Inscription introuvable",
        "<h1>Inscription introuvable</h1>\n<p>Ce lien d’annulation n’est pas valide, \
         ou l’inscription a déjà été annulée.</p>\n",
    )
}

/// Shown after a cancellation from a form when the event page is not known any more.
pub fn cancelled_page(event: Option<&ManifestEvent>) -> String {
    let body = format!(
        "<h1>Inscription annulée</h1>\n<p>Votre inscription est annulée et vos données sont supprimées.</p>\n{}",
        back_link(event)
    );
    page("Inscription annulée", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
