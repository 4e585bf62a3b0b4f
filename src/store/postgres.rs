//! The PostgreSQL backend: for self-hosting and for several instances sharing one database.

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use super::sql::{
    CLIENT_COLUMNS, CODE_COLUMNS, ClientRecord, GRANT_COLUMNS, KEY_COLUMNS, UserRecord, db_err, insert_grant,
    insert_key, insert_refresh, json_list, sql_store,
};
use super::{
    Backend, Client, CodeRow, GrantRow, KeyRow, PendingRequestRow, RefreshRow, SessionRow, StoreResult, ThrottleRow,
    User,
};

/// The advisory lock that serialises gatehouse's rare read-then-write transactions
/// (first key, key rotation) across instances. Any constant will do; this one spells "gate".
const SERIALIZE_LOCK: i64 = 0x6761_7465;

/// A store in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    const BACKEND: Backend = Backend::Postgres;
    const MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

    /// Connects to the database a `postgres://` URL names and migrates it.
    pub async fn open(url: &str) -> StoreResult<Self> {
        // Fail fast when the database is down, rather than after sqlx's default 30 s.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(db_err)?;
        let store = Self { pool };
        Self::MIGRATOR.run(&store.pool).await?;
        Ok(store)
    }

    /// A transaction that first takes an advisory lock, so that concurrent
    /// read-then-write transactions of several instances run one after the other.
    async fn begin_serialized(&self) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query("select pg_advisory_xact_lock($1)").bind(SERIALIZE_LOCK).execute(&mut *tx).await.map_err(db_err)?;
        Ok(tx)
    }
}

sql_store!(PgStore);
