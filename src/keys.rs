//! Signing keys: generation (the `rsa` crate), the published JWK set (RFC 7517),
//! and signing (aws-lc-rs, with the compact JWS assembled here).
//!
//! Each private key is parsed once into an aws-lc-rs key pair and kept: jsonwebtoken's
//! `encode` would re-parse it on every call, and its crypto provider is process-global.
//! A key's state is derived from the times stored with it, so every instance reading
//! the same rows reaches the same answer at the same moment.

use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair};
use serde::Serialize;

use crate::clock::UnixTime;
use crate::secret::b64url;
use crate::store::{KeyRow, Store, StoreError};

/// A JWS algorithm gatehouse signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 over an RSA-2048 key; required by OpenID Connect.
    Rs256,
}

impl Alg {
    /// The algorithm as jsonwebtoken names it, for verification.
    pub fn jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::Rs256 => jsonwebtoken::Algorithm::RS256,
        }
    }

    /// The hash of `at_hash` (OIDC Core §3.1.3.6): the one the `alg` uses.
    pub fn at_hash(self, access_token: &str) -> String {
        let digest = match self {
            Self::Rs256 => aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes()),
        };
        let bytes = digest.as_ref();
        b64url(&bytes[..bytes.len() / 2])
    }

    /// The `alg` name (RFC 7518 §3.1).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
        }
    }

    /// Parses an `alg` name gatehouse signs with.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "RS256" => Some(Self::Rs256),
            _ => None,
        }
    }
}

/// The algorithm of ID and access tokens unless a client asks for another.
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
    /// Key type.
    pub kty: &'static str,
    /// Intended use: always `sig`.
    #[serde(rename = "use")]
    pub use_: &'static str,
    /// The algorithm the key signs with.
    pub alg: &'static str,
    /// The key id.
    pub kid: String,
    /// RSA modulus, base64url big-endian.
    pub n: String,
    /// RSA public exponent, base64url big-endian.
    pub e: String,
}

/// The JWK set document served at `/jwks`.
#[derive(Debug, Clone, Serialize)]
pub struct Jwks {
    /// The published keys.
    pub keys: Vec<Jwk>,
}

/// A loaded key: the parsed key pair, its public JWK and its schedule.
pub struct SigningKey {
    alg: Alg,
    pair: RsaKeyPair,
    jwk: Jwk,
    decoding: jsonwebtoken::DecodingKey,
    published_at: UnixTime,
    activates_at: UnixTime,
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
    fn from_row(row: &KeyRow) -> Result<Self, KeyError> {
        let invalid = |reason: String| KeyError::Invalid { kid: row.kid.clone(), reason };
        let alg = Alg::parse(&row.alg).ok_or_else(|| invalid(format!("unsupported algorithm {}", row.alg)))?;
        let pair = RsaKeyPair::from_der(&row.private_der).map_err(|e| invalid(e.to_string()))?;
        let jwk = rsa_jwk(&pair, alg, row.kid.clone());
        let decoding =
            jsonwebtoken::DecodingKey::from_rsa_components(&jwk.n, &jwk.e).map_err(|e| invalid(e.to_string()))?;
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
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(&signature::RSA_PKCS1_SHA256, &SystemRandom::new(), jws.as_bytes(), &mut sig)
            .map_err(|_| KeyError::Sign)?;
        jws.push('.');
        jws.push_str(&b64url(&sig));
        Ok(jws)
    }
}

/// The public JWK of an RSA key pair.
fn rsa_jwk(pair: &RsaKeyPair, alg: Alg, kid: String) -> Jwk {
    let public = pair.public_key();
    Jwk {
        kty: "RSA",
        use_: "sig",
        alg: alg.as_str(),
        kid,
        n: b64url(public.modulus().big_endian_without_leading_zero()),
        e: b64url(public.exponent().big_endian_without_leading_zero()),
    }
}

