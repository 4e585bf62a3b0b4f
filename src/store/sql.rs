//! What the SQL behind every store file shares: the pool of one engine or the other,
//! and the two macros that run a statement, written once, on whichever it is.
//!
//! Statements use `$n` placeholders, which SQLite and PostgreSQL both understand.
//! `on_pool!` and `on_tx!` compile a statement once per engine and pick the one for
//! the store's engine at run time; the engines' own differences (connecting,
//! migrating, serialising a read-then-write transaction) live in `sqlite.rs` and
//! `postgres.rs`.

use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use super::{Backend, Store, StoreError, StoreResult, SweepCutoffs};

/// The store on either engine: every `Store` trait is implemented once for it.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(super) pool: Pool,
}

/// A connection pool to one engine.
#[derive(Debug, Clone)]
pub(super) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open transaction on one engine.
pub(super) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$db` bound to the store's pool; `$body` is compiled for each engine.
macro_rules! on_pool {
    ($store:expr, $db:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::sql::Pool::Sqlite($db) => $body,
            $crate::store::sql::Pool::Postgres($db) => $body,
        }
    };
}
pub(super) use on_pool;

/// Runs `$body` with `$db` bound to the transaction's connection.
macro_rules! on_tx {
    ($tx:expr, $db:ident => $body:expr) => {
        match &mut $tx {
            $crate::store::sql::Tx::Sqlite(tx) => {
                let $db = &mut **tx;
                $body
            }
            $crate::store::sql::Tx::Postgres(tx) => {
                let $db = &mut **tx;
                $body
            }
        }
    };
}
pub(super) use on_tx;

/// Executes the statement `$query` builds, on the store's pool or (`tx: $tx`) in a
/// transaction; returns the number of rows it changed.
macro_rules! execute {
    (tx: $tx:expr, $query:expr) => {
        $crate::store::sql::on_tx!($tx, db => $query.execute(db).await.map(|done| done.rows_affected()))
    };
    ($store:expr, $query:expr) => {
        $crate::store::sql::on_pool!($store, db => $query.execute(db).await.map(|done| done.rows_affected()))
    };
}
pub(super) use execute;

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
            bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        {
            fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
                Ok(Self { $($field: row.try_get(stringify!($field))?),* })
            }
        }
    };
}
pub(super) use impl_from_row;

impl Tx {
    /// Commits the transaction.
    pub(super) async fn commit(self) -> StoreResult<()> {
        match self {
            Self::Sqlite(tx) => tx.commit().await?,
            Self::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

impl SqlStore {
    /// A plain transaction: concurrent writers of one row wait for each other.
    pub(super) async fn begin(&self) -> StoreResult<Tx> {
        Ok(match &self.pool {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// A transaction that runs alone among gatehouse's read-then-write transactions
    /// (first keys, key rotation), across instances.
    pub(super) async fn begin_serialized(&self) -> StoreResult<Tx> {
        Ok(match &self.pool {
            Pool::Sqlite(pool) => Tx::Sqlite(super::sqlite::begin_serialized(pool).await?),
            Pool::Postgres(pool) => Tx::Postgres(super::postgres::begin_serialized(pool).await?),
        })
    }
}

/// Lists are stored as JSON arrays in text columns, alike on both engines.
pub(super) fn json_list<T: AsRef<str>>(items: &[T]) -> String {
    serde_json::Value::from(items.iter().map(AsRef::as_ref).collect::<Vec<_>>()).to_string()
}

/// Objects (claims) are stored as JSON text, alike on both engines.
pub(super) fn json_object(map: &serde_json::Map<String, serde_json::Value>) -> String {
    serde_json::Value::Object(map.clone()).to_string()
}

/// Parses a JSON column; anything gatehouse did not write is a corrupt row.
pub(super) fn parse_json<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

#[async_trait::async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    async fn ping(&self) -> StoreResult<()> {
        let query = async { execute!(self, sqlx::query("select 1")) };
        match tokio::time::timeout(std::time::Duration::from_secs(2), query).await {
            Ok(done) => done.map(|_| ()).map_err(StoreError::from),
            Err(_) => Err(StoreError::Database(sqlx::Error::PoolTimedOut)),
        }
    }

    async fn close(&self) {
        on_pool!(self, db => db.close().await);
    }

    async fn sweep(&self, before: &SweepCutoffs) -> StoreResult<u64> {
        let statements: [(&'static str, i64); 7] = [
            ("delete from authorization_requests where expires_at <= $1", before.expired),
            ("delete from sessions where expires_at <= $1 or idle_expires_at <= $1", before.expired),
            ("delete from authorization_codes where expires_at <= $1", before.used_codes),
            ("delete from refresh_tokens where expires_at <= $1", before.expired),
            ("delete from grants where expires_at <= $1", before.expired),
            ("delete from revoked_access_tokens where expires_at <= $1", before.expired),
            (
                "update refresh_tokens set successor_sealed = null \
                 where successor_sealed is not null and spent_at <= $1",
                before.sealed_successors,
            ),
        ];
        let mut deleted = 0;
        for (sql, cutoff) in statements {
            deleted += execute!(self, sqlx::query(sql).bind(cutoff))?;
        }
        // A block still running is kept, however old its counting window, and so is a
        // count of attempts in flight until its lease lapses.
        let throttle = "delete from login_throttle where window_start <= $1 \
                        and (blocked_until is null or blocked_until <= $2) and in_flight_until <= $2";
        let done = execute!(self, sqlx::query(throttle).bind(before.throttle_windows).bind(before.expired))?;
        deleted += done;
        Ok(deleted)
    }
}
