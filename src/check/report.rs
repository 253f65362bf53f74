//! The machine-readable forms of a check's diagnostics: GitHub Actions workflow commands, so
//! that problems show up on the lines of a pull request, and JSON for other tools. (The human
//! form is the rustc-style rendering of `diagnostics`.)

use serde::Serialize;

use crate::diagnostics::{Diagnostic, Severity};

/// The title of every GitHub annotation.
pub const GITHUB_TITLE: &str = "classmates check";

/// One `::error …::message` or `::warning …::message` line per diagnostic.
pub fn github(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut properties = vec![format!("file={}", property(&file(d)))];
        if d.line > 0 {
            properties.push(format!("line={}", d.line));
            properties.push(format!("col={}", d.column));
        }
        properties.push(format!("title={}", property(GITHUB_TITLE)));
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\naide : ");
            message.push_str(help);
        }
        out.push_str(&format!(
            "::{command} {}::{}\n",
            properties.join(","),
            data(&message)
        ));
    }
    out
}

/// Escapes the message of a workflow command (GitHub's `escapeData`).
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command (GitHub's `escapeProperty`).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

fn file(d: &Diagnostic) -> String {
    d.path.to_string_lossy().replace('\\', "/")
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: &'static str,
    file: String,
    /// `null` when the problem concerns the whole file.
    line: Option<usize>,
    column: Option<usize>,
    message: &'a str,
    help: Option<&'a str>,
}

/// A JSON array of `{severity, file, line, column, message, help}` objects.
pub fn json(diagnostics: &[Diagnostic]) -> String {
    let items: Vec<JsonDiagnostic> = diagnostics
        .iter()
        .map(|d| JsonDiagnostic {
            severity: match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            file: file(d),
            line: (d.line > 0).then_some(d.line),
            column: (d.line > 0).then_some(d.column),
            message: &d.message,
            help: d.help.as_deref(),
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&items).expect("diagnostics serialize");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_are_escaped() {
        let d = Diagnostic::error("content/a,b:c.md", "100% faux\r\nsuite")
            .at("ligne\n", 1, 3, 2)
            .with_help("x: y, z");
        assert_eq!(
            github(&[d]),
            "::error file=content/a%2Cb%3Ac.md,line=1,col=3,title=classmates check::100%25 faux%0D%0Asuite%0Aaide : x: y, z\n"
        );
    }

    #[test]
    fn whole_file_problems_have_no_line() {
        let d = Diagnostic::warning("content/x", "dossier inconnu");
        assert_eq!(
            github(std::slice::from_ref(&d)),
            "::warning file=content/x,title=classmates check::dossier inconnu\n"
        );
        let parsed: serde_json::Value = serde_json::from_str(&json(&[d])).unwrap();
        assert_eq!(parsed[0]["line"], serde_json::Value::Null);
        assert_eq!(parsed[0]["severity"], "warning");
    }
}
