//! The contract of every store: the `Store` trait, the values it takes and gives, and the
//! rules every store keeps (the same handler runs on SQLite and DynamoDB, one suite checks both).
//!
//! Rules every store keeps, whatever the concurrency:
//! - at most `capacity` people are `registered` for an event; the others are `waitlisted`, first
//!   come first served (a new person never gets a seat while someone waits);
//! - an e-mail key (see [`crate::validation::email_key`]) appears once per event;
//! - cancelling deletes the person's data and, in the same atomic step, moves the first waiting
//!   person up when a seat frees;
//! - an announcement (event × [`AnnouncementKind`]) is claimed by one sync at a time, with a
//!   conditional write; once marked sent it is never claimed again;
//! - a link proposed from Discord ([`Suggestion`]) is stored once per normalised URL, with a
//!   conditional write: a second proposal gets the first one back.
//! - with [`Mailing`] given, each e-mail a change causes (the confirmation of a registration, the
//!   promotion of a waiting person) is recorded in the outbox in the same atomic step as the
//!   change; a message is claimed by one sender at a time (a lease, as for announcements) and
//!   deleted once delivered.
//! - an event has at most one private join link ([`JoinLink`]); setting the same address again
//!   changes nothing (not even its time), so "changed since" is a fact callers can rely on.
//! - every registration records until when its event's personal data may be kept
//!   ([`NewRegistration::keep_until`], moved by [`Store::keep_until`] when the event moves);
//!   [`Store::purge_expired`] then deletes all of it: registrations, addresses, the messages
//!   about them (see [`crate::retention`]).
//! - the messages the sync sends to the people of an event ([`Fanout`]: the reminder, the join
//!   link, a change notice) are recorded with a mark on each registration, in the same atomic
//!   step as the person's message: a person is reminded once, sent each join link once, told of
//!   each revision of the event once, however many syncs run at the same time;
//! - what the sync last saw of an event ([`EventState`]) is kept with a revision that only one
//!   sync can raise (a conditional write) for one change.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

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
    /// The event's personal data is deleted after this instant ([`crate::retention`]).
    pub keep_until: DateTime<Utc>,
}

/// What [`Store::purge_expired`] deleted (counts only: it is logged).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Events whose personal data went.
    pub events: usize,
    /// Registrations (registered or waiting) deleted with them.
    pub registrations: usize,
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

/// The private join link of an event (a webinar's address), set by its organisers. It holds no
/// personal data but is private: it never appears in the static site, the manifest, the logs or
/// any public answer, only in the organisers' list and in the e-mails to registered people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JoinLink {
    pub url: String,
    /// When this address was set (setting the same address again keeps the first time).
    pub set_at: DateTime<Utc>,
}

/// The Discord messages sent about an event, each at most once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum AnnouncementKind {
    /// The event is announced (once, as soon as it is upcoming).
    #[serde(rename = "announce")]
    Announce,
    /// It starts within 24 hours.
    #[serde(rename = "reminder-24h")]
    Reminder24h,
    /// It starts within one hour.
    #[serde(rename = "reminder-1h")]
    Reminder1h,
    /// It was cancelled (`cancelled: true`) before it started.
    #[serde(rename = "cancelled")]
    Cancelled,
}

impl AnnouncementKind {
    pub const ALL: [AnnouncementKind; 4] = [
        AnnouncementKind::Announce,
        AnnouncementKind::Reminder24h,
        AnnouncementKind::Reminder1h,
        AnnouncementKind::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AnnouncementKind::Announce => "announce",
            AnnouncementKind::Reminder24h => "reminder-24h",
            AnnouncementKind::Reminder1h => "reminder-1h",
            AnnouncementKind::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Option<AnnouncementKind> {
        AnnouncementKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == value)
    }
}

/// A request to take charge of sending one announcement.
#[derive(Debug, Clone, Copy)]
pub struct AnnouncementClaim<'a> {
    pub slug: &'a str,
    pub kind: AnnouncementKind,
    /// Random identifier of this attempt: only its holder can mark it sent or release it.
    pub claim: &'a str,
    /// The current instant: a pending claim whose lease ended before it can be taken over.
    pub now: DateTime<Utc>,
    /// End of this claim's lease. Longer than the longest possible send, so that a live claim
    /// is never taken over; a claim whose holder crashed is taken over after it.
    pub lease_until: DateTime<Utc>,
    /// Until when the record must be kept (stores with expiry delete it afterwards).
    pub keep_until: DateTime<Utc>,
}

/// Answer to [`Store::claim_announcement`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// The caller holds the claim: it sends, then calls [`Store::mark_announcement_sent`] or,
    /// when the send failed, [`Store::release_announcement`].
    Claimed,
    /// Already sent: nothing to do.
    Sent,
    /// Another sync holds a live claim on it.
    Held,
}

