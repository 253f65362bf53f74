//! Storage of registrations behind one small async trait, so that the same handler runs on the
//! embedded SQLite store and on DynamoDB, and one test suite checks both.
//!
//! Rules every store keeps, whatever the concurrency:
//! - at most `capacity` people are `registered` for an event; the others are `waitlisted`, first
//!   come first served (a new person never gets a seat while someone waits);
//! - an e-mail key (see [`crate::validation::email_key`]) appears once per event;
//! - cancelling deletes the person's data and, in the same atomic step, moves the first waiting
//!   person up when a seat frees.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use thiserror::Error;

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod sqlite;

#[cfg(feature = "dynamodb")]
pub use dynamodb::DynamoStore;
pub use sqlite::SqliteStore;

/// Where a person stands for an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Registered,
    Waitlisted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Registered => "registered",
            Status::Waitlisted => "waitlisted",
        }
    }

    pub fn parse(value: &str) -> Option<Status> {
        match value {
            "registered" => Some(Status::Registered),
            "waitlisted" => Some(Status::Waitlisted),
            _ => None,
        }
    }
}

/// A registration to record.
#[derive(Debug, Clone)]
pub struct NewRegistration {
    /// Secret cancellation token, unique.
    pub token: String,
    pub name: String,
    pub email: String,
    /// Normalised e-mail, unique per event.
    pub email_key: String,
    pub discord: Option<String>,
    pub registered_at: DateTime<Utc>,
}

/// What became of a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterOutcome {
    Registered,
    /// On the waiting list at this 1-based position.
    Waitlisted {
        position: u32,
    },
    /// The e-mail is already registered or waiting for this event; nothing was stored.
    Duplicate,
}

/// Public numbers of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub registered: u32,
    pub waitlisted: u32,
}

/// What a token stands for (no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub slug: String,
    pub status: Status,
    /// Current waiting-list position when waitlisted.
    pub position: Option<u32>,
}

/// A cancellation that happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancelled {
    pub slug: String,
    /// How many waiting people got a seat as a result.
    pub promoted: u32,
}

/// One line of the organisers' list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registration {
    pub name: String,
    pub discord: Option<String>,
    pub email: String,
    pub status: Status,
    /// Current waiting-list position when waitlisted.
    pub position: Option<u32>,
    pub registered_at: DateTime<Utc>,
}

/// A store failure. Messages never contain personal data.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("store I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("store backend: {0}")]
    Backend(String),
    #[error("store busy: gave up after {0} attempts")]
    Contention(u32),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

/// The registrations of all events. `capacity` is the event's capacity from the manifest
/// (`None`: unlimited); it is passed on each call because the manifest may change.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Records a registration, or reports a duplicate e-mail key.
    async fn register(
        &self,
        slug: &str,
        capacity: Option<u32>,
        registration: NewRegistration,
    ) -> Result<RegisterOutcome, StoreError>;

    /// How many people are registered and waiting for `slug`.
    async fn counts(&self, slug: &str) -> Result<Counts, StoreError>;

    /// What `token` stands for, if it is a live registration.
    async fn find(&self, token: &str) -> Result<Option<TokenInfo>, StoreError>;

    /// Deletes the registration of `token` (all its personal data) and promotes waiting people
    /// into the freed seats of its event, given its `capacity`. `None` when the token is unknown
    /// or already cancelled.
    async fn cancel(
        &self,
        token: &str,
        capacity: Option<u32>,
    ) -> Result<Option<Cancelled>, StoreError>;

    /// Everyone registered or waiting for `slug`: registered people in order of registration,
    /// then the waiting list in its order.
    async fn list(&self, slug: &str) -> Result<Vec<Registration>, StoreError>;
}
