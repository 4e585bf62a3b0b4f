//! Signing keys: generation, their lifecycle, the published JWK set (RFC 7517), and
//! signing (aws-lc-rs, with the compact JWS assembled here).
//!
//! Each private key is parsed once into an aws-lc-rs key pair and kept: jsonwebtoken's
//! `encode` would re-parse it on every call, and its crypto provider is process-global.
//! A key's state is derived from the times stored with it, so every instance reading
//! the same rows reaches the same answer at the same moment:
//!
//! - *next*: published, not yet signing (`activates_at` unset or in the future);
//! - *active*: the key of its `alg` with the latest `activates_at` not in the future;
//! - *retired*: a newer key of its `alg` has activated; still published until every
//!   token it signed has expired (`retires_at` plus the longest token lifetime);
//! - *removed*: after that; kept in the store, no longer published.

use std::sync::{Arc, RwLock};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use serde::Serialize;

use crate::clock::UnixTime;
use crate::secret::b64url;
use crate::store::{KeyRow, Rotation, Store, StoreError};

mod kek;
pub use kek::{Kek, KekError};

/// A JWS algorithm gatehouse signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 over RSA-2048; required by OpenID Connect.
    Rs256,
    /// ECDSA over P-256 with SHA-256.
    Es256,
    /// EdDSA over Ed25519.
    EdDsa,
}

impl Alg {
    /// Every algorithm gatehouse offers, the default first.
    pub const ALL: [Alg; 3] = [Alg::Rs256, Alg::Es256, Alg::EdDsa];

    /// The `alg` name (RFC 7518 §3.1, RFC 8037 §3.1).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }

    /// Parses an `alg` name gatehouse signs with.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The algorithm as jsonwebtoken names it, for verification.
    pub fn jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::Rs256 => jsonwebtoken::Algorithm::RS256,
            Self::Es256 => jsonwebtoken::Algorithm::ES256,
            Self::EdDsa => jsonwebtoken::Algorithm::EdDSA,
        }
    }

    /// `at_hash` (OIDC Core §3.1.3.6): the left half of the hash the `alg` uses
    /// (SHA-512 for Ed25519).
    pub fn at_hash(self, access_token: &str) -> String {
        use aws_lc_rs::digest::{SHA256, SHA512, digest};
        let hash = match self {
            Self::Rs256 | Self::Es256 => digest(&SHA256, access_token.as_bytes()),
            Self::EdDsa => digest(&SHA512, access_token.as_bytes()),
        };
        let bytes = hash.as_ref();
        b64url(&bytes[..bytes.len() / 2])
    }
}

impl std::fmt::Display for Alg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When keys may sign and how long they stay published, from the configuration. Every
/// margin allows for instances learning of a change late: a reload may begin just
/// before the change and take a while, and instances' clocks may differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// The `max-age` relying parties may cache `/jwks` for.
    pub jwks_max_age: i64,
    /// How often every instance reloads keys from the store.
    pub reload_interval: i64,
    /// How far instances' clocks may differ.
    pub clock_skew: i64,
    /// The longest lifetime of a token gatehouse signs.
    pub max_token_lifetime: i64,
}

impl Timing {
    /// How late an instance may act on a change made elsewhere.
    pub fn propagation(&self) -> i64 {
        2 * self.reload_interval + self.clock_skew
    }

    /// How long after its publication a key may start signing: every instance has
    /// published it, and every relying party's cached JWKS has it.
    pub fn activation_delay(&self) -> i64 {
        self.jwks_max_age + self.propagation()
    }

    /// How long a key stays published after it retired: until the last token signed
    /// by any instance, however late it learned of the retirement, has expired.
    pub fn retention(&self) -> i64 {
        self.max_token_lifetime + self.propagation()
    }
}

/// The algorithm of access tokens, and of ID tokens unless a client asks for another.
pub const DEFAULT_ALG: Alg = Alg::Rs256;

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

