//! The SQLite engine: the embedded default, one file in WAL mode.

use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Sqlite, SqliteConnection, Transaction};

use super::{StoreError, StoreResult};

static MIGRATOR: LazyLock<Migrator> = LazyLock::new(|| super::migrations::migrator(super::Backend::Sqlite));

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

/// Opens a new, empty database in memory, migrated; for `gatehouse dev --ephemeral`
/// and `gatehouse::testing`. SQLite drops an in-memory database when its last
/// connection closes, so the pool keeps its connection open for as long as it lives.
/// One connection: an in-memory database serialises writes anyway, and connections
/// sharing one through SQLite's shared cache wait on each other's table locks (a
/// headless login took three times as long with four).
///
/// Running the migrations takes tens of milliseconds; copying a database that has run
/// them (`VACUUM INTO`) takes about two. So the first call migrates a template kept
/// for the life of the process, and every call copies it.
pub(super) async fn open_in_memory() -> StoreResult<SqlitePool> {
    static TEMPLATE: tokio::sync::OnceCell<tokio::sync::Mutex<SqliteConnection>> = tokio::sync::OnceCell::const_new();
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let template = TEMPLATE.get_or_try_init(migrated_template).await?;
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("file:gatehouse-memory-{n}?mode=memory&cache=shared");
    let pool = memory_pool(SqliteConnectOptions::from_str(&name)?.foreign_keys(true)).await?;
    // The pool's connection holds the new (empty) database open, and its name, in
    // the shared cache, lets the template's connection fill it.
    let copy = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("vacuum into '{name}'")));
    copy.execute(&mut *template.lock().await).await?;
    Ok(pool)
}

/// The database in memory that [`open_in_memory`] copies: migrated, and empty. A
/// connection of its own, not a pool: a pool's upkeep runs on the async runtime that
/// made it, and each `#[tokio::test]` has a runtime that ends with the test, which
/// would take the template away from every later one. (It has the migrations'
/// tables, not sqlx's record of them: nothing migrates an in-memory store again.)
async fn migrated_template() -> StoreResult<tokio::sync::Mutex<SqliteConnection>> {
    let mut template = SqliteConnectOptions::from_str("sqlite::memory:")?.connect().await?;
    for migration in MIGRATOR.iter() {
        sqlx::raw_sql(migration.sql.clone()).execute(&mut template).await?;
    }
    Ok(tokio::sync::Mutex::new(template))
}

/// A pool of one connection to an in-memory database, which lives as long as the pool.
/// (Every store operation that needs a transaction runs it whole on that connection,
/// and takes no second one meanwhile.)
async fn memory_pool(options: SqliteConnectOptions) -> StoreResult<SqlitePool> {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await?;
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
    async fn an_in_memory_database_lives_as_long_as_its_pool() {
        let pool = open_in_memory().await.unwrap();
        let mut connection = pool.acquire().await.unwrap();
        sqlx::query("create table t (x integer)").execute(&mut *connection).await.unwrap();
        sqlx::query("insert into t values (7)").execute(&mut *connection).await.unwrap();
        drop(connection);

        let x: i64 = sqlx::query_scalar("select x from t").fetch_one(&pool).await.unwrap();
        assert_eq!(x, 7, "released to the pool, the connection keeps the database");
    }

    async fn tables(pool: &SqlitePool) -> i64 {
        let sql = "select count(*) from sqlite_master where type = 'table' and name in ('clients', 'scopes')";
        sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
    }

    #[tokio::test]
    async fn in_memory_databases_are_migrated_and_apart() {
        let (one, two) = (open_in_memory().await.unwrap(), open_in_memory().await.unwrap());
        assert_eq!((tables(&one).await, tables(&two).await), (2, 2), "the first and the last migration's tables");

        sqlx::query("insert into scopes (name, claims, id_token, created_at, updated_at) values ('s', '[]', 0, 0, 0)")
            .execute(&one)
            .await
            .unwrap();

        let count = |pool| async move {
            sqlx::query_scalar::<_, i64>("select count(*) from scopes").fetch_one(&pool).await.unwrap()
        };
        assert_eq!((count(one).await, count(two).await), (1, 0), "each store is its own database");
    }

    #[test]
    fn the_template_outlives_the_runtime_that_made_it() {
        let runtime = || tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let first = runtime();
        first.block_on(open_in_memory()).unwrap();
        drop(first);

        let pool = runtime().block_on(open_in_memory()).unwrap();
        assert_eq!(runtime().block_on(tables(&pool)), 2);
    }
}
