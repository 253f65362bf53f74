//! Checks that an interaction comes from Discord: an Ed25519 signature (`X-Signature-Ed25519`,
//! hex) of `X-Signature-Timestamp` followed by the raw body, made with the application's key,
//! and a timestamp no more than [`MAX_AGE`] away from now (a captured request cannot be
//! replayed later). Discord sends bad signatures on purpose and removes endpoints that accept
//! them.

use chrono::{DateTime, TimeDelta, Utc};
use ed25519_dalek::{Signature, VerifyingKey};
use http::HeaderMap;

/// Oldest (and furthest in the future) accepted `X-Signature-Timestamp`.
pub const MAX_AGE: TimeDelta = TimeDelta::minutes(5);

/// Why a request was refused (all answered 401; the reason is logged, never the body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    MissingHeaders,
    MalformedSignature,
    MalformedTimestamp,
    Stale,
    BadSignature,
}

impl Rejection {
    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::MissingHeaders => "missing signature headers",
            Rejection::MalformedSignature => "signature is not 64 bytes of hex",
            Rejection::MalformedTimestamp => "timestamp is not a number of seconds",
            Rejection::Stale => "timestamp more than 5 minutes away",
            Rejection::BadSignature => "signature does not verify",
        }
    }
}

/// The application's public key, parsed once.
#[derive(Debug, Clone)]
pub struct Verifier {
    key: VerifyingKey,
}

impl Verifier {
    /// From the 64 hex digits shown in Discord's developer portal.
    pub fn from_hex(hex_key: &str) -> Result<Verifier, String> {
        let bytes: [u8; 32] = hex::decode(hex_key.trim())
            .map_err(|err| format!("not hexadecimal ({err})"))?
            .try_into()
            .map_err(|_| "expected 32 bytes (64 hexadecimal digits)".to_owned())?;
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|_| "not a valid Ed25519 public key".to_owned())?;
        Ok(Verifier { key })
    }

    /// Ok when `headers` carry a valid, fresh signature of `body`.
    pub fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), Rejection> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let (Some(signature), Some(timestamp)) = (
            header("x-signature-ed25519"),
            header("x-signature-timestamp"),
        ) else {
            return Err(Rejection::MissingHeaders);
        };
        let signature: [u8; 64] = hex::decode(signature.trim())
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(Rejection::MalformedSignature)?;
        let seconds: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| Rejection::MalformedTimestamp)?;
        let sent = DateTime::from_timestamp(seconds, 0).ok_or(Rejection::MalformedTimestamp)?;
        if (now - sent).abs() > MAX_AGE {
            return Err(Rejection::Stale);
        }
        let mut message = Vec::with_capacity(timestamp.len() + body.len());
        message.extend_from_slice(timestamp.as_bytes());
        message.extend_from_slice(body);
        self.key
            .verify_strict(&message, &Signature::from_bytes(&signature))
            .map_err(|_| Rejection::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn signed(key: &SigningKey, timestamp: &str, body: &[u8]) -> HeaderMap {
        let mut message = timestamp.as_bytes().to_vec();
        message.extend_from_slice(body);
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-signature-ed25519",
            hex::encode(key.sign(&message).to_bytes()).parse().unwrap(),
        );
        headers.insert("x-signature-timestamp", timestamp.parse().unwrap());
        headers
    }

    #[test]
    fn signatures_are_checked() {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).unwrap();
        let key = SigningKey::from_bytes(&seed);
        let verifier = Verifier::from_hex(&hex::encode(key.verifying_key().to_bytes())).unwrap();
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let body = br#"{"type":1}"#;
        let headers = signed(&key, "1800000000", body);
        assert_eq!(verifier.verify(&headers, body, now), Ok(()));
        assert_eq!(
            verifier.verify(&headers, br#"{"type":2}"#, now),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            verifier.verify(&headers, body, now + TimeDelta::minutes(6)),
            Err(Rejection::Stale)
        );
        assert_eq!(
            verifier.verify(&HeaderMap::new(), body, now),
            Err(Rejection::MissingHeaders)
        );
        assert!(Verifier::from_hex("abcd").is_err());
    }
}
