//! Printing for every subcommand, in one place: diagnostics rustc-style with a summary line,
//! and unexpected errors with their causes.

use std::io::IsTerminal;

use crate::diagnostics::Diagnostics;

/// Prints diagnostics on stderr, rustc-style, with a summary line.
pub fn report(diagnostics: Diagnostics) {
    let renderer = if std::io::stderr().is_terminal() {
        annotate_snippets::Renderer::styled()
    } else {
        annotate_snippets::Renderer::plain()
    };
    eprint!("{}", report_text(diagnostics, &renderer));
}

/// The text [`report`] prints, rendered by `renderer`.
pub fn report_text(diagnostics: Diagnostics, renderer: &annotate_snippets::Renderer) -> String {
    let (errors, warnings) = (diagnostics.error_count(), diagnostics.warning_count());
    let mut text = String::new();
    for d in diagnostics.sorted() {
        text.push_str(&d.render(renderer));
        text.push_str("\n\n");
    }
    if errors + warnings > 0 {
        text.push_str(&format!(
            "{errors} erreur(s), {warnings} avertissement(s)\n"
        ));
    }
    text
}

/// Prints an unexpected error and its causes.
pub fn report_error(error: &anyhow::Error) {
    eprint!("{}", error_text(error));
}

/// The text [`report_error`] prints.
pub fn error_text(error: &anyhow::Error) -> String {
    let mut text = format!("erreur : {error}\n");
    for cause in error.chain().skip(1) {
        text.push_str(&format!("  cause : {cause}\n"));
    }
    text
}
