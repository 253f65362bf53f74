//! Cancellation tokens: unguessable secrets that stand for a registration in URLs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

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
}
