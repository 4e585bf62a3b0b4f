//! gatehouse: a small, fast, standards-exact OpenID Connect Provider.
//!
//! The binary is a thin shell over this library: [`start`] builds the provider from
//! a configuration, a store and a clock, and [`serve`] runs it on a bound listener
//! until a shutdown future completes. Tests and embedders use the same two calls.
//!
//! Layers, each calling only downwards: `http` (the HTTP edge) → `oauth` (protocol
//! rules) → `config` → `keys` → `store` → `clock`, `secret` (and `password` beside
//! them). `seed` (seed files) sits beside `oauth`, whose rules it applies; `cli` and
//! `upkeep` drive them from the outside; `testing` (cargo feature `testing`) serves
//! it in a relying party's tests.

pub mod cli;
pub mod clock;
pub mod config;
pub mod http;
pub mod keys;
pub mod oauth;
pub mod password;
pub mod secret;
pub mod seed;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod upkeep;
pub mod username;

use std::future::Future;
use std::sync::Arc;

use clock::Clock;
use config::Config;
pub use http::{AppState, Limits};
use store::Store;

/// Prepares the provider: creates the signing keys on first start (an active and a
/// next key per algorithm), then loads them; sealed keys need the configured
/// key-encryption key, and a wrong one stops the start before anything is written.
pub async fn start(config: Config, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Result<AppState, keys::KeyError> {
    keys::bootstrap(store.as_ref(), &config.algorithms, config.kek.as_ref(), clock.now()).await?;
    let keys = Arc::new(keys::Keyring::load(store.as_ref(), config.kek.clone(), clock.now()).await?);
    Ok(AppState::new(config, store, keys, clock))
}

/// Serves HTTP on `listener` until `shutdown` completes, then finishes open requests;
/// within the default [`Limits`].
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(state, listener, shutdown, Limits::DEFAULT).await
}

/// [`serve`] within other [`Limits`] (tests shorten the timeouts and the connection bound).
pub async fn serve_with(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> std::io::Result<()> {
    http::serve(http::router(state), listener, shutdown, limits).await
}