/// A link proposed from Discord with « Proposer au site », until a maintainer's import takes it.
/// Only Discord display names, never e-mail addresses nor user ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The link's identity ([`crate::links::normalize`]): one suggestion per page.
    pub key: String,
    /// The link without tracking parameters.
    pub url: String,
    /// The message's text.
    pub content: String,
    /// Display name of the message's author.
    pub author: String,
    /// The message's link: `https://discord.com/channels/{guild_id}/{channel_id}/{message_id}`.
    pub guild_id: Option<String>,
    pub channel_id: String,
    pub message_id: String,
    /// The channel's name, when Discord gave it.
    pub channel_name: Option<String>,
    /// When the message was posted (RFC 3339, as Discord gives it).
    pub message_at: String,
    /// Title and description of the message's embed for this link, when it has one.
    pub embed_title: Option<String>,
    pub embed_description: Option<String>,
    /// Display name of the member who proposed it.
    pub proposed_by: String,
    pub proposed_at: DateTime<Utc>,
}

/// Answer to [`Store::propose`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProposeOutcome {
    Stored,
    /// This link was proposed before (pending or already taken): nothing was stored.
    AlreadyProposed(Box<Suggestion>),
}

/// What the store links to an event in Discord: its guild scheduled event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduledLink {
    /// The scheduled event's id, once created.
    pub discord_id: Option<String>,
    /// Fingerprint of what was last sent, to update only on change.
    pub fingerprint: Option<String>,
}

/// Answer to [`Store::claim_scheduled_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduledClaim {
    /// The caller holds the event until its lease ends: what is linked so far.
    Claimed(ScheduledLink),
    /// Another sync holds it.
    Held,
}

/// What a store needs to record the e-mails a change causes, in the same atomic step.
#[derive(Debug, Clone, Copy)]
pub struct Mailing<'a> {
    /// Base of the cancellation links in these messages (`{link_base}/registrations/{token}`).
    pub link_base: &'a str,
    /// When the change happens: its messages are due from then.
    pub now: DateTime<Utc>,
}

/// Why an e-mail is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    /// Right after registering: the seat or the place in line (as it stands when sent).
    Confirmation,
    /// A waiting person got a seat.
    Promotion,
    /// 24 hours before the start, to registered people (with the join link when there is one).
    Reminder,
    /// The join link, set or changed after the reminder went out.
    #[serde(rename = "join-link")]
    JoinLink,
    /// The event moved or was cancelled (to registered and waiting people).
    Notice,
}

impl MessageKind {
    pub const ALL: [MessageKind; 5] = [
        MessageKind::Confirmation,
        MessageKind::Promotion,
        MessageKind::Reminder,
        MessageKind::JoinLink,
        MessageKind::Notice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Confirmation => "confirmation",
            MessageKind::Promotion => "promotion",
            MessageKind::Reminder => "reminder",
            MessageKind::JoinLink => "join-link",
            MessageKind::Notice => "notice",
        }
    }

    pub fn parse(value: &str) -> Option<MessageKind> {
        MessageKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == value)
    }
}

/// What the sync sends to the people of an event, each person at most once (see
/// [`Store::enqueue_fanout`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fanout {
    /// The reminder, to each registered person not reminded yet; it carries `join_url`.
    Reminder { join_url: Option<String> },
    /// The join link `url`, to each registered person already reminded whose last link was
    /// another (or none).
    JoinLink { url: String },
    /// Revision `revision` of the event (made at `changed_at`), to each person registered or
    /// waiting since before `changed_at` and not told of it yet.
    Notice {
        revision: u32,
        changed_at: DateTime<Utc>,
    },
}

impl Fanout {
    /// The outbox id of this message to the person of `token` (`at`: when it is recorded).
    pub fn message_id(&self, token: &str, at: DateTime<Utc>) -> String {
        match self {
            Fanout::Reminder { .. } => format!("reminder-{token}"),
            Fanout::JoinLink { .. } => format!("join-{token}-{}", at.timestamp_millis()),
            Fanout::Notice { revision, .. } => format!("notice-{token}-{revision}"),
        }
    }

    pub fn kind(&self) -> MessageKind {
        match self {
            Fanout::Reminder { .. } => MessageKind::Reminder,
            Fanout::JoinLink { .. } => MessageKind::JoinLink,
            Fanout::Notice { .. } => MessageKind::Notice,
        }
    }

    /// What the message carries besides the person ([`OutboxMessage::detail`]).
    pub fn detail(&self) -> Option<String> {
        match self {
            Fanout::Reminder { join_url } => join_url.clone(),
            Fanout::JoinLink { url } => Some(url.clone()),
            Fanout::Notice { revision, .. } => Some(revision.to_string()),
        }
    }
}

