//! Reads a registration from a JSON or form body and checks each field, with messages in French
//! meant to be shown next to the field.

use std::collections::BTreeMap;

use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

pub const NAME_MAX: usize = 100;
pub const EMAIL_MAX: usize = 254;
pub const DISCORD_MAX: usize = 64;

/// The fields as sent, before any check. `None`: absent; `Some(Err(()))`: not a string.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RawRegistration {
    pub name: Option<Result<String, ()>>,
    pub email: Option<Result<String, ()>>,
    pub discord: Option<Result<String, ()>>,
    pub consent: Option<Result<String, ()>>,
    /// Honeypot: hidden from people, filled by naive bots.
    pub website: Option<Result<String, ()>>,
}

/// The body is not a JSON object.
#[derive(Debug, thiserror::Error)]
#[error("the body is not a JSON object")]
pub struct NotAnObject;

impl RawRegistration {
    /// Reads a JSON object. Strings are taken as they are; `consent` may also be a boolean.
    pub fn from_json(body: &[u8]) -> Result<RawRegistration, NotAnObject> {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return Err(NotAnObject);
        };
        let text = |key: &str| {
            map.get(key)
                .filter(|v| !v.is_null())
                .map(|value| match value {
                    Value::String(s) => Ok(s.clone()),
                    Value::Bool(b) if key == "consent" => Ok(b.to_string()),
                    _ => Err(()),
                })
        };
        Ok(RawRegistration {
            name: text("name"),
            email: text("email"),
            discord: text("discord"),
            consent: text("consent"),
            website: text("website"),
        })
    }

    /// Reads `application/x-www-form-urlencoded`. When a key repeats, the last value wins (a
    /// hidden `consent=false` followed by the checked box gives `true`).
    pub fn from_form(body: &[u8]) -> RawRegistration {
        let mut raw = RawRegistration::default();
        for (key, value) in form_urlencoded::parse(body) {
            let slot = match key.as_ref() {
                "name" => &mut raw.name,
                "email" => &mut raw.email,
                "discord" => &mut raw.discord,
                "consent" => &mut raw.consent,
                "website" => &mut raw.website,
                _ => continue,
            };
            *slot = Some(Ok(value.into_owned()));
        }
        raw
    }

    /// Whether the honeypot field was filled in.
    pub fn is_bot(&self) -> bool {
        match &self.website {
            Some(Ok(value)) => !value.trim().is_empty(),
            Some(Err(())) => true,
            None => false,
        }
    }

    /// Checks every field; on failure, one French message per faulty field.
    pub fn validate(&self) -> Result<Registration, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = match &self.name {
            Some(Ok(name)) => {
                let name = name.trim();
                if name.chars().all(is_invisible) {
                    errors.insert("name", "Indiquez votre nom.");
                } else if name.chars().count() > NAME_MAX {
                    errors.insert("name", "Votre nom ne doit pas dépasser 100 caractères.");
                } else if name.chars().any(is_forbidden_in_text) {
                    errors.insert("name", "Votre nom contient des caractères non autorisés.");
                }
                name.to_owned()
            }
            Some(Err(())) => {
                errors.insert("name", "Le nom doit être du texte.");
                String::new()
            }
            None => {
                errors.insert("name", "Indiquez votre nom.");
                String::new()
            }
        };
        let email = match &self.email {
            Some(Ok(email)) => {
                let email = clean_email(email);
                let email = email.as_str();
                if email.is_empty() {
                    errors.insert("email", "Indiquez votre adresse e-mail.");
                } else if email.chars().count() > EMAIL_MAX {
                    errors.insert(
                        "email",
                        "L'adresse e-mail ne doit pas dépasser 254 caractères.",
                    );
                } else if !is_valid_email(email) || email.chars().any(is_forbidden_in_text) {
                    errors.insert("email", "Cette adresse e-mail ne semble pas valide.");
                }
                email.to_owned()
            }
            Some(Err(())) => {
                errors.insert("email", "L'adresse e-mail doit être du texte.");
                String::new()
            }
            None => {
                errors.insert("email", "Indiquez votre adresse e-mail.");
                String::new()
            }
        };
        let discord = match &self.discord {
            Some(Ok(discord)) => {
                let discord = discord.trim();
                if discord.chars().count() > DISCORD_MAX {
                    errors.insert(
                        "discord",
                        "Le pseudo Discord ne doit pas dépasser 64 caractères.",
                    );
                } else if discord.chars().any(is_forbidden_in_text) {
                    errors.insert(
                        "discord",
                        "Le pseudo Discord contient des caractères non autorisés.",
                    );
                }
                Some(discord.to_owned()).filter(|d| !d.is_empty())
            }
            Some(Err(())) => {
                errors.insert("discord", "Le pseudo Discord doit être du texte.");
                None
            }
            None => None,
        };
        let consent = matches!(&self.consent, Some(Ok(v)) if matches!(v.trim(), "true" | "on"));
        if !consent {
            errors.insert(
                "consent",
                "Vous devez accepter que vos données soient utilisées pour cette inscription.",
            );
        }
        if errors.is_empty() {
            let email_key = email_key(&email);
            Ok(Registration {
                name,
                email,
                email_key,
                discord,
            })
        } else {
            Err(errors)
        }
    }
}

