//! Discord's side of the DynamoDB store: announcements and guild scheduled events claimed
//! once, and the links proposed from Discord.

use aws_sdk_dynamodb::error::DisplayErrorContext;
use chrono::{DateTime, SecondsFormat, Utc};

use super::connection::*;
use super::rows::*;
use crate::store::contract::{
    AnnouncementClaim, AnnouncementKind, ClaimOutcome, ProposeOutcome, ScheduledClaim,
    ScheduledLink, StoreError, Suggestion,
};

impl DynamoStore {
    pub(super) async fn claim_announcement(
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

    pub(super) async fn mark_announcement_sent(
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

    pub(super) async fn release_announcement(
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

    pub(super) async fn claim_scheduled_event(
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

    pub(super) async fn release_scheduled_event(
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

    pub(super) async fn forget_scheduled_event(
        &self,
        slug: &str,
        claim: &str,
    ) -> Result<bool, StoreError> {
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

    pub(super) async fn scheduled_event_slugs(&self) -> Result<Vec<String>, StoreError> {
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

    pub(super) async fn propose(
        &self,
        suggestion: &Suggestion,
    ) -> Result<ProposeOutcome, StoreError> {
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

    pub(super) async fn pending_suggestions(&self) -> Result<Vec<Suggestion>, StoreError> {
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

    pub(super) async fn take_suggestions(
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
}
