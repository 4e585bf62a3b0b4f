//! `gatehouse serve`: run the provider until SIGINT or SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use super::{CliError, open_store, redact_url};
use crate::Limits;
use crate::clock::SystemClock;
use crate::config::Config;
use crate::oauth::dev::DevMode;
use crate::store::Store;

/// Opens the store, loads the keys, binds the listener and serves.
pub(super) async fn run(config: Config) -> Result<(), CliError> {
    let store = open_store(&config).await?;
    // Not for `dev`, whose keys are a laptop's throwaway ones in a private folder.
    if config.kek.is_none() {
        tracing::warn!(
            "no key-encryption key is configured: private signing keys are stored unencrypted; \
             set GATEHOUSE_KEYS_ENCRYPTION_KEY (32 random bytes, base64) to encrypt them"
        );
    }
    if let Some(file) = &config.seed {
        let applied = super::apply_seed(store.as_ref(), file, crate::seed::Rules::Serve).await?;
        tracing::info!("applied seed file {}: {applied}", file.display());
    }
    run_on(config, store, None, async |_| Ok(())).await
}

/// What `serve` and `dev` share: binds the listener, creates or loads the keys (in
/// `dev` mode only when `dev` passes one; `serve` never does), calls
/// `ready` with the configuration as bound (the issuer then names the real port),
/// starts key maintenance and the sweep, and serves until SIGINT or SIGTERM; then
/// finishes open requests and closes `store`.
pub(super) async fn run_on(
    config: Config,
    store: Arc<dyn Store>,
    dev: Option<DevMode>,
    ready: impl AsyncFnOnce(&Config) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let result = serve_until_shutdown(config, &store, dev, ready).await;
    store.close().await;
    result
}

async fn serve_until_shutdown(
    mut config: Config,
    store: &Arc<dyn Store>,
    dev: Option<DevMode>,
    ready: impl AsyncFnOnce(&Config) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let limits = fit_to_open_files(Limits::DEFAULT);
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
    let mut state = crate::start(config.clone(), store.clone(), Arc::new(SystemClock)).await?;
    if let Some(dev) = dev {
        state = state.in_dev_mode(dev);
    }
    ready(&config).await?;
    let maintenance = tokio::spawn(crate::upkeep::maintain_forever(state.clone()));
    let sweeper =
        tokio::spawn(crate::upkeep::sweep_forever(store.clone(), state.clock.clone(), Duration::from_secs(600)));
    tracing::info!("listening on http://{}", listener.local_addr()?);
    crate::serve_with(state, listener, shutdown_signal(), limits).await?;
    sweeper.abort();
    maintenance.abort();
    tracing::info!("stopped");
    Ok(())
}

/// File descriptors kept for all but client connections: the store's pool (a SQLite
/// connection holds three files), the listener, the runtime, logs.
#[cfg(unix)]
const RESERVED_FILES: u64 = 64;

/// Raises the soft open-file limit (`RLIMIT_NOFILE`) to the hard one, then lowers the
/// connection bound if need be, so that connections cannot use up the file
/// descriptors the store and the listener need.
#[cfg(unix)]
fn fit_to_open_files(mut limits: Limits) -> Limits {
    let files = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(files) => files,
        Err(e) => match rlimit::Resource::NOFILE.get() {
            Ok((soft, _)) => {
                tracing::warn!(error = %e, "cannot raise the open-file limit from {soft}");
                soft
            }
            Err(_) => {
                tracing::warn!(error = %e, "cannot read the open-file limit");
                return limits;
            }
        },
    };
    let fit = connections_within(files, limits.max_connections);
    if fit < limits.max_connections {
        tracing::warn!(
            "the open-file limit is {files}: serving at most {fit} connections at once instead of {} \
             (raise the hard limit, `ulimit -Hn`)",
            limits.max_connections
        );
        limits.max_connections = fit;
    } else {
        tracing::info!("open-file limit {files}: serving at most {} connections at once", limits.max_connections);
    }
    limits
}

/// How many of `wanted` connections fit under an open-file limit of `files`.
#[cfg(unix)]
fn connections_within(files: u64, wanted: usize) -> usize {
    usize::try_from(files.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX).max(1).min(wanted)
}

#[cfg(not(unix))]
fn fit_to_open_files(limits: Limits) -> Limits {
    limits
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn connections_leave_room_for_the_store_and_the_listener() {
        assert_eq!(connections_within(1_048_576, 1024), 1024);
        assert_eq!(connections_within(1024 + RESERVED_FILES, 1024), 1024);
        assert_eq!(connections_within(256, 1024), 256 - RESERVED_FILES as usize);
        assert_eq!(connections_within(16, 1024), 1, "always at least one");
        assert_eq!(connections_within(u64::MAX, 3), 3);
    }
}
