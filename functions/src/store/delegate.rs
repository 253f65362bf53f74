//! How a store implements the `Store` trait when its operations are written by concern, as
//! inherent methods: one macro, so that the trait's signatures are not written again per store.

/// The `Store` impl of a store whose operations are inherent methods of the same names, written
/// by concern (`sqlite/`, `dynamodb/`): each method of the trait calls its own. The trait's
/// signatures are then written once here, not once per store. The types they name are those in
/// scope where it is called.
macro_rules! store_by_inherent_methods {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::contract::Store for $store {
            async fn register(
                &self,
                slug: &str,
                capacity: Option<u32>,
                reg: NewRegistration,
                mailing: Option<Mailing<'_>>,
            ) -> Result<RegisterOutcome, StoreError> {
                <$store>::register(self, slug, capacity, reg, mailing).await
            }

            async fn counts(&self, slug: &str) -> Result<Counts, StoreError> {
                <$store>::counts(self, slug).await
            }

            async fn find(&self, token: &str) -> Result<Option<TokenInfo>, StoreError> {
                <$store>::find(self, token).await
            }

            async fn cancel(
                &self,
                token: &str,
                capacity: Option<u32>,
                mailing: Option<Mailing<'_>>,
            ) -> Result<Option<Cancelled>, StoreError> {
                <$store>::cancel(self, token, capacity, mailing).await
            }

            async fn list(&self, slug: &str) -> Result<Vec<Registration>, StoreError> {
                <$store>::list(self, slug).await
            }

            async fn claim_announcement(
                &self,
                claim: &AnnouncementClaim<'_>,
            ) -> Result<ClaimOutcome, StoreError> {
                <$store>::claim_announcement(self, claim).await
            }

            async fn mark_announcement_sent(
                &self,
                slug: &str,
                kind: AnnouncementKind,
                claim: &str,
                sent_at: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                <$store>::mark_announcement_sent(self, slug, kind, claim, sent_at).await
            }

            async fn release_announcement(
                &self,
                slug: &str,
                kind: AnnouncementKind,
                claim: &str,
            ) -> Result<bool, StoreError> {
                <$store>::release_announcement(self, slug, kind, claim).await
            }

            async fn claim_scheduled_event(
                &self,
                slug: &str,
                claim: &str,
                now: DateTime<Utc>,
                lease_until: DateTime<Utc>,
            ) -> Result<ScheduledClaim, StoreError> {
                <$store>::claim_scheduled_event(self, slug, claim, now, lease_until).await
            }

            async fn release_scheduled_event(
                &self,
                slug: &str,
                claim: &str,
                link: &ScheduledLink,
            ) -> Result<bool, StoreError> {
                <$store>::release_scheduled_event(self, slug, claim, link).await
            }

            async fn forget_scheduled_event(
                &self,
                slug: &str,
                claim: &str,
            ) -> Result<bool, StoreError> {
                <$store>::forget_scheduled_event(self, slug, claim).await
            }

            async fn scheduled_event_slugs(&self) -> Result<Vec<String>, StoreError> {
                <$store>::scheduled_event_slugs(self).await
            }

            async fn propose(&self, suggestion: &Suggestion) -> Result<ProposeOutcome, StoreError> {
                <$store>::propose(self, suggestion).await
            }

            async fn pending_suggestions(&self) -> Result<Vec<Suggestion>, StoreError> {
                <$store>::pending_suggestions(self).await
            }

            async fn take_suggestions(
                &self,
                keys: &[String],
                taken_at: DateTime<Utc>,
            ) -> Result<u32, StoreError> {
                <$store>::take_suggestions(self, keys, taken_at).await
            }

            async fn resend_confirmation(
                &self,
                slug: &str,
                email_key: &str,
                mailing: Mailing<'_>,
                not_since: DateTime<Utc>,
            ) -> Result<Option<String>, StoreError> {
                <$store>::resend_confirmation(self, slug, email_key, mailing, not_since).await
            }

            async fn claim_message(
                &self,
                id: &str,
                claim: &MessageClaim<'_>,
            ) -> Result<Option<OutboxMessage>, StoreError> {
                <$store>::claim_message(self, id, claim).await
            }

            async fn claim_due_messages(
                &self,
                claim: &MessageClaim<'_>,
                limit: usize,
            ) -> Result<Vec<OutboxMessage>, StoreError> {
                <$store>::claim_due_messages(self, claim, limit).await
            }

            async fn delete_message(&self, id: &str, claim: &str) -> Result<bool, StoreError> {
                <$store>::delete_message(self, id, claim).await
            }

            async fn reschedule_message(
                &self,
                id: &str,
                claim: &str,
                retry_at: Option<DateTime<Utc>>,
                error: &str,
            ) -> Result<bool, StoreError> {
                <$store>::reschedule_message(self, id, claim, retry_at, error).await
            }

            async fn failed_messages(&self, slug: &str) -> Result<Vec<FailedMessage>, StoreError> {
                <$store>::failed_messages(self, slug).await
            }

            async fn set_join_url(
                &self,
                slug: &str,
                url: &str,
                at: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                <$store>::set_join_url(self, slug, url, at).await
            }

            async fn clear_join_url(&self, slug: &str) -> Result<bool, StoreError> {
                <$store>::clear_join_url(self, slug).await
            }

            async fn join_url(&self, slug: &str) -> Result<Option<JoinLink>, StoreError> {
                <$store>::join_url(self, slug).await
            }

            async fn keep_until(
                &self,
                slug: &str,
                until: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                <$store>::keep_until(self, slug, until).await
            }

            async fn purge_expired(&self, now: DateTime<Utc>) -> Result<Purged, StoreError> {
                <$store>::purge_expired(self, now).await
            }

            async fn enqueue_fanout(
                &self,
                slug: &str,
                fanout: &Fanout,
                mailing: Mailing<'_>,
            ) -> Result<u32, StoreError> {
                <$store>::enqueue_fanout(self, slug, fanout, mailing).await
            }

            async fn observe_event(
                &self,
                slug: &str,
                state: &EventState,
                now: DateTime<Utc>,
            ) -> Result<Observed, StoreError> {
                <$store>::observe_event(self, slug, state, now).await
            }

            async fn event_revision(&self, slug: &str) -> Result<u32, StoreError> {
                <$store>::event_revision(self, slug).await
            }
        }
    };
}
pub(crate) use store_by_inherent_methods;
