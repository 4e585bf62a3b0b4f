//! Signing keys, by concern:
//!
//! - `alg`: the JWS algorithms and `at_hash`;
//! - `jwk`: public keys as published (RFC 7517) and their thumbprints (RFC 7638);
//! - `sign`: parsed key pairs, generation, and the compact JWS;
//! - `set`: the loaded keys and each key's state, derived from its stored times;
//! - `rotation`: timing and what a rotation changes (pure arithmetic);
//! - `ring`: the instance's keys and their upkeep (first keys, rotation, reloads);
//! - `kek`: the key-encryption key that seals private keys at rest;
//! - `forge`: tokens wrong on purpose, for `gatehouse dev`'s control API only.

mod alg;
pub mod forge;
mod jwk;
mod kek;
mod ring;
pub mod rotation;
mod set;
mod sign;

pub use alg::{Alg, DEFAULT_ALG};
pub use jwk::{Jwk, Jwks};
pub use kek::{Kek, KekError};
pub(crate) use ring::rotate_immediately;
pub use ring::{KeyPolicy, Keyring, bootstrap, rotate};
pub use rotation::Timing;
pub use set::{KeySet, KeyState};
pub use sign::{SigningKey, generate, key_row};

use crate::store::StoreError;

/// Why keys could not be made, loaded or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Key generation failed.
    #[error("cannot generate a signing key: {0}")]
    Generate(String),
    /// A stored key could not be parsed.
    #[error("stored signing key {kid} cannot be used: {reason}")]
    Invalid {
        /// The key's id.
        kid: String,
        /// Why.
        reason: String,
    },
    /// A stored key is sealed, and the key-encryption key cannot open it.
    #[error(transparent)]
    Kek(#[from] KekError),
    /// There is no key that may sign now.
    #[error("no active {0} signing key")]
    NoActiveKey(&'static str),
    /// The signature operation failed.
    #[error("signing failed")]
    Sign,
    /// The claims could not be serialised.
    #[error("cannot serialise token: {0}")]
    Serialize(#[from] serde_json::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
