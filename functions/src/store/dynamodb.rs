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

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, KeySchemaElement, KeyType, Put,
    ScalarAttributeType, TransactWriteItem, Update,
};
use chrono::{DateTime, SecondsFormat, Utc};

use super::contract::{
    AnnouncementClaim, AnnouncementKind, Cancelled, ClaimOutcome, Counts, EventState,
    FailedMessage, Fanout, JoinLink, Mailing, MessageClaim, MessageKind, NewRegistration, Observed,
    OutboxMessage, ProposeOutcome, Purged, RegisterOutcome, Registration, ScheduledClaim,
    ScheduledLink, Status, Store, StoreError, Suggestion, TokenInfo, message_id, resend_id,
};

const SCHEDULED_PK: &str = "SCHEDULED";

fn scheduled_key(slug: &str) -> Item {
    self::key(SCHEDULED_PK.to_owned(), format!("EVENT#{slug}"))
}

const SUGGESTIONS_PK: &str = "SUGGESTIONS";

fn suggestion_key(key: &str) -> Item {
    self::key(SUGGESTIONS_PK.to_owned(), format!("LINK#{key}"))
}

fn suggestion_of(item: &Item) -> Result<Suggestion, StoreError> {
    get_s(item, "data")
        .and_then(|data| serde_json::from_str(data).ok())
        .ok_or_else(|| StoreError::Corrupt("bad suggestion".to_owned()))
}

/// Attempts per operation before giving up with [`StoreError::Contention`].
const MAX_ATTEMPTS: u32 = 60;
const COUNTER_SK: &str = "COUNTER";
const TOKEN_SK: &str = "TOKEN";
const OUTBOX_PK: &str = "OUTBOX";
const RETENTION_PK: &str = "RETENTION";

fn retention_key(slug: &str) -> Item {
    key(RETENTION_PK.to_owned(), format!("EVENT#{slug}"))
}

/// The sort-key prefixes of an event's items that hold personal data (or point to it).
const PERSONAL_SK_PREFIXES: [&str; 4] = ["COUNTER", "REG#", "EMAIL#", "RESENT#"];
const STATE_SK: &str = "STATE";
/// How long an outbox item may stay (a failed one, for the organisers' list) before the TTL
/// deletes it.
const OUTBOX_KEEP_SECONDS: i64 = 30 * 24 * 3600;

type Item = HashMap<String, AttributeValue>;

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: u32) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn event_pk(slug: &str) -> String {
    format!("EVENT#{slug}")
}

fn key(pk: String, sk: String) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

fn counter_key(slug: &str) -> Item {
    key(event_pk(slug), COUNTER_SK.to_owned())
}

fn reg_key(slug: &str, token: &str) -> Item {
    key(event_pk(slug), format!("REG#{token}"))
}

fn email_key_item(slug: &str, email_key: &str) -> Item {
    key(event_pk(slug), format!("EMAIL#{email_key}"))
}

fn token_key(token: &str) -> Item {
    key(format!("TOKEN#{token}"), TOKEN_SK.to_owned())
}

fn announcement_key(slug: &str, kind: AnnouncementKind) -> Item {
    key(event_pk(slug), format!("ANNOUNCE#{}", kind.as_str()))
}

fn resent_key(slug: &str, email_key: &str) -> Item {
    key(event_pk(slug), format!("RESENT#{email_key}"))
}

fn join_key(slug: &str) -> Item {
    key(event_pk(slug), "JOIN".to_owned())
}

fn message_key(id: &str) -> Item {
    key(OUTBOX_PK.to_owned(), format!("MSG#{id}"))
}

/// The outbox item of the `kind` message to `email`/`name` of `token`.
fn message_item(
    slug: &str,
    kind: MessageKind,
    email: &str,
    name: &str,
    token: &str,
    mailing: &Mailing<'_>,
) -> Item {
    message_item_as(
        &message_id(kind, token),
        slug,
        kind,
        email,
        name,
        token,
        mailing,
    )
}

