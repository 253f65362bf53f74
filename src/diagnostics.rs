//! Problems found in the content, each pointing at a file, line and column, collected so that
//! one build reports every problem at once instead of stopping at the first.

use std::fmt;
use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// How serious a problem is: errors fail the build, warnings are shown and the build goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Path as shown to the user (relative to the site root when possible).
    pub path: PathBuf,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// Number of characters to underline (at least 1 when a line is known).
    pub len: usize,
    /// The text of the line, to show under the message.
    pub source_line: Option<String>,
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            path: path.into(),
            line: 0,
            column: 0,
            len: 0,
            source_line: None,
            message: message.into(),
            help: None,
        }
    }

    pub fn warning(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(path, message)
        }
    }

    /// Points the diagnostic at `line`/`column` (1-based) of `source`, underlining `len` characters.
    pub fn at(self, source: &str, line: usize, column: usize, len: usize) -> Self {
        let text = source.lines().nth(line.saturating_sub(1));
        self.at_line(text, line, column, len)
    }

    /// Like [`Diagnostic::at`], given the text of the line itself rather than the file's.
    pub fn at_line(mut self, text: Option<&str>, line: usize, column: usize, len: usize) -> Self {
        self.line = line;
        self.column = column.max(1);
        self.source_line = text.map(str::to_owned);
        let available = self
            .source_line
            .as_deref()
            .map(|l| l.chars().count().saturating_sub(self.column - 1))
            .unwrap_or(0);
        self.len = len.clamp(1, available.max(1));
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `path:line:column`, or just the path when no line is known.
    pub fn location(&self) -> String {
        if self.line == 0 {
            self.path.display().to_string()
        } else {
            format!("{}:{}:{}", self.path.display(), self.line, self.column)
        }
    }

    /// Renders the diagnostic the way rustc does: message, location, source line with a caret, help.
    pub fn render(&self, renderer: &Renderer) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR.with_name(Some("erreur")),
            Severity::Warning => Level::WARNING.with_name(Some("avertissement")),
        };
        let path = self.path.display().to_string();
        let title = level.primary_title(self.message.as_str());
        let mut groups = Vec::new();
        match &self.source_line {
            Some(line_text) if self.line > 0 => {
                let start = char_to_byte(line_text, self.column - 1);
                let end = char_to_byte(line_text, self.column - 1 + self.len).max(start);
                groups.push(
                    title.element(
                        Snippet::source(line_text.as_str())
                            .line_start(self.line)
                            .path(path.as_str())
                            .annotation(AnnotationKind::Primary.span(start..end)),
                    ),
                );
            }
            _ => groups.push(
                Group::with_title(title).element(
                    Level::NOTE
                        .with_name(Some("fichier"))
                        .message(path.as_str()),
                ),
            ),
        }
        if let Some(help) = &self.help {
            groups.push(Group::with_title(
                Level::HELP
                    .with_name(Some("aide"))
                    .secondary_title(help.as_str()),
            ));
        }
        renderer.render(&groups)
    }
}

fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map(|(i, _)| i)
        .unwrap_or(text.len())
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "erreur",
            Severity::Warning => "avertissement",
        };
        write!(f, "{}: {}: {}", self.location(), kind, self.message)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

/// The problems found so far, kept in a stable order (path, line, column) for reproducible output.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The diagnostics sorted by file, line and column.
    pub fn sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| {
            (&a.path, a.line, a.column, &a.message).cmp(&(&b.path, b.line, b.column, &b.message))
        });
        self.items.dedup();
        self.items
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }
}

/// Shows `path` relative to `root` when it is inside it.
pub fn display_path(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Reads a text file the contributor wrote: bytes that are not UTF-8 are an error at the line
/// and column of the first bad byte, an unreadable file an error saying why, in French.
pub fn read_text(path: &Path, display: &Path) -> Result<String, Box<Diagnostic>> {
    let bytes = std::fs::read(path).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "fichier introuvable".to_string(),
            std::io::ErrorKind::PermissionDenied => "accès refusé".to_string(),
            std::io::ErrorKind::IsADirectory => "c'est un dossier, pas un fichier".to_string(),
            _ => format!("erreur du système ({e})"),
        };
        Box::new(
            Diagnostic::error(display, format!("lecture impossible : {why}"))
                .with_help("vérifiez que le fichier existe et qu'il est lisible"),
        )
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let bad = e.utf8_error().valid_up_to();
        let before = &bytes[..bad];
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        // The valid part of the line, in characters; the bad byte is the next one.
        let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
        let shown = String::from_utf8_lossy(bytes);
        Box::new(Diagnostic::error(
            display,
            format!(
                "le fichier n'est pas encodé en UTF-8 : octet invalide 0x{:02X} ligne {line}, colonne {column}",
                bytes[bad]
            ),
        )
        .at(&shown, line, column, 1)
        .with_help(
            "enregistrez le fichier en UTF-8 (dans l'éditeur : « Enregistrer avec l'encodage » → UTF-8), puis vérifiez les accents de cette ligne",
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_located_at_its_first_bad_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latin1.md");
        // `é` in Latin-1 (0xE9) on line 3, after « Caf ».
        std::fs::write(&path, b"---\ntitle: a\nCaf\xe9 cr\xe8me\n").unwrap();
        let d = read_text(&path, Path::new("content/articles/latin1.md")).unwrap_err();
        assert_eq!((d.line, d.column), (3, 4), "{d}");
        assert!(
            d.message.contains("UTF-8") && d.message.contains("0xE9"),
            "{d}"
        );
        assert_eq!(d.location(), "content/articles/latin1.md:3:4");
    }
}
