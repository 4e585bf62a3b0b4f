//! An independent verifier of minted tokens, as a relying party checks them:
//! jsonwebtoken with the published JWKS, plus the checks OpenID Connect adds. Each
//! defect `gatehouse dev` mints must be found as exactly one [`Found`].
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Map, Value};

/// The nonce tokens are minted with.
pub(crate) const NONCE: &str = "n-sent";

/// What an independent verifier finds wrong with a token.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// The header cannot be read (jsonwebtoken knows no such `alg`).
    Header,
    /// No key in the JWKS has the header's `kid`.
    UnknownKid,
    /// jsonwebtoken's validation with the JWKS key refused it.
    Refused(ErrorKind),
    /// The `typ` is not the token type's.
    Typ(String),
    /// `iat` is in the future.
    IssuedInFuture,
    /// A claim the token type needs is absent.
    Missing(&'static str),
    /// The ID token's `nonce` is not the one sent.
    Nonce,
    /// The ID token's `at_hash` is not the access token's.
    AtHash,
}

/// An ID token (with its access token) or an access token.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// An ID token, checked with its access token.
    Id,
    /// An access token.
    Access,
}

/// The verifier (for tokens issued to the client `rp`): jsonwebtoken with the JWKS key the `kid` names, checking signature,
/// algorithm, `exp`, `nbf`, `iss` and `aud`; then `typ`, `iat`, the claims the token
/// type needs, and an ID token's `nonce` and `at_hash`.
pub(crate) fn verify(
    jwks: &Value,
    issuer: &str,
    kind: Kind,
    token: &str,
    access_token: Option<&str>,
) -> Result<Map<String, Value>, Found> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| Found::Header)?;
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| header.kid.is_some() && k["kid"].as_str() == header.kid.as_deref())
        .ok_or(Found::UnknownKid)?;
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).unwrap();
    let key = DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[match kind {
        Kind::Id => "rp",
        Kind::Access => issuer,
    }]);
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .map_err(|e| Found::Refused(e.into_kind()))?
        .claims;
    let typ = header.typ.unwrap_or_default();
    let expected_typ = match kind {
        Kind::Id => "JWT",
        Kind::Access => "at+jwt",
    };
    if typ != expected_typ {
        return Err(Found::Typ(typ));
    }
    let now = chrono::Utc::now().timestamp();
    if claims["iat"].as_i64().is_none_or(|iat| iat > now + 60) {
        return Err(Found::IssuedInFuture);
    }
    let needed: &[&'static str] = match kind {
        Kind::Id => &["iat", "nonce", "at_hash", "azp"],
        Kind::Access => &["iat", "jti", "client_id", "scope"],
    };
    if let Some(missing) = needed.iter().find(|name| !claims.contains_key(**name)) {
        return Err(Found::Missing(missing));
    }
    if kind == Kind::Id {
        if claims["nonce"] != NONCE {
            return Err(Found::Nonce);
        }
        if claims["at_hash"].as_str() != Some(at_hash(access_token.unwrap()).as_str()) {
            return Err(Found::AtHash);
        }
    }
    Ok(claims)
}

/// OIDC Core §3.1.3.6 for RS256: the left half of the SHA-256 of the access token.
pub(crate) fn at_hash(access_token: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16])
}
