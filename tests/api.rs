//! The one integration-test binary: each module covers an area, and every
//! behaviour test runs against SQLite and (with `DATABASE_URL`) PostgreSQL.
//!
//! Environment:
//! - `DATABASE_URL=postgres://…` (at build time, and when run) also runs the
//!   `::postgres` variants, in fresh databases on that server; without it they are
//!   reported as ignored. With `CI` set they always run, and fail without PostgreSQL.
//! - `TEST_LOG=<filter>` shows the server's logs in the output of a failing test
//!   (or of every test, with `--nocapture`): a `tracing` filter such as `debug`,
//!   `warn` or `gatehouse=debug,info`. Unset, nothing is logged.

mod authorize_errors;
mod cli;
mod common;
mod dev;
mod dev_login;
mod discovery;
mod flow;
mod input;
mod keys;
mod limits;
mod login_errors;
mod memory;
mod refresh;
mod refusals;
mod refusals_token;
mod revocation;
mod rotation;
mod store;
mod throttle;
mod throttle_parallel;
mod token_errors;
mod userinfo_errors;
