//! The one integration-test binary: each module covers an area, and every
//! behaviour test runs against SQLite and (with `DATABASE_URL`) PostgreSQL.

mod authorize_errors;
mod cli;
mod common;
mod discovery;
mod flow;
mod keys;
mod login_errors;
mod refresh;
mod revocation;
mod rotation;
mod store;
mod throttle;
mod token_errors;
mod userinfo_errors;
