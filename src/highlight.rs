//! Code highlighting with syntect, emitting a small set of token classes (`hl-k` keyword,
//! `hl-s` string, `hl-c` comment…, as Pygments does) rather than inline styles or every
//! grammar scope: pages stay light, and one stylesheet serves the light and the dark theme.
//! The syntax set (bat's grammars via two-face, which adds TOML and keeps Python current) and
//! the class map are built once per process.

use std::str::FromStr;
use std::sync::OnceLock;

use syntect::easy::HighlightLines;
use syntect::highlighting::{
    Color, ScopeSelectors, StyleModifier, Theme, ThemeItem, ThemeSettings,
};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

use crate::text::escape_html;

/// Token classes: (class suffix, scope selectors). The first match by selector specificity wins.
const CLASSES: &[(&str, &str)] = &[
    ("c", "comment, punctuation.definition.comment"),
    (
        "s",
        "string, punctuation.definition.string, storage.type.string",
    ),
    ("se", "constant.character.escape"),
    (
        "si",
        "constant.other.placeholder, meta.interpolation punctuation.section.interpolation, string.interpolated punctuation.section",
    ),
    ("m", "constant.numeric"),
    ("kc", "constant.language"),
    (
        "k",
        "keyword, storage.type, storage.modifier, keyword.operator.word, keyword.operator.logical.python",
    ),
    ("o", "keyword.operator"),
    (
        "nf",
        "entity.name.function, support.function, variable.function, meta.function-call.generic",
    ),
    (
        "nc",
        "entity.name.class, entity.name.type, support.class, support.type, entity.other.inherited-class",
    ),
    (
        "nd",
        "entity.name.function.decorator, meta.annotation, punctuation.definition.annotation, meta.decorator",
    ),
    ("nt", "entity.name.tag"),
    (
        "na",
        "entity.other.attribute-name, support.type.property-name, meta.mapping.key string",
    ),
    ("bp", "variable.language"),
    (
        "nv",
        "variable.parameter, variable.other.readwrite.shell, punctuation.definition.variable",
    ),
    ("cs", "constant.other, support.constant"),
    ("gh", "markup.heading, entity.name.section"),
];

/// Languages shown as plain text on purpose (no warning).
const PLAIN: &[&str] = &[
    "",
    "text",
    "txt",
    "plain",
    "plaintext",
    "output",
    "console-output",
];

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(two_face::syntax::extra_newlines)
}

/// Starts loading the grammars on a thread of their own, once per process: reading the
/// content overlaps their 0.3 s, where otherwise the first block highlighted loads them while
/// every other thread waits (BENCHMARKS.md §9). Highlighting works the same without it.
pub fn load_in_background() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        // Without a thread, the first block loads them as before.
        let _ = std::thread::Builder::new()
            .name("grammaires".into())
            .spawn(|| {
                syntaxes();
                class_theme();
            });
    });
}

/// A theme whose "colour" for each scope is the index of its class in `CLASSES` (+1).
fn class_theme() -> &'static Theme {
    static THEME: OnceLock<Theme> = OnceLock::new();
    THEME.get_or_init(|| Theme {
        settings: ThemeSettings {
            foreground: Some(Color {
                r: 0,
                g: 0,
                b: 0,
                a: 255,
            }),
            ..ThemeSettings::default()
        },
        scopes: CLASSES
            .iter()
            .enumerate()
            .map(|(i, (_, selectors))| ThemeItem {
                scope: ScopeSelectors::from_str(selectors).expect("valid scope selectors"),
                style: StyleModifier {
                    foreground: Some(Color {
                        r: (i + 1) as u8,
                        g: 0,
                        b: 0,
                        a: 255,
                    }),
                    background: None,
                    font_style: None,
                },
            })
            .collect(),
        ..Theme::default()
    })
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

/// Highlights `code` written in `lang` into a `<pre><code>` block. The flag is false when the
/// language is unknown: the block is then shown as plain text and the caller warns.
pub fn highlight(code: &str, lang: &str) -> (String, bool) {
    let lang = lang
        .split([',', ' '])
        .next()
        .unwrap_or("")
        .trim()
        .to_lowercase();
    let set = syntaxes();
    let syntax = if PLAIN.contains(&lang.as_str()) {
        None
    } else {
        set.find_syntax_by_token(token_for(&lang))
    };
    let Some(syntax) = syntax else {
        return (
            block(&lang, &escape_html(code)),
            PLAIN.contains(&lang.as_str()),
        );
    };
    let mut highlighter = HighlightLines::new(syntax, class_theme());
    let mut html = String::with_capacity(code.len() * 2);
    let mut open: u8 = 0;
    for line in LinesWithEndings::from(code) {
        let Ok(tokens) = highlighter.highlight_line(line, set) else {
            return (block(&lang, &escape_html(code)), true);
        };
        let mut tokens: Vec<(u8, &str)> = tokens
            .into_iter()
            .map(|(style, text)| (style.foreground.r, text))
            .collect();
        if syntax.name == "Python" {
            mark_soft_keyword(line, &mut tokens);
        }
        for (class, text) in tokens {
            // Whitespace never changes the class: it keeps spans long and few.
            if class != open && !text.trim().is_empty() {
                if open != 0 {
                    html.push_str("</span>");
                }
                if class != 0 {
                    html.push_str("<span class=\"hl-");
                    html.push_str(CLASSES[class as usize - 1].0);
                    html.push_str("\">");
                }
                open = class;
            }
            html.push_str(&escape_html(text));
        }
    }
    if open != 0 {
        html.push_str("</span>");
    }
    (block(&lang, &html), true)
}

