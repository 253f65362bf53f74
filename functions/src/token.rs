//! Tokens: the cancellation tokens (unguessable secrets that stand for a registration in URLs)
//! and the organiser token of an event, derived from the admin token so that nothing is stored
//! (one implementation, used by the function and by `classmates token`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Domain separation: an organiser token is the HMAC of this label and the slug, so it can never
/// equal another value derived from the admin token for another purpose.
const ORGANISER_LABEL: &[u8] = b"classmates/organiser-token/v1\0";

/// The organiser token of the event `slug`: HMAC-SHA256, keyed with the admin token (trimmed, as
/// the function compares it), of [`ORGANISER_LABEL`] followed by the slug, in unpadded base64url
/// (43 characters). Whoever holds the admin token can compute it; it reveals nothing of it.
pub fn organiser_token(admin_token: &str, slug: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(admin_token.trim().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(ORGANISER_LABEL);
    mac.update(slug.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Whether `candidate` is the organiser token of `slug`, compared in constant time.
pub fn is_organiser_token(admin_token: &str, slug: &str, candidate: &str) -> bool {
    let expected = organiser_token(admin_token, slug);
    expected
        .as_bytes()
        .ct_eq(candidate.trim().as_bytes())
        .into()
}

/// Random bytes per token: 144 bits, 24 URL-safe characters.
const TOKEN_BYTES: usize = 18;

/// A new random token from the operating system's generator.
pub fn generate() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `s` has the shape of a token, checked before any store look-up.
pub fn is_well_formed(s: &str) -> bool {
    (16..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_url_safe_and_distinct() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_eq!(a.len(), 24);
        assert_ne!(a, b);
        assert!(is_well_formed(&a));
        assert!(!is_well_formed("abc"));
        assert!(!is_well_formed("aaaaaaaaaaaaaaaaaaaa/aaa"));
    }

    #[test]
    fn organiser_tokens_are_the_labelled_hmac_of_the_slug() {
        // Computed independently with Python's hmac module:
        // base64.urlsafe_b64encode(hmac.new(b"0123456789abcdef",
        //   b"classmates/organiser-token/v1\0atelier-git", "sha256").digest()).rstrip(b"=")
        let token = organiser_token("0123456789abcdef", "atelier-git");
        assert_eq!(token, "pAQMg8hHNas3nMPV6tlVTUYslMgexN2jaqD0yZTVQFE");
        assert_eq!(token.len(), 43);
        // The admin token is trimmed, as the function compares it.
        assert_eq!(organiser_token(" 0123456789abcdef\n", "atelier-git"), token);
        assert_ne!(organiser_token("0123456789abcdef", "atelier-gi"), token);
        assert_ne!(organiser_token("0123456789abcdeF", "atelier-git"), token);
        assert!(is_organiser_token(
            "0123456789abcdef",
            "atelier-git",
            &token
        ));
        assert!(!is_organiser_token("0123456789abcdef", "autre", &token));
        assert!(!is_organiser_token(
            "0123456789abcdef",
            "atelier-git",
            &token[..42]
        ));
        assert!(!is_organiser_token("0123456789abcdef", "atelier-git", ""));
    }
}
