//! The loaded keys, and each key's state at a moment, derived from its stored times
//! so that every instance reading the same rows reaches the same answer:
//!
//! - *next*: published, not yet signing (`activates_at` unset or in the future);
//! - *active*: the key of its `alg` with the latest `activates_at` not in the future;
//! - *retired*: a newer key of its `alg` has activated; still published until every
//!   token it signed has expired (`retires_at` plus the longest token lifetime);
//! - *removed*: after that; kept in the store, no longer published.

use std::sync::Arc;

use super::{Alg, Jwks, Kek, KeyError, SigningKey};
use crate::clock::UnixTime;
use crate::store::KeyRow;

/// A key's state at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published, not yet signing.
    Next,
    /// Signing.
    Active,
    /// Replaced; published while tokens it signed may live.
    Retired,
    /// No longer published.
    Removed,
}

impl KeyState {
    /// The state's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Active => "active",
            Self::Retired => "retired",
            Self::Removed => "removed",
        }
    }
}

/// All loaded keys; cheap to share.
#[derive(Debug, Clone)]
pub struct KeySet {
    keys: Arc<Vec<SigningKey>>,
}

impl KeySet {
    /// Parses stored keys, opening sealed ones with `kek`; any key that cannot be used
    /// stops the load.
    pub fn from_rows(rows: &[KeyRow], kek: Option<&Kek>) -> Result<Self, KeyError> {
        let keys = rows.iter().map(|row| SigningKey::from_row(row, kek)).collect::<Result<_, _>>()?;
        Ok(Self { keys: Arc::new(keys) })
    }

    /// The key that signs with `alg` at `now`: the one with the latest activation
    /// time not in the future, preferring keys not yet retired (ties broken by `kid`,
    /// so every instance agrees). A retired key never has the latest activation
    /// after a normal rotation; only dev's immediate rotation retires a key at the
    /// very second another activates.
    pub fn active(&self, alg: Alg, now: UnixTime) -> Result<&SigningKey, KeyError> {
        let unretired = |k: &SigningKey| k.retires_at().is_none_or(|at| at > now);
        self.keys
            .iter()
            .filter_map(|k| k.activates_at().filter(|at| k.alg() == alg && *at <= now).map(|at| (at, k)))
            .max_by(|(a_at, a), (b_at, b)| (unretired(a), a_at, a.kid()).cmp(&(unretired(b), b_at, b.kid())))
            .map(|(_, k)| k)
            .ok_or(KeyError::NoActiveKey(alg.as_str()))
    }

    /// A key's state at `now`; retired keys stay published for `retention` seconds.
    pub fn state(&self, key: &SigningKey, now: UnixTime, retention: i64) -> KeyState {
        let active = self.active(key.alg(), now).is_ok_and(|a| a.kid() == key.kid());
        match key.activates_at() {
            _ if active => KeyState::Active,
            None => KeyState::Next,
            Some(at) if at > now => KeyState::Next,
            // Activated once and no longer active: a newer key took over.
            Some(_) => match key.retires_at() {
                Some(retired) if now >= retired + retention => KeyState::Removed,
                _ => KeyState::Retired,
            },
        }
    }

    /// The keys published at `now`: next, active and retired keys, every one with its
    /// `kid`. A key is published from the moment it is stored (not from its
    /// `published_at`, which another instance's clock may have set a little ahead).
    pub fn jwks(&self, now: UnixTime, retention: i64) -> Jwks {
        let published = |k: &&SigningKey| self.state(k, now, retention) != KeyState::Removed;
        Jwks { keys: self.keys.iter().filter(published).map(|k| k.jwk().clone()).collect() }
    }

    /// Whether a key of `alg` is scheduled to start signing after `now`.
    pub fn has_scheduled(&self, alg: Alg, now: UnixTime) -> bool {
        self.keys.iter().any(|k| k.alg() == alg && k.activates_at().is_some_and(|at| at > now))
    }

    /// The algorithms that have a key able to sign at `now`.
    pub fn algorithms(&self, now: UnixTime) -> Vec<Alg> {
        Alg::ALL.into_iter().filter(|alg| self.active(*alg, now).is_ok()).collect()
    }

    /// Looks a key up by `kid`.
    pub fn find(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid() == kid)
    }

    /// Every loaded key.
    pub fn iter(&self) -> impl Iterator<Item = &SigningKey> {
        self.keys.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::super::sign::fixtures::rsa_row;
    use super::*;

    #[test]
    fn state_follows_the_stored_times() {
        let row = |kid: &str, published: i64, activates: Option<i64>, retires: Option<i64>| KeyRow {
            kid: kid.into(),
            published_at: published,
            activates_at: activates,
            retires_at: retires,
            ..rsa_row().clone()
        };
        let keys = KeySet::from_rows(
            &[
                row("old", 400, Some(500), Some(1_000)),
                row("current", 600, Some(1_000), Some(1_500)),
                row("scheduled", 900, Some(1_500), None),
                row("next", 1_200, None, None),
            ],
            None,
        )
        .unwrap();

        assert_eq!(keys.active(Alg::Rs256, 999).unwrap().kid(), "old");
        assert_eq!(keys.active(Alg::Rs256, 1_000).unwrap().kid(), "current");
        assert_eq!(keys.active(Alg::Rs256, 1_500).unwrap().kid(), "scheduled");
        assert!(keys.active(Alg::Rs256, 499).is_err());

        let states = |now| keys.iter().map(|k| keys.state(k, now, 100).as_str()).collect::<Vec<_>>();
        assert_eq!(states(1_050), ["retired", "active", "next", "next"]);
        assert_eq!(states(1_100), ["removed", "active", "next", "next"]);
        assert_eq!(states(1_500), ["removed", "retired", "active", "next"]);

        let kids = |now| keys.jwks(now, 100).keys.into_iter().map(|k| k.kid).collect::<Vec<_>>();
        assert_eq!(kids(500), ["old", "current", "scheduled", "next"], "stored means published");
        assert_eq!(kids(1_050), ["old", "current", "scheduled", "next"]);
        assert_eq!(kids(1_200), ["current", "scheduled", "next"]);
        assert_eq!(kids(1_599), ["current", "scheduled", "next"]);
        assert_eq!(kids(1_600), ["scheduled", "next"]);
    }
}
