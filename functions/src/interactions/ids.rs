//! The custom_ids of the app's register button and modal: made by the announcements (the
//! « S'inscrire » button of a post), read back by the interactions.

/// Prefix of the button's and the modal's custom_id, followed by the event's slug.
pub const CUSTOM_ID_PREFIX: &str = "inscription:";

/// The custom_id naming the event `slug` (Discord allows 100 characters).
pub fn custom_id(slug: &str) -> String {
    format!("{CUSTOM_ID_PREFIX}{slug}")
}

/// The slug of a custom_id made by [`custom_id`].
pub fn slug_of(custom_id: &str) -> Option<&str> {
    custom_id
        .strip_prefix(CUSTOM_ID_PREFIX)
        .filter(|slug| !slug.is_empty())
}
