//! The keys an instance uses, and their upkeep: the first keys, rotation, reloading
//! what other instances or the CLI changed, and deleting long-retired keys.

use std::sync::RwLock;
use std::sync::atomic::{AtomicI64, Ordering};

use super::{Alg, Kek, KeyError, KeySet, Timing, generate, rotation};
use crate::clock::UnixTime;
use crate::store::{KeyRow, Rotation, Store};

/// How long retired keys are kept in the store after they stopped being published.
const DELETE_AFTER_UNPUBLISHED: i64 = 24 * 60 * 60;

/// The configured key policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPolicy {
    /// The algorithms offered.
    pub algorithms: Vec<Alg>,
    /// Rotate each algorithm's key automatically this long after it activated.
    pub rotate_every: Option<i64>,
    /// How long changes take to spread.
    pub timing: Timing,
}

/// The keys an instance uses, reloaded from the store so that a rotation made by the
/// CLI or another instance is seen here well before it takes effect.
#[derive(Debug)]
pub struct Keyring {
    current: RwLock<(Vec<KeyFingerprint>, KeySet)>,
    kek: Option<Kek>,
    /// When the keys were last loaded successfully.
    loaded_at: AtomicI64,
}

/// What identifies a stored key's version: its id and its schedule.
type KeyFingerprint = (String, UnixTime, Option<UnixTime>, Option<UnixTime>);

fn fingerprint(rows: &[KeyRow]) -> Vec<KeyFingerprint> {
    rows.iter().map(|r| (r.kid.clone(), r.published_at, r.activates_at, r.retires_at)).collect()
}

impl Keyring {
    /// Loads every stored key.
    pub async fn load(store: &dyn Store, kek: Option<Kek>, now: UnixTime) -> Result<Self, KeyError> {
        let rows = store.list_keys().await?;
        let set = KeySet::from_rows(&rows, kek.as_ref())?;
        Ok(Self { current: RwLock::new((fingerprint(&rows), set)), kek, loaded_at: now.into() })
    }

    /// When the keys were last loaded successfully: an instance that cannot reload
    /// may be signing with a key the others no longer publish.
    pub fn loaded_at(&self) -> UnixTime {
        self.loaded_at.load(Ordering::Relaxed)
    }

    /// The keys as last loaded.
    pub fn current(&self) -> KeySet {
        self.current.read().map(|c| c.1.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().1.clone())
    }

    /// The key-encryption key, if one is configured.
    pub fn kek(&self) -> Option<&Kek> {
        self.kek.as_ref()
    }

    /// Reloads from the store; parses keys again only when something changed.
    pub async fn reload(&self, store: &dyn Store, now: UnixTime) -> Result<(), KeyError> {
        let rows = store.list_keys().await?;
        let print = fingerprint(&rows);
        let unchanged = self.current.read().map(|c| c.0 == print).unwrap_or(false);
        if !unchanged {
            let set = KeySet::from_rows(&rows, self.kek.as_ref())?;
            if let Ok(mut current) = self.current.write() {
                *current = (print, set);
            }
        }
        self.loaded_at.store(now, Ordering::Relaxed);
        Ok(())
    }

    /// One round of upkeep: reload the keys, rotate each algorithm whose active key is
    /// old enough when automatic rotation is configured, and delete keys long
    /// unpublished. Several instances may run it at once: a rotation re-checks under
    /// a lock, so only one of them rotates.
    pub async fn maintain(&self, store: &dyn Store, policy: &KeyPolicy, now: UnixTime) -> Result<(), KeyError> {
        self.reload(store, now).await?;
        if let Some(every) = policy.rotate_every {
            let current = self.current();
            for &alg in &policy.algorithms {
                // Generating a key is costly: only try when this instance sees it is due.
                let due = current.active(alg, now).is_ok_and(|active| {
                    active.activates_at().is_some_and(|at| at <= now - every) && !current.has_scheduled(alg, now)
                });
                if due
                    && let Some(rotation) =
                        rotate(store, alg, self.kek(), policy.timing, now, Some(now - every)).await?
                {
                    tracing::info!(kid = %rotation.kid, at = rotation.activates_at, "scheduled automatic {alg} key rotation");
                }
            }
            self.reload(store, now).await?;
        }
        let cutoff = now - policy.timing.retention() - DELETE_AFTER_UNPUBLISHED;
        let deleted = store.delete_keys_retired_before(cutoff).await?;
        if deleted > 0 {
            tracing::info!(keys = deleted, "deleted long-retired signing keys");
            self.reload(store, now).await?;
        }
        Ok(())
    }
}

