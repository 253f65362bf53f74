//! The Markdown bodies as last rendered, with what each was rendered from: a rebuild renders
//! again only the bodies whose file changed, or whose links now resolve otherwise.

use std::hash::Hasher;

use rayon::prelude::*;

use crate::content::Source;
use crate::hash::{FastMap, hasher};
use crate::markdown::{LinkLookups, Rendered};
use crate::urls::LinkTargets;

/// A Markdown body as last rendered, with what it was rendered from.
pub struct Body {
    source: Source,
    lookups: LinkLookups,
    pub rendered: Rendered,
    /// Hash of what pages show of it (HTML and headings).
    pub fingerprint: u64,
}

/// Renders the bodies of `sources` that `bodies` does not hold as they are now, in parallel.
/// `changed_links`: the targets of links when they may have changed since the bodies were
/// rendered (a body whose links now resolve otherwise is rendered again).
pub fn render(
    bodies: &FastMap<String, Body>,
    sources: &[&Source],
    links: &LinkTargets,
    changed_links: Option<&LinkTargets>,
) -> Vec<(String, Body)> {
    sources
        .par_iter()
        .filter(|source| {
            bodies.get(&source.content_path).is_none_or(|body| {
                !same_source(&body.source, source)
                    || changed_links.is_some_and(|links| {
                        body.lookups
                            .iter()
                            .any(|(key, found)| links.get(key) != found.as_ref())
                    })
            })
        })
        .map(|source| {
            let (rendered, lookups) = crate::markdown::render_tracked(source, links);
            let mut h = hasher();
            h.write(rendered.html.as_bytes());
            for heading in &rendered.headings {
                h.write_u8(heading.level);
                h.write(heading.id.as_bytes());
                h.write_u8(0);
                h.write(heading.text.as_bytes());
                h.write_u8(0);
            }
            let body = Body {
                source: (*source).clone(),
                lookups,
                rendered,
                fingerprint: h.finish(),
            };
            (source.content_path.clone(), body)
        })
        .collect()
}

/// Whether a body rendered from `a` is the body of `b`: everything rendering reads of a source.
fn same_source(a: &Source, b: &Source) -> bool {
    // Sources sharing their text come from the same reading of the file: equal in all.
    if std::sync::Arc::ptr_eq(&a.text, &b.text) {
        return true;
    }
    a.text == b.text
        && a.kind == b.kind
        && a.display == b.display
        && a.content_path == b.content_path
        && a.body_first_line == b.body_first_line
        && a.body_range == b.body_range
        && a.bundle_files == b.bundle_files
        && a.bundle_dir == b.bundle_dir
}
