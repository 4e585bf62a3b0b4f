//! The PostgreSQL engine: for self-hosting and for several instances sharing one database.

use std::sync::LazyLock;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use super::StoreResult;

static MIGRATOR: LazyLock<Migrator> = LazyLock::new(|| super::migrations::migrator(super::Backend::Postgres));

/// The advisory lock that serialises gatehouse's rare read-then-write transactions
/// (first key, key rotation) across instances. Any constant will do; this one spells "gate".
const SERIALIZE_LOCK: i64 = 0x6761_7465;

/// Connects to the database a `postgres://` URL names and migrates it.
pub(super) async fn open(url: &str) -> StoreResult<PgPool> {
    // Fail fast when the database is down, rather than after sqlx's default 30 s.
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect(url)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// A transaction that first takes an advisory lock, so that concurrent
/// read-then-write transactions of several instances run one after the other.
pub(super) async fn begin_serialized(pool: &PgPool) -> StoreResult<Transaction<'static, Postgres>> {
    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock($1)").bind(SERIALIZE_LOCK).execute(&mut *tx).await?;
    Ok(tx)
}
