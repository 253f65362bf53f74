//! Code highlighting with syntect, using CSS classes (not inline styles) so that one stylesheet
//! serves the light and the dark theme. The syntax set (bat's grammars, via two-face, which adds
//! TOML and keeps Python's grammar current) is loaded once per process.

use std::sync::OnceLock;

use syntect::highlighting::ThemeSet;
use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

use crate::text::escape_html;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// Languages shown as plain text on purpose (no warning).
const PLAIN: &[&str] = &["", "text", "txt", "plain", "plaintext", "output", "console-output"];

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(two_face::syntax::extra_newlines)
}

/// Aliases contributors commonly write that the grammars do not know by that name.
fn token_for(lang: &str) -> &str {
    match lang {
        "py" | "python3" | "py3" | "pycon" => "python",
        "shell" | "sh" | "console" | "zsh" | "shell-session" => "bash",
        "yml" => "yaml",
        "js" => "javascript",
        "rs" => "rust",
        "jinja" | "jinja2" | "django" | "htmldjango" => "html",
        other => other,
    }
}

/// Highlights `code` written in `lang` into a `<pre><code>` block. Returns `None` for the HTML
/// when the language is unknown (the caller warns and shows it as plain text).
pub fn highlight(code: &str, lang: &str) -> (String, bool) {
    let lang = lang.split([',', ' ']).next().unwrap_or("").trim().to_lowercase();
    let set = syntaxes();
    let syntax = if PLAIN.contains(&lang.as_str()) { None } else { set.find_syntax_by_token(token_for(&lang)) };
    let Some(syntax) = syntax else {
        let known = PLAIN.contains(&lang.as_str());
        return (plain_block(code, &lang), known);
    };
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, set, CLASS_STYLE);
    for line in LinesWithEndings::from(code) {
        if generator.parse_html_for_line_which_includes_newline(line).is_err() {
            return (plain_block(code, &lang), true);
        }
    }
    let html = generator.finalize();
    (format!("<pre class=\"code\" data-lang=\"{0}\"><code class=\"language-{0}\">{html}</code></pre>\n", escape_html(&lang)), true)
}

fn plain_block(code: &str, lang: &str) -> String {
    if lang.is_empty() {
        format!("<pre class=\"code\"><code>{}</code></pre>\n", escape_html(code))
    } else {
        format!(
            "<pre class=\"code\" data-lang=\"{0}\"><code class=\"language-{0}\">{1}</code></pre>\n",
            escape_html(lang),
            escape_html(code)
        )
    }
}

/// The highlighting rules: the light theme, and the dark one under `prefers-color-scheme: dark`.
pub fn stylesheet() -> String {
    let themes = ThemeSet::load_defaults();
    let light = css_for_theme_with_class_style(&themes.themes["InspiredGitHub"], CLASS_STYLE).unwrap_or_default();
    let dark = css_for_theme_with_class_style(&themes.themes["base16-ocean.dark"], CLASS_STYLE).unwrap_or_default();
    format!(
        "/* Coloration syntaxique (générée depuis les thèmes syntect InspiredGitHub et base16-ocean.dark) */\n{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_languages_are_highlighted() {
        for lang in ["python", "bash", "shell", "yaml", "toml", "json", "sql", "html", "javascript", "rust"] {
            let (html, known) = highlight("x = 1\n", lang);
            assert!(known, "{lang} unknown");
            assert!(html.contains("hl-"), "{lang} not highlighted: {html}");
            assert!(!html.contains("style="), "{lang} has inline styles");
        }
    }

    #[test]
    fn modern_python_is_tokenised() {
        let code = "def first[T](xs: list[T]) -> T:\n    match xs:\n        case [x, *_]:\n            return f\"{x!r:>10}\"\n";
        let (html, _) = highlight(code, "python");
        assert!(html.contains("hl-keyword"), "{html}");
        assert!(html.contains("hl-string"), "{html}");
    }

    #[test]
    fn unknown_language_is_reported_and_escaped() {
        let (html, known) = highlight("<b>", "pyton");
        assert!(!known);
        assert!(html.contains("&lt;b&gt;"));
    }
}
