//! Storage of registrations behind one small async trait, so that the same handler runs on the
//! embedded SQLite store and on DynamoDB, and one test suite checks both. The trait, its values
//! and the rules every store keeps, whatever the concurrency, are in [`contract`]; each store
//! implements it in a module of its own.

pub mod contract;
mod delegate;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod sqlite;

pub use contract::*;
#[cfg(feature = "dynamodb")]
pub use dynamodb::DynamoStore;
pub use sqlite::SqliteStore;
