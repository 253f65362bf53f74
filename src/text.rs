//! Small text helpers shared by the whole pipeline: slugs for tags and headings, HTML escaping,
//! plain-text summaries.

/// `Django REST` → `django-rest`, `Écriture` → `ecriture`: lowercase ASCII words joined by hyphens.
pub fn slugify(text: &str) -> String {
    slug::slugify(text)
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped_html(&mut out, text);
    out
}

/// Appends `text` to `out`, escaped as [`escape_html`] does.
pub fn push_escaped_html(out: &mut String, text: &str) {
    // The text between characters to escape is copied as it is, a run at a time.
    let mut from = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escaped = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[from..at]);
        out.push_str(escaped);
        from = at + 1;
    }
    out.push_str(&text[from..]);
}

/// Cuts `text` to at most `max` characters on a word boundary, adding an ellipsis.
pub fn truncate_words(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(i) => &cut[..i],
        None => &cut,
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_around_any_text() {
        assert_eq!(
            escape_html("Écrire <b>« l'été »</b> & \"ça\""),
            "Écrire &lt;b&gt;« l&#39;été »&lt;/b&gt; &amp; &quot;ça&quot;"
        );
        assert_eq!(escape_html("&"), "&amp;");
        assert_eq!(escape_html("déjà"), "déjà");
        assert_eq!(escape_html(""), "");
    }

    #[test]
    fn tags_merge_case_and_accents() {
        assert_eq!(slugify("Django REST"), "django-rest");
        assert_eq!(slugify("Écriture"), "ecriture");
        assert_eq!(slugify("écriture"), slugify("ECRITURE"));
    }

    #[test]
    fn truncation_keeps_words_whole() {
        assert_eq!(truncate_words("un deux trois", 9), "un deux…");
        assert_eq!(truncate_words("court", 10), "court");
    }
}
