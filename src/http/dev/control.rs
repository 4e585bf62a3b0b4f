//! What the control API and `gatehouse::testing` do beyond one protocol call: move the
//! clock, rotate the keys, read the request log. Methods of a dev-mode [`AppState`],
//! so that both reach them the same way; outside dev mode they refuse or find nothing.

use std::time::Duration;

use crate::AppState;
use crate::clock::UnixTime;
use crate::keys::{self, KeyError};
use crate::oauth::request_log::Entry;
use crate::store::Rotation;

/// What a rotation of every configured algorithm did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    /// The `kid`s that sign now, one per algorithm.
    pub kids: Vec<String>,
    /// The rotations scheduled for later (a normal rotation), one per algorithm.
    pub scheduled: Vec<Rotation>,
}

impl AppState {
    /// Dev mode: moves the clock forward by `by`, as if that time had passed, then runs
    /// the key upkeep the server runs on a timer (a reload, and an automatic rotation
    /// if one is due by the new time). Returns the new time; `None` outside dev mode.
    pub async fn advance_clock(&self, by: Duration) -> Option<UnixTime> {
        let now = self.dev.as_ref()?.clock.advance(by);
        tracing::info!(seconds = by.as_secs(), now, "dev: moved the clock forward");
        if let Err(e) = self.keys.maintain(self.store.as_ref(), &self.config.key_policy(), now).await {
            tracing::warn!(error = %e, "dev: key upkeep after moving the clock failed");
        }
        Some(now)
    }

    /// How far dev mode's clock runs ahead of the wall clock, in seconds (0 outside).
    pub fn clock_offset(&self) -> i64 {
        self.dev.as_ref().map_or(0, |dev| dev.clock.offset())
    }

    /// Dev mode: rotates every configured algorithm. Normally, as `gatehouse keys
    /// rotate` does (the next key signs once every cache has it); `immediately`, a
    /// freshly generated key that was never published signs at once, and every
    /// earlier key stays published (a dev-only break of publish-before-use).
    pub async fn rotate_keys(&self, immediately: bool) -> Result<Rotated, KeyError> {
        if self.dev.is_none() {
            return Err(KeyError::Generate("key rotation on demand is for dev mode only".into()));
        }
        let (store, kek, now) = (self.store.as_ref(), self.keys.kek(), self.clock.now());
        let mut scheduled = Vec::new();
        for &alg in &self.config.algorithms {
            if immediately {
                let kid = keys::rotate_immediately(store, alg, kek, now).await?;
                tracing::info!(%kid, "dev: a new {alg} key signs at once");
            } else if let Some(rotation) = keys::rotate(store, alg, kek, self.config.key_timing(), now, None).await? {
                scheduled.push(rotation);
            }
        }
        self.keys.reload(store, now).await?;
        let current = self.keys.current();
        let kids = self.config.algorithms.iter().filter_map(|alg| current.active(*alg, now).ok());
        Ok(Rotated { kids: kids.map(|k| k.kid().to_owned()).collect(), scheduled })
    }

    /// Dev mode: the requests received at the protocol endpoints, oldest first.
    pub fn requests(&self) -> Vec<Entry> {
        self.dev.as_ref().map(|dev| dev.requests.entries()).unwrap_or_default()
    }

    /// Dev mode: forgets the requests received.
    pub fn clear_requests(&self) {
        if let Some(dev) = &self.dev {
            dev.requests.clear();
        }
    }
}
