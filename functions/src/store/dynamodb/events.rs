//! What the DynamoDB store keeps per event: its private join link, until when its personal
//! data may be kept, and what the sync last saw of it.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, SecondsFormat, Utc};

use super::connection::*;
use super::rows::*;
use crate::store::contract::{EventState, JoinLink, Observed, StoreError};

impl DynamoStore {
    pub(super) async fn set_join_url(
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

    pub(super) async fn clear_join_url(&self, slug: &str) -> Result<bool, StoreError> {
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

    pub(super) async fn join_url(&self, slug: &str) -> Result<Option<JoinLink>, StoreError> {
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

    pub(super) async fn keep_until(
        &self,
        slug: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
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

    pub(super) async fn observe_event(
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

    pub(super) async fn event_revision(&self, slug: &str) -> Result<u32, StoreError> {
        let seen = self.get(key(event_pk(slug), STATE_SK.to_owned())).await?;
        Ok(seen
            .as_ref()
            .and_then(|item| get_n(item, "revision"))
            .unwrap_or(0) as u32)
    }
}
