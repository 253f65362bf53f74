//! The DynamoDB table and the store's own steps on it: creating and checking the table,
//! reading items, counters, transactions and their cancellation reasons, promotions, claims of
//! outbox items, the personal data of an event.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TransactWriteItem,
};

use super::rows::*;
use crate::store::contract::{
    Mailing, MessageClaim, MessageKind, OutboxMessage, Status, StoreError,
};

/// Sleeps before retrying a conflicting transaction: 5 ms to 250 ms, growing with the attempt
/// number, with random jitter so that competing writers spread out.
pub(super) async fn pause(attempt: u32) {
    let mut byte = [0u8; 1];
    let _ = getrandom::fill(&mut byte);
    let base = 5u64 << attempt.min(5);
    let jitter = u64::from(byte[0]) * base / 255;
    tokio::time::sleep(Duration::from_millis(base.min(160) + jitter.min(90))).await;
}

/// Registrations in a DynamoDB table (layout in the module documentation).
pub struct DynamoStore {
    pub(super) client: Client,
    pub(super) table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    /// A store whose client takes region, credentials and endpoint from the usual AWS
    /// environment (`AWS_REGION`, the Lambda role, `AWS_ENDPOINT_URL_DYNAMODB`…).
    pub async fn from_env(table: impl Into<String>) -> DynamoStore {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        DynamoStore::new(Client::new(&config), table)
    }

