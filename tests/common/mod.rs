//! The test harness: a real server on an ephemeral port against a real store.
//!
//! - [`db`]: the test database, SQLite or PostgreSQL;
//! - [`app`]: the running server and the fixtures in its store;
//! - [`endpoints`]: the provider's endpoints as tests call them;
//! - [`browser`]: a scripted browser and the login form;
//! - [`jwt`]: reading JWTs in assertions.

mod app;
mod browser;
mod db;
mod endpoints;
mod jwt;

pub(crate) use app::{ClientSpec, Options, TestApp, TestClient, fixture_keys, foreign_key_der, foreign_keys};
pub(crate) use browser::{Browser, Form, hidden, location, login_tokens, open_form, query};
pub(crate) use db::{Backend, TestDb, postgres_enabled};
pub(crate) use endpoints::{CHALLENGE, VERIFIER, assert_rfc6749_description, auth_params};
pub(crate) use jwt::{jwt_claims, jwt_header};

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