/// What of an event a change notice is about: when it happens and whether it still does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventState {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub cancelled: bool,
}

/// What the store knows of an event after [`Store::observe_event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observed {
    /// 0 for the state first seen, raised by one at each change.
    pub revision: u32,
    /// When the current revision was seen first (`None` for revision 0).
    pub changed_at: Option<DateTime<Utc>>,
}

/// The outbox id of the `kind` message to the person of `token`: each person gets at most one
/// confirmation and one promotion, so the id is known to whoever recorded the change.
pub fn message_id(kind: MessageKind, token: &str) -> String {
    format!("{}-{token}", kind.as_str())
}

/// The outbox id of a confirmation sent again at `now` (see [`Store::resend_confirmation`]).
pub fn resend_id(token: &str, now: DateTime<Utc>) -> String {
    format!("resend-{token}-{}", now.timestamp_millis())
}

/// An e-mail waiting in the outbox: only what composing it needs (the event's details come from
/// the manifest when it is sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Random, unique.
    pub id: String,
    pub slug: String,
    pub kind: MessageKind,
    /// The address, as typed.
    pub recipient: String,
    pub name: String,
    /// The person's cancellation token.
    pub token: String,
    /// Base of the cancellation link.
    pub link_base: String,
    /// Failed delivery attempts so far.
    pub attempts: u32,
    /// What the message carries besides the person: the join link of a reminder or a join-link
    /// message, the revision of a notice ([`Fanout::detail`]).
    pub detail: Option<String>,
}

/// A message that will not be tried again (shown in the organisers' list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedMessage {
    pub kind: MessageKind,
    pub recipient: String,
    pub attempts: u32,
    /// The last error, without personal data.
    pub error: String,
}

