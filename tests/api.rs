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
//! - `rp_libraries` runs relying-party libraries in Node and Python; without their
//!   dependencies in `tests/rp/` (and without `CI`) those tests are reported as
//!   ignored. See that module for how to install them.
//! - `browser` drives Debian's headless Chromium through the pages; without it and
//!   `tests/browser/node_modules` (and without `CI`) it is reported as ignored.

mod authorize_errors;
mod branding;
mod browser;
mod cli;
mod cli_sessions;
mod common;
mod consent;
mod consent_cli;
mod consent_dev;
mod consent_errors;
mod dev;
mod dev_api;
mod dev_api_login;
mod dev_api_requests;
mod dev_api_seed;
mod dev_api_time;
mod dev_api_tokens;
mod dev_login;
mod dev_login_page;
mod discovery;
mod flow;
mod input;
mod keys;
mod limits;
mod login_errors;
mod logout;
mod logout_confirm;
mod memory;
mod refresh;
mod refusals;
mod refusals_token;
mod revocation;
mod rotation;
mod rp_libraries;
mod seed;
mod seed_cli;
mod sessions;
mod store;
mod testing;
mod testing_readme;
mod third_party;
mod throttle;
mod throttle_parallel;
mod token_errors;
mod userinfo_errors;
