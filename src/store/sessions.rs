//! Browser sessions, and authorization requests waiting for their browser's login.

use async_trait::async_trait;

use super::StoreResult;
use super::sql::{SqlStore, execute, impl_from_row, on_pool};
use crate::clock::UnixTime;

/// A browser session: one login in one browser.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// SHA-256 of the session cookie.
    pub id_hash: Vec<u8>,
    /// The public session id (the `sid` claim).
    pub sid: String,
    /// The user logged in.
    pub user_id: String,
    /// When the user authenticated.
    pub auth_time: UnixTime,
    /// When the session started.
    pub created_at: UnixTime,
    /// When it ends at the latest (the absolute lifetime).
    pub expires_at: UnixTime,
    /// When it ends unless used before (the idle lifetime); never after `expires_at`.
    pub idle_expires_at: UnixTime,
}

impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRow").field("sid", &self.sid).field("user_id", &self.user_id).finish_non_exhaustive()
    }
}

/// What ending sessions ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ended {
    /// Sessions deleted.
    pub sessions: u64,
    /// Grants revoked.
    pub grants: u64,
}

/// An authorization request waiting for the user to log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRequestRow {
    /// The handle the login page carries.
    pub id: String,
    /// The client that asked.
    pub client_id: String,
    /// SHA-256 of the cookie of the browser that asked; only it may finish the request.
    pub browser_hash: Vec<u8>,
    /// The validated request, as JSON.
    pub request: String,
    /// `None` while it waits for a login; the `sid` of the session it waits in while
    /// it waits for consent (only that session can finish it).
    pub sid: Option<String>,
    /// When it was made.
    pub created_at: UnixTime,
    /// When it is abandoned.
    pub expires_at: UnixTime,
}

impl_from_row!(SessionRow { id_hash, sid, user_id, auth_time, created_at, expires_at, idle_expires_at });
impl_from_row!(PendingRequestRow { id, client_id, browser_hash, request, sid, created_at, expires_at });

/// Browser sessions and pending authorization requests.
#[async_trait]
pub trait Sessions {
    /// Starts a browser session.
    async fn insert_session(&self, session: &SessionRow) -> StoreResult<()>;
    /// The live session with this cookie hash: neither its absolute nor its idle end
    /// has come.
    async fn find_session(&self, id_hash: &[u8], now: UnixTime) -> StoreResult<Option<SessionRow>>;
    /// Moves a session's idle end to `idle_expires_at` (never past its absolute end).
    async fn touch_session(&self, id_hash: &[u8], idle_expires_at: UnixTime) -> StoreResult<()>;
    /// Ends a session; false if there was none.
    async fn delete_session(&self, id_hash: &[u8]) -> StoreResult<bool>;
    /// The live sessions of a user, oldest first.
    async fn list_user_sessions(&self, user_id: &str, now: UnixTime) -> StoreResult<Vec<SessionRow>>;
    /// Ends the session `sid` and what was issued under it, in one transaction: deletes
    /// the session and its codes not yet redeemed, and revokes its live grants except
    /// those whose scope has the token `keep_scope`.
    async fn end_session(&self, sid: &str, keep_scope: &str, now: UnixTime) -> StoreResult<Ended>;
    /// Ends every session of a user and revokes every live grant of theirs (and so every
    /// refresh-token family and access token), deleting their codes not yet redeemed,
    /// in one transaction.
    async fn end_user_sessions(&self, user_id: &str, now: UnixTime) -> StoreResult<Ended>;

    /// Keeps an authorization request until the user has logged in.
    async fn insert_pending_request(&self, request: &PendingRequestRow) -> StoreResult<()>;
    /// The unexpired pending request with this id.
    async fn find_pending_request(&self, id: &str, now: UnixTime) -> StoreResult<Option<PendingRequestRow>>;
    /// Removes and returns the unexpired pending request with this id, atomically:
    /// of two concurrent calls, one gets it.
    async fn take_pending_request(&self, id: &str, now: UnixTime) -> StoreResult<Option<PendingRequestRow>>;
}

const SESSION_COLUMNS: &str = "id_hash, sid, user_id, auth_time, created_at, expires_at, idle_expires_at";
const REQUEST_COLUMNS: &str = "id, client_id, browser_hash, request, sid, created_at, expires_at";

#[async_trait]
impl Sessions for SqlStore {
    async fn insert_session(&self, r: &SessionRow) -> StoreResult<()> {
        let sql = sqlx::AssertSqlSafe(format!(
            "insert into sessions ({SESSION_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7)"
        ));
        execute!(self, {
            sqlx::query(sql)
                .bind(&r.id_hash)
                .bind(&r.sid)
                .bind(&r.user_id)
                .bind(r.auth_time)
                .bind(r.created_at)
                .bind(r.expires_at)
                .bind(r.idle_expires_at)
        })?;
        Ok(())
    }