/// [`message_item`] under the id `id`.
fn message_item_as(
    id: &str,
    slug: &str,
    kind: MessageKind,
    email: &str,
    name: &str,
    token: &str,
    mailing: &Mailing<'_>,
) -> Item {
    let id = id.to_owned();
    let now = mailing.now.timestamp_millis();
    let mut item = message_key(&id);
    item.extend([
        ("id".to_owned(), s(id)),
        ("slug".to_owned(), s(slug)),
        ("kind".to_owned(), s(kind.as_str())),
        ("recipient".to_owned(), s(email)),
        ("name".to_owned(), s(name)),
        ("token".to_owned(), s(token)),
        ("link_base".to_owned(), s(mailing.link_base)),
        ("created".to_owned(), n64(now)),
        ("attempts".to_owned(), n(0)),
        ("next_at".to_owned(), n64(now)),
        ("lease_until".to_owned(), n64(0)),
        (
            "expires_at".to_owned(),
            n64(mailing.now.timestamp() + OUTBOX_KEEP_SECONDS),
        ),
    ]);
    item
}

fn get_n(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

fn outbox_message(item: &Item) -> Result<OutboxMessage, StoreError> {
    let field = |name: &str| {
        get_s(item, name)
            .map(str::to_owned)
            .ok_or_else(|| StoreError::Corrupt(format!("outbox item without {name}")))
    };
    Ok(OutboxMessage {
        id: field("id")?,
        slug: field("slug")?,
        kind: MessageKind::parse(&field("kind")?)
            .ok_or_else(|| StoreError::Corrupt("outbox item kind".to_owned()))?,
        recipient: field("recipient")?,
        name: field("name")?,
        token: field("token")?,
        link_base: field("link_base")?,
        attempts: get_n(item, "attempts").unwrap_or(0) as u32,
        detail: get_s(item, "detail").map(str::to_owned),
    })
}

fn n64(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

fn backend(err: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(err.to_string())
}

/// Whether a conditional write was refused because its condition did not hold (an expected
/// outcome: a lost claim, an item already there), as opposed to a failure.
fn condition_failed<E: ConditionFailed, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error()
        .is_some_and(ConditionFailed::is_condition_failed)
}

/// A conditional write's outcome: `Some(output)` when it was written, `None` when its condition
/// did not hold; any other failure is an error.
fn conditional<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<Option<T>, StoreError>
where
    E: ConditionFailed + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(output) => Ok(Some(output)),
        Err(err) if condition_failed(&err) => Ok(None),
        Err(err) => Err(backend(DisplayErrorContext(err))),
    }
}

/// The single-item writes' errors, which each have their own `ConditionalCheckFailedException`.
trait ConditionFailed {
    fn is_condition_failed(&self) -> bool;
}

macro_rules! condition_failed_for {
    ($($error:ident),*) => {$(
        impl ConditionFailed for $error {
            fn is_condition_failed(&self) -> bool {
                matches!(self, $error::ConditionalCheckFailedException(_))
            }
        }
    )*};
}
condition_failed_for!(PutItemError, UpdateItemError, DeleteItemError);

/// An expression with only the placeholders it uses (DynamoDB rejects unused ones).
#[derive(Default)]
struct Expr {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names
            .insert(placeholder.to_owned(), attribute.to_owned());
        self
    }

    fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.insert(placeholder.to_owned(), value);
        self
    }

    fn update(
        self,
        key: Item,
        table: &str,
        update: &str,
        condition: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut builder = Update::builder()
            .table_name(table)
            .set_key(Some(key))
            .update_expression(update)
            .condition_expression(condition);
        if !self.names.is_empty() {
            builder = builder.set_expression_attribute_names(Some(self.names));
        }
        if !self.values.is_empty() {
            builder = builder.set_expression_attribute_values(Some(self.values));
        }
        Ok(TransactWriteItem::builder()
            .update(builder.build().map_err(backend)?)
            .build())
    }

    fn delete(
        self,
        key: Item,
        table: &str,
        condition: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut builder = Delete::builder()
            .table_name(table)
            .set_key(Some(key))
            .condition_expression(condition);
        if !self.names.is_empty() {
            builder = builder.set_expression_attribute_names(Some(self.names));
        }
        if !self.values.is_empty() {
            builder = builder.set_expression_attribute_values(Some(self.values));
        }
        Ok(TransactWriteItem::builder()
            .delete(builder.build().map_err(backend)?)
            .build())
    }
}

