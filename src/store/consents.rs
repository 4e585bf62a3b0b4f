//! What users agreed to share with third-party clients.

use async_trait::async_trait;

use super::StoreResult;
use super::sql::{SqlStore, execute, impl_from_row, on_pool};
use crate::clock::UnixTime;

/// A user's consent to a client: the scopes they approved for it, all told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRow {
    /// The user who agreed.
    pub user_id: String,
    /// The client they agreed to.
    pub client_id: String,
    /// The approved scope tokens, space-separated.
    pub scope: String,
    /// When they first agreed.
    pub created_at: UnixTime,
    /// When they last agreed to more.
    pub updated_at: UnixTime,
}

impl_from_row!(ConsentRow { user_id, client_id, scope, created_at, updated_at });

/// Consents.
#[async_trait]
pub trait Consents {
    /// The user's consent to the client, if any.
    async fn find_consent(&self, user_id: &str, client_id: &str) -> StoreResult<Option<ConsentRow>>;
    /// Records a consent, replacing the scope of an earlier one (the caller passes
    /// what the user approved, all told).
    async fn put_consent(&self, consent: &ConsentRow) -> StoreResult<()>;
    /// The user's consents, by client id.
    async fn list_consents(&self, user_id: &str) -> StoreResult<Vec<ConsentRow>>;
    /// Withdraws the user's consent to the client and, in the same transaction,
    /// revokes every live grant of theirs for that client (and so its refresh-token
    /// families and access tokens) and deletes their codes not yet redeemed. Returns
    /// whether there was a consent, and how many grants were revoked.
    async fn revoke_consent(&self, user_id: &str, client_id: &str, now: UnixTime) -> StoreResult<(bool, u64)>;
}

const COLUMNS: &str = "user_id, client_id, scope, created_at, updated_at";

#[async_trait]
impl Consents for SqlStore {
    async fn find_consent(&self, user_id: &str, client_id: &str) -> StoreResult<Option<ConsentRow>> {
        let sql = sqlx::AssertSqlSafe(format!("select {COLUMNS} from consents where user_id = $1 and client_id = $2"));
        Ok(on_pool!(self, db => sqlx::query_as(sql).bind(user_id).bind(client_id).fetch_optional(db).await)?)
    }

    async fn put_consent(&self, c: &ConsentRow) -> StoreResult<()> {
        let sql = sqlx::AssertSqlSafe(format!(
            "insert into consents ({COLUMNS}) values ($1, $2, $3, $4, $5) \
             on conflict (user_id, client_id) do update set scope = excluded.scope, updated_at = excluded.updated_at"
        ));
        execute!(self, {
            sqlx::query(sql).bind(&c.user_id).bind(&c.client_id).bind(&c.scope).bind(c.created_at).bind(c.updated_at)
        })?;
        Ok(())
    }

    async fn list_consents(&self, user_id: &str) -> StoreResult<Vec<ConsentRow>> {
        let sql = sqlx::AssertSqlSafe(format!("select {COLUMNS} from consents where user_id = $1"));
        let mut rows: Vec<ConsentRow> = on_pool!(self, db => sqlx::query_as(sql).bind(user_id).fetch_all(db).await)?;
        // Sorted here: the engines' collations differ.
        rows.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(rows)
    }

    async fn revoke_consent(&self, user_id: &str, client_id: &str, now: UnixTime) -> StoreResult<(bool, u64)> {
        let mut tx = self.begin().await?;
        let consent = "delete from consents where user_id = $1 and client_id = $2";
        let had = execute!(tx: tx, sqlx::query(consent).bind(user_id).bind(client_id))? > 0;
        let codes = "delete from authorization_codes where user_id = $1 and client_id = $2 and consumed_at is null";
        execute!(tx: tx, sqlx::query(codes).bind(user_id).bind(client_id))?;
        let grants = "update grants set revoked_at = $1 where user_id = $2 and client_id = $3 and revoked_at is null";
        let revoked = execute!(tx: tx, sqlx::query(grants).bind(now).bind(user_id).bind(client_id))?;
        tx.commit().await?;
        Ok((had, revoked))
    }
}