/// The JWK thumbprint (RFC 7638) of an RSA key: a `kid` that is unique per key and
/// derived from it, so no two keys can share one.
fn rsa_thumbprint(n: &str, e: &str) -> String {
    // RFC 7638 §3.2: required members only, lexicographic order, no whitespace.
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    b64url(digest.as_ref())
}

/// Generates an RSA-2048 key that is published and active from `now`.
/// CPU-bound (tens to hundreds of milliseconds): call it off the async runtime.
pub fn generate_rsa(now: UnixTime) -> Result<KeyRow, KeyError> {
    use rsa::pkcs1::EncodeRsaPrivateKey;

    let key = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).map_err(|e| KeyError::Generate(e.to_string()))?;
    let der = key.to_pkcs1_der().map_err(|e| KeyError::Generate(e.to_string()))?;
    rsa_key_row(der.as_bytes().to_vec(), now)
}

/// A key row for an RSA private key in PKCS#1 DER, published and active from `now`,
/// with its thumbprint as `kid`.
pub fn rsa_key_row(private_der: Vec<u8>, now: UnixTime) -> Result<KeyRow, KeyError> {
    let pair = RsaKeyPair::from_der(&private_der)
        .map_err(|e| KeyError::Invalid { kid: "(new key)".into(), reason: e.to_string() })?;
    let jwk = rsa_jwk(&pair, Alg::Rs256, String::new());
    Ok(KeyRow {
        kid: rsa_thumbprint(&jwk.n, &jwk.e),
        alg: Alg::Rs256.as_str().to_owned(),
        private_der,
        created_at: now,
        published_at: now,
        activates_at: now,
        retires_at: None,
    })
}

/// All loaded keys; cheap to share.
#[derive(Debug, Clone)]
pub struct KeySet {
    keys: Arc<Vec<SigningKey>>,
}

impl KeySet {
    /// Parses stored keys; any key that cannot be used stops the load.
    pub fn from_rows(rows: &[KeyRow]) -> Result<Self, KeyError> {
        let keys = rows.iter().map(SigningKey::from_row).collect::<Result<_, _>>()?;
        Ok(Self { keys: Arc::new(keys) })
    }

    /// The key that signs with `alg` at `now`: the one with the latest activation
    /// time not in the future (ties broken by `kid`, so every instance agrees).
    pub fn active(&self, alg: Alg, now: UnixTime) -> Result<&SigningKey, KeyError> {
        self.keys
            .iter()
            .filter(|k| k.alg == alg && k.activates_at <= now)
            .max_by(|a, b| (a.activates_at, a.kid()).cmp(&(b.activates_at, b.kid())))
            .ok_or(KeyError::NoActiveKey(alg.as_str()))
    }

    /// The keys published at `now`: from their publication time until every token
    /// they signed (at most `max_token_lifetime` after retirement) has expired.
    pub fn jwks(&self, now: UnixTime, max_token_lifetime: i64) -> Jwks {
        let published = |k: &&SigningKey| {
            k.published_at <= now && k.retires_at.is_none_or(|retired| now < retired + max_token_lifetime)
        };
        Jwks { keys: self.keys.iter().filter(published).map(|k| k.jwk.clone()).collect() }
    }

    /// Looks a key up by `kid`.
    pub fn find(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid() == kid)
    }
}

