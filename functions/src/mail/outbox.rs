//! Delivering the outbox: each message recorded by the store with the change that caused it is
//! claimed (a lease: two senders never hold one message), composed from the manifest and the
//! person's current standing, sent, then deleted; a failed attempt is retried with back-off,
//! and after [`MAX_ATTEMPTS`] the message is kept as failed for the organisers' list.
//!
//! Who sends: the request that recorded a message tries it at once with a bounded wait
//! ([`App::enrol`](crate::App::enrol), the cancel); whatever is left (SMTP down, slow, a crashed
//! sender whose lease ended) is sent by [`Postman::deliver_due`], which `classmates serve` runs
//! every [`RETRY_EVERY`] and Lambda at each scheduled sync. A sender that dies after the SMTP
//! server took a message but before deleting it makes it leave again once the lease ends: the
//! one case of a repeat, as for the Discord announcements.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use serde::Serialize;

use super::{MailError, Mailer};
use crate::clock::Clock;
use crate::manifest::Manifest;
use crate::manifest::ManifestEvent;
use crate::store::{MessageClaim, MessageKind, OutboxMessage, Status, Store, TokenInfo};
use crate::token;

/// How long a claim holds a message: longer than the longest delivery ([`SEND_BUDGET`]), so a
/// live claim is never taken over.
pub const LEASE: TimeDelta = TimeDelta::minutes(2);
/// Longest time one SMTP delivery may take, all steps together (each also times out after
/// [`super::SMTP_TIMEOUT`]); a slower one counts as failed and is retried.
pub const SEND_BUDGET: Duration = Duration::from_secs(60);
/// Attempts before a message is shown as failed.
pub const MAX_ATTEMPTS: u32 = 8;
/// How often `classmates serve` retries what is due.
pub const RETRY_EVERY: Duration = Duration::from_secs(20);
/// Longest time a registration or a cancellation waits for its own messages to leave; past it,
/// they leave from the outbox later, the answer does not wait.
pub const REQUEST_WAIT: Duration = Duration::from_secs(2);
/// Messages one [`Postman::deliver_due`] takes at most.
pub const BATCH: usize = 200;

/// Wait before attempt `attempts + 1` after `attempts` failures: 30 s, 1 min, 2 min… capped at
/// one hour (eight attempts span about two hours).
pub fn retry_delay(attempts: u32) -> TimeDelta {
    let seconds = 30i64 << attempts.saturating_sub(1).min(7);
    TimeDelta::seconds(seconds.min(3600))
}

/// What one delivery round did (no personal data).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliverySummary {
    pub sent: u32,
    /// Failed this time, tried again later.
    pub retrying: u32,
    /// Failed for good this time.
    pub failed: u32,
    /// Dropped: the person cancelled or the event left the manifest.
    pub dropped: u32,
}

/// What became of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Sent,
    Retrying,
    Failed,
    Dropped,
}

/// Why `message` is no longer worth sending at `now` (it waited in the outbox meanwhile), or
/// `None`: a reminder after the start, a join link after the end, either to someone who is not
/// (or no longer) registered or for a cancelled event.
fn too_late(
    message: &OutboxMessage,
    standing: &TokenInfo,
    event: &ManifestEvent,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<&'static str> {
    let seat_only = matches!(message.kind, MessageKind::Reminder | MessageKind::JoinLink);
    match message.kind {
        MessageKind::Reminder if now >= event.start => Some("the event has started"),
        MessageKind::JoinLink if now >= event.end => Some("the event is over"),
        _ if seat_only && event.cancelled => Some("the event is cancelled"),
        _ if seat_only && standing.status != Status::Registered => Some("no seat"),
        _ => None,
    }
}

/// What a request sends before it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Soon {
    /// The message with this id (see [`crate::store::message_id`]).
    Message(String),
    /// Up to this many due messages (the promotions a cancellation caused).
    Due(usize),
}

/// Delivers outbox messages. Cheap to clone.
#[derive(Clone)]
pub struct Postman {
    store: Arc<dyn Store>,
    mailer: Arc<Mailer>,
    clock: Clock,
}

impl Postman {
    pub fn new(store: Arc<dyn Store>, mailer: Arc<Mailer>, clock: Clock) -> Postman {
        Postman {
            store,
            mailer,
            clock,
        }
    }

    pub fn mailer(&self) -> &Mailer {
        &self.mailer
    }

    fn claim_id() -> Result<String, crate::store::StoreError> {
        token::generate().map_err(|err| crate::store::StoreError::Backend(err.to_string()))
    }

