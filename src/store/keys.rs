//! Signing keys. A key's state (next, active, retired) is derived from the times
//! stored with it; what a rotation changes is decided by `keys::rotation`.

use async_trait::async_trait;

use super::StoreResult;
use super::sql::{SqlStore, execute, impl_from_row, on_pool, on_tx};
use crate::clock::UnixTime;

/// A signing key as stored. Its state is derived from the times, never from a flag.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyRow {
    /// The key id published in JWKS and named by every JWT header.
    pub kid: String,
    /// The JWS `alg`, e.g. `RS256`.
    pub alg: String,
    /// The private key in DER (PKCS#1 for RSA, PKCS#8 otherwise), sealed when `kek_id` is set.
    pub private_der: Vec<u8>,
    /// The fingerprint of the key-encryption key that sealed `private_der`, if any.
    pub kek_id: Option<String>,
    /// When it was created.
    pub created_at: UnixTime,
    /// From when it is in JWKS.
    pub published_at: UnixTime,
    /// From when it may sign; `None` while it waits as the next key.
    pub activates_at: Option<UnixTime>,
    /// From when it no longer signs; it stays published while tokens it signed live.
    pub retires_at: Option<UnixTime>,
}

impl std::fmt::Debug for KeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRow")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("private_der", &"[redacted]")
            .field("published_at", &self.published_at)
            .field("activates_at", &self.activates_at)
            .field("retires_at", &self.retires_at)
            .finish()
    }
}

impl_from_row!(KeyRow { kid, alg, private_der, kek_id, created_at, published_at, activates_at, retires_at });

/// A rotation that was scheduled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The key that will sign from `activates_at`.
    pub kid: String,
    /// When it starts signing (and the key before it retires).
    pub activates_at: UnixTime,
}

/// What one rotation changes in the stored schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationPlan {
    /// The key scheduled to sign, and from when; `None` when there was no next key.
    pub activate: Option<Rotation>,
    /// The key that stops signing then, and from when.
    pub retire: Option<(String, UnixTime)>,
}

/// Deciding a rotation from an algorithm's stored keys: `None` changes nothing.
pub type Planner<'a> = &'a (dyn Fn(&[KeyRow]) -> Option<RotationPlan> + Send + Sync);

/// The signing keys.
#[async_trait]
pub trait SigningKeys {
    /// All signing keys, oldest first.
    async fn list_keys(&self) -> StoreResult<Vec<KeyRow>>;
    /// Stores `keys` (an active and a next key of one `alg`) only if no key with that
    /// `alg` exists yet, atomically, so that instances starting together on an empty
    /// database agree on one set. True if they were stored.
    async fn insert_first_keys(&self, alg: &str, keys: &[KeyRow]) -> StoreResult<bool>;
    /// Rotates `alg` in one serialised transaction (so that concurrent rotations by
    /// several instances run one after the other): reads `alg`'s keys, asks `plan`
    /// what to change, applies that and stores `new_next` as the next key. When `plan`
    /// answers `None`, nothing is written. Returns the plan applied.
    async fn rotate_keys(&self, alg: &str, new_next: &KeyRow, plan: Planner<'_>) -> StoreResult<Option<RotationPlan>>;
    /// Deletes keys that retired before `cutoff` (long unpublished); returns how many.
    async fn delete_keys_retired_before(&self, cutoff: UnixTime) -> StoreResult<u64>;
}

const COLUMNS: &str = "kid, alg, private_der, kek_id, created_at, published_at, activates_at, retires_at";

/// The statement that inserts a signing key.
macro_rules! insert_key {
    ($k:expr) => {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "insert into signing_keys ({COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8)"
        )))
        .bind(&$k.kid)
        .bind(&$k.alg)
        .bind(&$k.private_der)
        .bind(&$k.kek_id)
        .bind($k.created_at)
        .bind($k.published_at)
        .bind($k.activates_at)
        .bind($k.retires_at)
    };
}

#[async_trait]
impl SigningKeys for SqlStore {
    async fn list_keys(&self) -> StoreResult<Vec<KeyRow>> {
        let sql = sqlx::AssertSqlSafe(format!("select {COLUMNS} from signing_keys"));
        let mut keys: Vec<KeyRow> = on_pool!(self, db => sqlx::query_as(sql).fetch_all(db).await)?;
        keys.sort_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)));
        Ok(keys)
    }

    async fn insert_first_keys(&self, alg: &str, keys: &[KeyRow]) -> StoreResult<bool> {
        let mut tx = self.begin_serialized().await?;
        let sql = "select kid from signing_keys where alg = $1 limit 1";
        let existing: Option<(String,)> = on_tx!(tx, db => sqlx::query_as(sql).bind(alg).fetch_optional(db).await)?;
        if existing.is_some() {
            return Ok(false);
        }
        for key in keys {
            execute!(tx: tx, insert_key!(key))?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn rotate_keys(&self, alg: &str, new_next: &KeyRow, plan: Planner<'_>) -> StoreResult<Option<RotationPlan>> {
        let mut tx = self.begin_serialized().await?;
        let sql = sqlx::AssertSqlSafe(format!("select {COLUMNS} from signing_keys where alg = $1"));
        let keys: Vec<KeyRow> = on_tx!(tx, db => sqlx::query_as(sql).bind(alg).fetch_all(db).await)?;
        let Some(plan) = plan(&keys) else { return Ok(None) };
        if let Some((kid, at)) = &plan.retire {
            let sql = "update signing_keys set retires_at = $1 where kid = $2";
            execute!(tx: tx, sqlx::query(sql).bind(at).bind(kid))?;
        }
        if let Some(Rotation { kid, activates_at }) = &plan.activate {
            let sql = "update signing_keys set activates_at = $1 where kid = $2";
            execute!(tx: tx, sqlx::query(sql).bind(activates_at).bind(kid))?;
        }
        execute!(tx: tx, insert_key!(new_next))?;
        tx.commit().await?;
        Ok(Some(plan))
    }

    async fn delete_keys_retired_before(&self, cutoff: UnixTime) -> StoreResult<u64> {
        let sql = "delete from signing_keys where retires_at < $1";
        Ok(execute!(self, sqlx::query(sql).bind(cutoff))?)
    }
}
