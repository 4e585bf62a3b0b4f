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
    let app = http::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// Deletes expired rows every `every` seconds, for as long as the server runs.
/// Several instances may sweep at once: every statement is an idempotent delete.
pub async fn sweep_forever(store: Arc<dyn Store>, clock: Arc<dyn Clock>, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match store.sweep(clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(rows = n, "swept expired rows"),
            Err(e) => tracing::warn!(error = %e, "sweeping expired rows failed"),
        }
    }
}
