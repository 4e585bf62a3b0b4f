//! The two schemas stay in step: same tables, same columns, same nullability.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use sqlx::Connection;

use crate::common::{Backend, TestDb};

#[tokio::test]
#[cfg_attr(not(postgres_tests), ignore = "set DATABASE_URL=postgres://… to run the PostgreSQL variant")]
async fn sqlite_and_postgres_schemas_match() {
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

crate::backend_tests!(the_sweep_deletes_only_what_has_expired);

async fn the_sweep_deletes_only_what_has_expired(backend: Backend) {
    use gatehouse::clock::Clock;
    use gatehouse::store::{CodeRow, GrantRow, PendingRequestRow, RefreshRow, SessionRow};
    let app = crate::common::TestApp::spawn(backend).await;
    let client = app.client().await;
    let user = app.alice().await;
    let store = app.store.as_ref();
    let now = app.clock.now();
    let session = |tag: u8, expires_at, idle_expires_at| SessionRow {
        id_hash: vec![tag],
        sid: format!("sid-{tag}"),
        user_id: user.clone(),
        auth_time: now,
        created_at: now,
        expires_at,
        idle_expires_at,
    };
    let pending = |id: &str, expires_at| PendingRequestRow {
        id: id.into(),
        client_id: client.id.clone(),
        browser_hash: vec![0],
        request: "{}".into(),
        sid: None,
        created_at: now,
        expires_at,
    };
    let grant = |id: &str, expires_at| GrantRow {
        id: id.into(),
        client_id: client.id.clone(),
        user_id: Some(user.clone()),
        scope: "openid".into(),
        sid: None,
        auth_time: Some(now),
        claims: None,
        created_at: now,
        expires_at,
        revoked_at: None,
    };
    let refresh = |tag: u8, grant_id: &str, expires_at| RefreshRow {
        token_hash: vec![tag],
        grant_id: grant_id.into(),
        created_at: now,
        expires_at,
        spent_at: None,
        successor_sealed: None,
    };
    let code = |tag: u8, expires_at| CodeRow {
        code_hash: vec![tag],
        grant_id: format!("code-grant-{tag}"),
        client_id: client.id.clone(),
        user_id: user.clone(),
        sid: "s".into(),
        redirect_uri: client.redirect_uri.clone(),
        scope: "openid".into(),
        nonce: None,
        code_challenge: None,
        auth_time: now,
        claims: None,
        created_at: now,
        expires_at,
        consumed_at: None,
    };
    store.insert_session(&session(1, now - 1, now - 1)).await.unwrap();
    store.insert_session(&session(2, now + 60, now + 60)).await.unwrap();
    store.insert_session(&session(9, now + 60, now)).await.unwrap(); // idle too long
    store.insert_pending_request(&pending("old", now - 1)).await.unwrap();
    store.insert_pending_request(&pending("new", now + 60)).await.unwrap();
    store.insert_grant(&grant("over", now - 1)).await.unwrap();
    // Refresh tokens are born with their grant when a code is redeemed.
    let mut live_code = code(7, now + 60);
    live_code.grant_id = "live".into();
    store.insert_code(&live_code).await.unwrap();
    assert!(store.redeem_code(&[7], &grant("live", now + 60), Some(&refresh(3, "live", now - 1)), now).await.unwrap());
    let mut other_code = code(8, now + 60);
    other_code.grant_id = "live2".into();
    store.insert_code(&other_code).await.unwrap();
    assert!(
        store.redeem_code(&[8], &grant("live2", now + 60), Some(&refresh(4, "live2", now + 60)), now).await.unwrap()
    );
    store.insert_code(&code(5, now - 3601)).await.unwrap();
    store.insert_code(&code(6, now - 10)).await.unwrap(); // expired, but kept an hour for replays
    store.revoke_access_token("gone", now - 1).await.unwrap();
    store.revoke_access_token("kept", now + 60).await.unwrap();

    let deleted = store.sweep(&gatehouse::upkeep::sweep_cutoffs(now)).await.unwrap();

    assert_eq!(deleted, 7);
    assert!(store.find_session(&[2], now).await.unwrap().is_some());
    assert!(store.find_pending_request("new", now).await.unwrap().is_some());
    assert!(store.find_pending_request("old", now - 10).await.unwrap().is_none());
    assert!(store.find_grant("over").await.unwrap().is_none());
    assert!(store.find_grant("live").await.unwrap().is_some());
    assert!(store.find_refresh_token(&[3]).await.unwrap().is_none());
    assert!(store.find_refresh_token(&[4]).await.unwrap().is_some());
    assert!(store.find_code(&[5]).await.unwrap().is_none());
    assert!(store.find_code(&[6]).await.unwrap().is_some());
    assert!(!store.is_access_token_revoked("gone").await.unwrap());
    assert!(store.is_access_token_revoked("kept").await.unwrap());
}