/// Class index of keywords in `CLASSES` (+1), as the class theme encodes it.
fn keyword_class() -> u8 {
    CLASSES
        .iter()
        .position(|(name, _)| *name == "k")
        .expect("a keyword class") as u8
        + 1
}

/// The Python grammar predates the soft keywords `match`, `case` (3.10) and `type` (3.12).
/// Python itself treats them as keywords only at the start of a statement: `match x:` and
/// `case p:` end with a colon, `type X = …` is followed by a name and `=`. Same rule here.
fn mark_soft_keyword<'a>(line: &'a str, tokens: &mut Vec<(u8, &'a str)>) {
    let indent = line.len() - line.trim_start().len();
    let statement = line.trim();
    let code = statement.split(" #").next().unwrap_or(statement).trim_end();
    let word = ["match", "case", "type"].into_iter().find(|w| {
        let Some(rest) = code.strip_prefix(w) else {
            return false;
        };
        if !rest.starts_with([' ', '(', '[', '{', '"', '\'']) {
            return false;
        }
        match *w {
            "type" => rest.trim_start().split_once('=').is_some_and(|(name, _)| {
                let name = name.trim().split('[').next().unwrap_or("");
                !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_')
            }),
            _ => code.ends_with(':'),
        }
    });
    let Some(word) = word else { return };
    let (start, end) = (indent, indent + word.len());
    let mut offset = 0;
    let mut result = Vec::with_capacity(tokens.len() + 2);
    for &(class, text) in tokens.iter() {
        let (t_start, t_end) = (offset, offset + text.len());
        offset = t_end;
        if t_end <= start || t_start >= end {
            result.push((class, text));
            continue;
        }
        let cut_a = start.max(t_start) - t_start;
        let cut_b = end.min(t_end) - t_start;
        if cut_a > 0 {
            result.push((class, &text[..cut_a]));
        }
        result.push((keyword_class(), &text[cut_a..cut_b]));
        if cut_b < text.len() {
            result.push((class, &text[cut_b..]));
        }
    }
    *tokens = result;
}

/// The `<pre>` of a block: focusable and named, so that a block wider than a phone's screen
/// scrolls with the keyboard too (axe's `scrollable-region-focusable`); the theme's script
/// takes the blocks that fit out of the tab order.
fn block(lang: &str, inner: &str) -> String {
    if lang.is_empty() {
        format!(
            "<pre class=\"code\" tabindex=\"0\" role=\"group\" aria-label=\"Bloc de code\"><code>{inner}</code></pre>\n"
        )
    } else {
        format!(
            "<pre class=\"code\" data-lang=\"{0}\" tabindex=\"0\" role=\"group\" aria-label=\"Code {0}\"><code class=\"language-{0}\">{inner}</code></pre>\n",
            escape_html(lang)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_languages_are_highlighted() {
        let samples = [
            ("python", "def f(x):\n    return 'a'  # c\n"),
            ("bash", "echo \"$HOME\" # c\n"),
            ("shell", "ls -la # c\n"),
            ("yaml", "title: \"a\" # c\n"),
            ("toml", "[project]\nname = \"a\" # c\n"),
            ("json", "{\"a\": 1}\n"),
            ("sql", "SELECT 'a' FROM t; -- c\n"),
            ("html", "<p class=\"a\">x</p>\n"),
            ("javascript", "const a = 'b'; // c\n"),
            ("rust", "fn main() { let a = \"b\"; } // c\n"),
        ];
        for (lang, code) in samples {
            let (html, known) = highlight(code, lang);
            assert!(known, "{lang} unknown");
            assert!(
                html.contains("class=\"hl-"),
                "{lang} not highlighted: {html}"
            );
            assert!(!html.contains("style="), "{lang} has inline styles");
        }
    }

    #[test]
    fn modern_python_is_tokenised() {
        let code = "def first[T](xs: list[T]) -> T:\n    match xs:\n        case [x, *_]:\n            return f\"{x!r:>10}\"\n";
        let (html, _) = highlight(code, "python");
        assert!(html.contains("<span class=\"hl-k\">def "), "{html}");
        assert!(html.contains("<span class=\"hl-k\">match "), "{html}");
        assert!(html.contains("<span class=\"hl-k\">case "), "{html}");
        assert!(html.contains("<span class=\"hl-s\">f&quot;"), "{html}");
        assert!(
            html.contains("<span class=\"hl-nf\">first</span>"),
            "{html}"
        );
        assert!(html.contains("hl-s"), "{html}");
    }

    #[test]
    fn soft_keywords_only_at_statement_start() {
        let (html, _) = highlight(
            "type Point = tuple[float, float]\nmatch = 3\nmatch(x)\n",
            "python",
        );
        assert!(html.contains("<span class=\"hl-k\">type "), "{html}");
        assert!(!html.contains("<span class=\"hl-k\">match"), "{html}");
    }

    #[test]
    fn text_is_preserved_and_escaped() {
        let code = "if a < b and c > d:\n    print(\"<&>\")\n";
        let (html, _) = highlight(code, "python");
        let stripped = regex_free_strip(&html);
        assert!(
            stripped.contains("if a &lt; b and c &gt; d:\n    print(&quot;&lt;&amp;&gt;&quot;)\n"),
            "{stripped}"
        );
    }

    fn regex_free_strip(html: &str) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                _ if !in_tag => out.push(c),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn unknown_language_is_reported_and_escaped() {
        let (html, known) = highlight("<b>", "pyton");
        assert!(!known);
        assert!(html.contains("&lt;b&gt;"));
    }
}
