//! The two schemas stay in step: same tables, same columns, same nullability.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use sqlx::Connection;

use crate::common::{Backend, TestDb, postgres_enabled};

#[tokio::test]
async fn sqlite_and_postgres_schemas_match() {
    if !postgres_enabled() {
        return;
    }
    let (lite, pg) = (TestDb::new(Backend::Sqlite).await, TestDb::new(Backend::Postgres).await);
    gatehouse::store::open(&lite.url).await.unwrap().close().await;
    gatehouse::store::open(&pg.url).await.unwrap().close().await;

    let mut conn = sqlx::SqliteConnection::connect(&lite.url).await.unwrap();
    let sqlite: BTreeSet<(String, String, bool)> = sqlx::query_as::<_, (String, String, i64, i64)>(
        "select m.name, p.name, p.\"notnull\", p.pk from sqlite_master m join pragma_table_info(m.name) p \
         where m.type = 'table' and m.name not like '\\_%' escape '\\' and m.name not like 'sqlite%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    // Primary keys are not null in both; SQLite's pragma reports them as nullable.
    .map(|(t, c, not_null, pk)| (t, c, not_null == 1 || pk > 0))
    .collect();
    conn.close().await.unwrap();

    let mut conn = sqlx::PgConnection::connect(&pg.url).await.unwrap();
    let postgres: BTreeSet<(String, String, bool)> = sqlx::query_as::<_, (String, String, String)>(
        "select table_name::text, column_name::text, is_nullable::text from information_schema.columns \
         where table_schema = 'public' and table_name not like '\\_%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|(t, c, nullable)| (t, c, nullable == "NO"))
    .collect();
    conn.close().await.unwrap();

    assert!(sqlite.len() > 50, "the query found the tables: {sqlite:?}");
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "sqlite only: {only_sqlite:?}\npostgres only: {only_postgres:?}"
    );
}
