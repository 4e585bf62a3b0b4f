//! Test databases: a fresh SQLite file, or a fresh database in the PostgreSQL that
//! `DATABASE_URL` points at, removed again when the test is done.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// Which engine a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the Postgres variants use: `DATABASE_URL`, which must be a
/// `postgres://` URL. Those tests are only built to run when it was set, or `CI` was
/// (see `build.rs`); one that runs without it fails, it never passes.
pub(crate) fn postgres_url() -> String {
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => url,
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set but DATABASE_URL does not point at Postgres: the Postgres tests must run")
        }
        _ => panic!(
            "this PostgreSQL variant needs DATABASE_URL=postgres://… (set it when building and running the tests)"
        ),
    }
}

/// A fresh, empty database that is removed when dropped.
pub(crate) struct TestDb {
    pub(crate) url: String,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    pub(crate) async fn new(backend: Backend) -> Self {
        super::log::init();
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite:{}", dir.path().join("gatehouse.db").display());
                Self { url, _dir: Some(dir), pg_admin: None }
            }
            Backend::Postgres => {
                let admin = postgres_url();
                let name = format!("gatehouse_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = connect_pg(&admin).await;
                sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}"))).execute(&mut conn).await.unwrap();
                let mut url = url::Url::parse(&admin).unwrap();
                url.set_path(&name);
                Self { url: url.to_string(), _dir: None, pg_admin: Some((admin, name)) }
            }
        }
    }
}

async fn connect_pg(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("DATABASE_URL is set but Postgres cannot be reached: {e}"))
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg_admin.take() else { return };
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let mut conn = connect_pg(&admin).await;
                let sql = format!("drop database if exists {name} with (force)");
                let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await;
            });
        })
        .join();
    }
}
