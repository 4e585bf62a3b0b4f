//! Authorization codes, the grants their redemption creates (one login of one user for
//! one client: the unit that is revoked), and access tokens revoked before their expiry.

use async_trait::async_trait;

use super::StoreResult;
use super::refresh::{RefreshRow, insert_refresh};
use super::sql::{SqlStore, execute, impl_from_row, on_pool};
use crate::clock::UnixTime;

/// An authorization code, stored by the hash of its value.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeRow {
    /// SHA-256 of the code.
    pub code_hash: Vec<u8>,
    /// The id of the grant its redemption creates.
    pub grant_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The user who logged in.
    pub user_id: String,
    /// The browser session's `sid`.
    pub sid: String,
    /// The redirect URI of the request, which the token request must repeat.
    pub redirect_uri: String,
    /// The granted scope, space-separated.
    pub scope: String,
    /// The request's `nonce`, carried into the ID token.
    pub nonce: Option<String>,
    /// The PKCE `S256` challenge.
    pub code_challenge: Option<String>,
    /// When the user authenticated.
    pub auth_time: UnixTime,
    /// The `claims` request parameter as JSON, if any.
    pub claims: Option<String>,
    /// When it was issued.
    pub created_at: UnixTime,
    /// When it expires.
    pub expires_at: UnixTime,
    /// When it was redeemed, if it was.
    pub consumed_at: Option<UnixTime>,
}

impl std::fmt::Debug for CodeRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeRow")
            .field("grant_id", &self.grant_id)
            .field("client_id", &self.client_id)
            .field("consumed_at", &self.consumed_at)
            .finish_non_exhaustive()
    }
}

/// One login of one user for one client: the unit that is revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRow {
    /// Carried by every access token of the grant.
    pub id: String,
    /// The client.
    pub client_id: String,
    /// The user; `None` for client credentials.
    pub user_id: Option<String>,
    /// The granted scope, space-separated.
    pub scope: String,
    /// The browser session's `sid`.
    pub sid: Option<String>,
    /// When the user authenticated.
    pub auth_time: Option<UnixTime>,
    /// The `claims` request parameter as JSON, if any.
    pub claims: Option<String>,
    /// When it was created.
    pub created_at: UnixTime,
    /// When it ends.
    pub expires_at: UnixTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
}

impl GrantRow {
    /// Whether tokens of this grant are good at `now`.
    pub fn is_live(&self, now: UnixTime) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

impl_from_row!(CodeRow {
    code_hash,
    grant_id,
    client_id,
    user_id,
    sid,
    redirect_uri,
    scope,
    nonce,
    code_challenge,
    auth_time,
    claims,
    created_at,
    expires_at,
    consumed_at
});
impl_from_row!(GrantRow { id, client_id, user_id, scope, sid, auth_time, claims, created_at, expires_at, revoked_at });

/// Codes, grants and revoked access tokens.
#[async_trait]
pub trait Codes {
    /// Stores a new authorization code.
    async fn insert_code(&self, code: &CodeRow) -> StoreResult<()>;
    /// The code with this hash, redeemed or not.
    async fn find_code(&self, code_hash: &[u8]) -> StoreResult<Option<CodeRow>>;
    /// Marks the code redeemed and creates its grant (and the family's first refresh
    /// token, if any), in one transaction. True for the one caller that redeemed it;
    /// false if it was already redeemed.
    async fn redeem_code(
        &self,
        code_hash: &[u8],
        grant: &GrantRow,
        first_refresh: Option<&RefreshRow>,
        now: UnixTime,
    ) -> StoreResult<bool>;

    /// Stores a grant made without a code (client credentials).
    async fn insert_grant(&self, grant: &GrantRow) -> StoreResult<()>;
    /// The grant with this id.
    async fn find_grant(&self, id: &str) -> StoreResult<Option<GrantRow>>;
    /// Revokes a grant (and so every token of it); false if there is no such grant
    /// or it was already revoked.
    async fn revoke_grant(&self, id: &str, now: UnixTime) -> StoreResult<bool>;

