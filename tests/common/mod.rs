//! The test harness: a real server on an ephemeral port against a real store.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use gatehouse::clock::TestClock;
use gatehouse::config::Config;
use gatehouse::store::{self, KeyRow, Store};
use tokio::sync::oneshot;

/// Which engine a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Emits, for each named `async fn name(backend: Backend)`, a module with two tests:
/// `name::sqlite` and `name::postgres`. The Postgres one needs `DATABASE_URL`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::common::postgres_enabled() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            }
        }
    )*};
}

/// Whether the Postgres variants run: they need `DATABASE_URL=postgres://…`. Under CI
/// (`CI` set) a missing Postgres is a failure, not a skip.
pub fn postgres_enabled() -> bool {
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
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
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

/// An RS256 key shared by all tests, so that each does not pay for RSA generation.
/// Kept in a file because nextest runs every test in its own process.
pub fn fixture_key(now: i64) -> KeyRow {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fixture-rs256.der");
    let der = match std::fs::read(&path) {
        Ok(der) => der,
        Err(_) => {
            let der = gatehouse::keys::generate_rsa(now).unwrap().private_der;
            let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
            std::fs::write(&tmp, &der).unwrap();
            std::fs::rename(&tmp, &path).unwrap();
            der
        }
    };
    gatehouse::keys::rsa_key_row(der, now).unwrap()
}

/// How to start a [`TestApp`].
pub struct Options {
    /// The issuer's path, e.g. `/tenant`.
    pub issuer_path: String,
    /// Seed the shared fixture key (true) or let the server generate its own (false).
    pub fixture_key: bool,
    /// Extra TOML appended to the configuration.
    pub extra_config: String,
}

impl Default for Options {
    fn default() -> Self {
        Self { issuer_path: String::new(), fixture_key: true, extra_config: String::new() }
    }
}

/// A running gatehouse.
pub struct TestApp {
    /// The issuer, e.g. `http://127.0.0.1:41234`.
    pub issuer: String,
    /// An HTTP client that does not follow redirects.
    pub http: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub clock: TestClock,
    pub db_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    // Last: the database goes after the server has stopped.
    db: Option<TestDb>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Backend, options: Options) -> Self {
        let db = TestDb::new(backend).await;
        let mut app = Self::spawn_on(&db.url, TestClock::starting_now(), options).await;
        app.db = Some(db);
        app
    }

    /// Starts a server on an existing database (for restarts).
    pub async fn spawn_on(db_url: &str, clock: TestClock, options: Options) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let issuer = format!("http://{addr}{}", options.issuer_path);
        let config = Config::from_toml(&format!(
            "issuer = \"{issuer}\"\nlisten = \"{addr}\"\ndatabase_url = \"{db_url}\"\n{}",
            options.extra_config
        ))
        .unwrap();
        let store = store::open(db_url).await.unwrap();
        if options.fixture_key {
            use gatehouse::clock::Clock;
            store.insert_first_key(&fixture_key(clock.now())).await.unwrap();
        }
        let state = gatehouse::start(config, store.clone(), Arc::new(clock.clone())).await.unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            gatehouse::serve(state, listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self {
            issuer,
            http,
            store,
            clock,
            db_url: db_url.to_owned(),
            shutdown: Some(tx),
            server: Some(server),
            db: None,
        }
    }

    /// Stops the server and waits until it has.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
    }

    /// Stops the server but keeps the database for another.
    pub async fn stop_keep_db(mut self) -> Option<TestDb> {
        self.stop().await;
        self.db.take()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
