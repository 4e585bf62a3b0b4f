//! People who log in.

use async_trait::async_trait;

use super::sql::{SqlStore, execute, impl_from_row, on_pool, parse_json};
use super::{StoreError, StoreResult};
use crate::clock::UnixTime;

/// A person who can log in.
#[derive(Clone, PartialEq)]
pub struct User {
    /// The stable subject identifier (`sub`): a UUID, never the username.
    pub id: String,
    /// The login name, as typed at registration.
    pub username: String,
    /// The PHC string of the argon2id hash.
    pub password_hash: String,
    /// A disabled user cannot log in or refresh.
    pub disabled: bool,
    /// Standard claims (OpenID Connect Core §5.1) as a JSON object, `sub` and `updated_at` excluded.
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// When the user was created.
    pub created_at: UnixTime,
    /// When the user's password or claims last changed (the `updated_at` claim).
    pub updated_at: UnixTime,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password_hash", &"[redacted]")
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// The key under which usernames are unique (see [`crate::username::key`]):
/// "Alice" and "ａｌｉｃｅ" are one account.
pub fn username_key(username: &str) -> String {
    crate::username::key(username)
}

/// The users.
#[async_trait]
pub trait Users {
    /// Creates a user; `Conflict` if the username (case-insensitively) is taken.
    async fn insert_user(&self, user: &User) -> StoreResult<()>;
    /// Creates a user, or replaces the one with its id (keeping whether they are
    /// disabled and when they were created); `Conflict` if another user has the username.
    async fn put_user(&self, user: &User) -> StoreResult<()>;
    /// The user with this login name (case-insensitive).
    async fn find_user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    /// The user with this subject identifier.
    async fn find_user(&self, id: &str) -> StoreResult<Option<User>>;
    /// All users, ordered by username.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// Replaces a user's password hash; false if there is no such user.
    async fn set_password(&self, username: &str, password_hash: &str, now: UnixTime) -> StoreResult<bool>;
    /// Replaces a user's claims; false if there is no such user.
    async fn set_claims(
        &self,
        id: &str,
        claims: &serde_json::Map<String, serde_json::Value>,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// Enables or disables a user; false if there is no such user.
    async fn set_disabled(&self, username: &str, disabled: bool, now: UnixTime) -> StoreResult<bool>;
    /// Removes a user and everything issued to them; false if there was none.
    async fn delete_user(&self, username: &str) -> StoreResult<bool>;
}

const SELECT: &str = "select id, username, password_hash, disabled, claims, created_at, updated_at from users";

/// A `users` row as read: the claims are JSON text.
struct Record {
    id: String,
    username: String,
    password_hash: String,
    disabled: bool,
    claims: String,
    created_at: i64,
    updated_at: i64,
}

impl_from_row!(Record { id, username, password_hash, disabled, claims, created_at, updated_at });

impl TryFrom<Record> for User {
    type Error = StoreError;
    fn try_from(r: Record) -> StoreResult<Self> {
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

pub(super) const INSERT: &str = "insert into users (id, username, username_key, password_hash, disabled, claims, \
     created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Appended to [`INSERT`]: replaces the user with that username (as people read it),
/// but not their id, whether they are disabled, nor when they were created; so that
/// two instances seeding the same new user at once end with one.
pub(super) const OR_REPLACE: &str = "on conflict (username_key) do update set username = excluded.username, \
     password_hash = excluded.password_hash, claims = excluded.claims, updated_at = excluded.updated_at";

/// Binds a user's columns, in [`INSERT`]'s order, to the query `$query` (a macro:
/// the query's type differs per engine).
macro_rules! bind_user {
    ($query:expr, $u:expr) => {{
        let u: &$crate::store::User = $u;
        $query
            .bind(&u.id)
            .bind(&u.username)
            .bind($crate::store::username_key(&u.username))
            .bind(&u.password_hash)
            .bind(u.disabled)
            .bind($crate::store::sql::json_object(&u.claims))
            .bind(u.created_at)
            .bind(u.updated_at)
    }};
}
pub(super) use bind_user;

impl SqlStore {
    async fn find_user_where(&self, condition: &'static str, value: &str) -> StoreResult<Option<User>> {
        let sql = sqlx::AssertSqlSafe(format!("{SELECT} where {condition} = $1"));
        let row: Option<Record> = on_pool!(self, db => sqlx::query_as(sql).bind(value).fetch_optional(db).await)?;
        row.map(User::try_from).transpose()
    }
}

#[async_trait]
impl Users for SqlStore {
    async fn insert_user(&self, u: &User) -> StoreResult<()> {
        execute!(self, bind_user!(sqlx::query(INSERT), u))?;
        Ok(())
    }

    async fn put_user(&self, u: &User) -> StoreResult<()> {
        let sql = sqlx::AssertSqlSafe(format!("{INSERT} {OR_REPLACE}"));
        execute!(self, bind_user!(sqlx::query(sql), u))?;
        Ok(())
    }

    async fn find_user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        self.find_user_where("username_key", &username_key(username)).await
    }

    async fn find_user(&self, id: &str) -> StoreResult<Option<User>> {
        self.find_user_where("id", id).await
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let rows: Vec<Record> = on_pool!(self, db => sqlx::query_as(SELECT).fetch_all(db).await)?;
        let mut users = rows.into_iter().map(User::try_from).collect::<StoreResult<Vec<_>>>()?;
        // Sorted here: the engines' collations differ.
        users.sort_by_key(|u| username_key(&u.username));
        Ok(users)
    }

    async fn set_password(&self, username: &str, password_hash: &str, now: UnixTime) -> StoreResult<bool> {
        let sql = "update users set password_hash = $1, updated_at = $2 where username_key = $3";
        let key = username_key(username);
        let done = execute!(self, sqlx::query(sql).bind(password_hash).bind(now).bind(&key))?;
        Ok(done > 0)
    }

    async fn set_claims(
        &self,
        id: &str,
        claims: &serde_json::Map<String, serde_json::Value>,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let sql = "update users set claims = $1, updated_at = $2 where id = $3";
        let claims = super::sql::json_object(claims);
        let done = execute!(self, sqlx::query(sql).bind(&claims).bind(now).bind(id))?;
        Ok(done > 0)
    }

    async fn set_disabled(&self, username: &str, disabled: bool, now: UnixTime) -> StoreResult<bool> {
        let sql = "update users set disabled = $1, updated_at = $2 where username_key = $3";
        let key = username_key(username);
        let done = execute!(self, sqlx::query(sql).bind(disabled).bind(now).bind(&key))?;
        Ok(done > 0)
    }

    async fn delete_user(&self, username: &str) -> StoreResult<bool> {
        let key = username_key(username);
        let done = execute!(self, sqlx::query("delete from users where username_key = $1").bind(&key))?;
        Ok(done > 0)
    }
}