    /// Records an access token revoked before its expiry (RFC 7009).
    async fn revoke_access_token(&self, jti: &str, expires_at: UnixTime) -> StoreResult<()>;
    /// Whether the access token with this `jti` was revoked.
    async fn is_access_token_revoked(&self, jti: &str) -> StoreResult<bool>;
}

const CODE_COLUMNS: &str = "code_hash, grant_id, client_id, user_id, sid, redirect_uri, scope, nonce, \
     code_challenge, auth_time, claims, created_at, expires_at, consumed_at";
const GRANT_COLUMNS: &str = "id, client_id, user_id, scope, sid, auth_time, claims, created_at, expires_at, revoked_at";

/// The statement that inserts a grant, for the pool or a transaction to execute.
macro_rules! insert_grant {
    ($g:expr) => {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "insert into grants ({GRANT_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        )))
        .bind(&$g.id)
        .bind(&$g.client_id)
        .bind(&$g.user_id)
        .bind(&$g.scope)
        .bind(&$g.sid)
        .bind($g.auth_time)
        .bind(&$g.claims)
        .bind($g.created_at)
        .bind($g.expires_at)
        .bind($g.revoked_at)
    };
}

#[async_trait]
impl Codes for SqlStore {
    async fn insert_code(&self, r: &CodeRow) -> StoreResult<()> {
        let sql = sqlx::AssertSqlSafe(format!(
            "insert into authorization_codes ({CODE_COLUMNS}) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        ));
        execute!(self, {
            sqlx::query(sql)
                .bind(&r.code_hash)
                .bind(&r.grant_id)
                .bind(&r.client_id)
                .bind(&r.user_id)
                .bind(&r.sid)
                .bind(&r.redirect_uri)
                .bind(&r.scope)
                .bind(&r.nonce)
                .bind(&r.code_challenge)
                .bind(r.auth_time)
                .bind(&r.claims)
                .bind(r.created_at)
                .bind(r.expires_at)
                .bind(r.consumed_at)
        })?;
        Ok(())
    }

    async fn find_code(&self, code_hash: &[u8]) -> StoreResult<Option<CodeRow>> {
        let sql = sqlx::AssertSqlSafe(format!("select {CODE_COLUMNS} from authorization_codes where code_hash = $1"));
        Ok(on_pool!(self, db => sqlx::query_as(sql).bind(code_hash).fetch_optional(db).await)?)
    }

    async fn redeem_code(
        &self,
        code_hash: &[u8],
        g: &GrantRow,
        first_refresh: Option<&RefreshRow>,
        now: UnixTime,
    ) -> StoreResult<bool> {
        // One transaction: a concurrent redemption waits on the code row and then sees
        // it consumed, by which time the grant it may want to revoke exists.
        let mut tx = self.begin().await?;
        let consume = "update authorization_codes set consumed_at = $1 \
                       where code_hash = $2 and consumed_at is null and grant_id = $3";
        let done = execute!(tx: tx, sqlx::query(consume).bind(now).bind(code_hash).bind(&g.id))?;
        let won = done > 0;
        if won {
            execute!(tx: tx, insert_grant!(g))?;
            if let Some(r) = first_refresh {
                execute!(tx: tx, insert_refresh!(r))?;
            }
        }
        tx.commit().await?;
        Ok(won)
    }

    async fn insert_grant(&self, g: &GrantRow) -> StoreResult<()> {
        execute!(self, insert_grant!(g))?;
        Ok(())
    }

    async fn find_grant(&self, id: &str) -> StoreResult<Option<GrantRow>> {
        let sql = sqlx::AssertSqlSafe(format!("select {GRANT_COLUMNS} from grants where id = $1"));
        Ok(on_pool!(self, db => sqlx::query_as(sql).bind(id).fetch_optional(db).await)?)
    }

    async fn revoke_grant(&self, id: &str, now: UnixTime) -> StoreResult<bool> {
        let sql = "update grants set revoked_at = $1 where id = $2 and revoked_at is null";
        let done = execute!(self, sqlx::query(sql).bind(now).bind(id))?;
        Ok(done > 0)
    }

    async fn revoke_access_token(&self, jti: &str, expires_at: UnixTime) -> StoreResult<()> {
        let sql = "insert into revoked_access_tokens (jti, expires_at) values ($1, $2) on conflict (jti) do nothing";
        execute!(self, sqlx::query(sql).bind(jti).bind(expires_at))?;
        Ok(())
    }

    async fn is_access_token_revoked(&self, jti: &str) -> StoreResult<bool> {
        let sql = "select jti from revoked_access_tokens where jti = $1";
        let found: Option<(String,)> = on_pool!(self, db => sqlx::query_as(sql).bind(jti).fetch_optional(db).await)?;
        Ok(found.is_some())
    }
}