/// Field name → French message.
pub type FieldErrors = BTreeMap<&'static str, &'static str>;

/// A registration whose fields passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Trimmed, 1 to 100 characters.
    pub name: String,
    /// As typed, cleaned: see [`clean_email`].
    pub email: String,
    /// Comparison key of `email`: see [`email_key`].
    pub email_key: String,
    /// Trimmed, `None` when empty.
    pub discord: Option<String>,
}

/// The key under which an address is unique for an event, folding the ways one address can be
/// typed twice: Unicode compatibility forms (NFKC: full-width `ａ`, ligatures), invisible
/// characters (zero-width spaces and joiners, soft hyphens), letter case, and the trailing dot of
/// a fully qualified domain (`a@b.fr.`).
pub fn email_key(email: &str) -> String {
    let folded: String = clean_email(email)
        .chars()
        .flat_map(char::to_lowercase)
        .collect();
    match folded.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.trim_end_matches('.')),
        None => folded,
    }
}

/// An address as the person meant it: in Unicode compatibility form (NFKC: full-width letters
/// and `＠` become ASCII), without the invisible characters a copy and paste brings along (zero-
/// width spaces, soft hyphens, byte order marks) nor surrounding white space. Messages are sent
/// to this form.
pub fn clean_email(email: &str) -> String {
    let cleaned: String = email.nfkc().filter(|&c| !is_default_ignorable(c)).collect();
    cleaned.trim().to_owned()
}

/// Characters that draw nothing: white space, the braille blank and the default-ignorable code
/// points. A name made only of these is empty to the eye.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace() || c == '\u{2800}' || is_default_ignorable(c)
}

