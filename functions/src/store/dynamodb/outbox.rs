//! The outbox in DynamoDB: messages claimed by one sender at a time, rescheduled, deleted once
//! delivered, and the messages the sync records for the people of an event.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, SecondsFormat, Utc};

use super::connection::*;
use super::rows::*;
use crate::store::contract::{
    FailedMessage, Fanout, Mailing, MessageClaim, OutboxMessage, Status, StoreError,
};

impl DynamoStore {
    pub(super) async fn claim_message(
        &self,
        id: &str,
        claim: &MessageClaim<'_>,
    ) -> Result<Option<OutboxMessage>, StoreError> {
        self.claim_outbox_item(message_key(id), claim).await
    }

    pub(super) async fn claim_due_messages(
        &self,
        claim: &MessageClaim<'_>,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let now = claim.now.timestamp_millis();
        let mut due: Vec<Item> = self
            .outbox_items()
            .await?
            .into_iter()
            .filter(|item| {
                !item.contains_key("failed_at")
                    && get_n(item, "next_at").is_some_and(|t| t <= now)
                    && get_n(item, "lease_until").is_none_or(|t| t <= now)
            })
            .collect();
        due.sort_by_key(|item| get_n(item, "created"));
        let mut claimed = Vec::new();
        for item in due {
            if claimed.len() >= limit {
                break;
            }
            let key = key(
                OUTBOX_PK.to_owned(),
                get_s(&item, "sk").unwrap_or("").to_owned(),
            );
            // Another sender may have taken it since the query: then it is skipped.
            if let Some(message) = self.claim_outbox_item(key, claim).await? {
                claimed.push(message);
            }
        }
        Ok(claimed)
    }

