//! What each message says, in French: plain text and the same in HTML, with the event's title,
//! its date and time in the site's time zone (the manifest's `when`), its page and the person's
//! own cancellation link; the seat's messages carry the event's `.ics` (with the revision the
//! store counted as `SEQUENCE`, `STATUS:CANCELLED` once cancelled).

use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};

use super::Mailer;
use crate::html::escape;
use crate::ical::{self, CalendarEvent};
use crate::manifest::ManifestEvent;
use crate::store::{MessageKind, OutboxMessage, Status, TokenInfo};

/// Name of the calendar attachment.
pub const ICS_NAME: &str = "evenement.ics";
/// Before the private join link.
const JOIN_LINK_INTRO: &str =
    "Pour rejoindre l’événement, suivez ce lien (il vous est personnel : ne le partagez pas) :";

/// A message's words, before it is put in MIME.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub subject: String,
    /// Paragraphs; a paragraph that is a URL becomes a link in HTML.
    pub paragraphs: Vec<String>,
    /// Whether the event's `.ics` is attached.
    pub calendar: bool,
}

/// The cancellation link of `message`, absolute: a root-relative base (`/api` under `serve`) is
/// taken on the event page's origin.
pub fn cancel_link(message: &OutboxMessage, event: &ManifestEvent) -> String {
    let base = message.link_base.trim_end_matches('/');
    let base = if base.starts_with('/') {
        format!("{}{base}", origin(&event.url))
    } else {
        base.to_owned()
    };
    format!("{base}/registrations/{}", message.token)
}

/// `https://host[:port]` of an absolute URL.
fn origin(url: &str) -> &str {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = scheme.len() + 3 + rest.find('/').unwrap_or(rest.len());
            &url[..end]
        }
        None => "",
    }
}

/// The words of `message` about `event`, for someone who stands as `standing` now.
pub fn text(message: &OutboxMessage, standing: &TokenInfo, event: &ManifestEvent) -> Text {
    let title = &event.title;
    let cancel = cancel_link(message, event);
    let mut paragraphs = vec![format!("Bonjour {},", message.name)];
    let seat = standing.status == Status::Registered;
    let mut calendar_note = format!(
        "Le fichier joint ({ICS_NAME}) ajoute l’événement à votre agenda ; il se met à jour si l’horaire change."
    );
    let (subject, calendar) = match (message.kind, standing.status) {
        (MessageKind::Confirmation, Status::Registered) => {
            paragraphs.push(format!(
                "Votre inscription à « {title} » est confirmée : votre place est réservée."
            ));
            (format!("Inscription confirmée : {title}"), true)
        }
        (MessageKind::Confirmation, Status::Waitlisted) => {
            let position = standing.position.unwrap_or(1);
            paragraphs.push(format!(
                "« {title} » est complet : vous êtes inscrit·e sur la liste d’attente, en position {position}."
            ));
            paragraphs.push(
                "Dès qu’une place se libère, elle revient à la première personne de la liste : \
                 si c’est vous, elle vous est attribuée automatiquement et vous recevez aussitôt \
                 un e-mail avec l’invitation pour votre agenda. Vous n’avez rien à faire."
                    .to_owned(),
            );
            (
                format!("Liste d’attente (position {position}) : {title}"),
                false,
            )
        }
        (MessageKind::Promotion, _) => {
            paragraphs.push(format!(
                "Bonne nouvelle : une place s’est libérée pour « {title} » et elle est à vous. \
                 Vous êtes désormais inscrit·e."
            ));
            (format!("Une place s’est libérée : {title}"), true)
        }
        (MessageKind::Reminder, _) => {
            paragraphs.push(format!(
                "Petit rappel : « {title} » commence dans moins de 24 heures, et votre place est réservée."
            ));
            if let Some(url) = &message.detail {
                paragraphs.push(JOIN_LINK_INTRO.to_owned());
                paragraphs.push(url.clone());
            }
            (format!("Rappel : {title} commence bientôt"), true)
        }
        (MessageKind::JoinLink, _) => {
            paragraphs.push(format!(
                "Voici le lien pour rejoindre « {title} » ; il remplace tout lien reçu auparavant."
            ));
            paragraphs.push(JOIN_LINK_INTRO.to_owned());
            paragraphs.push(message.detail.clone().unwrap_or_default());
            (format!("Lien pour rejoindre : {title}"), false)
        }
        (MessageKind::Notice, _) if event.cancelled => {
            paragraphs.push(format!(
                "« {title} » est annulé : l’événement n’aura pas lieu. Nous sommes désolés pour ce changement."
            ));
            calendar_note = format!(
                "Le fichier joint ({ICS_NAME}) marque l’événement comme annulé dans votre agenda."
            );
            (format!("Annulé : {title}"), seat)
        }
        (MessageKind::Notice, _) => {
            paragraphs.push(format!(
                "L’horaire de « {title} » a changé. Voici le nouvel horaire."
            ));
            paragraphs.push(match standing.position {
                Some(position) => {
                    format!("Vous restez sur la liste d’attente, en position {position}.")
                }
                None => "Votre place reste réservée.".to_owned(),
            });
            calendar_note =
                format!("Le fichier joint ({ICS_NAME}) met à jour l’événement dans votre agenda.");
            (format!("Changement d’horaire : {title}"), seat)
        }
    };
    paragraphs.push(format!("Quand : {}", event.when));
    if let Some(location) = event.location.as_ref().filter(|l| !l.trim().is_empty()) {
        paragraphs.push(format!("Où : {location}"));
    }
    paragraphs.push("Page de l’événement :".to_owned());
    paragraphs.push(event.url.clone());
    if calendar {
        paragraphs.push(calendar_note);
    }
    paragraphs.push(if event.cancelled {
        "Vous pouvez dès maintenant supprimer votre inscription et les données qui vont avec :"
            .to_owned()
    } else {
        "Vous ne pourrez pas venir ? Annulez votre inscription pour laisser la place à quelqu’un d’autre :"
            .to_owned()
    });
    paragraphs.push(cancel);
    paragraphs.push("À bientôt,\nL’équipe PythonClassmates".to_owned());
    Text {
        subject,
        paragraphs,
        calendar,
    }
}

