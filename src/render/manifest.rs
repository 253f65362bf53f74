//! `/evenements/index.json`: the machine-readable list of events that the registrations
//! function reads to know which events exist, when they happen and how many places they have;
//! and next to it `/evenements/ressources.json`, the resources' links, so that the Discord app
//! knows which links the site already has.

use anyhow::Result;
use classmates_api::manifest::{
    LINKS_PATH, MANIFEST_PATH, Manifest, ManifestEvent, SiteLinks, SiteResource,
};

use crate::content::Kind;
use crate::dates;
use crate::output::Output;
use crate::site::Site;

/// Version written in the manifest's `version` field.
pub const MANIFEST_VERSION: u32 = 1;

pub fn manifest(site: &Site) -> Result<Output> {
    let mut events: Vec<ManifestEvent> = site
        .items
        .iter()
        .filter(|i| i.kind == Kind::Event)
        .filter_map(|item| {
            let e = item.event()?;
            Some(ManifestEvent {
                slug: item.slug.clone(),
                title: item.title.clone(),
                url: site.config.absolute(&item.url),
                start: e.start.fixed_offset(),
                end: e.end.fixed_offset(),
                when: dates::french_range(&e.start, &e.end),
                capacity: e.capacity,
                registration: e.registration,
                registration_deadline: e.registration_deadline.fixed_offset(),
                speakers: item
                    .authors
                    .iter()
                    .filter_map(|a| site.get(Kind::Author, a))
                    .map(|a| a.title.clone())
                    .collect(),
                location: e.location.clone(),
                cancelled: e.cancelled,
                summary: item.summary.clone(),
            })
        })
        .collect();
    events.sort_by(|a, b| (a.start, &a.slug).cmp(&(b.start, &b.slug)));
    let manifest = Manifest {
        version: MANIFEST_VERSION,
        events,
    };
    let mut bytes = serde_json::to_vec_pretty(&manifest)?;
    bytes.push(b'\n');
    Ok(Output {
        path: MANIFEST_PATH.to_string(),
        bytes,
    })
}

/// `/evenements/ressources.json`: every resource's link and page, newest first.
pub fn links(site: &Site) -> Result<Output> {
    let resources = site
        .newest_first(Kind::Resource)
        .iter()
        .filter_map(|&id| {
            let item = &site.items[id];
            match &item.detail {
                crate::site::Detail::Resource { url, .. } => Some(SiteResource {
                    title: item.title.clone(),
                    url: url.clone(),
                    page: site.config.absolute(&item.url),
                }),
                _ => None,
            }
        })
        .collect();
    let links = SiteLinks {
        version: MANIFEST_VERSION,
        base_url: site.config.base_url.clone(),
        resources,
    };
    let mut bytes = serde_json::to_vec_pretty(&links)?;
    bytes.push(b'\n');
    Ok(Output {
        path: LINKS_PATH.to_string(),
        bytes,
    })
}