    async fn find_session(&self, id_hash: &[u8], now: UnixTime) -> StoreResult<Option<SessionRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "select {SESSION_COLUMNS} from sessions where id_hash = $1 and expires_at > $2 and idle_expires_at > $2"
        ));
        Ok(on_pool!(self, db => sqlx::query_as(sql).bind(id_hash).bind(now).fetch_optional(db).await)?)
    }

    async fn touch_session(&self, id_hash: &[u8], idle_expires_at: UnixTime) -> StoreResult<()> {
        let sql = "update sessions set idle_expires_at = case when $1 < expires_at then $1 else expires_at end \
                   where id_hash = $2";
        execute!(self, sqlx::query(sql).bind(idle_expires_at).bind(id_hash))?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &[u8]) -> StoreResult<bool> {
        let sql = "delete from sessions where id_hash = $1";
        let done = execute!(self, sqlx::query(sql).bind(id_hash))?;
        Ok(done > 0)
    }

    async fn list_user_sessions(&self, user_id: &str, now: UnixTime) -> StoreResult<Vec<SessionRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "select {SESSION_COLUMNS} from sessions where user_id = $1 and expires_at > $2 and idle_expires_at > $2 \
             order by created_at, sid"
        ));
        Ok(on_pool!(self, db => sqlx::query_as(sql).bind(user_id).bind(now).fetch_all(db).await)?)
    }

    async fn end_session(&self, sid: &str, keep_scope: &str, now: UnixTime) -> StoreResult<Ended> {
        // One transaction: a code redeemed meanwhile either is deleted first (and then
        // refused) or has made its grant, which is then revoked.
        let mut tx = self.begin().await?;
        let sessions = execute!(tx: tx, sqlx::query("delete from sessions where sid = $1").bind(sid))?;
        let codes = "delete from authorization_codes where sid = $1 and consumed_at is null";
        execute!(tx: tx, sqlx::query(codes).bind(sid))?;
        // Scope tokens are space-separated: padding both sides finds whole tokens only.
        let grants = "update grants set revoked_at = $1 where sid = $2 and revoked_at is null \
                      and ' ' || scope || ' ' not like $3 escape '\\'";
        let escaped = keep_scope.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let keep = format!("% {escaped} %");
        let grants = execute!(tx: tx, sqlx::query(grants).bind(now).bind(sid).bind(keep))?;
        tx.commit().await?;
        Ok(Ended { sessions, grants })
    }

    async fn end_user_sessions(&self, user_id: &str, now: UnixTime) -> StoreResult<Ended> {
        let mut tx = self.begin().await?;
        let sessions = execute!(tx: tx, sqlx::query("delete from sessions where user_id = $1").bind(user_id))?;
        let codes = "delete from authorization_codes where user_id = $1 and consumed_at is null";
        execute!(tx: tx, sqlx::query(codes).bind(user_id))?;
        let grants = "update grants set revoked_at = $1 where user_id = $2 and revoked_at is null";
        let grants = execute!(tx: tx, sqlx::query(grants).bind(now).bind(user_id))?;
        tx.commit().await?;
        Ok(Ended { sessions, grants })
    }

    async fn insert_pending_request(&self, r: &PendingRequestRow) -> StoreResult<()> {
        let sql = sqlx::AssertSqlSafe(format!(
            "insert into authorization_requests ({REQUEST_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7)"
        ));
        execute!(self, {
            sqlx::query(sql)
                .bind(&r.id)
                .bind(&r.client_id)
                .bind(&r.browser_hash)
                .bind(&r.request)
                .bind(&r.sid)
                .bind(r.created_at)
                .bind(r.expires_at)
        })?;
        Ok(())
    }

    async fn find_pending_request(&self, id: &str, now: UnixTime) -> StoreResult<Option<PendingRequestRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "select {REQUEST_COLUMNS} from authorization_requests where id = $1 and expires_at > $2"
        ));
        Ok(on_pool!(self, db => sqlx::query_as(sql).bind(id).bind(now).fetch_optional(db).await)?)
    }

    async fn take_pending_request(&self, id: &str, now: UnixTime) -> StoreResult<Option<PendingRequestRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "delete from authorization_requests where id = $1 and expires_at > $2 returning {REQUEST_COLUMNS}"
        ));
        Ok(on_pool!(self, db => sqlx::query_as(sql).bind(id).bind(now).fetch_optional(db).await)?)
    }
}