/// A public key as published in JWKS: public members only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Jwk {
    /// Key type: `RSA`, `EC` or `OKP`.
    pub kty: &'static str,
    /// Intended use: always `sig`.
    #[serde(rename = "use")]
    pub use_: &'static str,
    /// The algorithm the key signs with.
    pub alg: &'static str,
    /// The key id.
    pub kid: String,
    /// RSA modulus.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Curve: `P-256` or `Ed25519`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<&'static str>,
    /// EC x coordinate, or the Ed25519 public key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

impl Jwk {
    /// The JWK thumbprint (RFC 7638 §3.2: required members only, in lexicographic
    /// order, no whitespace): a `kid` that is derived from the key and unique to it.
    fn thumbprint(&self) -> String {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        let canonical = match self.kty {
            "RSA" => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, s(&self.e), s(&self.n)),
            "EC" => format!(r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#, s(&self.x), s(&self.y)),
            _ => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, s(&self.x)),
        };
        b64url(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes()).as_ref())
    }
}

/// The JWK set document served at `/jwks`.
#[derive(Debug, Clone, Serialize)]
pub struct Jwks {
    /// The published keys.
    pub keys: Vec<Jwk>,
}

enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

impl Pair {
    fn parse(alg: Alg, der: &[u8]) -> Result<Self, String> {
        match alg {
            Alg::Rs256 => RsaKeyPair::from_der(der).map(Self::Rsa).map_err(|e| e.to_string()),
            Alg::Es256 => {
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map(Self::Ec).map_err(|e| e.to_string())
            }
            Alg::EdDsa => Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map(Self::Ed).map_err(|e| e.to_string()),
        }
    }

    fn jwk(&self, alg: Alg, kid: String) -> Jwk {
        let mut jwk =
            Jwk { kty: "RSA", use_: "sig", alg: alg.as_str(), kid, n: None, e: None, crv: None, x: None, y: None };
        match self {
            Self::Rsa(pair) => {
                let public = pair.public_key();
                jwk.n = Some(b64url(public.modulus().big_endian_without_leading_zero()));
                jwk.e = Some(b64url(public.exponent().big_endian_without_leading_zero()));
            }
            Self::Ec(pair) => {
                // An uncompressed point: 0x04 || x || y.
                let point = pair.public_key().as_ref();
                jwk.kty = "EC";
                jwk.crv = Some("P-256");
                jwk.x = Some(b64url(&point[1..33]));
                jwk.y = Some(b64url(&point[33..65]));
            }
            Self::Ed(pair) => {
                jwk.kty = "OKP";
                jwk.crv = Some("Ed25519");
                jwk.x = Some(b64url(pair.public_key().as_ref()));
            }
        }
        jwk
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = SystemRandom::new();
        match self {
            Self::Rsa(pair) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig).map_err(|_| KeyError::Sign)?;
                Ok(sig)
            }
            Self::Ec(pair) => pair.sign(&rng, message).map(|s| s.as_ref().to_vec()).map_err(|_| KeyError::Sign),
            Self::Ed(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }
}

/// A loaded key: the parsed key pair, its public JWK and its schedule.
pub struct SigningKey {
    alg: Alg,
    pair: Pair,
    jwk: Jwk,
    decoding: jsonwebtoken::DecodingKey,
    published_at: UnixTime,
    activates_at: Option<UnixTime>,
    retires_at: Option<UnixTime>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.jwk.kid).field("alg", &self.alg).finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct JwsHeader<'a> {
    alg: &'static str,
    typ: &'a str,
    kid: &'a str,
}

