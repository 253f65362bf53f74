//! The notion of "now" used to decide whether registrations are open, injectable so that tests
//! can put the function before, during or after an event.

use std::sync::Arc;

use chrono::{DateTime, Utc};

/// Returns the current instant. Tests pass a closure reading a value they control.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The real clock.
pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}
