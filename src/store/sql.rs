//! The one SQL implementation of [`Store`](super::Store), shared by both backends.
//!
//! The statements are written once, with `$n` placeholders that SQLite and
//! PostgreSQL both understand, and expanded by `sql_store!` for each backend's pool
//! type. What differs between the engines (connecting, migrations, how to serialise
//! a read-then-write transaction) lives in `sqlite.rs` and `postgres.rs`.

use super::{
    Client, ClientKind, CodeRow, GrantRow, KeyRow, PendingRequestRow, RefreshRow, SessionRow, StoreError, ThrottleRow,
    User,
};

/// Maps a unique-constraint violation to [`StoreError::Conflict`].
pub(super) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
        _ => StoreError::Database(e),
    }
}

/// Lists are stored as JSON arrays in text columns, alike on both engines.
pub(super) fn json_list(items: &[String]) -> String {
    serde_json::Value::from(items).to_string()
}

fn parse_json<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

/// A `clients` row as read.
#[derive(sqlx::FromRow)]
pub(super) struct ClientRecord {
    id: String,
    name: String,
    kind: String,
    secret_hash: Option<Vec<u8>>,
    redirect_uris: String,
    grant_types: String,
    post_logout_redirect_uris: String,
    audiences: String,
    id_token_signed_response_alg: Option<String>,
    require_pkce: bool,
    created_at: i64,
}

impl TryFrom<ClientRecord> for Client {
    type Error = StoreError;
    fn try_from(r: ClientRecord) -> Result<Self, StoreError> {
        Ok(Client {
            kind: ClientKind::parse(&r.kind).ok_or_else(|| StoreError::Corrupt(format!("client kind {}", r.kind)))?,
            redirect_uris: parse_json("redirect_uris", &r.redirect_uris)?,
            grant_types: parse_json("grant_types", &r.grant_types)?,
            post_logout_redirect_uris: parse_json("post_logout_redirect_uris", &r.post_logout_redirect_uris)?,
            audiences: parse_json("audiences", &r.audiences)?,
            id: r.id,
            name: r.name,
            secret_hash: r.secret_hash,
            id_token_signed_response_alg: r.id_token_signed_response_alg,
            require_pkce: r.require_pkce,
            created_at: r.created_at,
        })
    }
}

/// A `users` row as read.
#[derive(sqlx::FromRow)]
pub(super) struct UserRecord {
    id: String,
    username: String,
    password_hash: String,
    disabled: bool,
    claims: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<UserRecord> for User {
    type Error = StoreError;
    fn try_from(r: UserRecord) -> Result<Self, StoreError> {
        Ok(User {
            claims: parse_json("claims", &r.claims)?,
            id: r.id,
            username: r.username,
            password_hash: r.password_hash,
            disabled: r.disabled,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

impl_from_row!(KeyRow { kid, alg, private_der, kek_id, created_at, published_at, activates_at, retires_at });

pub(super) const KEY_COLUMNS: &str =
    "kid, alg, private_der, kek_id, created_at, published_at, activates_at, retires_at";

/// The statement that inserts a signing key.
macro_rules! insert_key {
    ($k:expr) => {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "insert into signing_keys ({KEY_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8)"
        )))
        .bind(&$k.kid)
        .bind(&$k.alg)
        .bind(&$k.private_der)
        .bind(&$k.kek_id)
        .bind($k.created_at)
        .bind($k.published_at)
        .bind($k.activates_at)
        .bind($k.retires_at)
    };
}
pub(super) use insert_key;

pub(super) const CLIENT_COLUMNS: &str = "id, name, kind, secret_hash, redirect_uris, grant_types, \
     post_logout_redirect_uris, audiences, id_token_signed_response_alg, require_pkce, created_at";

// Rows whose columns match their fields one to one are read directly.
impl_from_row!(SessionRow { id_hash, sid, user_id, auth_time, created_at, expires_at });
impl_from_row!(PendingRequestRow { id, client_id, browser_hash, request, created_at, expires_at });
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
impl_from_row!(ThrottleRow { key, failures, window_start, blocked_until });
impl_from_row!(RefreshRow { token_hash, grant_id, created_at, expires_at, spent_at, successor_sealed });
impl_from_row!(GrantRow { id, client_id, user_id, scope, sid, auth_time, claims, created_at, expires_at, revoked_at });

pub(super) const CODE_COLUMNS: &str = "code_hash, grant_id, client_id, user_id, sid, redirect_uri, scope, nonce, \
     code_challenge, auth_time, claims, created_at, expires_at, consumed_at";
pub(super) const GRANT_COLUMNS: &str =
    "id, client_id, user_id, scope, sid, auth_time, claims, created_at, expires_at, revoked_at";

/// Implements `sqlx::FromRow` for a row struct whose fields are named as its columns,
/// for any database whose rows decode the field types (both of ours do).
macro_rules! impl_from_row {
    ($row:ident { $($field:ident),* $(,)? }) => {
        impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for $row
        where
            &'r str: sqlx::ColumnIndex<R>,
            String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
            Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
            Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
            Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
            i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
            Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        {
            fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
                Ok(Self { $($field: row.try_get(stringify!($field))?),* })
            }
        }
    };
}
use impl_from_row;

/// Expands the [`Store`](super::Store) implementation for a store type with a
/// `pool` field and an inherent `begin_serialized()`.
macro_rules! sql_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            fn backend(&self) -> $crate::store::Backend {
                Self::BACKEND
            }

