//! Reading aids computed at build time: the estimated reading time, the table of contents and
//! the `#` links after each section heading.

use crate::markdown::Heading;

/// Words read per minute for the reading-time estimate.
pub const WORDS_PER_MINUTE: usize = 200;

/// Fewest h2/h3 headings for a page to get a table of contents.
pub const TOC_MIN_HEADINGS: usize = 3;

/// Minutes to read `words` words, at least one.
pub fn reading_minutes(words: usize) -> usize {
    words.div_ceil(WORDS_PER_MINUTE).max(1)
}

/// One h2 of a table of contents, with the h3 that follow it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TocEntry {
    pub id: String,
    pub text: String,
    pub children: Vec<TocEntry>,
}

/// The table of contents of a page: its h2, each with its h3, when there are at least
/// [`TOC_MIN_HEADINGS`] of them. An h3 before any h2 stands at the first level.
pub fn toc(headings: &[Heading]) -> Vec<TocEntry> {
    let sections: Vec<&Heading> = headings
        .iter()
        .filter(|h| h.level == 2 || h.level == 3)
        .collect();
    if sections.len() < TOC_MIN_HEADINGS {
        return Vec::new();
    }
    let mut entries: Vec<TocEntry> = Vec::new();
    for h in sections {
        let entry = TocEntry {
            id: h.id.clone(),
            text: h.text.clone(),
            children: Vec::new(),
        };
        match entries.last_mut() {
            Some(parent) if h.level == 3 => parent.children.push(entry),
            _ => entries.push(entry),
        }
    }
    entries
}

/// Adds a `#` link at the end of every h2 and h3 of `html` (rendered from Markdown, whose
/// headings carry the ids of `headings`, in order), labelled for screen readers.
pub fn with_heading_anchors(html: &str, headings: &[Heading]) -> String {
    let mut out = String::with_capacity(html.len() + headings.len() * 120);
    let mut rest = html;
    for heading in headings.iter().filter(|h| h.level == 2 || h.level == 3) {
        let id = crate::text::escape_html(&heading.id);
        let open = format!("<h{} id=\"{id}\"", heading.level);
        let close = format!("</h{}>", heading.level);
        let Some(start) = rest.find(&open) else {
            continue;
        };
        let Some(end) = rest[start..].find(&close).map(|e| start + e) else {
            continue;
        };
        out.push_str(&rest[..end]);
        out.push_str(&format!(
            " <a class=\"heading-anchor\" href=\"#{id}\" aria-label=\"Lien vers la section « {} »\">#</a>",
            crate::text::escape_html(&heading.text)
        ));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heading(level: u8, id: &str, text: &str) -> Heading {
        Heading {
            level,
            id: id.into(),
            text: text.into(),
        }
    }

    #[test]
    fn anchors_follow_h2_and_h3_only() {
        let html = "<h1 id=\"t\">T</h1>\n<h2 id=\"a\">A <code>b</code></h2>\n<p>x</p>\n<h4 id=\"c\">C</h4>\n<h3 id=\"d\" class=\"k\">D</h3>\n";
        let headings = [
            heading(1, "t", "T"),
            heading(2, "a", "A b"),
            heading(4, "c", "C"),
            heading(3, "d", "D"),
        ];
        let out = with_heading_anchors(html, &headings);
        assert!(out.contains("<h2 id=\"a\">A <code>b</code> <a class=\"heading-anchor\" href=\"#a\" aria-label=\"Lien vers la section « A b »\">#</a></h2>"));
        assert!(out.contains("<h3 id=\"d\" class=\"k\">D <a class=\"heading-anchor\" href=\"#d\""));
        assert!(out.contains("<h1 id=\"t\">T</h1>"));
        assert!(out.contains("<h4 id=\"c\">C</h4>"));
    }

    #[test]
    fn toc_nests_h3_under_their_h2() {
        let headings = [
            heading(3, "intro", "Intro"),
            heading(2, "a", "A"),
            heading(3, "a1", "A1"),
            heading(4, "x", "X"),
            heading(2, "b", "B"),
        ];
        let toc = toc(&headings);
        let ids: Vec<(&str, Vec<&str>)> = toc
            .iter()
            .map(|e| {
                (
                    e.id.as_str(),
                    e.children.iter().map(|c| c.id.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(ids, [("intro", vec![]), ("a", vec!["a1"]), ("b", vec![])]);
        assert!(super::toc(&headings[..2]).is_empty(), "too few headings");
    }

    #[test]
    fn reading_time_rounds_up() {
        assert_eq!(reading_minutes(0), 1);
        assert_eq!(reading_minutes(200), 1);
        assert_eq!(reading_minutes(201), 2);
        assert_eq!(reading_minutes(1000), 5);
    }
}
