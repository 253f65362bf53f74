//! Per-client limit on registration attempts, so one client cannot flood an event with fake
//! registrations. In memory: each Lambda instance (or the local server) counts on its own.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};

/// Number of tracked clients above which idle ones are forgotten.
const PRUNE_ABOVE: usize = 10_000;

/// Sliding one-minute window of attempts per client.
pub struct RateLimiter {
    limit: u32,
    window: TimeDelta,
    attempts: Mutex<HashMap<IpAddr, VecDeque<DateTime<Utc>>>>,
}

impl RateLimiter {
    /// `limit` attempts per minute and client; 0 disables the limit.
    pub fn new(limit: u32) -> RateLimiter {
        RateLimiter {
            limit,
            window: TimeDelta::minutes(1),
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Records an attempt by `client` at `now`; false when it goes over the limit (refused
    /// attempts are not recorded, so a client that waits gets through again).
    pub fn allow(&self, client: IpAddr, now: DateTime<Utc>) -> bool {
        if self.limit == 0 {
            return true;
        }
        let key = bucket(client);
        let mut attempts = self
            .attempts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if attempts.len() > PRUNE_ABOVE {
            attempts.retain(|_, times| times.back().is_some_and(|last| now - *last < self.window));
        }
        let times = attempts.entry(key).or_default();
        while times
            .front()
            .is_some_and(|first| now - *first >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= self.limit as usize {
            return false;
        }
        times.push_back(now);
        true
    }
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
}
