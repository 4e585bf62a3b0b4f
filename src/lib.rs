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

/// Prepares the provider: creates the signing keys on first start (an active and a
/// next key per algorithm), then loads them; sealed keys need the configured
/// key-encryption key, and a wrong one stops the start before anything is written.
pub async fn start(config: Config, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Result<AppState, keys::KeyError> {
    keys::bootstrap(store.as_ref(), &config.algorithms, config.kek.as_ref(), clock.now()).await?;
    let keys = Arc::new(keys::Keyring::load(store.as_ref(), config.kek.clone(), clock.now()).await?);
    Ok(AppState::new(config, store, keys, clock))
}

/// One round of upkeep: reload the keys, rotate each algorithm whose active key is old
/// enough when automatic rotation is configured, and delete keys long unpublished.
/// Several instances may run it at once: a rotation re-checks under a lock, so only
/// one of them rotates.
pub async fn maintain(state: &AppState) -> Result<(), keys::KeyError> {
    let store = state.store.as_ref();
    let timing = state.config.key_timing();
    let now = state.clock.now();
    state.keys.reload(store, now).await?;
    if let Some(every) = state.config.rotate_every {
        let current = state.keys.current();
        for &alg in &state.config.algorithms {
            // Generating a key is costly: only try when this instance sees it is due.
            let due = current.active(alg, now).is_ok_and(|active| {
                active.activates_at().is_some_and(|at| at <= now - every) && !current.has_scheduled(alg, now)
            });
            if due
                && let Some(rotation) =
                    keys::rotate(store, alg, state.keys.kek(), timing, now, Some(now - every)).await?
            {
                tracing::info!(kid = %rotation.kid, at = rotation.activates_at, "scheduled automatic {alg} key rotation");
            }
        }
        state.keys.reload(store, now).await?;
    }
    // A day after they stopped being published, retired keys (and their private halves) go.
    let deleted = store.delete_keys_retired_before(now - timing.retention() - 86_400).await?;
    if deleted > 0 {
        tracing::info!(keys = deleted, "deleted long-retired signing keys");
        state.keys.reload(store, now).await?;
    }
    Ok(())
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

/// Runs [`maintain`] every key reload interval, for as long as the server runs.
pub async fn maintain_forever(state: AppState) {
    let every = std::time::Duration::from_secs(state.config.key_timing().reload_interval.unsigned_abs());
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = maintain(&state).await {
            tracing::warn!(error = %e, "key maintenance failed");
        }
    }
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
