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
    each_escaped_run(text, |run| {
        out.push_str(run);
        Ok(())
    })
    .expect("appending to a String cannot fail");
}

/// Writes `text` into `out`, escaped as [`escape_html`] does: Tera's escape function (its own
/// writes one byte at a time, a twentieth of the build; the bytes are the same).
pub fn write_escaped_html(text: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    each_escaped_run(text, |run| out.write_all(run.as_bytes()))
}

/// Calls `write` with `text` escaped for HTML, a run at a time: the text between characters
/// to escape is passed as it is.
fn each_escaped_run(
    text: &str,
    mut write: impl FnMut(&str) -> std::io::Result<()>,
) -> std::io::Result<()> {
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
        if from < at {
            write(&text[from..at])?;
        }
        write(escaped)?;
        from = at + 1;
    }
    if from < text.len() {
        write(&text[from..])?;
    }
    Ok(())
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
