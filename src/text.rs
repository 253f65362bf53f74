//! Small text helpers shared by the whole pipeline: slugs for tags and headings, HTML escaping,
//! plain-text summaries.

/// `Django REST` → `django-rest`, `Écriture` → `ecriture`: lowercase ASCII words joined by hyphens.
pub fn slugify(text: &str) -> String {
    slug::slugify(text)
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
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
