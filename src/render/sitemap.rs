//! `sitemap.xml`: the address of every page worth indexing, with the items' dates.

use rayon::prelude::*;

use super::layout::Job;
use crate::output::Output;
use crate::site::Site;

pub fn sitemap(site: &Site, jobs: &[Job]) -> Output {
    // Sorted by address (each page has its own); a large site has thousands.
    let mut entries: Vec<(String, Option<&crate::dates::Instant>)> = jobs
        .par_iter()
        .filter(|j| {
            !matches!(
                j,
                Job::NotFound | Job::Organisers | Job::Alias { .. } | Job::Redirect(_)
            )
        })
        .map(|job| {
            let lastmod = match job {
                Job::Item(i) => site.items[*i].date.as_ref(),
                _ => None,
            };
            (job.url(site), lastmod)
        })
        .collect();
    entries.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut xml = String::with_capacity(entries.len() * 120);
    xml.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let base = crate::text::escape_html(&site.config.base_url);
    for (url, lastmod) in entries {
        xml.push_str("  <url>\n    <loc>");
        xml.push_str(&base);
        crate::text::push_escaped_html(&mut xml, &url);
        xml.push_str("</loc>\n");
        if let Some(lastmod) = lastmod {
            xml.push_str("    <lastmod>");
            xml.push_str(&crate::dates::rfc3339(lastmod));
            xml.push_str("</lastmod>\n");
        }
        xml.push_str("  </url>\n");
    }
    xml.push_str("</urlset>\n");
    Output::new(crate::urls::SITEMAP, xml)
}