/// Creates, for each of `algs` that has no key yet, an active and a next key, so that
/// from the first start a rotation never has to wait for a key to be published. Safe
/// when several instances start at once on one database: one set wins.
pub async fn bootstrap(store: &dyn Store, algs: &[Alg], kek: Option<&Kek>, now: UnixTime) -> Result<(), KeyError> {
    let existing = store.list_keys().await?;
    // Nothing is written unless the configured key-encryption key opens every stored
    // key: a wrong one must stop here, not seal new keys nobody can open later.
    KeySet::from_rows(&existing, kek)?;
    if kek.is_some() && existing.iter().any(|k| k.kek_id.is_none()) {
        tracing::warn!(
            "some signing keys are stored unencrypted from before the key-encryption key; rotate twice to replace them"
        );
    }
    for &alg in algs {
        if existing.iter().any(|k| k.alg == alg.as_str()) {
            continue;
        }
        let mut active = generate_off_runtime(alg, now, kek).await?;
        let next = generate_off_runtime(alg, now, kek).await?;
        active.activates_at = Some(now);
        if store.insert_first_keys(alg.as_str(), &[active.clone(), next]).await? {
            tracing::info!(kid = %active.kid, "generated the first {alg} signing keys");
        }
    }
    Ok(())
}

/// Rotates `alg` as [`rotation::plan`] says: the next key signs once every instance
/// and every relying party's cache has it, and a new next key is published. With
/// `only_if_older_than`, only if the active key activated at or before that time.
/// `None` when nothing was scheduled.
pub async fn rotate(
    store: &dyn Store,
    alg: Alg,
    kek: Option<&Kek>,
    timing: Timing,
    now: UnixTime,
    only_if_older_than: Option<UnixTime>,
) -> Result<Option<Rotation>, KeyError> {
    let new_next = generate_off_runtime(alg, now, kek).await?;
    let planner = |keys: &[KeyRow]| rotation::plan(keys, timing, now, only_if_older_than);
    let plan = store.rotate_keys(alg.as_str(), &new_next, &planner).await?;
    Ok(plan.and_then(|plan| plan.activate))
}

/// `gatehouse dev` only (`POST /_dev/keys/rotate` with `immediately`): a freshly
/// generated key of `alg`, never published before, signs from `now`, and the key that
/// signed until now retires now but stays published. This breaks publish-before-use
/// on purpose so that a relying party can test its "unknown `kid`, fetch the JWKS
/// again" path; nothing under `serve` calls it. Returns the new key's `kid`.
pub(crate) async fn rotate_immediately(
    store: &dyn Store,
    alg: Alg,
    kek: Option<&Kek>,
    now: UnixTime,
) -> Result<String, KeyError> {
    let mut key = generate_off_runtime(alg, now, kek).await?;
    key.activates_at = Some(now);
    let planner = |keys: &[KeyRow]| Some(rotation::plan_immediate(keys, now));
    store.rotate_keys(alg.as_str(), &key, &planner).await?;
    Ok(key.kid)
}

/// Generates a key on a blocking thread: RSA generation takes a while.
async fn generate_off_runtime(alg: Alg, now: UnixTime, kek: Option<&Kek>) -> Result<KeyRow, KeyError> {
    let kek = kek.cloned();
    tokio::task::spawn_blocking(move || generate(alg, now, kek.as_ref()))
        .await
        .map_err(|e| KeyError::Generate(e.to_string()))?
}
