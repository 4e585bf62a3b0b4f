//! gatehouse: a small, fast, standards-exact OpenID Connect Provider.
//!
//! The binary is a thin shell over this library: [`start`] builds the provider from
//! a configuration, a store and a clock, and [`serve`] runs it on a bound listener
//! until a shutdown future completes. Tests and embedders use the same two calls.

pub mod cli;
pub mod clock;
pub mod config;
pub mod http;
pub mod keys;
pub mod oauth;
pub mod password;
pub mod secret;
pub mod store;

use std::future::Future;
use std::sync::Arc;

use clock::Clock;
use config::Config;
pub use http::AppState;
use store::Store;

/// Prepares the provider: loads (on first start, creates) the signing keys.
pub async fn start(config: Config, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Result<AppState, keys::KeyError> {
    let keys = keys::load_or_create(store.as_ref(), clock.now()).await?;
    Ok(AppState::new(config, store, keys, clock))
}

/// Serves HTTP on `listener` until `shutdown` completes, then finishes open requests.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, http::router(state)).with_graceful_shutdown(shutdown).await
}
