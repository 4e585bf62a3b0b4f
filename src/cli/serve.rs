//! `gatehouse serve`: run the provider until SIGINT or SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use super::{CliError, open_store, redact_url};
use crate::clock::SystemClock;
use crate::config::Config;

/// Opens the store, loads the keys, binds the listener and serves.
pub(super) async fn run(mut config: Config) -> Result<(), CliError> {
    let store = open_store(&config).await?;
    let listen = config.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| CliError::usage(format!("cannot listen on {listen}: {e}")))?;
    config.bound_to(listener.local_addr()?);
    tracing::info!(
        issuer = %config.issuer,
        database = %redact_url(&config.database_url),
        "starting gatehouse {}",
        env!("CARGO_PKG_VERSION")
    );
    if config.kek.is_none() {
        tracing::warn!(
            "no key-encryption key is configured: private signing keys are stored unencrypted; \
             set GATEHOUSE_KEYS_ENCRYPTION_KEY (32 random bytes, base64) to encrypt them"
        );
    }
    let state = crate::start(config, store.clone(), Arc::new(SystemClock)).await?;
    let maintenance = tokio::spawn(crate::upkeep::maintain_forever(state.clone()));
    let sweeper =
        tokio::spawn(crate::upkeep::sweep_forever(store.clone(), state.clock.clone(), Duration::from_secs(600)));
    tracing::info!("listening on http://{}", listener.local_addr()?);
    crate::serve(state, listener, shutdown_signal()).await?;
    sweeper.abort();
    maintenance.abort();
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on Ctrl-C or, on Unix, SIGTERM (what container runtimes send).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
