//! Rendering: every output file of the site (HTML pages through the Tera templates, feeds,
//! calendars, the events manifest, sitemap) produced from the resolved site, in parallel, in a
//! deterministic form.

pub mod alias;
pub mod calendar;
pub mod context;
pub mod feeds;
pub mod layout;
pub mod manifest;
mod pages;
pub mod prefix;
pub mod reading;
pub mod search;
pub mod seo;
pub mod shows;
mod sitemap;
pub mod templates;

use anyhow::Result;
use rayon::prelude::*;

use crate::markdown::Rendered;
use crate::output::Output;
use crate::site::{ItemId, Site};
use crate::urls::{self, file_for_url};
use context::SiteView;
pub use layout::{ARTICLES_PER_PAGE, Job, LIST_PER_PAGE, Layout, Target, page_count, page_slice};
use pages::PageRenderer;
pub use templates::Templates;

/// Renders everything the site is made of. `bodies[i]` is the Markdown body of `site.items[i]`.
pub fn render_site(
    site: &Site,
    templates: &Templates,
    bodies: &[&Rendered],
) -> Result<Vec<Output>> {
    let layout = Layout::new(site);
    let renderer = SiteRenderer::new(site, templates, bodies, &layout);
    let mut outputs: Vec<Output> = renderer
        .targets()
        .par_iter()
        .map(|target| renderer.render_files(target))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    outputs.sort_by(|a, b| a.path.cmp(&b.path));
    renderer.check_aliases(outputs.iter().map(|o| o.path.as_str()))?;
    Ok(outputs)
}

/// Renders the files of one state of the site, each on its own: the full build renders every
/// target, a rebuild (`crate::incremental`) only those whose inputs changed, through the same
/// code.
pub struct SiteRenderer<'a> {
    pub site: &'a Site,
    pub templates: &'a Templates,
    pub bodies: &'a [&'a Rendered],
    pub view: SiteView,
    pub layout: &'a Layout,
}

impl<'a> SiteRenderer<'a> {
    /// `layout` is `Layout::new(site)`, or an earlier one of the same structure.
    pub fn new(
        site: &'a Site,
        templates: &'a Templates,
        bodies: &'a [&'a Rendered],
        layout: &'a Layout,
    ) -> SiteRenderer<'a> {
        SiteRenderer {
            site,
            templates,
            bodies,
            view: SiteView::new(site),
            layout,
        }
    }

    /// Every file to render, HTML pages first.
    pub fn targets(&self) -> &[Target] {
        &self.layout.targets
    }

    /// Path of the file of `target` in the output folder, without rendering it.
    pub fn path(&self, target: &Target) -> String {
        let site = self.site;
        match target {
            Target::Page(Job::Alias { item, alias }) => {
                let old = &site.items[*item].aliases[*alias];
                urls::alias_file(old).unwrap_or_else(|_| file_for_url(old))
            }
            Target::Page(Job::Redirect(i)) => {
                let old = &site.config.redirects[*i].0;
                urls::alias_file(old).unwrap_or_else(|_| file_for_url(old))
            }
            Target::Page(job) => file_for_url(&job.url(site)),
            Target::Feed(i) => self.layout.feeds[*i].path.clone(),
            Target::Calendar(id) => calendar::event_path(&site.items[*id]),
            Target::Calendars => calendar::ALL_EVENTS_PATH.into(),
            Target::Manifest => classmates_api::manifest::MANIFEST_PATH.into(),
            Target::Links => classmates_api::manifest::LINKS_PATH.into(),
            Target::SearchIndex => search::INDEX_PATH.into(),
            Target::Robots => urls::ROBOTS.into(),
            Target::Sitemap => urls::SITEMAP.into(),
            Target::Stylesheet => "style.css".into(),
        }
    }

    /// Every file of `target`: one, except for the search index (see `search`).
    pub fn render_files(&self, target: &Target) -> Result<Vec<Output>> {
        match target {
            Target::SearchIndex => search::index(self.site),
            _ => Ok(vec![self.render(target)?]),
        }
    }

    /// The file of `target` (for the search index, its entry file only).
    pub fn render(&self, target: &Target) -> Result<Output> {
        self.render_given(target, None)
    }

    /// The file of `target`, a page of the item `id` (its page, the pages of an author's
    /// works), with `body` as the item's body instead of `self.bodies[id]`: a full build
    /// renders each body where its pages are made, rather than every body first.
    pub fn render_with_body(&self, target: &Target, id: ItemId, body: &Rendered) -> Result<Output> {
        self.render_given(target, Some((id, body)))
    }

    fn render_given(&self, target: &Target, body: Option<(ItemId, &Rendered)>) -> Result<Output> {
        let mut output = self.render_site_paths(target, body)?;
        let base = self.site.config.base_path();
        if !base.is_empty() && output.path.ends_with(".html") {
            let html = String::from_utf8(output.bytes)?;
            output.bytes = prefix::html(base, &html)?.into_bytes();
        }
        Ok(output)
    }

    /// The file of `target`, its HTML with site paths (`/style.css`), as if at the root.
    fn render_site_paths(
        &self,
        target: &Target,
        body: Option<(ItemId, &Rendered)>,
    ) -> Result<Output> {
        let site = self.site;
        match target {
            Target::Page(job) => PageRenderer::new(
                site,
                self.templates,
                &self.view,
                self.bodies,
                body,
                self.layout,
                job,
            )
            .render(job),
            Target::Feed(i) => feeds::render(site, self.bodies, &self.layout.feeds[*i]),
            Target::Calendar(id) => Ok(calendar::event_calendar(site, &site.items[*id])),
            Target::Calendars => Ok(calendar::all_events(site)),
            Target::Manifest => manifest::manifest(site),
            Target::Links => manifest::links(site),
            Target::SearchIndex => Ok(search::index(site)?.swap_remove(0)),
            Target::Robots => Ok(Output::new(
                urls::ROBOTS,
                format!(
                    "User-agent: *\nAllow: /\n\nSitemap: {}\n",
                    site.config.absolute(&urls::site_path(urls::SITEMAP))
                ),
            )),
            Target::Sitemap => Ok(sitemap::sitemap(site, &self.layout.jobs)),
            Target::Stylesheet => Ok(Output::new("style.css", self.templates.stylesheet())),
        }
    }

    /// Fails when the redirect page of an alias would take the place of another file of the
    /// site: `paths` (every rendered file), the theme's static files or a bundle's files.
    pub fn check_aliases<'p>(&self, paths: impl IntoIterator<Item = &'p str>) -> Result<()> {
        let aliases: Vec<(ItemId, usize)> = self
            .layout
            .jobs
            .iter()
            .filter_map(|job| match job {
                Job::Alias { item, alias } => Some((*item, *alias)),
                _ => None,
            })
            .collect();
        if aliases.is_empty() {
            return Ok(());
        }
        let copied: Vec<String> = self
            .site
            .items
            .iter()
            .filter(|item| item.source.bundle_dir.is_some())
            .flat_map(|item| {
                (item.source.bundle_files.iter()).map(|file| urls::bundle_file(&item.url, file))
            })
            .collect();
        let mut every: Vec<&str> = paths.into_iter().collect();
        every.extend(copied.iter().map(String::as_str));
        every.extend(
            self.templates
                .static_files
                .iter()
                .map(|(_, rel)| rel.as_str()),
        );
        alias::check_collisions(self.site, every, &aliases)
    }
}
