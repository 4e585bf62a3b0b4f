//! The test harness: a real server on an ephemeral port against a real store.
//!
//! - [`db`]: the test database, SQLite or PostgreSQL;
//! - [`app`]: the running server and the fixtures in its store;
//! - [`endpoints`]: the provider's endpoints as tests call them;
//! - [`browser`]: a scripted browser and the login form;
//! - [`jwt`]: reading JWTs in assertions;
//! - [`log`]: the server's logs in test output (`TEST_LOG`), and each server's own for assertions;
//! - [`process`]: the built binary, as CLI commands and `serve` processes;
//! - [`relying_party`]: a relying party on loopback for a real browser to arrive at;
//! - [`script`]: scripts in Node or Python, run with a timeout and read as JSON;
//! - [`dev`]: the built binary as `gatehouse dev`, and what it prints;
//! - [`dev_api`]: dev mode's control API (`/_dev/`) as tests call it;
//! - [`verify`]: an independent verifier of minted tokens and their defects.

mod app;
mod browser;
mod db;
mod dev;
mod dev_api;
mod endpoints;
mod jwt;
mod log;
mod process;
mod relying_party;
mod script;
mod verify;

pub(crate) use app::{
    ClientSpec, Options, TestApp, TestClient, fixture_keys, foreign_key_der, foreign_keys, server_key_der,
};
pub(crate) use browser::{Browser, Form, hidden, location, login_tokens, open_form, query};
pub(crate) use db::{Backend, TestDb};
pub(crate) use dev::{Dev, LABELS, dev_command};
pub(crate) use dev_api::{answer, assert_refused};
pub(crate) use endpoints::{CHALLENGE, VERIFIER, assert_rfc6749_description, auth_params};
pub(crate) use jwt::{jwt_claims, jwt_header};
pub(crate) use process::{Cli, Server, field, start_server};
pub(crate) use relying_party::RelyingParty;
pub(crate) use script::Script;
pub(crate) use verify::{Found, Kind, NONCE, verify};

/// Emits, for each named `async fn name(backend: Backend)`, a module with two tests:
/// `name::sqlite` and `name::postgres`.
///
/// The Postgres one needs `DATABASE_URL=postgres://…`. Without it (and without `CI`)
/// it is built as an ignored test, so that it is reported as such and never as
/// passed; `build.rs` sets `cfg(postgres_tests)` when it can run. Under `CI` it runs
/// and fails if there is no PostgreSQL. Tests that need PostgreSQL only carry the
/// same `cfg_attr`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(postgres_tests), ignore = "set DATABASE_URL=postgres://… to run the PostgreSQL variant")]
            async fn postgres() {
                super::$name($crate::common::Backend::Postgres).await
            }
        }
    )*};
}