/// Unicode's default-ignorable code points (`Default_Ignorable_Code_Point` in
/// DerivedCoreProperties.txt): zero-width spaces and joiners, soft hyphen, variation selectors,
/// bidi controls, Hangul fillers, tags.
fn is_default_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Characters refused in a name, a Discord handle or an address: control characters, and the
/// bidirectional controls (embeddings, overrides and isolates, U+202A–U+202E and U+2066–U+2069,
/// and the marks U+200E, U+200F, U+061C) that can make text displayed to an organiser read
/// differently from what was stored.
pub fn is_forbidden_in_text(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// A reasonable check of an address: one `@`, a plausible local part and a domain name with a
/// dot, no spaces or control characters. Not RFC 5322 (no quoted local parts, no IP literals).
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    if local.is_empty() || local.len() > 64 || local.starts_with('.') || local.ends_with('.') {
        return false;
    }
    if local.contains("..") {
        return false;
    }
    let local_ok = local.chars().all(|c| {
        c.is_alphanumeric()
            || "!#$%&'*+-/=?^_`{|}~.".contains(c)
            || (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
    });
    if !local_ok {
        return false;
    }
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if domain.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let tld = labels[labels.len() - 1];
    labels.iter().all(label_ok)
        && tld.chars().count() >= 2
        && !tld.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in [
            "a@b.co",
            "Jean.Dupont+python@exemple.fr",
            "élodie@café.fr",
            "x_y@sub.domain.org",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "plainaddress",
            "@b.co",
            "a@",
            "a@b",
            "a@b.c",
            "a b@c.fr",
            "a@b..fr",
            ".a@b.fr",
            "a..b@c.fr",
            "a@-b.fr",
            "a@b.123",
            "a@b_c.fr",
            "a\n@b.fr",
            "<a>@b.fr",
        ] {
            assert!(!is_valid_email(bad), "{bad:?}");
        }
    }

    #[test]
    fn email_keys_fold_look_alikes() {
        let key = email_key("ada@example.org");
        for same in [
            "ADA@Example.org",
            " ada@example.org ",
            "ａｄａ@ｅｘａｍｐｌｅ.ｏｒｇ",
            "a\u{200B}da@example.org",
            "ada\u{2060}@exam\u{00AD}ple.org",
            "\u{FEFF}ada@example.org",
            "ada@example.org.",
            "Ada@EXAMPLE.ORG.",
        ] {
            assert_eq!(email_key(same), key, "{same:?}");
        }
        assert_ne!(email_key("ada2@example.org"), key);
        // Folding is for the key: white space inside an address still makes it invalid.
        let spaced = RawRegistration::from_json(
            br#"{"name": "Ada", "email": "a da@example.org", "consent": true}"#,
        )
        .unwrap();
        assert!(spaced.validate().unwrap_err().contains_key("email"));
        assert_ne!(email_key("ada@example.org.fr"), key);
    }

    #[test]
    fn invisible_or_bidi_text_is_refused() {
        let with_name = |name: &str| {
            let body = serde_json::json!({"name": name, "email": "a@b.fr", "consent": true});
            RawRegistration::from_json(body.to_string().as_bytes())
                .unwrap()
                .validate()
        };
        for invisible in [
            "\u{200B}",
            "\u{200B}\u{200D} \u{2060}",
            "\u{3164}",
            "\u{2800}\u{FEFF}",
        ] {
            assert_eq!(
                with_name(invisible).unwrap_err().get("name"),
                Some(&"Indiquez votre nom."),
                "{invisible:?}"
            );
        }
        for bidi in ["Ada\u{202E}gpj.exe", "\u{2066}Ada\u{2069}", "Ada\u{200F}"] {
            assert_eq!(
                with_name(bidi).unwrap_err().get("name"),
                Some(&"Votre nom contient des caractères non autorisés."),
                "{bidi:?}"
            );
        }
        assert_eq!(
            with_name("Zoë Ada-Lovelace").unwrap().name,
            "Zoë Ada-Lovelace"
        );
        // A joiner inside an emoji sequence or a script that needs it is kept.
        assert!(with_name("Ada 👩\u{200D}💻").is_ok());
    }

    #[test]
    fn form_and_json() {
        let raw = RawRegistration::from_form(
            b"name=+Ada+&email=ADA%40Example.org&consent=false&consent=on&website=",
        );
        assert!(!raw.is_bot());
        let reg = raw.validate().unwrap();
        assert_eq!(reg.name, "Ada");
        assert_eq!(reg.email_key, "ada@example.org");
        assert_eq!(reg.discord, None);

        let raw = RawRegistration::from_json(
            br#"{"name": 3, "email": "x", "consent": false, "discord": ""}"#,
        )
        .unwrap();
        let errors = raw.validate().unwrap_err();
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            ["consent", "email", "name"]
        );
        assert!(RawRegistration::from_json(b"[1]").is_err());
        assert!(
            RawRegistration::from_json(br#"{"website": "http://spam"}"#)
                .unwrap()
                .is_bot()
        );
    }
}
