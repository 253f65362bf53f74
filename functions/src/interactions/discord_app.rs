//! What the app knows of its Discord side (`DiscordApp`: the key that signs interactions, the
//! site's resources), built once at start with the rest of the app's state.

use super::verify::Verifier;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::manifest::SiteLinks;

/// What the app knows of its Discord side, built once at start.
pub struct DiscordApp {
    pub(super) verifier: Option<Verifier>,
    /// The site's resources, published next to the events manifest.
    pub(super) links: Catalog<SiteLinks>,
}

impl DiscordApp {
    /// From the validated configuration; the error names what is wrong with the key.
    pub fn new(config: &Config) -> Result<DiscordApp, String> {
        let verifier = match &config.discord_app.public_key {
            Some(key) => Some(Verifier::from_hex(key)?),
            None => None,
        };
        Ok(DiscordApp {
            verifier,
            links: Catalog::beside(&config.events_manifest, config.manifest_ttl),
        })
    }
}