    pub(super) async fn delete_message(&self, id: &str, claim: &str) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(message_key(id)))
            .condition_expression("#claim = :claim")
            .expression_attribute_names("#claim", "claim")
            .expression_attribute_values(":claim", s(claim))
            .send()
            .await;
        Ok(conditional(result)?.is_some())
    }

    pub(super) async fn reschedule_message(
        &self,
        id: &str,
        claim: &str,
        retry_at: Option<DateTime<Utc>>,
        error: &str,
    ) -> Result<bool, StoreError> {
        let mut update =
            "SET #attempts = #attempts + :one, #error = :error, #lease = :zero".to_owned();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(message_key(id)))
            .condition_expression("#claim = :claim")
            .expression_attribute_names("#claim", "claim")
            .expression_attribute_names("#attempts", "attempts")
            .expression_attribute_names("#error", "last_error")
            .expression_attribute_names("#lease", "lease_until")
            .expression_attribute_values(":claim", s(claim))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":error", s(error));
        match retry_at {
            Some(at) => {
                update.push_str(", #next = :next");
                request = request
                    .expression_attribute_names("#next", "next_at")
                    .expression_attribute_values(":next", n64(at.timestamp_millis()));
            }
            None => {
                update.push_str(", #failed = :failed");
                request = request
                    .expression_attribute_names("#failed", "failed_at")
                    .expression_attribute_values(
                        ":failed",
                        s(Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)),
                    );
            }
        }
        update.push_str(" REMOVE #claim");
        let result = request.update_expression(update).send().await;
        Ok(conditional(result)?.is_some())
    }

    pub(super) async fn failed_messages(
        &self,
        slug: &str,
    ) -> Result<Vec<FailedMessage>, StoreError> {
        let mut failed: Vec<(Option<i64>, FailedMessage)> = Vec::new();
        for item in self.outbox_items().await? {
            if get_s(&item, "slug") != Some(slug) || !item.contains_key("failed_at") {
                continue;
            }
            let message = outbox_message(&item)?;
            failed.push((
                get_n(&item, "created"),
                FailedMessage {
                    kind: message.kind,
                    recipient: message.recipient,
                    attempts: message.attempts,
                    error: get_s(&item, "last_error").unwrap_or("").to_owned(),
                },
            ));
        }
        failed.sort_by_key(|(created, _)| *created);
        Ok(failed.into_iter().map(|(_, message)| message).collect())
    }

    pub(super) async fn enqueue_fanout(
        &self,
        slug: &str,
        fanout: &Fanout,
        mailing: Mailing<'_>,
    ) -> Result<u32, StoreError> {
        let items = self
            .query_all(
                self.client
                    .query()
                    .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                    .expression_attribute_values(":pk", s(event_pk(slug)))
                    .expression_attribute_values(":prefix", s("REG#")),
            )
            .await?;
        let registered = Status::Registered.as_str();
        let before = match fanout {
            Fanout::Notice { changed_at, .. } => Some(*changed_at),
            _ => None,
        };
        // Who it is for, as read; the transaction's condition checks it again.
        let wanted = |item: &Item| -> bool {
            let status = get_s(item, "status");
            let reminded = matches!(item.get("reminded"), Some(AttributeValue::Bool(true)));
            match fanout {
                Fanout::Reminder { .. } => status == Some(registered) && !reminded,
                Fanout::JoinLink { url } => {
                    status == Some(registered)
                        && reminded
                        && get_s(item, "join_sent") != Some(url.as_str())
                }
                Fanout::Notice { revision, .. } => {
                    let notified = get_n(item, "notified").unwrap_or(0);
                    let since = get_s(item, "registered_at")
                        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                        .map(|t| t.to_utc());
                    notified < i64::from(*revision)
                        && since
                            .zip(before)
                            .is_some_and(|(since, before)| since < before)
                }
            }
        };
        let detail = fanout.detail();
        let mut recorded = 0;
        for item in items.iter().filter(|item| wanted(item)) {
            let (Some(token), Some(email), Some(name)) = (
                get_s(item, "token"),
                get_s(item, "email"),
                get_s(item, "name"),
            ) else {
                return Err(StoreError::Corrupt(
                    "registration without token, email or name".to_owned(),
                ));
            };
            let id = fanout.message_id(token, mailing.now);
            let mut message =
                message_item_as(&id, slug, fanout.kind(), email, name, token, &mailing);
            if let Some(detail) = &detail {
                message.insert("detail".to_owned(), s(detail.clone()));
            }
            let expr = Expr::default().name("#s", "status");
            let mark = match fanout {
                Fanout::Reminder { join_url } => {
                    let expr = expr
                        .name("#m", "reminded")
                        .value(":true", AttributeValue::Bool(true))
                        .value(":registered", s(registered));
                    let (expr, update) = match join_url {
                        Some(url) => (
                            expr.name("#j", "join_sent").value(":url", s(url.clone())),
                            "SET #m = :true, #j = :url",
                        ),
                        None => (expr, "SET #m = :true"),
                    };
                    expr.update(
                        reg_key(slug, token),
                        &self.table,
                        update,
                        "attribute_exists(pk) AND #s = :registered AND attribute_not_exists(#m)",
                    )?
                }
                Fanout::JoinLink { url } => expr
                    .name("#m", "reminded")
                    .name("#j", "join_sent")
                    .value(":url", s(url.clone()))
                    .value(":registered", s(registered))
                    .update(
                        reg_key(slug, token),
                        &self.table,
                        "SET #j = :url",
                        "attribute_exists(pk) AND #s = :registered AND attribute_exists(#m) \
                         AND (attribute_not_exists(#j) OR #j <> :url)",
                    )?,
                Fanout::Notice { revision, .. } => Expr::default()
                    .name("#n", "notified")
                    .value(":rev", n(*revision))
                    .update(
                        reg_key(slug, token),
                        &self.table,
                        "SET #n = :rev",
                        "attribute_exists(pk) AND (attribute_not_exists(#n) OR #n < :rev)",
                    )?,
            };
            for attempt in 0..MAX_ATTEMPTS {
                let transaction = Transaction::default()
                    .with(Part::Registration, mark.clone())
                    .with(Part::Message, put_new(&self.table, message.clone())?);
                match self.transact(transaction).await? {
                    Tx::Committed => {
                        recorded += 1;
                        break;
                    }
                    Tx::Cancelled(why) if why.retryable() => pause(attempt).await,
                    // Marked by another sync, or cancelled meanwhile: nothing to record.
                    Tx::Cancelled(_) => break,
                }
            }
        }
        Ok(recorded)
    }
}
