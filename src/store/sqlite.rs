//! The SQLite engine: the embedded default, one file in WAL mode.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, Transaction};

use super::{StoreError, StoreResult};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// Opens (creating if missing) the file a `sqlite:` URL names and migrates it.
pub(super) async fn open(url: &str) -> StoreResult<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)?;
    create_private(options.get_filename())?;
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL is durable across application crashes in WAL mode and much faster than FULL.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
    // SQLite has no migration lock: when two processes migrate a new file at once,
    // the second fails on tables the first created. Its retry finds them applied.
    if MIGRATOR.run(&pool).await.is_err() {
        MIGRATOR.run(&pool).await?;
    }
    Ok(pool)
}

/// Opens a new, empty database in memory and migrates it; for `gatehouse dev
/// --ephemeral` only. SQLite drops an in-memory database when its last connection
/// closes, so the pool keeps one connection open for as long as it lives; the others
/// reach the same database through SQLite's shared cache (sqlx names each
/// `sqlite::memory:` database uniquely).
pub(super) async fn open_in_memory() -> StoreResult<SqlitePool> {
    let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// Creates the database file readable by its owner only, before SQLite creates it
/// with the default mode: it holds the private signing keys. SQLite gives the `-wal`
/// and `-shm` files the same mode.
fn create_private(path: &std::path::Path) -> StoreResult<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Database(sqlx::Error::Io(e))),
    }
}

/// A transaction that holds the write lock from its first statement, so that a
/// read followed by a write cannot fail with "database is locked" halfway.
pub(super) async fn begin_serialized(pool: &SqlitePool) -> StoreResult<Transaction<'static, Sqlite>> {
    Ok(pool.begin_with("begin immediate").await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn in_memory_connections_share_one_database() {
        let pool = open_in_memory().await.unwrap();
        let mut first = pool.acquire().await.unwrap();
        let mut second = pool.acquire().await.unwrap();

        sqlx::query("create table t (x integer)").execute(&mut *first).await.unwrap();
        sqlx::query("insert into t values (7)").execute(&mut *first).await.unwrap();
        drop(first);
        let x: i64 = sqlx::query_scalar("select x from t").fetch_one(&mut *second).await.unwrap();
        assert_eq!(x, 7, "a second connection sees what the first wrote");
        drop(second);

        let x: i64 = sqlx::query_scalar("select x from t").fetch_one(&pool).await.unwrap();
        assert_eq!(x, 7);
    }
}