/// A request to take charge of sending outbox messages.
#[derive(Debug, Clone, Copy)]
pub struct MessageClaim<'a> {
    /// Random identifier of this sender: only it can delete or reschedule what it claimed.
    pub claim: &'a str,
    /// Messages due at or before `now` whose lease (if any) ended are claimable.
    pub now: DateTime<Utc>,
    /// End of this claim's lease, longer than a delivery can take.
    pub lease_until: DateTime<Utc>,
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
    /// Records a registration, or reports a duplicate e-mail key. With `mailing`, its
    /// confirmation (and the promotion of anyone who gets a seat freed by a raised capacity) is
    /// recorded in the outbox with it.
    async fn register(
        &self,
        slug: &str,
        capacity: Option<u32>,
        registration: NewRegistration,
        mailing: Option<Mailing<'_>>,
    ) -> Result<RegisterOutcome, StoreError>;

    /// How many people are registered and waiting for `slug`.
    async fn counts(&self, slug: &str) -> Result<Counts, StoreError>;

    /// What `token` stands for, if it is a live registration.
    async fn find(&self, token: &str) -> Result<Option<TokenInfo>, StoreError>;

    /// Deletes the registration of `token` (all its personal data) and promotes waiting people
    /// into the freed seats of its event, given its `capacity`. `None` when the token is unknown
    /// or already cancelled. With `mailing`, the promotion message of each person who moves up is
    /// recorded in the outbox in the same atomic step.
    async fn cancel(
        &self,
        token: &str,
        capacity: Option<u32>,
        mailing: Option<Mailing<'_>>,
    ) -> Result<Option<Cancelled>, StoreError>;

    /// Everyone registered or waiting for `slug`: registered people in order of registration,
    /// then the waiting list in its order.
    async fn list(&self, slug: &str) -> Result<Vec<Registration>, StoreError>;

    /// Takes charge of sending one announcement, atomically: succeeds when it was never claimed,
    /// or when its last claim is still pending and its lease has ended (the holder crashed or
    /// timed out before marking it sent); fails when it was sent or is held by a live claim.
    async fn claim_announcement(
        &self,
        claim: &AnnouncementClaim<'_>,
    ) -> Result<ClaimOutcome, StoreError>;

    /// Records that the announcement held by `claim` was sent. False when `claim` no longer
    /// holds it (its lease ended and another sync took it over).
    async fn mark_announcement_sent(
        &self,
        slug: &str,
        kind: AnnouncementKind,
        claim: &str,
        sent_at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Gives up the pending claim `claim` after a failed send, so that the next sync tries
    /// again. False when `claim` no longer holds it.
    async fn release_announcement(
        &self,
        slug: &str,
        kind: AnnouncementKind,
        claim: &str,
    ) -> Result<bool, StoreError>;

    /// Takes charge of the Discord scheduled event of `slug` until `lease_until`, atomically:
    /// succeeds when nobody holds it (never claimed, or the last lease ended at `now`), so two
    /// syncs never create two scheduled events for one event.
    async fn claim_scheduled_event(
        &self,
        slug: &str,
        claim: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<ScheduledClaim, StoreError>;

    /// Records `link` and ends the lease held by `claim`. False when `claim` no longer holds it.
    async fn release_scheduled_event(
        &self,
        slug: &str,
        claim: &str,
        link: &ScheduledLink,
    ) -> Result<bool, StoreError>;

    /// Deletes the link of `slug` held by `claim` (its scheduled event was deleted).
    async fn forget_scheduled_event(&self, slug: &str, claim: &str) -> Result<bool, StoreError>;

    /// The events that have a link.
    async fn scheduled_event_slugs(&self) -> Result<Vec<String>, StoreError>;

    /// Stores `suggestion` unless its key was proposed before, atomically.
    async fn propose(&self, suggestion: &Suggestion) -> Result<ProposeOutcome, StoreError>;

    /// The suggestions not taken yet, oldest first.
    async fn pending_suggestions(&self) -> Result<Vec<Suggestion>, StoreError>;

    /// Marks the suggestions of `keys` taken (imported): they are no longer pending, and stay
    /// known so that the same link is not proposed again. Returns how many were pending.
    async fn take_suggestions(
        &self,
        keys: &[String],
        taken_at: DateTime<Utc>,
    ) -> Result<u32, StoreError>;
    /// For a second registration attempt of `email_key` (already registered or waiting for
    /// `slug`): records a new sending of that person's confirmation, unless one was recorded
    /// after `not_since` (at most one an hour). Returns the new message's id, `None` when
    /// nothing was recorded (too soon, or no such registration).
    async fn resend_confirmation(
        &self,
        slug: &str,
        email_key: &str,
        mailing: Mailing<'_>,
        not_since: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError>;

    /// Claims the message `id` if it is claimable (due, not held by a live lease, not failed):
    /// the sender that just recorded it tries it at once.
    async fn claim_message(
        &self,
        id: &str,
        claim: &MessageClaim<'_>,
    ) -> Result<Option<OutboxMessage>, StoreError>;

    /// Claims up to `limit` claimable messages, oldest first.
    async fn claim_due_messages(
        &self,
        claim: &MessageClaim<'_>,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError>;

    /// Deletes the message `id`, delivered (or no longer needed) by the holder of `claim`. False
    /// when `claim` no longer holds it.
    async fn delete_message(&self, id: &str, claim: &str) -> Result<bool, StoreError>;

    /// Records a failed attempt of the holder of `claim` and gives the message up: due again at
    /// `retry_at`, or, when `None`, failed for good (kept for the organisers' list). `error`
    /// holds no personal data.
    async fn reschedule_message(
        &self,
        id: &str,
        claim: &str,
        retry_at: Option<DateTime<Utc>>,
        error: &str,
    ) -> Result<bool, StoreError>;

    /// The messages about `slug` that failed for good.
    async fn failed_messages(&self, slug: &str) -> Result<Vec<FailedMessage>, StoreError>;

    /// Sets the private join link of `slug` to `url` at `at`. True when it changed (there was
    /// none, or another address); false when `url` was already the link (nothing is written).
    async fn set_join_url(
        &self,
        slug: &str,
        url: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Removes the join link of `slug`. True when there was one.
    async fn clear_join_url(&self, slug: &str) -> Result<bool, StoreError>;

    /// The join link of `slug`, if set.
    async fn join_url(&self, slug: &str) -> Result<Option<JoinLink>, StoreError>;

    /// Moves until when the personal data of `slug` is kept (the event moved, or the retention
    /// changed), if it has registrations (an event without any gets no record). True when it
    /// changed something.
    async fn keep_until(&self, slug: &str, until: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Deletes every registration of the events kept until before `now`, with the addresses,
    /// the confirmations re-sent and the outbox messages about them.
    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<Purged, StoreError>;

    /// Records `fanout`'s message in the outbox for each person of `slug` it is for, with the
    /// mark that keeps it from being recorded again, each person in one atomic step (due at
    /// `mailing.now`). Returns how many were recorded.
    async fn enqueue_fanout(
        &self,
        slug: &str,
        fanout: &Fanout,
        mailing: Mailing<'_>,
    ) -> Result<u32, StoreError>;

    /// Compares `state` with what was last seen of `slug`: first seen, it is recorded as
    /// revision 0; different, it is recorded as the next revision at `now` (by one caller only,
    /// however many observe the change at once). Returns the revision in force.
    async fn observe_event(
        &self,
        slug: &str,
        state: &EventState,
        now: DateTime<Utc>,
    ) -> Result<Observed, StoreError>;

    /// The revision in force of `slug` (0 when never observed), for the `.ics` `SEQUENCE`.
    async fn event_revision(&self, slug: &str) -> Result<u32, StoreError>;
}