impl SigningKey {
    fn from_row(row: &KeyRow, kek: Option<&Kek>) -> Result<Self, KeyError> {
        let invalid = |reason: String| KeyError::Invalid { kid: row.kid.clone(), reason };
        let alg = Alg::parse(&row.alg).ok_or_else(|| invalid(format!("unsupported algorithm {}", row.alg)))?;
        let der = Kek::open_row(kek, row)?;
        let pair = Pair::parse(alg, &der).map_err(invalid)?;
        let jwk = pair.jwk(alg, row.kid.clone());
        let decoding = match &pair {
            Pair::Rsa(_) => jsonwebtoken::DecodingKey::from_rsa_components(
                jwk.n.as_deref().unwrap_or_default(),
                jwk.e.as_deref().unwrap_or_default(),
            ),
            Pair::Ec(_) => jsonwebtoken::DecodingKey::from_ec_components(
                jwk.x.as_deref().unwrap_or_default(),
                jwk.y.as_deref().unwrap_or_default(),
            ),
            Pair::Ed(_) => jsonwebtoken::DecodingKey::from_ed_components(jwk.x.as_deref().unwrap_or_default()),
        }
        .map_err(|e| invalid(e.to_string()))?;
        Ok(Self {
            alg,
            pair,
            jwk,
            decoding,
            published_at: row.published_at,
            activates_at: row.activates_at,
            retires_at: row.retires_at,
        })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.jwk.kid
    }

    /// The algorithm.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// When it starts (or started) signing, if scheduled.
    pub fn activates_at(&self) -> Option<UnixTime> {
        self.activates_at
    }

    /// When it stops signing, if scheduled.
    pub fn retires_at(&self) -> Option<UnixTime> {
        self.retires_at
    }

    /// When it is published from.
    pub fn published_at(&self) -> UnixTime {
        self.published_at
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// The public key for verifying tokens presented back to gatehouse.
    pub fn decoding_key(&self) -> &jsonwebtoken::DecodingKey {
        &self.decoding
    }

    /// Signs `claims` as a compact JWS (RFC 7515 §7.1) with header `typ` (`JWT`, `at+jwt`, …).
    pub fn sign<T: Serialize + ?Sized>(&self, typ: &str, claims: &T) -> Result<String, KeyError> {
        let header = JwsHeader { alg: self.alg.as_str(), typ, kid: self.kid() };
        let mut jws = b64url(&serde_json::to_vec(&header)?);
        jws.push('.');
        jws.push_str(&b64url(&serde_json::to_vec(claims)?));
        let sig = self.pair.sign(jws.as_bytes())?;
        jws.push('.');
        jws.push_str(&b64url(&sig));
        Ok(jws)
    }
}

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

/// Generates a key for `alg`, published from `now` and not yet scheduled to sign.
/// CPU-bound for RSA (tens to hundreds of milliseconds): call it off the async runtime.
pub fn generate(alg: Alg, now: UnixTime, kek: Option<&Kek>) -> Result<KeyRow, KeyError> {
    let generate_failed = |e: String| KeyError::Generate(e);
    let der = match alg {
        Alg::Rs256 => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            let key = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).map_err(|e| generate_failed(e.to_string()))?;
            key.to_pkcs1_der().map_err(|e| generate_failed(e.to_string()))?.as_bytes().to_vec()
        }
        Alg::Es256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .and_then(|k| k.to_pkcs8v1())
            .map_err(|e| generate_failed(e.to_string()))?
            .as_ref()
            .to_vec(),
        Alg::EdDsa => Ed25519KeyPair::generate()
            .and_then(|k| k.to_pkcs8())
            .map_err(|e| generate_failed(e.to_string()))?
            .as_ref()
            .to_vec(),
    };
    key_row(alg, der, now, kek)
}