    /// Sends `what` now and waits at most [`REQUEST_WAIT`]: the delivery goes on in the
    /// background past that (and what is not sent is left in the outbox).
    pub async fn send_soon(&self, what: Soon, manifest: Arc<Manifest>) {
        let postman = self.clone();
        let task = tokio::spawn(async move {
            match what {
                Soon::Message(id) => {
                    let claim = Postman::claim_id()?;
                    let now = (postman.clock)();
                    let request = MessageClaim {
                        claim: &claim,
                        now,
                        lease_until: now + LEASE,
                    };
                    if let Some(message) = postman.store.claim_message(&id, &request).await? {
                        postman.deliver(&message, &claim, &manifest).await;
                    }
                }
                Soon::Due(limit) => {
                    postman.deliver_due(&manifest, limit).await;
                }
            }
            Ok::<_, crate::store::StoreError>(())
        });
        match tokio::time::timeout(REQUEST_WAIT, task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(err))) => {
                tracing::warn!(error = %err, "message not claimed, left to the outbox")
            }
            Ok(Err(join)) => tracing::error!(error = %join, "message delivery task failed"),
            Err(_) => tracing::info!("message delivery slower than the request wait, it goes on"),
        }
    }

    /// Delivers up to [`BATCH`] due messages, [`REQUEST_WAIT`] bounded per message by the SMTP
    /// timeouts; `limit` caps the count (a request sends what it caused).
    pub async fn deliver_due(&self, manifest: &Manifest, limit: usize) -> DeliverySummary {
        let mut summary = DeliverySummary::default();
        let claim = match Postman::claim_id() {
            Ok(claim) => claim,
            Err(err) => {
                tracing::error!(error = %err, "no claim id");
                return summary;
            }
        };
        let now = (self.clock)();
        let request = MessageClaim {
            claim: &claim,
            now,
            lease_until: now + LEASE,
        };
        let messages = match self
            .store
            .claim_due_messages(&request, limit.min(BATCH))
            .await
        {
            Ok(messages) => messages,
            Err(err) => {
                tracing::error!(error = %err, "outbox not readable");
                return summary;
            }
        };
        for message in &messages {
            match self.deliver(message, &claim, manifest).await {
                Outcome::Sent => summary.sent += 1,
                Outcome::Retrying => summary.retrying += 1,
                Outcome::Failed => summary.failed += 1,
                Outcome::Dropped => summary.dropped += 1,
            }
        }
        if !messages.is_empty() {
            tracing::info!(
                sent = summary.sent,
                retrying = summary.retrying,
                failed = summary.failed,
                dropped = summary.dropped,
                "outbox delivered"
            );
        }
        summary
    }

    /// Composes and sends one claimed message, then deletes or reschedules it.
    async fn deliver(&self, message: &OutboxMessage, claim: &str, manifest: &Manifest) -> Outcome {
        let kind = message.kind.as_str();
        let Some(event) = manifest.event(&message.slug) else {
            tracing::info!(slug = %message.slug, kind, "event gone from the manifest, message dropped");
            self.delete(message, claim).await;
            return Outcome::Dropped;
        };
        let standing = match self.store.find(&message.token).await {
            Ok(Some(standing)) => standing,
            Ok(None) => {
                tracing::info!(slug = %message.slug, kind, "registration cancelled, message dropped");
                self.delete(message, claim).await;
                return Outcome::Dropped;
            }
            Err(err) => {
                return self
                    .reschedule(message, claim, true, &format!("store: {err}"))
                    .await;
            }
        };
        let now = (self.clock)();
        if let Some(why) = too_late(message, &standing, event, now) {
            tracing::info!(slug = %message.slug, kind, why, "message no longer wanted, dropped");
            self.delete(message, claim).await;
            return Outcome::Dropped;
        }
        // The `.ics` carries the revision the store counted: the notice's own, else the one in
        // force when it leaves.
        let sequence = match message.kind {
            MessageKind::Notice => message.detail.as_deref().and_then(|d| d.parse().ok()),
            _ => None,
        };
        let sequence = match sequence {
            Some(sequence) => sequence,
            None => match self.store.event_revision(&message.slug).await {
                Ok(revision) => revision,
                Err(err) => {
                    return self
                        .reschedule(message, claim, true, &format!("store: {err}"))
                        .await;
                }
            },
        };
        let mime = match self
            .mailer
            .compose(message, &standing, event, sequence, now)
        {
            Ok(mime) => mime,
            Err(reason) => return self.reschedule(message, claim, false, &reason).await,
        };
        let name = format!(
            "{}-{}-{}",
            now.format("%Y%m%dT%H%M%S%.3f"),
            message.slug,
            kind
        );
        let sent = tokio::time::timeout(SEND_BUDGET, self.mailer.send(&mime, &name))
            .await
            .unwrap_or_else(|_| {
                Err(MailError {
                    transient: true,
                    reason: "SMTP: slower than the send budget".to_owned(),
                })
            });
        match sent {
            Ok(()) => {
                tracing::info!(slug = %message.slug, kind, "message sent");
                self.delete(message, claim).await;
                Outcome::Sent
            }
            Err(err) => {
                self.reschedule(message, claim, err.transient, &err.reason)
                    .await
            }
        }
    }

    async fn delete(&self, message: &OutboxMessage, claim: &str) {
        match self.store.delete_message(&message.id, claim).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(slug = %message.slug, "message claim lost before it was deleted")
            }
            // The lease ends and the message leaves again: nothing better to do.
            Err(err) => tracing::error!(slug = %message.slug, error = %err, "sent but not deleted"),
        }
    }

    async fn reschedule(
        &self,
        message: &OutboxMessage,
        claim: &str,
        transient: bool,
        reason: &str,
    ) -> Outcome {
        let attempts = message.attempts + 1;
        let retry_at =
            (transient && attempts < MAX_ATTEMPTS).then(|| (self.clock)() + retry_delay(attempts));
        tracing::warn!(slug = %message.slug, kind = message.kind.as_str(), attempts, error = reason, "message not sent");
        if let Err(err) = self
            .store
            .reschedule_message(&message.id, claim, retry_at, reason)
            .await
        {
            tracing::error!(slug = %message.slug, error = %err, "message not rescheduled, its lease will end");
        }
        if retry_at.is_some() {
            Outcome::Retrying
        } else {
            Outcome::Failed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_an_hour() {
        let delays: Vec<i64> = (1..=MAX_ATTEMPTS)
            .map(|a| retry_delay(a).num_seconds())
            .collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 960, 1920, 3600]);
    }
}
