//! The store: one trait, two real backends (SQLite and PostgreSQL) chosen by the
//! database URL. Times are Unix seconds bound from gatehouse's clock, never the
//! database's `now()`. No protocol rules live here, only data and atomicity.

mod postgres;
mod rows;
mod sql;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;

use crate::clock::UnixTime;
pub use postgres::PgStore;
pub use rows::*;
pub use sqlite::SqliteStore;

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row with the same unique key exists (duplicate client id, username, …).
    #[error("already exists")]
    Conflict,
    /// A stored value could not be decoded: the database holds something gatehouse did not write.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database failed or could not be reached.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The URL names neither SQLite nor PostgreSQL.
    #[error("the database URL must start with sqlite: or postgres://")]
    UnknownBackend,
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// What a fallible store call returns.
pub type StoreResult<T> = Result<T, StoreError>;

/// The database engine behind a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:path` (or `sqlite://path`)
    Sqlite,
    /// `postgres://…` or `postgresql://…`
    Postgres,
}

impl Backend {
    /// The backend a database URL names, if any.
    pub fn of(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// Opens the store a URL names, creating a SQLite file if missing, and applies migrations.
pub async fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    match Backend::of(url) {
        Some(Backend::Sqlite) => Ok(Arc::new(SqliteStore::open(url).await?)),
        Some(Backend::Postgres) => Ok(Arc::new(PgStore::open(url).await?)),
        None => Err(StoreError::UnknownBackend),
    }
}

/// Everything gatehouse keeps. Implemented once in SQL for both backends (`sql.rs`).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which engine this is.
    fn backend(&self) -> Backend;
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Closes every connection, waiting for them to finish; later calls fail.
    async fn close(&self);

    /// Registers a client; `Conflict` if the id is taken.
    async fn insert_client(&self, client: &Client) -> StoreResult<()>;
    /// The client with this id.
    async fn find_client(&self, id: &str) -> StoreResult<Option<Client>>;
    /// All clients, ordered by id.
    async fn list_clients(&self) -> StoreResult<Vec<Client>>;
    /// Removes a client and everything issued to it; false if there was none.
    async fn delete_client(&self, id: &str) -> StoreResult<bool>;

    /// Creates a user; `Conflict` if the username (case-insensitively) is taken.
    async fn insert_user(&self, user: &User) -> StoreResult<()>;
    /// The user with this login name (case-insensitive).
    async fn find_user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    /// The user with this subject identifier.
    async fn find_user(&self, id: &str) -> StoreResult<Option<User>>;
    /// All users, ordered by username.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// Replaces a user's password hash; false if there is no such user.
    async fn set_password(&self, username: &str, password_hash: &str, now: UnixTime) -> StoreResult<bool>;
    /// Enables or disables a user; false if there is no such user.
    async fn set_disabled(&self, username: &str, disabled: bool, now: UnixTime) -> StoreResult<bool>;
    /// Removes a user and everything issued to them; false if there was none.
    async fn delete_user(&self, username: &str) -> StoreResult<bool>;

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

    /// Records an access token revoked before its expiry (RFC 7009).
    async fn revoke_access_token(&self, jti: &str, expires_at: UnixTime) -> StoreResult<()>;
    /// Whether the access token with this `jti` was revoked.
    async fn is_access_token_revoked(&self, jti: &str) -> StoreResult<bool>;

    /// The throttle counters under `key`.
    async fn find_throttle(&self, key: &str) -> StoreResult<Option<ThrottleRow>>;
    /// Counts one login attempt under `key`, atomically, starting a new window if the
    /// current one began before `window_cutoff`. Returns the row after the update.
    async fn count_attempt(&self, key: &str, now: UnixTime, window_cutoff: UnixTime) -> StoreResult<ThrottleRow>;
    /// Takes back one counted attempt (one that was refused, or succeeded).
    async fn uncount_attempt(&self, key: &str) -> StoreResult<()>;
    /// Blocks `key` until `until` if it is not blocked at `now`, atomically: of
    /// concurrent callers, one claims the block. True for that one.
    async fn claim_block(&self, key: &str, now: UnixTime, until: UnixTime) -> StoreResult<bool>;
    /// Forgets the failures under `key` (after a successful login).
    async fn clear_throttle(&self, key: &str) -> StoreResult<()>;

    /// Deletes rows that can no longer matter at `now`; returns how many.
    async fn sweep(&self, now: UnixTime) -> StoreResult<u64>;

    /// All signing keys, oldest first.
    async fn list_keys(&self) -> StoreResult<Vec<KeyRow>>;
    /// Stores `keys` (an active and a next key of one `alg`) only if no key with that
    /// `alg` exists yet, atomically, so that instances starting together on an empty
    /// database agree on one set. True if they were stored.
    async fn insert_first_keys(&self, alg: &str, keys: &[KeyRow]) -> StoreResult<bool>;
    /// Rotates `alg`, in one serialised transaction: the next key (published earliest)
    /// is scheduled to activate at the latest of `now + min_lead` (so every instance
    /// learns of it first), its publication plus `delay`, and just after any activation
    /// already scheduled;
    /// the key that would sign until then retires at that moment; `new_next` becomes
    /// the next key. With `only_if_older_than`, nothing happens unless the active key
    /// activated at or before that time and no activation is already scheduled (for
    /// automatic rotation by several instances). Without a next key, `new_next` is
    /// stored and nothing is scheduled.
    async fn rotate_keys(
        &self,
        alg: &str,
        now: UnixTime,
        delay: i64,
        min_lead: i64,
        new_next: &KeyRow,
        only_if_older_than: Option<UnixTime>,
    ) -> StoreResult<Option<Rotation>>;
    /// Deletes keys that retired before `cutoff` (long unpublished); returns how many.
    async fn delete_keys_retired_before(&self, cutoff: UnixTime) -> StoreResult<u64>;
}
