//! Registrations in DynamoDB: register, find, cancel (with the promotion of the first person
//! waiting), list, the confirmation sent again, and the purge of expired personal data.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use chrono::{DateTime, SecondsFormat, Utc};

use super::connection::*;
use super::rows::*;
use crate::store::contract::{
    Cancelled, Counts, Mailing, MessageKind, NewRegistration, Purged, RegisterOutcome,
    Registration, Status, StoreError, TokenInfo, message_id, resend_id,
};

impl DynamoStore {
    pub(super) async fn register(
        &self,
        slug: &str,
        capacity: Option<u32>,
        reg: NewRegistration,
        mailing: Option<Mailing<'_>>,
    ) -> Result<RegisterOutcome, StoreError> {
        let registered_at = reg
            .registered_at
            .to_rfc3339_opts(SecondsFormat::Micros, true);
        for attempt in 0..MAX_ATTEMPTS {
            let counter = self.counter(slug).await?;
            let room = capacity.is_none_or(|c| counter.registered < c);
            if room && !counter.waitlist.is_empty() {
                // Seats appeared (capacity raised): the waiting people get them first.
                self.rebalance(slug, capacity, mailing.as_ref()).await?;
                continue;
            }
            let seat = room;
            let counter_update = if seat {
                let mut expr = Expr::default()
                    .name("#r", "registered")
                    .name("#w", "waitlist")
                    .value(":zero", n(0))
                    .value(":one", n(1))
                    .value(":empty", AttributeValue::L(Vec::new()));
                let condition = match capacity {
                    Some(capacity) => {
                        expr = expr.value(":cap", n(capacity));
                        "attribute_not_exists(pk) OR (#r < :cap AND size(#w) = :zero)"
                    }
                    None => "attribute_not_exists(pk) OR size(#w) = :zero",
                };
                expr.update(
                    counter_key(slug),
                    &self.table,
                    "SET #r = if_not_exists(#r, :zero) + :one, #w = if_not_exists(#w, :empty)",
                    condition,
                )?
            } else {
                // `seat` is false only with a capacity.
                let capacity = capacity.unwrap_or(0);
                let expr = Expr::default()
                    .name("#r", "registered")
                    .name("#w", "waitlist")
                    .value(":zero", n(0))
                    .value(":cap", n(capacity))
                    .value(":empty", AttributeValue::L(Vec::new()))
                    .value(":me", AttributeValue::L(vec![s(reg.token.clone())]));
                let condition = if capacity == 0 {
                    "attribute_not_exists(pk) OR #r >= :cap OR size(#w) > :zero"
                } else {
                    "#r >= :cap OR size(#w) > :zero"
                };
                expr.update(
                    counter_key(slug),
                    &self.table,
                    "SET #w = list_append(if_not_exists(#w, :empty), :me), #r = if_not_exists(#r, :zero)",
                    condition,
                )?
            };
            let status = if seat {
                Status::Registered
            } else {
                Status::Waitlisted
            };
            let mut reg_item = reg_key(slug, &reg.token);
            reg_item.extend([
                ("token".to_owned(), s(reg.token.clone())),
                ("name".to_owned(), s(reg.name.clone())),
                ("email".to_owned(), s(reg.email.clone())),
                ("email_key".to_owned(), s(reg.email_key.clone())),
                ("status".to_owned(), s(status.as_str())),
                ("registered_at".to_owned(), s(registered_at.clone())),
            ]);
            if let Some(discord) = &reg.discord {
                reg_item.insert("discord".to_owned(), s(discord.clone()));
            }
            let mut email_item = email_key_item(slug, &reg.email_key);
            email_item.insert("token".to_owned(), s(reg.token.clone()));
            let mut token_item = token_key(&reg.token);
            token_item.insert("slug".to_owned(), s(slug));
            let expires_at = n64(reg.keep_until.timestamp());
            for item in [&mut reg_item, &mut email_item, &mut token_item] {
                item.insert("expires_at".to_owned(), expires_at.clone());
            }
            let mut retention_item = retention_key(slug);
            retention_item.extend([
                ("slug".to_owned(), s(slug)),
                (
                    "keep_until".to_owned(),
                    n64(reg.keep_until.timestamp_millis()),
                ),
            ]);
            let retention_put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(retention_item))
                .build()
                .map_err(backend)?;
            let mut transaction = Transaction::default()
                .with(Part::Counter, counter_update)
                .with(Part::Registration, put_new(&self.table, reg_item)?)
                .with(Part::EmailKey, put_new(&self.table, email_item)?)
                .with(Part::TokenIndex, put_new(&self.table, token_item)?)
                .with(
                    Part::Retention,
                    TransactWriteItem::builder().put(retention_put).build(),
                );
            if let Some(mailing) = &mailing {
                let message = message_item(
                    slug,
                    MessageKind::Confirmation,
                    &reg.email,
                    &reg.name,
                    &reg.token,
                    mailing,
                );
                transaction.push(Part::Message, put_new(&self.table, message)?);
            }
            match self.transact(transaction).await? {
                Tx::Committed if seat => return Ok(RegisterOutcome::Registered),
                Tx::Committed => {
                    // Not in the list any more: promoted in the meantime.
                    let position = self.counter(slug).await?.position(&reg.token);
                    return Ok(position.map_or(RegisterOutcome::Registered, |position| {
                        RegisterOutcome::Waitlisted { position }
                    }));
                }
                Tx::Cancelled(why) if why.failed(Part::EmailKey) => {
                    return Ok(RegisterOutcome::Duplicate);
                }
                Tx::Cancelled(why)
                    if why.failed(Part::Registration)
                        || why.failed(Part::TokenIndex)
                        || why.failed(Part::Message) =>
                {
                    return Err(StoreError::Corrupt("token collision".to_owned()));
                }
                Tx::Cancelled(why) if why.retryable() => pause(attempt).await,
                Tx::Cancelled(why) if why.failed(Part::Counter) => {} // counter moved: read again
                Tx::Cancelled(why) => {
                    return Err(StoreError::Backend(format!(
                        "registration cancelled: {why:?}"
                    )));
                }
            }
        }
        Err(StoreError::Contention(MAX_ATTEMPTS))
    }

    pub(super) async fn counts(&self, slug: &str) -> Result<Counts, StoreError> {
        let counter = self.counter(slug).await?;
        Ok(Counts {
            registered: counter.registered,
            waitlisted: counter.waitlist.len() as u32,
        })
    }

    pub(super) async fn find(&self, token: &str) -> Result<Option<TokenInfo>, StoreError> {
        let Some(TokenItem { slug, status, .. }) = self.token_item(token).await? else {
            return Ok(None);
        };
        let position = match status {
            Status::Waitlisted => self.counter(&slug).await?.position(token),
            Status::Registered => None,
        };
        Ok(Some(TokenInfo {
            slug,
            status,
            position,
        }))
    }

    pub(super) async fn cancel(
        &self,
        token: &str,
        capacity: Option<u32>,
        mailing: Option<Mailing<'_>>,
    ) -> Result<Option<Cancelled>, StoreError> {
        for attempt in 0..MAX_ATTEMPTS {
            let Some(TokenItem {
                slug,
                status,
                registration,
            }) = self.token_item(token).await?
            else {
                return Ok(None);
            };
            let email_key = get_s(&registration, "email_key")
                .ok_or_else(|| StoreError::Corrupt("registration without email_key".to_owned()))?
                .to_owned();
            let counter = self.counter(&slug).await?;

            let mut transaction = Transaction::default()
                .with(
                    Part::Registration,
                    Expr::default().delete(
                        reg_key(&slug, token),
                        &self.table,
                        "attribute_exists(pk)",
                    )?,
                )
                .with(
                    Part::EmailKey,
                    Expr::default()
                        .name("#t", "token")
                        .value(":token", s(token))
                        .delete(
                            email_key_item(&slug, &email_key),
                            &self.table,
                            "#t = :token",
                        )?,
                )
                .with(
                    Part::TokenIndex,
                    Expr::default().delete(
                        token_key(token),
                        &self.table,
                        "attribute_exists(pk)",
                    )?,
                );
            let forget_resent = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(resent_key(&slug, &email_key)))
                .build()
                .map_err(backend)?;
            transaction.push(
                Part::Message,
                TransactWriteItem::builder().delete(forget_resent).build(),
            );
            // A message not yet sent to the person who leaves is no longer wanted.
            for kind in [MessageKind::Confirmation, MessageKind::Promotion] {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(message_key(&message_id(kind, token))))
                    .build()
                    .map_err(backend)?;
                transaction.push(
                    Part::Message,
                    TransactWriteItem::builder().delete(delete).build(),
                );
            }
            let mut promoted = 0;
            match status {
                Status::Registered => {
                    let room = capacity.is_none_or(|c| counter.registered.saturating_sub(1) < c);
                    let head = counter.waitlist.first().filter(|_| room);
                    if let Some(head) = head {
                        // The seat goes straight to the first waiting person.
                        let mut expr = Expr::default()
                            .name("#w", "waitlist")
                            .value(":head", s(head.clone()));
                        let mut condition = "#w[0] = :head".to_owned();
                        if let Some(capacity) = capacity {
                            expr = expr.name("#r", "registered").value(":cap", n(capacity));
                            condition.push_str(" AND #r <= :cap");
                        }
                        transaction.push(
                            Part::Counter,
                            expr.update(
                                counter_key(&slug),
                                &self.table,
                                "REMOVE #w[0]",
                                &condition,
                            )?,
                        );
                        transaction
                            .push(Part::Promoted, mark_registered(&self.table, &slug, head)?);
                        if let Some(mailing) = &mailing {
                            match self.promotion_message(&slug, head, mailing).await? {
                                Some(message) => transaction.push(Part::Message, message),
                                None => continue, // the head left: read again
                            }
                        }
                        promoted = 1;
                    } else {
                        let mut expr = Expr::default().name("#r", "registered").value(":one", n(1));
                        let condition = if counter.waitlist.is_empty() {
                            // Nobody to promote: still true at commit time?
                            expr = expr.name("#w", "waitlist").value(":zero", n(0));
                            "#r >= :one AND size(#w) = :zero".to_owned()
                        } else {
                            // People wait but no seat frees (capacity lowered): still true?
                            expr = expr.value(":cap", n(capacity.unwrap_or(0)));
                            "#r >= :one AND #r > :cap".to_owned()
                        };
                        transaction.push(
                            Part::Counter,
                            expr.update(
                                counter_key(&slug),
                                &self.table,
                                "SET #r = #r - :one",
                                &condition,
                            )?,
                        );
                    }
                }
                Status::Waitlisted => {
                    let Some(position) = counter.position(token) else {
                        // Promoted between our reads: read again.
                        continue;
                    };
                    let index = position - 1;
                    let expr = Expr::default()
                        .name("#w", "waitlist")
                        .value(":token", s(token));
                    transaction.push(
                        Part::Counter,
                        expr.update(
                            counter_key(&slug),
                            &self.table,
                            &format!("REMOVE #w[{index}]"),
                            &format!("#w[{index}] = :token"),
                        )?,
                    );
                }
            }
            match self.transact(transaction).await? {
                Tx::Committed => {
                    // Further seats (capacity raised since): best effort, the next
                    // registration or cancellation does it again anyway.
                    let more = self
                        .rebalance(&slug, capacity, mailing.as_ref())
                        .await
                        .unwrap_or_else(|err| {
                            tracing::warn!(error = %err, "promotion after cancellation incomplete");
                            0
                        });
                    return Ok(Some(Cancelled {
                        slug,
                        promoted: promoted + more,
                    }));
                }
                Tx::Cancelled(why) if why.retryable() => pause(attempt).await,
                Tx::Cancelled(_) => {} // something moved (or a concurrent cancel): read again
            }
        }
        Err(StoreError::Contention(MAX_ATTEMPTS))
    }

    pub(super) async fn list(&self, slug: &str) -> Result<Vec<Registration>, StoreError> {
        let items = self
            .query_all(
                self.client
                    .query()
                    .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                    .expression_attribute_values(":pk", s(event_pk(slug)))
                    .expression_attribute_values(":prefix", s("REG#")),
            )
            .await?;
        let counter = self.counter(slug).await?;
        let corrupt = |what: &str| StoreError::Corrupt(format!("registration without {what}"));
        let mut list = Vec::with_capacity(items.len());
        for item in &items {
            let token = get_s(item, "token").ok_or_else(|| corrupt("token"))?;
            let status = get_s(item, "status")
                .and_then(Status::parse)
                .ok_or_else(|| corrupt("status"))?;
            let registered_at = get_s(item, "registered_at")
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| corrupt("registered_at"))?;
            list.push(Registration {
                name: get_s(item, "name")
                    .ok_or_else(|| corrupt("name"))?
                    .to_owned(),
                discord: get_s(item, "discord").map(str::to_owned),
                email: get_s(item, "email")
                    .ok_or_else(|| corrupt("email"))?
                    .to_owned(),
                status,
                position: match status {
                    Status::Waitlisted => counter.position(token),
                    Status::Registered => None,
                },
                registered_at,
            });
        }
        // Registration order: registered people by time, then the waiting list in its order.
        list.sort_by_key(|r| (r.position.is_some(), r.position, r.registered_at));
        Ok(list)
    }

    pub(super) async fn resend_confirmation(
        &self,
        slug: &str,
        email_key: &str,
        mailing: Mailing<'_>,
        not_since: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let Some(unique) = self.get(email_key_item(slug, email_key)).await? else {
            return Ok(None);
        };
        let Some(token) = get_s(&unique, "token").map(str::to_owned) else {
            return Err(StoreError::Corrupt("e-mail item without token".to_owned()));
        };
        let Some(registration) = self.get(reg_key(slug, &token)).await? else {
            return Ok(None);
        };
        let (Some(email), Some(name)) =
            (get_s(&registration, "email"), get_s(&registration, "name"))
        else {
            return Err(StoreError::Corrupt(
                "registration without email or name".to_owned(),
            ));
        };
        let now = mailing.now;
        let id = resend_id(&token, now);
        let message = message_item_as(
            &id,
            slug,
            MessageKind::Confirmation,
            email,
            name,
            &token,
            &mailing,
        );
        let mut resent = resent_key(slug, email_key);
        resent.extend([
            ("at".to_owned(), n64(now.timestamp_millis())),
            ("expires_at".to_owned(), n64(now.timestamp() + 24 * 3600)),
        ]);
        let put_resent = Put::builder()
            .table_name(&self.table)
            .set_item(Some(resent))
            .condition_expression("attribute_not_exists(pk) OR #at <= :since")
            .expression_attribute_names("#at", "at")
            .expression_attribute_values(":since", n64(not_since.timestamp_millis()))
            .build()
            .map_err(backend)?;
        // The registration must still be there when the message is recorded.
        let still_registered = Expr::default()
            .name("#t", "token")
            .value(":token", s(token.clone()));
        let check = aws_sdk_dynamodb::types::ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(email_key_item(slug, email_key)))
            .condition_expression("#t = :token")
            .set_expression_attribute_names(Some(still_registered.names))
            .set_expression_attribute_values(Some(still_registered.values))
            .build()
            .map_err(backend)?;
        let check = TransactWriteItem::builder().condition_check(check).build();
        let put_resent = TransactWriteItem::builder().put(put_resent).build();
        let put_message = put_new(&self.table, message)?;
        for attempt in 0..MAX_ATTEMPTS {
            let transaction = Transaction::default()
                .with(Part::EmailKey, check.clone())
                .with(Part::Message, put_resent.clone())
                .with(Part::Message, put_message.clone());
            match self.transact(transaction).await? {
                Tx::Committed => return Ok(Some(id)),
                // A concurrent transaction on these items: try again.
                Tx::Cancelled(why) if why.retryable() => pause(attempt).await,
                // Sent again less than an hour ago, or cancelled meanwhile: nothing to send.
                Tx::Cancelled(_) => return Ok(None),
            }
        }
        Err(StoreError::Contention(MAX_ATTEMPTS))
    }

    pub(super) async fn purge_expired(&self, now: DateTime<Utc>) -> Result<Purged, StoreError> {
        let expired = self
            .query_all(
                self.client
                    .query()
                    .key_condition_expression("pk = :pk")
                    .filter_expression("keep_until < :now")
                    .expression_attribute_values(":pk", s(RETENTION_PK))
                    .expression_attribute_values(":now", n64(now.timestamp_millis())),
            )
            .await?;
        let mut purged = Purged::default();
        for item in &expired {
            let slug = get_s(item, "slug")
                .ok_or_else(|| StoreError::Corrupt("retention item without slug".to_owned()))?;
            let keys = self.personal_keys(slug).await?;
            purged.registrations += keys
                .iter()
                .filter(|key| get_s(key, "pk").is_some_and(|pk| pk.starts_with("TOKEN#")))
                .count();
            for key in keys {
                self.delete_key(key).await?;
            }
            for message in self.outbox_items().await? {
                if get_s(&message, "slug") == Some(slug) {
                    if let Some(id) = get_s(&message, "id") {
                        self.delete_key(message_key(id)).await?;
                    }
                }
            }
            // Last, so that a purge cut short is taken up again by the next sweep.
            self.delete_key(retention_key(slug)).await?;
            purged.events += 1;
        }
        Ok(purged)
    }
}
