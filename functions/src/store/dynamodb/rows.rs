//! The items of the single table (their keys, as the layout in `mod.rs` gives them), the
//! attribute values, conditional expressions, and the transaction items named by part.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};

use crate::store::contract::{
    AnnouncementKind, Mailing, MessageKind, OutboxMessage, Status, StoreError, Suggestion,
    message_id,
};

pub(super) const SCHEDULED_PK: &str = "SCHEDULED";

pub(super) fn scheduled_key(slug: &str) -> Item {
    self::key(SCHEDULED_PK.to_owned(), format!("EVENT#{slug}"))
}

pub(super) const SUGGESTIONS_PK: &str = "SUGGESTIONS";

pub(super) fn suggestion_key(key: &str) -> Item {
    self::key(SUGGESTIONS_PK.to_owned(), format!("LINK#{key}"))
}

pub(super) fn suggestion_of(item: &Item) -> Result<Suggestion, StoreError> {
    get_s(item, "data")
        .and_then(|data| serde_json::from_str(data).ok())
        .ok_or_else(|| StoreError::Corrupt("bad suggestion".to_owned()))
}

/// Attempts per operation before giving up with [`StoreError::Contention`].
pub(super) const MAX_ATTEMPTS: u32 = 60;

pub(super) const COUNTER_SK: &str = "COUNTER";

pub(super) const TOKEN_SK: &str = "TOKEN";

pub(super) const OUTBOX_PK: &str = "OUTBOX";

pub(super) const RETENTION_PK: &str = "RETENTION";

pub(super) fn retention_key(slug: &str) -> Item {
    key(RETENTION_PK.to_owned(), format!("EVENT#{slug}"))
}

/// The sort-key prefixes of an event's items that hold personal data (or point to it).
pub(super) const PERSONAL_SK_PREFIXES: [&str; 4] = ["COUNTER", "REG#", "EMAIL#", "RESENT#"];

pub(super) const STATE_SK: &str = "STATE";

/// How long an outbox item may stay (a failed one, for the organisers' list) before the TTL
/// deletes it.
pub(super) const OUTBOX_KEEP_SECONDS: i64 = 30 * 24 * 3600;

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: u32) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn event_pk(slug: &str) -> String {
    format!("EVENT#{slug}")
}

pub(super) fn key(pk: String, sk: String) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

pub(super) fn counter_key(slug: &str) -> Item {
    key(event_pk(slug), COUNTER_SK.to_owned())
}

pub(super) fn reg_key(slug: &str, token: &str) -> Item {
    key(event_pk(slug), format!("REG#{token}"))
}

pub(super) fn email_key_item(slug: &str, email_key: &str) -> Item {
    key(event_pk(slug), format!("EMAIL#{email_key}"))
}

pub(super) fn token_key(token: &str) -> Item {
    key(format!("TOKEN#{token}"), TOKEN_SK.to_owned())
}

pub(super) fn announcement_key(slug: &str, kind: AnnouncementKind) -> Item {
    key(event_pk(slug), format!("ANNOUNCE#{}", kind.as_str()))
}

pub(super) fn resent_key(slug: &str, email_key: &str) -> Item {
    key(event_pk(slug), format!("RESENT#{email_key}"))
}

pub(super) fn join_key(slug: &str) -> Item {
    key(event_pk(slug), "JOIN".to_owned())
}

pub(super) fn message_key(id: &str) -> Item {
    key(OUTBOX_PK.to_owned(), format!("MSG#{id}"))
}

/// The outbox item of the `kind` message to `email`/`name` of `token`.
pub(super) fn message_item(
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
pub(super) fn message_item_as(
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

pub(super) fn get_n(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

pub(super) fn outbox_message(item: &Item) -> Result<OutboxMessage, StoreError> {
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

pub(super) fn n64(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

pub(super) fn backend(err: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(err.to_string())
}

/// Whether a conditional write was refused because its condition did not hold (an expected
/// outcome: a lost claim, an item already there), as opposed to a failure.
pub(super) fn condition_failed<E: ConditionFailed, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error()
        .is_some_and(ConditionFailed::is_condition_failed)
}

/// A conditional write's outcome: `Some(output)` when it was written, `None` when its condition
/// did not hold; any other failure is an error.
pub(super) fn conditional<T, E, R>(
    result: Result<T, SdkError<E, R>>,
) -> Result<Option<T>, StoreError>
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
pub(super) trait ConditionFailed {
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
pub(super) struct Expr {
    pub(super) names: HashMap<String, String>,
    pub(super) values: HashMap<String, AttributeValue>,
}

impl Expr {
    pub(super) fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names
            .insert(placeholder.to_owned(), attribute.to_owned());
        self
    }

    pub(super) fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.insert(placeholder.to_owned(), value);
        self
    }

    pub(super) fn update(
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

    pub(super) fn delete(
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
pub(super) fn put_new(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
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
pub(super) struct Counter {
    pub(super) registered: u32,
    pub(super) waitlist: Vec<String>,
}

impl Counter {
    pub(super) fn position(&self, token: &str) -> Option<u32> {
        self.waitlist
            .iter()
            .position(|t| t == token)
            .map(|i| i as u32 + 1)
    }
}

/// What an item of a transaction does, so that the cancellation reasons DynamoDB returns (one
/// per item, in the order sent) are read by name, not by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
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
pub(super) struct Transaction {
    pub(super) items: Vec<TransactWriteItem>,
    pub(super) parts: Vec<Part>,
}

impl Transaction {
    pub(super) fn push(&mut self, part: Part, item: TransactWriteItem) {
        self.parts.push(part);
        self.items.push(item);
    }

    pub(super) fn with(mut self, part: Part, item: TransactWriteItem) -> Transaction {
        self.push(part, item);
        self
    }
}

/// Result of a transaction attempt.
pub(super) enum Tx {
    Committed,
    Cancelled(Cancellation),
}

/// Why a transaction was cancelled: one code per item (`None`, `ConditionalCheckFailed`,
/// `TransactionConflict`…), with the item's part when known.
#[derive(Debug)]
pub(super) struct Cancellation(pub(super) Vec<(Option<Part>, String)>);

impl Cancellation {
    /// Whether the condition of the item `part` failed.
    pub(super) fn failed(&self, part: Part) -> bool {
        self.0
            .iter()
            .any(|(p, code)| *p == Some(part) && code == "ConditionalCheckFailed")
    }

    /// Cancelled for a passing reason (a concurrent transaction, throttling): try again later.
    pub(super) fn retryable(&self) -> bool {
        self.0.iter().any(|(_, code)| {
            matches!(
                code.as_str(),
                "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"
            )
        })
    }
}

/// A live registration found by its token.
pub(super) struct TokenItem {
    pub(super) slug: String,
    pub(super) status: Status,
    /// The whole registration item.
    pub(super) registration: Item,
}

/// Sets a waiting registration to `registered` (condition: it is waiting).
pub(super) fn mark_registered(
    table: &str,
    slug: &str,
    token: &str,
) -> Result<TransactWriteItem, StoreError> {
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