    /// Creates the table with this layout (on-demand billing). For tests and first set-up;
    /// production tables are normally created by infrastructure code with the same keys.
    pub async fn create_table(&self) -> Result<(), StoreError> {
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(backend)
        };
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(backend)
        };
        self.client
            .create_table()
            .table_name(&self.table)
            .attribute_definitions(attribute("pk")?)
            .attribute_definitions(attribute("sk")?)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .map_err(|err| backend(DisplayErrorContext(err)))?;
        Ok(())
    }

    /// Checks that the table exists and is reachable (called at start).
    pub async fn check_table(&self) -> Result<(), StoreError> {
        self.client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|err| backend(DisplayErrorContext(err)))?;
        Ok(())
    }

    pub(super) async fn get(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| backend(DisplayErrorContext(err)))?;
        Ok(output.item)
    }

    pub(super) async fn counter(&self, slug: &str) -> Result<Counter, StoreError> {
        let Some(item) = self.get(counter_key(slug)).await? else {
            return Ok(Counter::default());
        };
        let registered = item
            .get("registered")
            .and_then(|v| v.as_n().ok())
            .map(|v| v.parse::<u32>())
            .transpose()
            .map_err(|_| StoreError::Corrupt("counter.registered".to_owned()))?
            .unwrap_or(0);
        let waitlist = match item.get("waitlist") {
            Some(AttributeValue::L(list)) => list
                .iter()
                .map(|v| {
                    v.as_s()
                        .cloned()
                        .map_err(|_| StoreError::Corrupt("counter.waitlist".to_owned()))
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => return Err(StoreError::Corrupt("counter.waitlist".to_owned())),
            None => Vec::new(),
        };
        Ok(Counter {
            registered,
            waitlist,
        })
    }

    pub(super) async fn transact(&self, transaction: Transaction) -> Result<Tx, StoreError> {
        // Makes the SDK's own retries of this very call idempotent (a commit whose answer was
        // lost is not applied twice); each call gets a new one.
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).map_err(backend)?;
        let request: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let Transaction { items, parts } = transaction;
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .client_request_token(request)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Tx::Committed),
            Err(err) => match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancel)) => {
                    let reasons = cancel.cancellation_reasons().iter().enumerate();
                    Ok(Tx::Cancelled(Cancellation(
                        reasons
                            .map(|(i, reason)| {
                                let code = reason.code().unwrap_or("None").to_owned();
                                (parts.get(i).copied(), code)
                            })
                            .collect(),
                    )))
                }
                Some(TransactWriteItemsError::TransactionInProgressException(_)) => Ok(
                    Tx::Cancelled(Cancellation(vec![(None, "TransactionConflict".to_owned())])),
                ),
                _ => Err(backend(DisplayErrorContext(err))),
            },
        }
    }

    /// One attempt at giving a free seat to the head of the waiting list (as read in
    /// `counter`). True when it committed.
    pub(super) async fn promote_head(
        &self,
        slug: &str,
        capacity: Option<u32>,
        counter: &Counter,
        attempt: u32,
        mailing: Option<&Mailing<'_>>,
    ) -> Result<bool, StoreError> {
        let Some(head) = counter.waitlist.first() else {
            return Ok(false);
        };
        let mut expr = Expr::default()
            .name("#r", "registered")
            .name("#w", "waitlist")
            .value(":one", n(1))
            .value(":head", s(head.clone()));
        let mut condition = "#w[0] = :head".to_owned();
        if let Some(capacity) = capacity {
            expr = expr.value(":cap", n(capacity));
            condition.push_str(" AND #r < :cap");
        }
        let mut transaction = Transaction::default()
            .with(
                Part::Counter,
                expr.update(
                    counter_key(slug),
                    &self.table,
                    "SET #r = #r + :one REMOVE #w[0]",
                    &condition,
                )?,
            )
            .with(Part::Promoted, mark_registered(&self.table, slug, head)?);
        if let Some(mailing) = mailing {
            match self.promotion_message(slug, head, mailing).await? {
                Some(message) => transaction.push(Part::Message, message),
                None => return Ok(false), // the head left: read again
            }
        }
        match self.transact(transaction).await? {
            Tx::Committed => Ok(true),
            Tx::Cancelled(why) => {
                if why.retryable() {
                    pause(attempt).await;
                }
                Ok(false)
            }
        }
    }

    /// The live registration `token` stands for: its token index item, then its registration
    /// item. `None` when either is gone (unknown or cancelled).
    pub(super) async fn token_item(&self, token: &str) -> Result<Option<TokenItem>, StoreError> {
        let Some(index) = self.get(token_key(token)).await? else {
            return Ok(None);
        };
        let Some(slug) = get_s(&index, "slug").map(str::to_owned) else {
            return Err(StoreError::Corrupt("token item without slug".to_owned()));
        };
        let Some(registration) = self.get(reg_key(&slug, token)).await? else {
            return Ok(None);
        };
        let status = get_s(&registration, "status")
            .and_then(Status::parse)
            .ok_or_else(|| StoreError::Corrupt("registration status".to_owned()))?;
        Ok(Some(TokenItem {
            slug,
            status,
            registration,
        }))
    }

    /// The outbox put of the promotion message of the waiting person `token` (read from its
    /// registration), `None` when it is gone (cancelled in the meantime).
    pub(super) async fn promotion_message(
        &self,
        slug: &str,
        token: &str,
        mailing: &Mailing<'_>,
    ) -> Result<Option<TransactWriteItem>, StoreError> {
        let Some(registration) = self.get(reg_key(slug, token)).await? else {
            return Ok(None);
        };
        let (Some(email), Some(name)) =
            (get_s(&registration, "email"), get_s(&registration, "name"))
        else {
            return Err(StoreError::Corrupt(
                "registration without email or name".to_owned(),
            ));
        };
        let item = message_item(slug, MessageKind::Promotion, email, name, token, mailing);
        Ok(Some(put_new(&self.table, item)?))
    }

    /// Claims the outbox message `key` for `claim` when it is claimable; its new state.
    pub(super) async fn claim_outbox_item(
        &self,
        key: Item,
        claim: &MessageClaim<'_>,
    ) -> Result<Option<OutboxMessage>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression("SET #claim = :claim, #lease = :lease")
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(#failed) AND #next <= :now AND #lease <= :now",
            )
            .expression_attribute_names("#claim", "claim")
            .expression_attribute_names("#lease", "lease_until")
            .expression_attribute_names("#failed", "failed_at")
            .expression_attribute_names("#next", "next_at")
            .expression_attribute_values(":claim", s(claim.claim))
            .expression_attribute_values(":lease", n64(claim.lease_until.timestamp_millis()))
            .expression_attribute_values(":now", n64(claim.now.timestamp_millis()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => match output.attributes {
                Some(item) => Ok(Some(outbox_message(&item)?)),
                None => Err(StoreError::Corrupt(
                    "claimed outbox item not returned".to_owned(),
                )),
            },
            Err(err) if condition_failed(&err) => Ok(None),
            Err(err) => Err(backend(DisplayErrorContext(err))),
        }
    }

    /// Every outbox item (the partition holds only undelivered and failed messages).
    pub(super) async fn outbox_items(&self) -> Result<Vec<Item>, StoreError> {
        self.query_all(
            self.client
                .query()
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(OUTBOX_PK)),
        )
        .await
    }

    /// The keys of `slug`'s items that hold personal data, with the token items of its
    /// registrations ([`PERSONAL_SK_PREFIXES`]).
    pub(super) async fn personal_keys(&self, slug: &str) -> Result<Vec<Item>, StoreError> {
        let items = self
            .query_all(
                self.client
                    .query()
                    .key_condition_expression("pk = :pk")
                    .expression_attribute_values(":pk", s(event_pk(slug))),
            )
            .await?;
        let mut keys = Vec::new();
        for item in items {
            let Some(sk) = get_s(&item, "sk") else {
                continue;
            };
            if !PERSONAL_SK_PREFIXES.iter().any(|p| sk.starts_with(p)) {
                continue;
            }
            if let Some(token) = sk.strip_prefix("REG#") {
                keys.push(token_key(token));
            }
            keys.push(key(event_pk(slug), sk.to_owned()));
        }
        Ok(keys)
    }

    /// Sets the TTL attribute of the item `key`, if it still exists.
    pub(super) async fn set_expires_at(
        &self,
        key: Item,
        expires_at: &AttributeValue,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression("SET #e = :e")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#e", "expires_at")
            .expression_attribute_values(":e", expires_at.clone())
            .send()
            .await;
        conditional(result).map(|_| ())
    }

    /// Deletes the item `key` (nothing if it is gone).
    pub(super) async fn delete_key(&self, key: Item) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .send()
            .await
            .map(|_| ())
            .map_err(|err| backend(DisplayErrorContext(err)))
    }

    /// Every item `query` matches, read consistently, page after page.
    pub(super) async fn query_all(
        &self,
        query: QueryFluentBuilder,
    ) -> Result<Vec<Item>, StoreError> {
        query
            .table_name(&self.table)
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|err| backend(DisplayErrorContext(err)))
    }

    /// Promotes waiting people while seats are free; returns how many moved up.
    pub(super) async fn rebalance(
        &self,
        slug: &str,
        capacity: Option<u32>,
        mailing: Option<&Mailing<'_>>,
    ) -> Result<u32, StoreError> {
        let mut promoted = 0;
        let mut failures = 0;
        loop {
            let counter = self.counter(slug).await?;
            let room = capacity.is_none_or(|c| counter.registered < c);
            if !room || counter.waitlist.is_empty() {
                return Ok(promoted);
            }
            if self
                .promote_head(slug, capacity, &counter, failures, mailing)
                .await?
            {
                promoted += 1;
            } else {
                failures += 1;
                if failures >= MAX_ATTEMPTS {
                    return Err(StoreError::Contention(MAX_ATTEMPTS));
                }
            }
        }
    }
}