/// Puts `item` if no item has its key.
fn put_new(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(backend)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// The event counter as read.
#[derive(Debug, Default)]
struct Counter {
    registered: u32,
    waitlist: Vec<String>,
}

impl Counter {
    fn position(&self, token: &str) -> Option<u32> {
        self.waitlist
            .iter()
            .position(|t| t == token)
            .map(|i| i as u32 + 1)
    }
}

/// What an item of a transaction does, so that the cancellation reasons DynamoDB returns (one
/// per item, in the order sent) are read by name, not by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The event counter (`registered`, `waitlist`).
    Counter,
    /// The registration item of the person registering or cancelling.
    Registration,
    /// Its e-mail uniqueness item.
    EmailKey,
    /// Its token index item.
    TokenIndex,
    /// The registration of the waiting person who gets the seat.
    Promoted,
    /// An outbox message.
    Message,
    /// The event's retention item.
    Retention,
}

/// The items of one `TransactWriteItems` call, each with its [`Part`].
#[derive(Default)]
struct Transaction {
    items: Vec<TransactWriteItem>,
    parts: Vec<Part>,
}

impl Transaction {
    fn push(&mut self, part: Part, item: TransactWriteItem) {
        self.parts.push(part);
        self.items.push(item);
    }

    fn with(mut self, part: Part, item: TransactWriteItem) -> Transaction {
        self.push(part, item);
        self
    }
}

/// Result of a transaction attempt.
enum Tx {
    Committed,
    Cancelled(Cancellation),
}

/// Why a transaction was cancelled: one code per item (`None`, `ConditionalCheckFailed`,
/// `TransactionConflict`…), with the item's part when known.
#[derive(Debug)]
struct Cancellation(Vec<(Option<Part>, String)>);

impl Cancellation {
    /// Whether the condition of the item `part` failed.
    fn failed(&self, part: Part) -> bool {
        self.0
            .iter()
            .any(|(p, code)| *p == Some(part) && code == "ConditionalCheckFailed")
    }

    /// Cancelled for a passing reason (a concurrent transaction, throttling): try again later.
    fn retryable(&self) -> bool {
        self.0.iter().any(|(_, code)| {
            matches!(
                code.as_str(),
                "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"
            )
        })
    }
}

/// Sleeps before retrying a conflicting transaction: 5 ms to 250 ms, growing with the attempt
/// number, with random jitter so that competing writers spread out.
async fn pause(attempt: u32) {
    let mut byte = [0u8; 1];
    let _ = getrandom::fill(&mut byte);
    let base = 5u64 << attempt.min(5);
    let jitter = u64::from(byte[0]) * base / 255;
    tokio::time::sleep(Duration::from_millis(base.min(160) + jitter.min(90))).await;
}

/// A live registration found by its token.
struct TokenItem {
    slug: String,
    status: Status,
    /// The whole registration item.
    registration: Item,
}

/// Registrations in a DynamoDB table (layout in the module documentation).
pub struct DynamoStore {
    client: Client,
    table: String,
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