/// A key row for a private key in DER (PKCS#1 for RSA, PKCS#8 otherwise), published
/// from `now` and not yet scheduled, with its thumbprint as `kid`; sealed under `kek`.
pub fn key_row(alg: Alg, der: Vec<u8>, now: UnixTime, kek: Option<&Kek>) -> Result<KeyRow, KeyError> {
    let pair = Pair::parse(alg, &der).map_err(|reason| KeyError::Invalid { kid: "(new key)".into(), reason })?;
    let kid = pair.jwk(alg, String::new()).thumbprint();
    let (private_der, kek_id) = match kek {
        Some(kek) => (kek.seal(&kid, &der)?, Some(kek.id().to_owned())),
        None => (der, None),
    };
    Ok(KeyRow {
        kid,
        alg: alg.as_str().to_owned(),
        private_der,
        kek_id,
        created_at: now,
        published_at: now,
        activates_at: None,
        retires_at: None,
    })
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
    /// time not in the future (ties broken by `kid`, so every instance agrees).
    pub fn active(&self, alg: Alg, now: UnixTime) -> Result<&SigningKey, KeyError> {
        self.keys
            .iter()
            .filter_map(|k| k.activates_at.filter(|at| k.alg == alg && *at <= now).map(|at| (at, k)))
            .max_by(|(a_at, a), (b_at, b)| (a_at, a.kid()).cmp(&(b_at, b.kid())))
            .map(|(_, k)| k)
            .ok_or(KeyError::NoActiveKey(alg.as_str()))
    }

    /// A key's state at `now`; retired keys stay published for `retention` seconds.
    pub fn state(&self, key: &SigningKey, now: UnixTime, retention: i64) -> KeyState {
        let active = self.active(key.alg, now).is_ok_and(|a| a.kid() == key.kid());
        match key.activates_at {
            _ if active => KeyState::Active,
            None => KeyState::Next,
            Some(at) if at > now => KeyState::Next,
            // Activated once and no longer active: a newer key took over.
            Some(_) => match key.retires_at {
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
        Jwks { keys: self.keys.iter().filter(published).map(|k| k.jwk.clone()).collect() }
    }

    /// Whether a key of `alg` is scheduled to start signing after `now`.
    pub fn has_scheduled(&self, alg: Alg, now: UnixTime) -> bool {
        self.keys.iter().any(|k| k.alg == alg && k.activates_at.is_some_and(|at| at > now))
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

/// The keys an instance uses, reloaded from the store so that a rotation made by the
/// CLI or another instance is seen here well before it takes effect.
#[derive(Debug)]
pub struct Keyring {
    current: RwLock<(Vec<KeyFingerprint>, KeySet)>,
    kek: Option<Kek>,
    /// When the keys were last loaded successfully.
    loaded_at: std::sync::atomic::AtomicI64,
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
        self.loaded_at.load(std::sync::atomic::Ordering::Relaxed)
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
        self.loaded_at.store(now, std::sync::atomic::Ordering::Relaxed);
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
        let kek_owned = kek.cloned();
        let (mut active, next) = tokio::task::spawn_blocking(move || {
            Ok::<_, KeyError>((generate(alg, now, kek_owned.as_ref())?, generate(alg, now, kek_owned.as_ref())?))
        })
        .await
        .map_err(|e| KeyError::Generate(e.to_string()))??;
        active.activates_at = Some(now);
        if store.insert_first_keys(alg.as_str(), &[active.clone(), next]).await? {
            tracing::info!(kid = %active.kid, "generated the first {alg} signing keys");
        }
    }
    Ok(())
}

/// Rotates `alg` (see [`Store::rotate_keys`]): the next key signs once every instance
/// and every relying party's cache has it, and a new next key is published. With
/// `only_if_older_than`, only if the active key activated at or before that time.
pub async fn rotate(
    store: &dyn Store,
    alg: Alg,
    kek: Option<&Kek>,
    timing: Timing,
    now: UnixTime,
    only_if_older_than: Option<UnixTime>,
) -> Result<Option<Rotation>, KeyError> {
    let kek_owned = kek.cloned();
    let new_next = tokio::task::spawn_blocking(move || generate(alg, now, kek_owned.as_ref()))
        .await
        .map_err(|e| KeyError::Generate(e.to_string()))??;
    let (delay, lead) = (timing.activation_delay(), timing.propagation());
    Ok(store.rotate_keys(alg.as_str(), now, delay, lead, &new_next, only_if_older_than).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    /// Generating RSA keys is slow: the tests share one.
    fn rsa_row() -> &'static KeyRow {
        static ROW: OnceLock<KeyRow> = OnceLock::new();
        ROW.get_or_init(|| {
            let mut row = generate(Alg::Rs256, 1_000, None).unwrap();
            row.activates_at = Some(1_000);
            row
        })
    }

    fn active_row(alg: Alg) -> KeyRow {
        match alg {
            Alg::Rs256 => rsa_row().clone(),
            _ => KeyRow { activates_at: Some(1_000), ..generate(alg, 1_000, None).unwrap() },
        }
    }

    #[test]
    fn jsonwebtoken_verifies_what_every_algorithm_signs() {
        for alg in Alg::ALL {
            let keys = KeySet::from_rows(&[active_row(alg)], None).unwrap();
            let key = keys.active(alg, 1_000).unwrap();
            let claims = serde_json::json!({"iss": "http://127.0.0.1:8080", "sub": "s", "aud": "c", "exp": 2_000});
            let jwt = key.sign("JWT", &claims).unwrap();

            let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(serde_json::to_value(key.jwk()).unwrap()).unwrap();
            let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
            let mut validation = jsonwebtoken::Validation::new(alg.jsonwebtoken());
            validation.validate_exp = false;
            validation.set_audience(&["c"]);
            let data = jsonwebtoken::decode::<serde_json::Value>(&jwt, &decoding, &validation).unwrap();
            assert_eq!(data.claims, claims, "{alg}");
            assert_eq!(data.header.kid.as_deref(), Some(key.kid()));

            // A changed payload no longer verifies.
            let mut parts: Vec<&str> = jwt.split('.').collect();
            let forged = b64url(br#"{"iss":"http://127.0.0.1:8080","sub":"admin","aud":"c","exp":2000}"#);
            parts[1] = &forged;
            assert!(jsonwebtoken::decode::<serde_json::Value>(&parts.join("."), &decoding, &validation).is_err());
        }
    }

    #[test]
    fn kids_are_rfc7638_thumbprints_and_jwks_are_public_only() {
        // RFC 7638 §3.1's example key.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let jwk = Jwk {
            kty: "RSA",
            use_: "sig",
            alg: "RS256",
            kid: String::new(),
            n: Some(n.into()),
            e: Some("AQAB".into()),
            crv: None,
            x: None,
            y: None,
        };
        assert_eq!(jwk.thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");

        let expected: [(Alg, &[&str]); 3] = [
            (Alg::Rs256, &["alg", "e", "kid", "kty", "n", "use"]),
            (Alg::Es256, &["alg", "crv", "kid", "kty", "use", "x", "y"]),
            (Alg::EdDsa, &["alg", "crv", "kid", "kty", "use", "x"]),
        ];
        for (alg, members) in expected {
            let keys = KeySet::from_rows(&[active_row(alg)], None).unwrap();
            let key = keys.active(alg, 1_000).unwrap();
            assert_eq!(key.kid(), key.jwk().thumbprint());
            let value = serde_json::to_value(key.jwk()).unwrap();
            let mut names: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
            names.sort();
            assert_eq!(names, members, "{alg}");
        }
    }

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

    #[test]
    fn okp_thumbprints_follow_rfc_8037() {
        // RFC 8037 Appendix A.3.
        let jwk = Jwk {
            kty: "OKP",
            use_: "sig",
            alg: "EdDSA",
            kid: String::new(),
            n: None,
            e: None,
            crv: Some("Ed25519"),
            x: Some("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo".into()),
            y: None,
        };
        assert_eq!(jwk.thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    #[test]
    fn at_hash_uses_the_algorithms_hash() {
        // OIDC Core §3.1.3.6; EdDSA uses SHA-512 (as openidconnect does).
        assert_eq!(Alg::Rs256.at_hash("token").len(), 22);
        assert_eq!(Alg::EdDsa.at_hash("token").len(), 43);
    }

    #[test]
    fn a_corrupt_key_is_refused_with_its_kid() {
        let mut bad = rsa_row().clone();
        bad.private_der = vec![1, 2, 3];
        let err = KeySet::from_rows(&[bad], None).unwrap_err().to_string();
        assert!(err.contains(&rsa_row().kid), "{err}");
    }
}
