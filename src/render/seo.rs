//! Sharing and search engines: the Open Graph / Twitter card fields of every page and its
//! JSON-LD (schema.org `Article`, `Event`, `BreadcrumbList`), built as JSON values here and
//! never by string concatenation in templates.

use serde::Serialize;
use serde_json::{Value, json};

use crate::content::Kind;
use crate::dates;
use crate::site::{Detail, Item, Site};

/// What `base.html` puts in the `<head>` for sharing.
#[derive(Debug, Clone, Serialize)]
pub struct Seo {
    /// `og:type`: `article` for dated content, `website` otherwise.
    pub og_type: &'static str,
    /// Absolute URL of the sharing image (1200×630 PNG of the theme).
    pub image: String,
    pub image_alt: String,
    /// RFC 3339 dates of `article:published_time` / `article:modified_time`.
    pub published: Option<String>,
    pub modified: Option<String>,
    /// The JSON-LD of the page, ready to sit inside `<script type="application/ld+json">`.
    pub json_ld: Option<String>,
}

/// Site path of the theme's sharing image for items of `kind` (or the site's).
fn image_path(kind: Option<Kind>) -> &'static str {
    match kind {
        Some(Kind::Article) => "/og/article.png",
        Some(Kind::Event) => "/og/evenement.png",
        Some(Kind::Resource) => "/og/ressource.png",
        Some(Kind::Series) => "/og/serie.png",
        _ => "/og/site.png",
    }
}

impl Seo {
    /// A page that is not an item: a list, the home page, a tag…
    pub fn website(site: &Site) -> Seo {
        Seo {
            og_type: "website",
            image: site.config.absolute(image_path(None)),
            image_alt: site.config.title.clone(),
            published: None,
            modified: None,
            json_ld: None,
        }
    }

    /// The page of `item`.
    pub fn item(site: &Site, item: &Item) -> Seo {
        let config = &site.config;
        let url = config.absolute(&item.url);
        let image = config.absolute(image_path(Some(item.kind)));
        let published = item.date.as_ref().map(dates::rfc3339);
        let modified = match &item.detail {
            Detail::Article {
                updated: Some(u), ..
            } => Some(dates::rfc3339(u)),
            _ => published.clone(),
        };
        let authors: Vec<Value> = item
            .authors
            .iter()
            .filter_map(|a| site.get(Kind::Author, a))
            .map(|a| json!({"@type": "Person", "name": a.title, "url": config.absolute(&a.url)}))
            .collect();
        let organization = json!({
            "@type": "Organization",
            "name": config.title,
            "url": config.absolute("/"),
        });
        let mut graph = Vec::new();
        let main = match &item.detail {
            Detail::Article { .. } => Some(json!({
                "@type": "Article",
                "headline": item.title,
                "description": item.summary,
                "url": url,
                "mainEntityOfPage": url,
                "image": image,
                "inLanguage": config.language,
                "datePublished": published,
                "dateModified": modified,
                "author": authors,
                "publisher": organization,
                "keywords": item.tags,
            })),
            Detail::Event(e) => {
                // Registrations required but no longer taken: no place left to get.
                let registration_closed = e.registration
                    && (e.cancelled || site.is_past(e) || site.now >= e.registration_deadline);
                let join = config.discord_invite.clone().unwrap_or_else(|| url.clone());
                let online = e.location.as_deref().is_none_or(is_online);
                let mut event = json!({
                    "@type": "Event",
                    "name": item.title,
                    "description": item.summary,
                    "url": url,
                    "image": image,
                    "inLanguage": config.language,
                    "startDate": dates::rfc3339(&e.start),
                    "endDate": dates::rfc3339(&e.end),
                    "eventAttendanceMode": if online {
                        "https://schema.org/OnlineEventAttendanceMode"
                    } else {
                        "https://schema.org/OfflineEventAttendanceMode"
                    },
                    "eventStatus": if e.cancelled {
                        "https://schema.org/EventCancelled"
                    } else {
                        "https://schema.org/EventScheduled"
                    },
                    "location": if online {
                        json!({
                            "@type": "VirtualLocation",
                            "name": e.location.clone().unwrap_or_else(|| "En ligne".into()),
                            "url": join,
                        })
                    } else {
                        json!({
                            "@type": "Place",
                            "name": e.location,
                            "address": e.location,
                        })
                    },
                    "organizer": organization,
                    "isAccessibleForFree": true,
                    "offers": {
                        "@type": "Offer",
                        "price": 0,
                        "priceCurrency": "EUR",
                        "url": url,
                        "availability": if registration_closed {
                            "https://schema.org/SoldOut"
                        } else {
                            "https://schema.org/InStock"
                        },
                        "validThrough": dates::rfc3339(&e.registration_deadline),
                    },
                });
                if !authors.is_empty() {
                    event["performer"] = Value::Array(authors.clone());
                }
                if let Some(capacity) = e.capacity {
                    event["maximumAttendeeCapacity"] = json!(capacity);
                }
                if let Some(recording) = &e.recording {
                    event["recordedIn"] = json!({"@type": "CreativeWork", "url": recording});
                }
                Some(event)
            }
            _ => None,
        };
        graph.extend(main);
        graph.push(breadcrumb(site, item));
        let og_type = match item.kind {
            Kind::Article | Kind::Resource | Kind::Series => "article",
            _ => "website",
        };
        Seo {
            og_type,
            image,
            image_alt: format!("{} · {}", item.kind.label(), config.title),
            published: (og_type == "article").then(|| published.clone()).flatten(),
            modified: (og_type == "article").then_some(modified).flatten(),
            json_ld: Some(script_json(&json!({
                "@context": "https://schema.org",
                "@graph": graph,
            }))),
        }
    }
}

