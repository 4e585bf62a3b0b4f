//! The store: what gatehouse keeps, on SQLite or PostgreSQL, chosen by the database
//! URL. Times are Unix seconds bound from gatehouse's clock, never the database's
//! `now()`. No protocol rules live here, only data and atomicity: what a row means
//! and when it may go is decided by the callers.
//!
//! One file per kind of data, each with its rows, its trait and the SQL that
//! implements it: `clients`, `users`, `sessions` (and pending logins),
//! `codes_grants` (codes, grants, revoked access tokens), `consents`, `refresh`, `keys`,
//! `throttle`, `scopes` (custom scopes, claim presets) and `seed`. [`Store`] is all of them together.

mod clients;
mod codes_grants;
mod consents;
mod keys;
mod migrations;
mod postgres;
mod refresh;
mod scopes;
mod seed;
mod sessions;
mod sql;
mod sqlite;
mod throttle;
mod users;

use std::sync::Arc;

use async_trait::async_trait;

use crate::clock::UnixTime;
pub use clients::{Client, ClientKind, Clients, GrantType};
pub use codes_grants::{CodeRow, Codes, GrantRow};
pub use consents::{ConsentRow, Consents};
pub use keys::{KeyRow, Planner, Rotation, RotationPlan, SigningKeys};
pub use refresh::{RefreshRow, RefreshTokens};
pub use scopes::{PresetRow, ScopeRow, Scopes};
pub use seed::{SeedRows, Seeding};
pub use sessions::{Ended, PendingRequestRow, SessionRow, Sessions};
pub use sql::SqlStore;
pub use throttle::{ThrottleRow, Throttles};
pub use users::{User, Users, username_key};

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
    Database(sqlx::Error),
    /// The URL names neither SQLite nor PostgreSQL.
    #[error("the database URL must start with sqlite: or postgres://")]
    UnknownBackend,
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    /// The one place where a unique-constraint violation becomes [`StoreError::Conflict`].
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict,
            _ => Self::Database(e),
        }
    }
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
    let pool = match Backend::of(url) {
        Some(Backend::Sqlite) => sql::Pool::Sqlite(sqlite::open(url).await?),
        Some(Backend::Postgres) => sql::Pool::Postgres(postgres::open(url).await?),
        None => return Err(StoreError::UnknownBackend),
    };
    Ok(Arc::new(SqlStore { pool }))
}

/// Opens a new SQLite database in memory, migrated; it lives as long as the store.
/// For `gatehouse dev --ephemeral` only: the configuration refuses it for `serve`.
pub async fn open_in_memory() -> StoreResult<Arc<dyn Store>> {
    Ok(Arc::new(SqlStore { pool: sql::Pool::Sqlite(sqlite::open_in_memory().await?) }))
}

/// Up to when a sweep deletes each kind of row: a row goes when its time is at or
/// before the cutoff. The cutoffs are policy, computed by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepCutoffs {
    /// Pending requests, sessions, refresh tokens, grants and revoked access tokens
    /// that expired by then; throttle blocks and in-flight leases that ended by then.
    pub expired: UnixTime,
    /// Authorization codes that expired by then, used or not.
    pub used_codes: UnixTime,
    /// Sealed successors of refresh tokens spent by then.
    pub sealed_successors: UnixTime,
    /// Throttle counters whose window began by then (and that block nothing).
    pub throttle_windows: UnixTime,
}

/// Everything gatehouse keeps, one trait per kind of data, implemented once in SQL
/// for both engines ([`SqlStore`]).
#[async_trait]
pub trait Store:
    Clients
    + Users
    + Sessions
    + Consents
    + Codes
    + RefreshTokens
    + SigningKeys
    + Throttles
    + Scopes
    + Seeding
    + Send
    + Sync
    + 'static
{
    /// Which engine this is.
    fn backend(&self) -> Backend;
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Closes every connection, waiting for them to finish; later calls fail.
    async fn close(&self);
    /// Deletes rows that can no longer matter; returns how many.
    async fn sweep(&self, before: &SweepCutoffs) -> StoreResult<u64>;
}