            async fn ping(&self) -> $crate::store::StoreResult<()> {
                let query = sqlx::query("select 1").execute(&self.pool);
                match tokio::time::timeout(std::time::Duration::from_secs(2), query).await {
                    Ok(done) => done.map(|_| ()).map_err(db_err),
                    Err(_) => Err($crate::store::StoreError::Database(sqlx::Error::PoolTimedOut)),
                }
            }

            async fn close(&self) {
                self.pool.close().await;
            }

            async fn insert_client(&self, c: &Client) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "insert into clients (id, name, kind, secret_hash, redirect_uris, grant_types, \
                     post_logout_redirect_uris, audiences, id_token_signed_response_alg, require_pkce, created_at) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&c.id)
                .bind(&c.name)
                .bind(c.kind.as_str())
                .bind(&c.secret_hash)
                .bind(json_list(&c.redirect_uris))
                .bind(json_list(&c.grant_types))
                .bind(json_list(&c.post_logout_redirect_uris))
                .bind(json_list(&c.audiences))
                .bind(&c.id_token_signed_response_alg)
                .bind(c.require_pkce)
                .bind(c.created_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn find_client(&self, id: &str) -> $crate::store::StoreResult<Option<Client>> {
                let sql = sqlx::AssertSqlSafe(format!("select {CLIENT_COLUMNS} from clients where id = $1"));
                let row: Option<ClientRecord> =
                    sqlx::query_as(sql).bind(id).fetch_optional(&self.pool).await.map_err(db_err)?;
                row.map(Client::try_from).transpose()
            }

            async fn list_clients(&self) -> $crate::store::StoreResult<Vec<Client>> {
                let sql = sqlx::AssertSqlSafe(format!("select {CLIENT_COLUMNS} from clients"));
                let rows: Vec<ClientRecord> = sqlx::query_as(sql).fetch_all(&self.pool).await.map_err(db_err)?;
                let mut clients = rows.into_iter().map(Client::try_from).collect::<Result<Vec<_>, _>>()?;
                // Sorted here: the engines' collations differ.
                clients.sort_by(|a, b| a.id.cmp(&b.id));
                Ok(clients)
            }

            async fn delete_client(&self, id: &str) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("delete from clients where id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(done.rows_affected() > 0)
            }

            async fn insert_user(&self, u: &User) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "insert into users (id, username, username_key, password_hash, disabled, claims, \
                     created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&u.id)
                .bind(&u.username)
                .bind($crate::store::username_key(&u.username))
                .bind(&u.password_hash)
                .bind(u.disabled)
                .bind(serde_json::Value::Object(u.claims.clone()).to_string())
                .bind(u.created_at)
                .bind(u.updated_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn find_user_by_username(&self, username: &str) -> $crate::store::StoreResult<Option<User>> {
                let row: Option<UserRecord> = sqlx::query_as(
                    "select id, username, password_hash, disabled, claims, created_at, updated_at \
                     from users where username_key = $1",
                )
                .bind($crate::store::username_key(username))
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(User::try_from).transpose()
            }

            async fn find_user(&self, id: &str) -> $crate::store::StoreResult<Option<User>> {
                let row: Option<UserRecord> = sqlx::query_as(
                    "select id, username, password_hash, disabled, claims, created_at, updated_at \
                     from users where id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(User::try_from).transpose()
            }

            async fn list_users(&self) -> $crate::store::StoreResult<Vec<User>> {
                let rows: Vec<UserRecord> = sqlx::query_as(
                    "select id, username, password_hash, disabled, claims, created_at, updated_at \
                     from users",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                let mut users = rows.into_iter().map(User::try_from).collect::<Result<Vec<_>, _>>()?;
                // Sorted here: the engines' collations differ.
                users.sort_by_key(|u| $crate::store::username_key(&u.username));
                Ok(users)
            }

            async fn set_password(
                &self,
                username: &str,
                password_hash: &str,
                now: $crate::clock::UnixTime,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("update users set password_hash = $1, updated_at = $2 where username_key = $3")
                    .bind(password_hash)
                    .bind(now)
                    .bind($crate::store::username_key(username))
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(done.rows_affected() > 0)
            }

            async fn set_disabled(
                &self,
                username: &str,
                disabled: bool,
                now: $crate::clock::UnixTime,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("update users set disabled = $1, updated_at = $2 where username_key = $3")
                    .bind(disabled)
                    .bind(now)
                    .bind($crate::store::username_key(username))
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(done.rows_affected() > 0)
            }

            async fn delete_user(&self, username: &str) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("delete from users where username_key = $1")
                    .bind($crate::store::username_key(username))
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(done.rows_affected() > 0)
            }

            async fn insert_session(&self, r: &SessionRow) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "insert into sessions (id_hash, sid, user_id, auth_time, created_at, expires_at) \
                     values ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&r.id_hash)
                .bind(&r.sid)
                .bind(&r.user_id)
                .bind(r.auth_time)
                .bind(r.created_at)
                .bind(r.expires_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn find_session(
                &self,
                id_hash: &[u8],
                now: $crate::clock::UnixTime,
            ) -> $crate::store::StoreResult<Option<SessionRow>> {
                sqlx::query_as(
                    "select id_hash, sid, user_id, auth_time, created_at, expires_at from sessions \
                     where id_hash = $1 and expires_at > $2",
                )
                .bind(id_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)
            }

            async fn delete_session(&self, id_hash: &[u8]) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("delete from sessions where id_hash = $1")
                    .bind(id_hash)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(done.rows_affected() > 0)
            }

            async fn insert_pending_request(&self, r: &PendingRequestRow) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "insert into authorization_requests (id, client_id, browser_hash, request, created_at, expires_at) \
                     values ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&r.id)
                .bind(&r.client_id)
                .bind(&r.browser_hash)
                .bind(&r.request)
                .bind(r.created_at)
                .bind(r.expires_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn find_pending_request(
                &self,
                id: &str,
                now: $crate::clock::UnixTime,
            ) -> $crate::store::StoreResult<Option<PendingRequestRow>> {
                sqlx::query_as(
                    "select id, client_id, browser_hash, request, created_at, expires_at \
                     from authorization_requests where id = $1 and expires_at > $2",
                )
                .bind(id)
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)
            }

            async fn take_pending_request(
                &self,
                id: &str,
                now: $crate::clock::UnixTime,
            ) -> $crate::store::StoreResult<Option<PendingRequestRow>> {
                sqlx::query_as(
                    "delete from authorization_requests where id = $1 and expires_at > $2 \
                     returning id, client_id, browser_hash, request, created_at, expires_at",
                )
                .bind(id)
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)
            }

            async fn insert_code(&self, r: &CodeRow) -> $crate::store::StoreResult<()> {
                let sql = sqlx::AssertSqlSafe(format!(
                    "insert into authorization_codes ({CODE_COLUMNS}) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
                ));
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
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }

            async fn find_code(&self, code_hash: &[u8]) -> $crate::store::StoreResult<Option<CodeRow>> {
                let sql = sqlx::AssertSqlSafe(format!("select {CODE_COLUMNS} from authorization_codes where code_hash = $1"));
                sqlx::query_as(sql).bind(code_hash).fetch_optional(&self.pool).await.map_err(db_err)
            }

            async fn redeem_code(
                &self,
                code_hash: &[u8],
                g: &GrantRow,
                first_refresh: Option<&RefreshRow>,
                now: $crate::clock::UnixTime,
            ) -> $crate::store::StoreResult<bool> {
                // One transaction: a concurrent redemption waits on the code row and then
                // sees it consumed, by which time the grant it may want to revoke exists.
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let won = sqlx::query(
                    "update authorization_codes set consumed_at = $1 \
                     where code_hash = $2 and consumed_at is null and grant_id = $3",
                )
                .bind(now)
                .bind(code_hash)
                .bind(&g.id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected()
                    > 0;
                if won {
                    insert_grant!(g).execute(&mut *tx).await.map_err(db_err)?;
                    if let Some(r) = first_refresh {
                        insert_refresh!(r).execute(&mut *tx).await.map_err(db_err)?;
                    }
                }
                tx.commit().await.map_err(db_err)?;
                Ok(won)
            }

            async fn insert_grant(&self, g: &GrantRow) -> $crate::store::StoreResult<()> {
                insert_grant!(g).execute(&self.pool).await.map_err(db_err)?;
                Ok(())
            }

            async fn find_refresh_token(&self, token_hash: &[u8]) -> $crate::store::StoreResult<Option<RefreshRow>> {
                sqlx::query_as(
                    "select token_hash, grant_id, created_at, expires_at, spent_at, successor_sealed \
                     from refresh_tokens where token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)
            }

            async fn rotate_refresh_token(
                &self,
                old_hash: &[u8],
                successor: &RefreshRow,
                sealed: Option<&[u8]>,
                now: $crate::clock::UnixTime,
            ) -> $crate::store::StoreResult<bool> {
                // One transaction: of concurrent rotations of one token, the first to
                // update the row wins; the others wait for it and then find it spent.
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let won = sqlx::query(
                    "update refresh_tokens set spent_at = $1, successor_sealed = $2 \
                     where token_hash = $3 and spent_at is null",
                )
                .bind(now)
                .bind(sealed)
                .bind(old_hash)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected()
                    > 0;
                if won {
                    insert_refresh!(successor).execute(&mut *tx).await.map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)?;
                Ok(won)
            }

            async fn revoke_access_token(&self, jti: &str, expires_at: $crate::clock::UnixTime) -> $crate::store::StoreResult<()> {
                sqlx::query("insert into revoked_access_tokens (jti, expires_at) values ($1, $2) on conflict (jti) do nothing")
                    .bind(jti)
                    .bind(expires_at)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }

            async fn is_access_token_revoked(&self, jti: &str) -> $crate::store::StoreResult<bool> {
                let found: Option<(String,)> = sqlx::query_as("select jti from revoked_access_tokens where jti = $1")
                    .bind(jti)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(found.is_some())
            }

            async fn find_throttle(&self, key: &str) -> $crate::store::StoreResult<Option<ThrottleRow>> {
                sqlx::query_as("select key, failures, window_start, blocked_until from login_throttle where key = $1")
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)
            }

            async fn count_attempt(
                &self,
                key: &str,
                now: $crate::clock::UnixTime,
                window_cutoff: $crate::clock::UnixTime,
            ) -> $crate::store::StoreResult<ThrottleRow> {
                // One statement, so that concurrent failures all count.
                sqlx::query_as(
                    "insert into login_throttle as t (key, failures, window_start) values ($1, 1, $2) \
                     on conflict (key) do update set \
                       failures = case when t.window_start < $3 then 1 else t.failures + 1 end, \
                       window_start = case when t.window_start < $3 then $2 else t.window_start end \
                     returning key, failures, window_start, blocked_until",
                )
                .bind(key)
                .bind(now)
                .bind(window_cutoff)
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)
            }

            async fn uncount_attempt(&self, key: &str) -> $crate::store::StoreResult<()> {
                sqlx::query("update login_throttle set failures = failures - 1 where key = $1 and failures > 0")
                    .bind(key)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }

            async fn claim_block(
                &self,
                key: &str,
                now: $crate::clock::UnixTime,
                until: $crate::clock::UnixTime,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "update login_throttle set blocked_until = $3 \
                     where key = $1 and (blocked_until is null or blocked_until <= $2)",
                )
                .bind(key)
                .bind(now)
                .bind(until)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(done.rows_affected() > 0)
            }

            async fn clear_throttle(&self, key: &str) -> $crate::store::StoreResult<()> {
                sqlx::query("delete from login_throttle where key = $1")
                    .bind(key)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }

            async fn sweep(&self, now: $crate::clock::UnixTime) -> $crate::store::StoreResult<u64> {
                // Used codes are kept an hour past expiry, so that a late replay still
                // finds them and revokes what they issued.
                let statements: [(&'static str, i64); 8] = [
                    ("delete from authorization_requests where expires_at <= $1", now),
                    ("delete from sessions where expires_at <= $1", now),
                    ("delete from authorization_codes where expires_at <= $1", now - 3600),
                    ("delete from refresh_tokens where expires_at <= $1", now),
                    ("delete from grants where expires_at <= $1", now),
                    ("delete from revoked_access_tokens where expires_at <= $1", now),
                    // A sealed successor is needed only within the reuse grace window
                    // (at most 60 s): do not keep it for the spent token's whole life.
                    (
                        "update refresh_tokens set successor_sealed = null \
                         where successor_sealed is not null and spent_at <= $1",
                        now - 60,
                    ),
                    // Counting windows are at most a day; blocks are shorter.
                    (
                        "delete from login_throttle where window_start <= $1 \
                         and (blocked_until is null or blocked_until <= $1 + 86400)",
                        now - 86400,
                    ),
                ];
                let mut deleted = 0;
                for (sql, before) in statements {
                    deleted += sqlx::query(sql).bind(before).execute(&self.pool).await.map_err(db_err)?.rows_affected();
                }
                Ok(deleted)
            }

            async fn find_grant(&self, id: &str) -> $crate::store::StoreResult<Option<GrantRow>> {
                let sql = sqlx::AssertSqlSafe(format!("select {GRANT_COLUMNS} from grants where id = $1"));
                sqlx::query_as(sql).bind(id).fetch_optional(&self.pool).await.map_err(db_err)
            }

            async fn revoke_grant(&self, id: &str, now: $crate::clock::UnixTime) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("update grants set revoked_at = $1 where id = $2 and revoked_at is null")
                    .bind(now)
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(done.rows_affected() > 0)
            }

            async fn list_keys(&self) -> $crate::store::StoreResult<Vec<KeyRow>> {
                let sql = sqlx::AssertSqlSafe(format!("select {KEY_COLUMNS} from signing_keys"));
                let mut keys: Vec<KeyRow> = sqlx::query_as(sql).fetch_all(&self.pool).await.map_err(db_err)?;
                keys.sort_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)));
                Ok(keys)
            }

            async fn insert_first_keys(&self, alg: &str, keys: &[KeyRow]) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_serialized().await?;
                let existing: Option<(String,)> = sqlx::query_as("select kid from signing_keys where alg = $1 limit 1")
                    .bind(alg)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?;
                if existing.is_some() {
                    return Ok(false);
                }
                for key in keys {
                    insert_key!(key).execute(&mut *tx).await.map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn rotate_keys(
                &self,
                alg: &str,
                now: $crate::clock::UnixTime,
                delay: i64,
                min_lead: i64,
                new_next: &KeyRow,
                only_if_older_than: Option<$crate::clock::UnixTime>,
            ) -> $crate::store::StoreResult<Option<$crate::store::Rotation>> {
                let mut tx = self.begin_serialized().await?;
                let sql = sqlx::AssertSqlSafe(format!("select {KEY_COLUMNS} from signing_keys where alg = $1"));
                let keys: Vec<KeyRow> = sqlx::query_as(sql).bind(alg).fetch_all(&mut *tx).await.map_err(db_err)?;
                let newest_scheduled = keys.iter().filter_map(|k| k.activates_at.map(|at| (at, &k.kid))).max();
                if let Some(cutoff) = only_if_older_than {
                    let due = newest_scheduled.is_some_and(|(at, _)| at <= cutoff);
                    if !due {
                        return Ok(None);
                    }
                }
                let next = keys
                    .iter()
                    .filter(|k| k.activates_at.is_none())
                    .min_by(|a, b| (a.published_at, &a.kid).cmp(&(b.published_at, &b.kid)));
                let rotation = match next {
                    None => None,
                    Some(next) => {
                        // Never at or before an activation already scheduled: keys sign in
                        // the order they were rotated in.
                        let after_scheduled = newest_scheduled.map_or(now, |(at, _)| at + 1);
                        let at = (now + min_lead).max(next.published_at + delay).max(after_scheduled);
                        if let Some((_, previous)) = newest_scheduled {
                            sqlx::query(
                                "update signing_keys set retires_at = $1 \
                                 where kid = $2 and (retires_at is null or retires_at > $1)",
                            )
                            .bind(at)
                            .bind(previous)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                        }
                        sqlx::query("update signing_keys set activates_at = $1 where kid = $2")
                            .bind(at)
                            .bind(&next.kid)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                        Some($crate::store::Rotation { kid: next.kid.clone(), activates_at: at })
                    }
                };
                insert_key!(new_next).execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(rotation)
            }

            async fn delete_keys_retired_before(
                &self,
                cutoff: $crate::clock::UnixTime,
            ) -> $crate::store::StoreResult<u64> {
                let done = sqlx::query("delete from signing_keys where retires_at < $1")
                    .bind(cutoff)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(super) use sql_store;

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
pub(super) use insert_grant;

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