    async fn get(&self, key: Item) -> Result<Option<Item>, StoreError> {
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

    async fn counter(&self, slug: &str) -> Result<Counter, StoreError> {
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

    async fn transact(&self, transaction: Transaction) -> Result<Tx, StoreError> {
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
    async fn promote_head(
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
    async fn token_item(&self, token: &str) -> Result<Option<TokenItem>, StoreError> {
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
    async fn promotion_message(
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
    async fn claim_outbox_item(
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
    async fn outbox_items(&self) -> Result<Vec<Item>, StoreError> {
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
    async fn personal_keys(&self, slug: &str) -> Result<Vec<Item>, StoreError> {
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
    async fn set_expires_at(
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
    async fn delete_key(&self, key: Item) -> Result<(), StoreError> {
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
    async fn query_all(&self, query: QueryFluentBuilder) -> Result<Vec<Item>, StoreError> {
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
    async fn rebalance(
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

/// Sets a waiting registration to `registered` (condition: it is waiting).
fn mark_registered(table: &str, slug: &str, token: &str) -> Result<TransactWriteItem, StoreError> {
    Expr::default()
        .name("#s", "status")
        .value(":registered", s(Status::Registered.as_str()))
        .value(":waitlisted", s(Status::Waitlisted.as_str()))
        .update(
            reg_key(slug, token),
            table,
            "SET #s = :registered",
            "attribute_exists(pk) AND #s = :waitlisted",
        )
}

#[async_trait]
impl Store for DynamoStore {
    async fn register(
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

    async fn counts(&self, slug: &str) -> Result<Counts, StoreError> {
        let counter = self.counter(slug).await?;
        Ok(Counts {
            registered: counter.registered,
            waitlisted: counter.waitlist.len() as u32,
        })
    }

    async fn find(&self, token: &str) -> Result<Option<TokenInfo>, StoreError> {
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

    async fn cancel(
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

    async fn list(&self, slug: &str) -> Result<Vec<Registration>, StoreError> {
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

    async fn claim_announcement(
        &self,
        claim: &AnnouncementClaim<'_>,
    ) -> Result<ClaimOutcome, StoreError> {
        let mut item = announcement_key(claim.slug, claim.kind);
        item.extend([
            ("state".to_owned(), s("pending")),
            ("claim".to_owned(), s(claim.claim)),
            (
                "lease_until".to_owned(),
                n64(claim.lease_until.timestamp_millis()),
            ),
            ("expires_at".to_owned(), n64(claim.keep_until.timestamp())),
        ]);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(pk) OR (#state = :pending AND #lease <= :now)",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#lease", "lease_until")
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":now", n64(claim.now.timestamp_millis()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(ClaimOutcome::Claimed),
            Err(err) if condition_failed(&err) => {
                // Sent, or held by a live claim: which one decides whether to go on.
                let current = self.get(announcement_key(claim.slug, claim.kind)).await?;
                Ok(
                    match current.as_ref().and_then(|item| get_s(item, "state")) {
                        Some("sent") => ClaimOutcome::Sent,
                        // Pending, or released in the meantime: leave it to the next sync.
                        _ => ClaimOutcome::Held,
                    },
                )
            }
            Err(err) => Err(backend(DisplayErrorContext(err))),
        }
    }

    async fn mark_announcement_sent(
        &self,
        slug: &str,
        kind: AnnouncementKind,
        claim: &str,
        sent_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(announcement_key(slug, kind)))
            .update_expression("SET #state = :sent, #sent_at = :sent_at REMOVE #lease")
            .condition_expression("#claim = :claim AND #state = :pending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#sent_at", "sent_at")
            .expression_attribute_names("#lease", "lease_until")
            .expression_attribute_names("#claim", "claim")
            .expression_attribute_values(":sent", s("sent"))
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":claim", s(claim))
            .expression_attribute_values(
                ":sent_at",
                s(sent_at.to_rfc3339_opts(SecondsFormat::Secs, true)),
            )
            .send()
            .await;
        Ok(conditional(result)?.is_some())
    }

    async fn release_announcement(
        &self,
        slug: &str,
        kind: AnnouncementKind,
        claim: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(announcement_key(slug, kind)))
            .condition_expression("#claim = :claim AND #state = :pending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#claim", "claim")
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":claim", s(claim))
            .send()
            .await;
        Ok(conditional(result)?.is_some())
    }

    async fn claim_scheduled_event(
        &self,
        slug: &str,
        claim: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<ScheduledClaim, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(scheduled_key(slug)))
            .update_expression("SET claim = :claim, lease_until = :lease")
            .condition_expression("attribute_not_exists(pk) OR lease_until <= :now")
            .expression_attribute_values(":claim", s(claim))
            .expression_attribute_values(":lease", n64(lease_until.timestamp_millis()))
            .expression_attribute_values(":now", n64(now.timestamp_millis()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => {
                let item = output.attributes.unwrap_or_default();
                Ok(ScheduledClaim::Claimed(ScheduledLink {
                    discord_id: get_s(&item, "discord_id").map(str::to_owned),
                    fingerprint: get_s(&item, "fingerprint").map(str::to_owned),
                }))
            }
            Err(err) if condition_failed(&err) => Ok(ScheduledClaim::Held),
            Err(err) => Err(backend(DisplayErrorContext(err))),
        }
    }

    async fn release_scheduled_event(
        &self,
        slug: &str,
        claim: &str,
        link: &ScheduledLink,
    ) -> Result<bool, StoreError> {
        let mut set = vec!["lease_until = :zero"];
        let mut remove = Vec::new();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(scheduled_key(slug)))
            .condition_expression("claim = :claim")
            .expression_attribute_values(":claim", s(claim))
            .expression_attribute_values(":zero", n64(0));
        match &link.discord_id {
            Some(id) => {
                set.push("discord_id = :id");
                request = request.expression_attribute_values(":id", s(id));
            }
            None => remove.push("discord_id"),
        }
        match &link.fingerprint {
            Some(fingerprint) => {
                set.push("fingerprint = :fp");
                request = request.expression_attribute_values(":fp", s(fingerprint));
            }
            None => remove.push("fingerprint"),
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        Ok(conditional(request.update_expression(expression).send().await)?.is_some())
    }

    async fn forget_scheduled_event(&self, slug: &str, claim: &str) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(scheduled_key(slug)))
            .condition_expression("claim = :claim")
            .expression_attribute_values(":claim", s(claim))
            .send()
            .await;
        Ok(conditional(result)?.is_some())
    }

    async fn scheduled_event_slugs(&self) -> Result<Vec<String>, StoreError> {
        let items = self
            .query_all(
                self.client
                    .query()
                    .key_condition_expression("pk = :pk")
                    .expression_attribute_values(":pk", s(SCHEDULED_PK)),
            )
            .await?;
        Ok(items
            .iter()
            .filter_map(|item| get_s(item, "sk").and_then(|sk| sk.strip_prefix("EVENT#")))
            .map(str::to_owned)
            .collect())
    }

    async fn propose(&self, suggestion: &Suggestion) -> Result<ProposeOutcome, StoreError> {
        let data = serde_json::to_string(suggestion).map_err(backend)?;
        let mut item = suggestion_key(&suggestion.key);
        item.extend([
            ("state".to_owned(), s("pending")),
            ("data".to_owned(), s(data)),
            (
                "proposed_at".to_owned(),
                s(suggestion
                    .proposed_at
                    .to_rfc3339_opts(SecondsFormat::Micros, true)),
            ),
        ]);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(ProposeOutcome::Stored),
            Err(err) if condition_failed(&err) => {
                let earlier = self
                    .get(suggestion_key(&suggestion.key))
                    .await?
                    .ok_or_else(|| StoreError::Corrupt("suggestion vanished".to_owned()))?;
                Ok(ProposeOutcome::AlreadyProposed(Box::new(suggestion_of(
                    &earlier,
                )?)))
            }
            Err(err) => Err(backend(DisplayErrorContext(err))),
        }
    }

    async fn pending_suggestions(&self) -> Result<Vec<Suggestion>, StoreError> {
        let items = self
            .query_all(
                self.client
                    .query()
                    .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                    .filter_expression("#state = :pending")
                    .expression_attribute_names("#state", "state")
                    .expression_attribute_values(":pk", s(SUGGESTIONS_PK))
                    .expression_attribute_values(":prefix", s("LINK#"))
                    .expression_attribute_values(":pending", s("pending")),
            )
            .await?;
        let mut list = items
            .iter()
            .map(suggestion_of)
            .collect::<Result<Vec<_>, _>>()?;
        list.sort_by(|a, b| (a.proposed_at, &a.key).cmp(&(b.proposed_at, &b.key)));
        Ok(list)
    }

    async fn take_suggestions(
        &self,
        keys: &[String],
        taken_at: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let taken_at = taken_at.to_rfc3339_opts(SecondsFormat::Secs, true);
        let mut taken = 0;
        for key in keys {
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(suggestion_key(key)))
                .update_expression("SET #state = :taken, taken_at = :at")
                .condition_expression("#state = :pending")
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":taken", s("taken"))
                .expression_attribute_values(":pending", s("pending"))
                .expression_attribute_values(":at", s(taken_at.clone()))
                .send()
                .await;
            match result {
                Ok(_) => taken += 1,
                Err(err) if condition_failed(&err) => {}
                Err(err) => return Err(backend(DisplayErrorContext(err))),
            }
        }
        Ok(taken)
    }

    async fn resend_confirmation(
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

    async fn claim_message(
        &self,
        id: &str,
        claim: &MessageClaim<'_>,
    ) -> Result<Option<OutboxMessage>, StoreError> {
        self.claim_outbox_item(message_key(id), claim).await
    }

    async fn claim_due_messages(
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

    async fn delete_message(&self, id: &str, claim: &str) -> Result<bool, StoreError> {
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

    async fn reschedule_message(
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

    async fn failed_messages(&self, slug: &str) -> Result<Vec<FailedMessage>, StoreError> {
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

    async fn set_join_url(
        &self,
        slug: &str,
        url: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut item = join_key(slug);
        item.extend([
            ("url".to_owned(), s(url)),
            (
                "set_at".to_owned(),
                s(at.to_rfc3339_opts(SecondsFormat::Millis, true)),
            ),
        ]);
        // The same address again writes nothing and keeps its time.
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR #url <> :url")
            .expression_attribute_names("#url", "url")
            .expression_attribute_values(":url", s(url))
            .send()
            .await;
        Ok(conditional(result)?.is_some())
    }

    async fn clear_join_url(&self, slug: &str) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(join_key(slug)))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await;
        Ok(conditional(result)?.is_some())
    }

    async fn join_url(&self, slug: &str) -> Result<Option<JoinLink>, StoreError> {
        let Some(item) = self.get(join_key(slug)).await? else {
            return Ok(None);
        };
        let corrupt = || StoreError::Corrupt("join link".to_owned());
        let url = get_s(&item, "url").ok_or_else(corrupt)?.to_owned();
        let set_at = get_s(&item, "set_at")
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .ok_or_else(corrupt)?
            .with_timezone(&Utc);
        Ok(Some(JoinLink { url, set_at }))
    }

    async fn keep_until(&self, slug: &str, until: DateTime<Utc>) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(retention_key(slug)))
            .update_expression("SET #k = :k")
            .condition_expression("attribute_exists(pk) AND #k <> :k")
            .expression_attribute_names("#k", "keep_until")
            .expression_attribute_values(":k", n64(until.timestamp_millis()))
            .send()
            .await;
        if conditional(result)?.is_some() {
            let expires_at = n64(until.timestamp());
            for key in self.personal_keys(slug).await? {
                self.set_expires_at(key, &expires_at).await?;
            }
            return Ok(true);
        }
        Ok(false)
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<Purged, StoreError> {
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

    async fn enqueue_fanout(
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

    async fn observe_event(
        &self,
        slug: &str,
        state: &EventState,
        now: DateTime<Utc>,
    ) -> Result<Observed, StoreError> {
        let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        let (start, end) = (time(state.start), time(state.end));
        let key = || self::key(event_pk(slug), STATE_SK.to_owned());
        for _ in 0..MAX_ATTEMPTS {
            let Some(seen) = self.get(key()).await? else {
                let mut item = key();
                item.extend([
                    ("start".to_owned(), s(start.clone())),
                    ("end".to_owned(), s(end.clone())),
                    (
                        "cancelled".to_owned(),
                        AttributeValue::Bool(state.cancelled),
                    ),
                    ("revision".to_owned(), n(0)),
                ]);
                let put = self
                    .client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(pk)")
                    .send()
                    .await;
                if conditional(put)?.is_some() {
                    return Ok(Observed {
                        revision: 0,
                        changed_at: None,
                    });
                }
                continue; // another sync put it first: read it
            };
            let revision = get_n(&seen, "revision").unwrap_or(0) as u32;
            let changed_at = get_s(&seen, "changed_at")
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.to_utc());
            let same = get_s(&seen, "start") == Some(start.as_str())
                && get_s(&seen, "end") == Some(end.as_str())
                && matches!(seen.get("cancelled"), Some(AttributeValue::Bool(c)) if *c == state.cancelled);
            if same {
                return Ok(Observed {
                    revision,
                    changed_at,
                });
            }
            let update = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key()))
                .update_expression(
                    "SET #start = :start, #end = :end, #cancelled = :cancelled, #rev = :next, #at = :now",
                )
                .condition_expression("#rev = :seen")
                .expression_attribute_names("#start", "start")
                .expression_attribute_names("#end", "end")
                .expression_attribute_names("#cancelled", "cancelled")
                .expression_attribute_names("#rev", "revision")
                .expression_attribute_names("#at", "changed_at")
                .expression_attribute_values(":start", s(start.clone()))
                .expression_attribute_values(":end", s(end.clone()))
                .expression_attribute_values(":cancelled", AttributeValue::Bool(state.cancelled))
                .expression_attribute_values(":next", n(revision + 1))
                .expression_attribute_values(":seen", n(revision))
                .expression_attribute_values(
                    ":now",
                    s(now.to_rfc3339_opts(SecondsFormat::Micros, true)),
                )
                .send()
                .await;
            if conditional(update)?.is_some() {
                return Ok(Observed {
                    revision: revision + 1,
                    changed_at: Some(now),
                });
            }
            // Raised by another sync meanwhile: read it again.
        }
        Err(StoreError::Contention(MAX_ATTEMPTS))
    }

    async fn event_revision(&self, slug: &str) -> Result<u32, StoreError> {
        let seen = self.get(key(event_pk(slug), STATE_SK.to_owned())).await?;
        Ok(seen
            .as_ref()
            .and_then(|item| get_n(item, "revision"))
            .unwrap_or(0) as u32)
    }
}
