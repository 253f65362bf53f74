//! Limits on registration attempts: per client, so one client cannot flood an event with fake
//! registrations; per e-mail address, so the form cannot be used to send our messages to a
//! stranger again and again. In memory: each Lambda instance (or the local server) counts on
//! its own.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

/// Messages a registration may cause to one address in [`ADDRESS_WINDOW`], all events
/// together: new registrations and confirmations sent again (a repeated registration that sends
/// nothing does not count; the store already allows one such message an hour per event).
pub const ADDRESS_LIMIT: u32 = 5;
pub const ADDRESS_WINDOW: TimeDelta = TimeDelta::hours(1);

/// Number of tracked clients above which idle ones are forgotten.
const PRUNE_ABOVE: usize = 10_000;

/// Sliding window of attempts per key: a client (an IP address) or an e-mail address (its
/// SHA-256 digest, so no address is held in memory as text).
pub struct RateLimiter<K = IpAddr> {
    limit: u32,
    window: TimeDelta,
    attempts: Mutex<HashMap<K, VecDeque<DateTime<Utc>>>>,
}

impl RateLimiter<IpAddr> {
    /// `limit` attempts per minute and client; 0 disables the limit.
    pub fn new(limit: u32) -> RateLimiter {
        RateLimiter::with_window(limit, TimeDelta::minutes(1))
    }

    /// Records an attempt by `client` at `now`; false when it goes over the limit (refused
    /// attempts are not recorded, so a client that waits gets through again).
    pub fn allow(&self, client: IpAddr, now: DateTime<Utc>) -> bool {
        self.record(bucket(client), now)
    }
}

impl RateLimiter<[u8; 32]> {
    /// [`ADDRESS_LIMIT`] attempts per [`ADDRESS_WINDOW`] and e-mail address.
    pub fn per_address() -> RateLimiter<[u8; 32]> {
        RateLimiter::with_window(ADDRESS_LIMIT, ADDRESS_WINDOW)
    }

    /// Whether the normalised address `email_key` reached the limit at `now` (nothing is
    /// recorded: see [`RateLimiter::note_address`]).
    pub fn address_is_full(&self, email_key: &str, now: DateTime<Utc>) -> bool {
        let key = address_key(email_key);
        let mut attempts = self.attempts();
        self.limit > 0 && recent(&mut attempts, key, now, self.window).len() >= self.limit as usize
    }

    /// Records that a message to `email_key` was caused at `now`.
    pub fn note_address(&self, email_key: &str, now: DateTime<Utc>) {
        let key = address_key(email_key);
        let mut attempts = self.attempts();
        recent(&mut attempts, key, now, self.window).push_back(now);
    }
}

impl<K: Hash + Eq> RateLimiter<K> {
    /// `limit` attempts per `window` and key; 0 disables the limit.
    pub fn with_window(limit: u32, window: TimeDelta) -> RateLimiter<K> {
        RateLimiter {
            limit,
            window,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    fn attempts(&self) -> std::sync::MutexGuard<'_, HashMap<K, VecDeque<DateTime<Utc>>>> {
        self.attempts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, key: K, now: DateTime<Utc>) -> bool {
        if self.limit == 0 {
            return true;
        }
        let mut attempts = self.attempts();
        let times = recent(&mut attempts, key, now, self.window);
        if times.len() >= self.limit as usize {
            return false;
        }
        times.push_back(now);
        true
    }
}

/// The attempts of `key` within `window` before `now` (older ones dropped); forgets idle keys
/// once there are many.
fn recent<K: Hash + Eq>(
    attempts: &mut HashMap<K, VecDeque<DateTime<Utc>>>,
    key: K,
    now: DateTime<Utc>,
    window: TimeDelta,
) -> &mut VecDeque<DateTime<Utc>> {
    if attempts.len() > PRUNE_ABOVE {
        attempts.retain(|_, times| times.back().is_some_and(|last| now - *last < window));
    }
    let times = attempts.entry(key).or_default();
    while times.front().is_some_and(|first| now - *first >= window) {
        times.pop_front();
    }
    times
}

/// An address as the limiter keeps it: its digest.
fn address_key(email_key: &str) -> [u8; 32] {
    Sha256::digest(email_key.as_bytes()).into()
}

/// IPv6 clients usually own a whole /64, so they are counted per /64.
fn bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_per_client() {
        let limiter = RateLimiter::new(2);
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z")
            .unwrap()
            .to_utc();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "2001:db8::1".parse().unwrap();
        let b2: IpAddr = "2001:db8::2".parse().unwrap();
        assert!(limiter.allow(a, t0));
        assert!(limiter.allow(a, t0 + TimeDelta::seconds(10)));
        assert!(!limiter.allow(a, t0 + TimeDelta::seconds(20)));
        assert!(limiter.allow(b, t0));
        assert!(limiter.allow(b2, t0));
        assert!(!limiter.allow(b, t0), "same /64");
        assert!(limiter.allow(a, t0 + TimeDelta::seconds(60)));
        assert!(!limiter.allow(a, t0 + TimeDelta::seconds(61)));
        assert!(RateLimiter::new(0).allow(a, t0));
    }

    #[test]
    fn an_hour_per_address() {
        let limiter = RateLimiter::per_address();
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z")
            .unwrap()
            .to_utc();
        for i in 0..ADDRESS_LIMIT {
            let at = t0 + TimeDelta::minutes(i.into());
            assert!(!limiter.address_is_full("ada@example.org", at));
            limiter.note_address("ada@example.org", at);
        }
        let later = t0 + TimeDelta::minutes(30);
        assert!(limiter.address_is_full("ada@example.org", later));
        assert!(!limiter.address_is_full("linus@example.org", later));
        assert!(!limiter.address_is_full("ada@example.org", t0 + TimeDelta::minutes(60)));
    }
}
