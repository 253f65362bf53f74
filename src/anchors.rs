//! Links to anchors (`autre.md#titre`, `#titre`): the anchor must name a heading of the target
//! page, or the link lands at the top of the page without a word. Checked by the build once
//! every body is rendered, since a target's headings are only known then.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::content::Source;
use crate::diagnostics::Diagnostic;
use crate::markdown::Rendered;

/// Checks every anchor link of `pages` (each source with its rendered body) against the ids of
/// its target. `pages` holds the files held back by errors too, so that their anchors are
/// checked in the same run as their other problems; targets that are not among `pages`
/// (unpublished) are not checked: the warning about an unpublished link comes first.
/// Ids that the theme writes on every page (`id="inscription"`…) are accepted too.
pub fn check<'a>(
    root: &Path,
    pages: impl IntoIterator<Item = (&'a Source, &'a Rendered)>,
) -> Vec<Diagnostic> {
    let pages: Vec<(&Source, &Rendered)> = pages.into_iter().collect();
    if pages.iter().all(|(_, r)| r.anchor_links.is_empty()) {
        return Vec::new();
    }
    let ids: HashMap<&str, Vec<&str>> = pages
        .iter()
        .map(|(source, rendered)| {
            let ids = rendered
                .headings
                .iter()
                .map(|h| h.id.as_str())
                .chain(rendered.other_ids.iter().map(String::as_str))
                .collect();
            (source.content_path.as_str(), ids)
        })
        .collect();
    let theme = theme_ids(root);
    let mut problems = Vec::new();
    for (source, rendered) in &pages {
        for link in &rendered.anchor_links {
            let Some(target_ids) = ids.get(link.target.as_str()) else {
                continue;
            };
            let anchor = crate::markdown::percent_decode(&link.anchor);
            if target_ids.contains(&anchor.as_str()) || theme.contains(&anchor) {
                continue;
            }
            let same_file = link.target == source.content_path;
            let message = if same_file {
                format!(
                    "ancre « #{anchor} » introuvable : aucun titre de ce fichier ne porte cet identifiant"
                )
            } else {
                format!(
                    "ancre « #{anchor} » introuvable dans content/{} ({})",
                    link.target, link.dest
                )
            };
            let headings: Vec<&str> = pages
                .iter()
                .find(|(s, _)| s.content_path == link.target)
                .map(|(_, r)| r.headings.iter().map(|h| h.id.as_str()).collect())
                .unwrap_or_default();
            let help = match crate::yaml::did_you_mean(&anchor, target_ids) {
                Some(s) => format!("vouliez-vous dire `#{s}` ?"),
                None if headings.is_empty() => format!(
                    "{} n'a aucun titre : retirez l'ancre ou ajoutez un titre `## …`",
                    if same_file {
                        "ce fichier"
                    } else {
                        "la page visée"
                    }
                ),
                None => {
                    let mut list: Vec<String> =
                        headings.iter().take(8).map(|h| format!("#{h}")).collect();
                    if headings.len() > 8 {
                        list.push("…".into());
                    }
                    format!(
                        "l'ancre d'un titre est son texte en minuscules, sans accents, les mots reliés par des tirets ; titres de la page : {}",
                        list.join(", ")
                    )
                }
            };
            problems.push(
                Diagnostic::error(&source.display, message)
                    .at_line(Some(&link.line_text), link.line, link.column, link.len)
                    .with_help(help),
            );
        }
    }
    problems
}

/// Literal `id="…"` values of the theme's templates and of the site's overrides.
fn theme_ids(root: &Path) -> HashSet<String> {
    let mut ids = HashSet::new();
    for dir in [
        root.join(crate::render::templates::THEME_DIR)
            .join("templates"),
        root.join(crate::render::templates::OVERRIDES_DIR),
    ] {
        for entry in walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
        {
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            for piece in text.split(" id=\"").skip(1) {
                if let Some(end) = piece.find('"') {
                    let id = &piece[..end];
                    if !id.contains(['{', '}', ' ']) {
                        ids.insert(id.to_string());
                    }
                }
            }
        }
    }
    ids
}