/// Loads the stored keys, creating the first RS256 key if there is none. Safe when
/// several instances start at once on one database: one key wins and all load it.
pub async fn load_or_create(store: &dyn Store, now: UnixTime) -> Result<KeySet, KeyError> {
    let mut rows = store.list_keys().await?;
    if !rows.iter().any(|r| r.alg == DEFAULT_ALG.as_str()) {
        let row = tokio::task::spawn_blocking(move || generate_rsa(now))
            .await
            .map_err(|e| KeyError::Generate(e.to_string()))??;
        if store.insert_first_key(&row).await? {
            tracing::info!(kid = %row.kid, "generated the first {} signing key", DEFAULT_ALG.as_str());
        }
        rows = store.list_keys().await?;
    }
    KeySet::from_rows(&rows)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::OnceLock;

    /// Generating RSA keys is slow: the tests share one.
    fn row() -> &'static KeyRow {
        static ROW: OnceLock<KeyRow> = OnceLock::new();
        ROW.get_or_init(|| generate_rsa(1_000).unwrap())
    }

    #[test]
    fn jsonwebtoken_verifies_what_the_signer_signs() {
        let keys = KeySet::from_rows(std::slice::from_ref(row())).unwrap();
        let key = keys.active(Alg::Rs256, 1_000).unwrap();
        let claims = serde_json::json!({"iss": "http://127.0.0.1:8080", "sub": "s", "aud": "c", "exp": 2_000});
        let jwt = key.sign("JWT", &claims).unwrap();

        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(serde_json::to_value(key.jwk()).unwrap()).unwrap();
        let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.validate_exp = false;
        validation.set_audience(&["c"]);
        let data = jsonwebtoken::decode::<serde_json::Value>(&jwt, &decoding, &validation).unwrap();
        assert_eq!(data.claims, claims);
        assert_eq!(data.header.kid.as_deref(), Some(key.kid()));
        assert_eq!(data.header.typ.as_deref(), Some("JWT"));

        // A changed payload no longer verifies.
        let mut parts: Vec<&str> = jwt.split('.').collect();
        let forged = b64url(br#"{"iss":"http://127.0.0.1:8080","sub":"admin","aud":"c","exp":2000}"#);
        parts[1] = &forged;
        assert!(jsonwebtoken::decode::<serde_json::Value>(&parts.join("."), &decoding, &validation).is_err());
    }

    #[test]
    fn kid_is_the_rfc7638_thumbprint_and_jwk_is_public_only() {
        let keys = KeySet::from_rows(std::slice::from_ref(row())).unwrap();
        let jwk = serde_json::to_value(keys.active(Alg::Rs256, 1_000).unwrap().jwk()).unwrap();
        let n = jwk["n"].as_str().unwrap();
        let e = jwk["e"].as_str().unwrap();
        assert_eq!(jwk["kid"], rsa_thumbprint(n, e));
        assert_eq!(e, "AQAB");
        let mut members: Vec<_> = jwk.as_object().unwrap().keys().cloned().collect();
        members.sort();
        assert_eq!(members, ["alg", "e", "kid", "kty", "n", "use"]);
    }

    #[test]
    fn state_follows_the_stored_times() {
        let mut older = row().clone();
        older.kid = "old".into();
        older.activates_at = 500;
        older.published_at = 400;
        older.retires_at = Some(1_000);
        let mut next = row().clone();
        next.kid = "next".into();
        next.published_at = 900;
        next.activates_at = 1_500;
        let mut current = row().clone();
        current.kid = "current".into();
        current.published_at = 600;
        current.activates_at = 1_000;
        let keys = KeySet::from_rows(&[older, current, next]).unwrap();

        assert_eq!(keys.active(Alg::Rs256, 999).unwrap().kid(), "old");
        assert_eq!(keys.active(Alg::Rs256, 1_000).unwrap().kid(), "current");
        assert_eq!(keys.active(Alg::Rs256, 1_500).unwrap().kid(), "next");
        assert!(keys.active(Alg::Rs256, 399).is_err());

        let kids = |now| keys.jwks(now, 100).keys.into_iter().map(|k| k.kid).collect::<Vec<_>>();
        assert_eq!(kids(500), ["old"]);
        assert_eq!(kids(950), ["old", "current", "next"]);
        assert_eq!(kids(1_099), ["old", "current", "next"]);
        assert_eq!(kids(1_100), ["current", "next"]);
    }

    #[test]
    fn a_corrupt_key_is_refused_with_its_kid() {
        let mut bad = row().clone();
        bad.private_der = vec![1, 2, 3];
        let err = KeySet::from_rows(&[bad]).unwrap_err().to_string();
        assert!(err.contains(&row().kid), "{err}");
    }
}