fn is_link(paragraph: &str) -> bool {
    (paragraph.starts_with("https://") || paragraph.starts_with("http://"))
        && !paragraph.contains(char::is_whitespace)
}

/// The plain-text body.
pub fn plain(text: &Text) -> String {
    let mut body = text.paragraphs.join("\n\n");
    body.push('\n');
    body
}

/// The HTML alternative: the same paragraphs, escaped, links clickable.
pub fn html(text: &Text) -> String {
    let mut body = String::from(
        "<!doctype html>\n<html lang=\"fr\">\n<head><meta charset=\"utf-8\"></head>\n\
         <body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#1d1d1f\">\n",
    );
    for paragraph in &text.paragraphs {
        let escaped = escape(paragraph);
        if is_link(paragraph) {
            body.push_str(&format!("<p><a href=\"{escaped}\">{escaped}</a></p>\n"));
        } else {
            body.push_str(&format!("<p>{}</p>\n", escaped.replace('\n', "<br>\n")));
        }
    }
    body.push_str("</body>\n</html>\n");
    body
}

/// The event as the site's calendars show it (same UID, description and times), at revision
/// `sequence`.
pub fn calendar_event(event: &ManifestEvent, sequence: u32) -> CalendarEvent {
    CalendarEvent {
        uid: ical::event_uid(&event.slug, &event.url),
        title: event.title.clone(),
        description: ical::description(&event.summary, None, &event.url),
        start: event.start.to_utc(),
        end: event.end.to_utc(),
        location: event.location.clone(),
        url: event.url.clone(),
        sequence,
        cancelled: event.cancelled,
    }
}

/// The `.ics` attached to the seat's messages, at revision `sequence`, stamped `now`.
pub fn ics(event: &ManifestEvent, sequence: u32, now: DateTime<Utc>) -> String {
    ical::calendar(&event.title, now, &[calendar_event(event, sequence)])
}

impl Mailer {
    /// The MIME message of `message`: `multipart/mixed` of the text/HTML alternative and, for a
    /// seat, the `.ics` at revision `sequence`.
    pub fn compose(
        &self,
        message: &OutboxMessage,
        standing: &TokenInfo,
        event: &ManifestEvent,
        sequence: u32,
        now: DateTime<Utc>,
    ) -> Result<Message, String> {
        let to = Mailbox::new(
            Some(message.name.clone()),
            message
                .recipient
                .parse()
                .map_err(|_| "the recipient is not a valid address".to_owned())?,
        );
        let text = text(message, standing, event);
        let alternative = MultiPart::alternative_plain_html(plain(&text), html(&text));
        let body = if text.calendar {
            let calendar = ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
                .map_err(|err| err.to_string())?;
            MultiPart::mixed().multipart(alternative).singlepart(
                Attachment::new(ICS_NAME.to_owned()).body(ics(event, sequence, now), calendar),
            )
        } else {
            alternative
        };
        self.builder(to)
            .subject(text.subject)
            .multipart(body)
            .map_err(|err| err.to_string())
    }
}
