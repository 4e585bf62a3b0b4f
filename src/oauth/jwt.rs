//! Verifying JWTs presented back to gatehouse (access tokens, `id_token_hint`) with
//! jsonwebtoken: signature by one of our keys named by `kid`, the key's own `alg`
//! (so `none` and algorithm confusion are refused), `typ`, and `iss`. Expiry is left
//! to the caller, who checks it against gatehouse's clock.

use serde_json::{Map, Value};

use crate::keys::KeySet;

/// Why a presented JWT was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not a JWT, or its header cannot be read.
    #[error("malformed token")]
    Malformed,
    /// No published key of ours has that `kid`, or the `alg` is not the key's.
    #[error("unknown key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("bad signature")]
    Signature,
    /// The header's `typ` is not the expected one.
    #[error("wrong token type")]
    Type,
    /// Issued by someone else.
    #[error("wrong issuer")]
    Issuer,
}

/// Verifies `token` and returns its claims.
pub fn verify(keys: &KeySet, token: &str, typ: &str, issuer: &str) -> Result<Map<String, Value>, JwtError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| JwtError::Malformed)?;
    let key = header.kid.as_deref().and_then(|kid| keys.find(kid)).ok_or(JwtError::UnknownKey)?;
    if header.alg != key.alg().jsonwebtoken() {
        return Err(JwtError::UnknownKey);
    }
    // RFC 8725 §3.11: types compared case-insensitively, with or without `application/`.
    let typ_ok = header.typ.as_deref().is_some_and(|t| {
        let t = t.strip_prefix("application/").unwrap_or(t);
        t.eq_ignore_ascii_case(typ)
    });
    if !typ_ok {
        return Err(JwtError::Type);
    }
    let mut validation = jsonwebtoken::Validation::new(key.alg().jsonwebtoken());
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, key.decoding_key(), &validation)
        .map_err(|_| JwtError::Signature)?;
    if data.claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(JwtError::Issuer);
    }
    Ok(data.claims)
}
