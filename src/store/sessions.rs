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
    /// When it ends.
    pub expires_at: UnixTime,
}

impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRow").field("sid", &self.sid).field("user_id", &self.user_id).finish_non_exhaustive()
    }
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
    /// When it was made.
    pub created_at: UnixTime,
    /// When it is abandoned.
    pub expires_at: UnixTime,
}

impl_from_row!(SessionRow { id_hash, sid, user_id, auth_time, created_at, expires_at });
impl_from_row!(PendingRequestRow { id, client_id, browser_hash, request, created_at, expires_at });

/// Browser sessions and pending authorization requests.
#[async_trait]
pub trait Sessions {
    /// Starts a browser session.
    async fn insert_session(&self, session: &SessionRow) -> StoreResult<()>;
    /// The live session with this cookie hash.
    async fn find_session(&self, id_hash: &[u8], now: UnixTime) -> StoreResult<Option<SessionRow>>;
    /// Ends a session; false if there was none.
    async fn delete_session(&self, id_hash: &[u8]) -> StoreResult<bool>;

    /// Keeps an authorization request until the user has logged in.
    async fn insert_pending_request(&self, request: &PendingRequestRow) -> StoreResult<()>;
    /// The unexpired pending request with this id.
    async fn find_pending_request(&self, id: &str, now: UnixTime) -> StoreResult<Option<PendingRequestRow>>;
    /// Removes and returns the unexpired pending request with this id, atomically:
    /// of two concurrent calls, one gets it.
    async fn take_pending_request(&self, id: &str, now: UnixTime) -> StoreResult<Option<PendingRequestRow>>;
}

const SESSION_COLUMNS: &str = "id_hash, sid, user_id, auth_time, created_at, expires_at";
const REQUEST_COLUMNS: &str = "id, client_id, browser_hash, request, created_at, expires_at";

#[async_trait]
impl Sessions for SqlStore {
    async fn insert_session(&self, r: &SessionRow) -> StoreResult<()> {
        let sql =
            sqlx::AssertSqlSafe(format!("insert into sessions ({SESSION_COLUMNS}) values ($1, $2, $3, $4, $5, $6)"));
        execute!(self, {
            sqlx::query(sql)
                .bind(&r.id_hash)
                .bind(&r.sid)
                .bind(&r.user_id)
                .bind(r.auth_time)
                .bind(r.created_at)
                .bind(r.expires_at)
        })?;
        Ok(())
    }

    async fn find_session(&self, id_hash: &[u8], now: UnixTime) -> StoreResult<Option<SessionRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "select {SESSION_COLUMNS} from sessions where id_hash = $1 and expires_at > $2"
        ));
        Ok(on_pool!(self, db => sqlx::query_as(sql).bind(id_hash).bind(now).fetch_optional(db).await)?)
    }

    async fn delete_session(&self, id_hash: &[u8]) -> StoreResult<bool> {
        let sql = "delete from sessions where id_hash = $1";
        let done = execute!(self, sqlx::query(sql).bind(id_hash))?;
        Ok(done > 0)
    }

    async fn insert_pending_request(&self, r: &PendingRequestRow) -> StoreResult<()> {
        let sql = sqlx::AssertSqlSafe(format!(
            "insert into authorization_requests ({REQUEST_COLUMNS}) values ($1, $2, $3, $4, $5, $6)"
        ));
        execute!(self, {
            sqlx::query(sql)
                .bind(&r.id)
                .bind(&r.client_id)
                .bind(&r.browser_hash)
                .bind(&r.request)
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