/// Whether an event's `location` is online: the community meets on Discord, but a few events
/// happen in a physical place ("Médiathèque, salle 2"), which search engines must not be told
/// is online.
fn is_online(location: &str) -> bool {
    let folded = deunicode::deunicode(location).to_lowercase();
    [
        "discord", "en ligne", "online", "visio", "zoom", "jitsi", "meet", "youtube", "twitch",
        "http",
    ]
    .iter()
    .any(|w| folded.contains(w))
}

/// Accueil › section › item.
fn breadcrumb(site: &Site, item: &Item) -> Value {
    let config = &site.config;
    let mut trail = vec![("Accueil".to_string(), "/".to_string())];
    let section = match item.kind {
        Kind::Article => Some("Articles"),
        Kind::Series => Some("Séries"),
        Kind::Resource => Some("Ressources"),
        Kind::Event => Some("Événements"),
        Kind::Author => Some("Auteurs"),
        Kind::Page => None,
    };
    if let Some(name) = section {
        trail.push((
            name.to_string(),
            crate::urls::section(item.kind).to_string(),
        ));
    }
    trail.push((item.title.clone(), item.url.clone()));
    let elements: Vec<Value> = trail
        .into_iter()
        .enumerate()
        .map(|(i, (name, path))| {
            json!({
                "@type": "ListItem",
                "position": i + 1,
                "name": name,
                "item": config.absolute(&path),
            })
        })
        .collect();
    json!({"@type": "BreadcrumbList", "itemListElement": elements})
}

/// Serialises `value` for a `<script type="application/ld+json">` element: `</` becomes `<\/`
/// and `<!--` becomes `\u003c!--` (both only ever occur inside JSON strings, where these
/// escapes mean the same text), so no content can close the script or open a comment.
pub fn script_json(value: &Value) -> String {
    serde_json::to_string(value)
        .expect("a JSON value always serialises")
        .replace("</", "<\\/")
        .replace("<!--", "\\u003c!--")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn physical_places_are_not_online() {
        assert!(is_online("Discord, salon Webinaires"));
        assert!(is_online("En ligne"));
        assert!(is_online("https://meet.example.org/abc"));
        assert!(!is_online("Médiathèque, salle 2"));
        assert!(!is_online("Bar Le Serpent, Lyon"));
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        let value = json!({"headline": "a</script><script>alert(1)</script><!-- b"});
        let text = script_json(&value);
        assert!(!text.contains("</"));
        assert!(!text.contains("<!--"));
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
