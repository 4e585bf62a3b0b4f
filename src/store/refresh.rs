//! Refresh tokens: each grant's family, rotated on every use.

use async_trait::async_trait;

use super::StoreResult;
use super::sql::{SqlStore, execute, impl_from_row, on_pool};
use crate::clock::UnixTime;

/// A refresh token of a grant's family, stored by the hash of its value.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshRow {
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    /// The grant (family) it belongs to.
    pub grant_id: String,
    /// When it was issued.
    pub created_at: UnixTime,
    /// When it expires unused (idle lifetime, bounded by the grant's end).
    pub expires_at: UnixTime,
    /// When it was rotated; presenting it after that is reuse.
    pub spent_at: Option<UnixTime>,
    /// Its successor, sealed under a key derived from this token (grace window only).
    pub successor_sealed: Option<Vec<u8>>,
}

impl std::fmt::Debug for RefreshRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshRow")
            .field("grant_id", &self.grant_id)
            .field("expires_at", &self.expires_at)
            .field("spent_at", &self.spent_at)
            .finish_non_exhaustive()
    }
}

impl_from_row!(RefreshRow { token_hash, grant_id, created_at, expires_at, spent_at, successor_sealed });

/// Refresh tokens.
#[async_trait]
pub trait RefreshTokens {
    /// The refresh token with this hash, spent or not.
    async fn find_refresh_token(&self, token_hash: &[u8]) -> StoreResult<Option<RefreshRow>>;
    /// Spends `old_hash` (keeping `sealed` successor if given) and stores `successor`,
    /// in one transaction. True for the one caller that spent it; false if it was
    /// already spent.
    async fn rotate_refresh_token(
        &self,
        old_hash: &[u8],
        successor: &RefreshRow,
        sealed: Option<&[u8]>,
        now: UnixTime,
    ) -> StoreResult<bool>;
}

/// The statement that inserts a refresh token, for the pool or a transaction to execute.
macro_rules! insert_refresh {
    ($r:expr) => {
        sqlx::query(
            "insert into refresh_tokens (token_hash, grant_id, created_at, expires_at, spent_at, successor_sealed) \
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&$r.token_hash)
        .bind(&$r.grant_id)
        .bind($r.created_at)
        .bind($r.expires_at)
        .bind($r.spent_at)
        .bind(&$r.successor_sealed)
    };
}
pub(super) use insert_refresh;

#[async_trait]
impl RefreshTokens for SqlStore {
    async fn find_refresh_token(&self, token_hash: &[u8]) -> StoreResult<Option<RefreshRow>> {
        let sql = "select token_hash, grant_id, created_at, expires_at, spent_at, successor_sealed \
                   from refresh_tokens where token_hash = $1";
        Ok(on_pool!(self, db => sqlx::query_as(sql).bind(token_hash).fetch_optional(db).await)?)
    }

    async fn rotate_refresh_token(
        &self,
        old_hash: &[u8],
        successor: &RefreshRow,
        sealed: Option<&[u8]>,
        now: UnixTime,
    ) -> StoreResult<bool> {
        // One transaction: of concurrent rotations of one token, the first to update
        // the row wins; the others wait for it and then find it spent.
        let mut tx = self.begin().await?;
        let spend = "update refresh_tokens set spent_at = $1, successor_sealed = $2 \
                     where token_hash = $3 and spent_at is null";
        let done = execute!(tx: tx, sqlx::query(spend).bind(now).bind(sealed).bind(old_hash))?;
        let won = done > 0;
        if won {
            execute!(tx: tx, insert_refresh!(successor))?;
        }
        tx.commit().await?;
        Ok(won)
    }
}
