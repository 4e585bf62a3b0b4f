//! Test databases: a fresh SQLite file, or a fresh database in the PostgreSQL that
//! `DATABASE_URL` points at, removed again when the test is done.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// Which engine a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// Whether the Postgres variants run: they need `DATABASE_URL=postgres://…`. Under CI
/// (`CI` set) a missing Postgres is a failure, not a skip.
pub(crate) fn postgres_enabled() -> bool {
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => true,
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set but DATABASE_URL does not point at Postgres: the Postgres tests must run")
        }
        _ => {
            eprintln!("skipped: set DATABASE_URL=postgres://… to run the Postgres variant");
            false
        }
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
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite:{}", dir.path().join("gatehouse.db").display());
                Self { url, _dir: Some(dir), pg_admin: None }
            }
            Backend::Postgres => {
                let admin = std::env::var("DATABASE_URL").unwrap();
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
