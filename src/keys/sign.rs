//! Signing: each private key is parsed once into an aws-lc-rs key pair and kept, and
//! the compact JWS is assembled here. jsonwebtoken's `encode` would re-parse the key
//! on every call, and its crypto provider is process-global.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use serde::Serialize;

use super::{Alg, Jwk, Kek, KeyError};
use crate::clock::UnixTime;
use crate::secret::b64url;
use crate::store::KeyRow;

/// A parsed private key.
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
    /// Parses a stored key, opening it with `kek` if it is sealed.
    pub(super) fn from_row(row: &KeyRow, kek: Option<&Kek>) -> Result<Self, KeyError> {
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

    /// An RSA key's public key as SubjectPublicKeyInfo DER; `None` for other keys.
    pub(super) fn public_key_der(&self) -> Option<Vec<u8>> {
        use aws_lc_rs::encoding::AsDer;
        match &self.pair {
            Pair::Rsa(pair) => pair.public_key().as_der().ok().map(|der| der.as_ref().to_vec()),
            _ => None,
        }
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

/// Generates a key for `alg`, published from `now` and not yet scheduled to sign.
/// CPU-bound for RSA (tens to hundreds of milliseconds): call it off the async runtime.
pub fn generate(alg: Alg, now: UnixTime, kek: Option<&Kek>) -> Result<KeyRow, KeyError> {
    let failed = |e: String| KeyError::Generate(e);
    let der = match alg {
        Alg::Rs256 => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            let key = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).map_err(|e| failed(e.to_string()))?;
            key.to_pkcs1_der().map_err(|e| failed(e.to_string()))?.as_bytes().to_vec()
        }
        Alg::Es256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .and_then(|k| k.to_pkcs8v1())
            .map_err(|e| failed(e.to_string()))?
            .as_ref()
            .to_vec(),
        Alg::EdDsa => {
            Ed25519KeyPair::generate().and_then(|k| k.to_pkcs8()).map_err(|e| failed(e.to_string()))?.as_ref().to_vec()
        }
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

/// Keys for unit tests: generating RSA keys is slow, so the tests share one.
#[cfg(test)]
pub(super) mod fixtures {
    use std::sync::OnceLock;

    use super::*;

    /// An RS256 key, active from 1,000.
    pub(crate) fn rsa_row() -> &'static KeyRow {
        static ROW: OnceLock<KeyRow> = OnceLock::new();
        ROW.get_or_init(|| KeyRow { activates_at: Some(1_000), ..generate(Alg::Rs256, 1_000, None).unwrap() })
    }

    /// A key of `alg`, active from 1,000.
    pub(crate) fn active_row(alg: Alg) -> KeyRow {
        match alg {
            Alg::Rs256 => rsa_row().clone(),
            _ => KeyRow { activates_at: Some(1_000), ..generate(alg, 1_000, None).unwrap() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{active_row, rsa_row};
    use super::*;
    use crate::keys::KeySet;

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
    fn kids_are_thumbprints_and_jwks_are_public_only() {
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
    fn a_corrupt_key_is_refused_with_its_kid() {
        let mut bad = rsa_row().clone();
        bad.private_der = vec![1, 2, 3];
        let err = KeySet::from_rows(&[bad], None).unwrap_err().to_string();
        assert!(err.contains(&rsa_row().kid), "{err}");
    }
}
