//! The DynamoDB store (feature `dynamodb`), for the Lambda deployment, where many instances
//! write at once: every decision is checked by DynamoDB itself with conditional writes inside
//! `TransactWriteItems`, never by a read followed by a blind write.
//!
//! # Single-table layout
//!
//! One table with a string partition key `pk` and a string sort key `sk`:
//!
//! | item               | `pk`            | `sk`                 | attributes                                   |
//! |--------------------|-----------------|----------------------|----------------------------------------------|
//! | event counter      | `EVENT#{slug}`  | `COUNTER`            | `registered` (N), `waitlist` (L of S: tokens, first = next to get a seat) |
//! | registration       | `EVENT#{slug}`  | `REG#{token}`        | `token`, `name`, `email`, `email_key`, `discord`?, `status`, `registered_at`, `expires_at` (N, s: TTL), `reminded`? (BOOL), `join_sent`?, `notified`? (N) |
//! | event state        | `EVENT#{slug}`  | `STATE`              | `start`, `end` (RFC 3339 UTC), `cancelled` (BOOL), `revision` (N), `changed_at`? |
//! | e-mail uniqueness  | `EVENT#{slug}`  | `EMAIL#{email_key}`  | `token`, `expires_at` (N, s: TTL)            |
//! | token index        | `TOKEN#{token}` | `TOKEN`              | `slug`, `expires_at` (N, s: TTL)             |
//! | retention          | `RETENTION`     | `EVENT#{slug}`       | `slug`, `keep_until` (N, ms)                 |
//! | announcement       | `EVENT#{slug}`  | `ANNOUNCE#{kind}`    | `state` (`pending`/`sent`), `claim`, `lease_until` (N, ms), `sent_at`?, `expires_at` (N, s: TTL) |
//! | scheduled event    | `SCHEDULED`     | `EVENT#{slug}`       | `claim`, `lease_until` (N, ms), `discord_id`?, `fingerprint`? |
//! | suggestion         | `SUGGESTIONS`   | `LINK#{key}`         | `state` (`pending`/`taken`), `data` (the suggestion as JSON), `proposed_at`, `taken_at`? |
//! | re-sent confirmation | `EVENT#{slug}` | `RESENT#{email_key}` | `at` (N, ms), `expires_at` (N, s: TTL) |
//! | join link          | `EVENT#{slug}`  | `JOIN`               | `url`, `set_at` (private, no personal data)   |
//! | outbox message     | `OUTBOX`        | `MSG#{id}`           | `slug`, `kind`, `recipient`, `name`, `token`, `link_base`, `detail`?, `created` (N, ms), `attempts` (N), `next_at` (N, ms), `lease_until` (N, ms), `claim`?, `failed_at`?, `last_error`?, `expires_at` (N, s: TTL) |
//!
//! # How the rules hold under concurrency
//!
//! - Registering is one transaction: update the counter, put the registration, put the e-mail
//!   item (condition: absent, so a second registration of the same e-mail key fails as a whole)
//!   and put the token item. A seat is taken with `registered = registered + 1` under the
//!   condition `registered < capacity AND size(waitlist) = 0`; otherwise the token is appended to
//!   `waitlist` under the condition `registered >= capacity OR size(waitlist) > 0`. A failed
//!   condition means another writer got there first: read again and retry. The capacity can
//!   therefore never be exceeded, and the waiting order is the commit order.
//! - The waiting-list position is the token's index in `waitlist` (read after the commit).
//! - Cancelling is one transaction: delete the three items of the registration and, when a seat
//!   frees and someone waits, remove the head of `waitlist` (condition: it is still that token)
//!   and mark that registration `registered`; else decrement `registered` or remove the token
//!   from `waitlist` (condition: the index still holds it).
//! - Transactions touching the counter at the same time fail with `TransactionConflict`; they
//!   are retried after a short random pause.
//! - E-mails are outbox items put in the transaction of the change that causes them (the
//!   registration, the promotion). A sender claims one with a conditional `UpdateItem` (not
//!   failed, due, no live lease), deletes it once sent (condition: it holds the claim) or
//!   reschedules it. The outbox is one partition, read whole by `Query`: it only holds the
//!   messages not yet delivered and the failed ones.
//! - The sync's messages to the people of an event (reminder, join link, notice) are recorded
//!   one person at a time, each in a transaction of two items: the registration's mark
//!   (`reminded`, `join_sent`, `notified`), updated under the condition that it is not set yet,
//!   and the outbox item. A concurrent sync's transaction fails its condition: nothing twice,
//!   and no transaction outgrows DynamoDB's limit of 100 items however large the event.
//! - An event's state is put once (absent) as revision 0; a change is an update conditional on
//!   the revision read, so one sync only raises it.
//! - An announcement is claimed with one conditional `PutItem`: absent, or `pending` with an
//!   ended lease. Marking it sent and releasing it are conditional on holding the claim.
//!   `expires_at` is the table's TTL attribute: announcement records go some time after the
//!   event.
//! - Personal data is kept until the event's `keep_until` ([`crate::retention`]): each
//!   registration writes the event's retention item and carries the instant as `expires_at`
//!   on its items, so DynamoDB's TTL deletes them even if no sweep runs (within a few days).
//!   The sweep deletes them on time (`purge_expired`: the event's personal items, their token
//!   items, their outbox messages, then the retention item, so an interrupted purge resumes)
//!   and moves `expires_at` when the event moves (`keep_until`).
//!
//! - A suggestion is stored with one conditional `PutItem` (absent), so one link is stored once
//!   however many members propose it at the same moment; taking it is conditional on `pending`.
//!
//! Limit: the counter item holds the waiting list, about 30 bytes per waiting person, well under
//! the 400 KB item limit for any realistic event.

mod connection;
mod discord;
mod events;
mod outbox;
mod registrations;
mod rows;

use chrono::{DateTime, Utc};

use super::contract::{
    AnnouncementClaim, AnnouncementKind, Cancelled, ClaimOutcome, Counts, EventState,
    FailedMessage, Fanout, JoinLink, Mailing, MessageClaim, NewRegistration, Observed,
    OutboxMessage, ProposeOutcome, Purged, RegisterOutcome, Registration, ScheduledClaim,
    ScheduledLink, StoreError, Suggestion, TokenInfo,
};

pub use connection::DynamoStore;

// Each operation is written with its concern: `registrations.rs`, `events.rs`, `outbox.rs`,
// `discord.rs`.
super::delegate::store_by_inherent_methods!(DynamoStore);
