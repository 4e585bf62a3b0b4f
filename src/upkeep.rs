//! The work every instance does in the background while it serves: key upkeep on the
//! key reload interval, and a sweep of rows that no longer matter. Several instances
//! may run both at once: rotations re-check under a lock, and every sweep statement is
//! an idempotent delete.

use std::sync::Arc;
use std::time::Duration;

use crate::AppState;
use crate::clock::{Clock, UnixTime};
use crate::keys::KeyError;
use crate::store::{Store, SweepCutoffs};

/// A used code is kept this long past its expiry, so that a late replay still finds
/// it and revokes what its redemption issued (RFC 6749 §4.1.2).
pub const USED_CODE_RETENTION: i64 = 60 * 60;
/// A spent refresh token's sealed successor answers retries within the reuse grace
/// window only, which is at most a minute: it is not kept for the token's whole life.
pub const SEALED_SUCCESSOR_RETENTION: i64 = 60;
/// A login throttle counter is forgotten this long after its counting window began
/// (windows last 15 minutes), once no block is running.
pub const THROTTLE_RETENTION: i64 = 24 * 60 * 60;

/// What a sweep at `now` deletes.
pub fn sweep_cutoffs(now: UnixTime) -> SweepCutoffs {
    SweepCutoffs {
        expired: now,
        used_codes: now - USED_CODE_RETENTION,
        sealed_successors: now - SEALED_SUCCESSOR_RETENTION,
        throttle_windows: now - THROTTLE_RETENTION,
    }
}

/// One round of key upkeep (see [`Keyring::maintain`](crate::keys::Keyring::maintain)).
pub async fn maintain(state: &AppState) -> Result<(), KeyError> {
    state.keys.maintain(state.store.as_ref(), &state.config.key_policy(), state.clock.now()).await
}

/// Runs [`maintain`] every key reload interval, for as long as the server runs.
pub async fn maintain_forever(state: AppState) {
    let every = Duration::from_secs(state.config.key_timing().reload_interval.unsigned_abs());
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = maintain(&state).await {
            tracing::warn!(error = %e, "key maintenance failed");
        }
    }
}

/// Deletes rows that no longer matter every `every`, for as long as the server runs.
pub async fn sweep_forever(store: Arc<dyn Store>, clock: Arc<dyn Clock>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match store.sweep(&sweep_cutoffs(clock.now())).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(rows = n, "swept expired rows"),
            Err(e) => tracing::warn!(error = %e, "sweeping expired rows failed"),
        }
    }
}
