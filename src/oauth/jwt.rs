//! Verifying JWTs presented back to gatehouse (access tokens, `id_token_hint`) with
//! jsonwebtoken: signature by one of our keys named by `kid`, the key's own `alg`
//! (so `none` and algorithm confusion are refused), no `crit` header, `typ`, `iss`,
//! and no `nbf` or `iat` in the future by gatehouse's clock. Expiry is left to the
//! caller: an expired `id_token_hint` is still a good hint.

use serde_json::{Map, Value};

use super::Context;

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
    /// The header names extensions that must be understood (`crit`, RFC 7515 §4.1.11):
    /// gatehouse signs none, so it understands none.
    #[error("critical header extension")]
    Critical,
    /// Not valid yet: `nbf` or `iat` is later than now, beyond the clock skew allowed
    /// between instances.
    #[error("not valid yet")]
    NotYetValid,
}

/// Verifies `token`, a JWT of type `typ` that gatehouse issued, and returns its claims.
pub fn verify(ctx: &Context<'_>, token: &str, typ: &str) -> Result<Map<String, Value>, JwtError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| JwtError::Malformed)?;
    if header.crit.is_some() {
        return Err(JwtError::Critical);
    }
    let key = header.kid.as_deref().and_then(|kid| ctx.keys.find(kid)).ok_or(JwtError::UnknownKey)?;
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
    if data.claims.get("iss").and_then(Value::as_str) != Some(ctx.issuer.as_str()) {
        return Err(JwtError::Issuer);
    }
    let latest = ctx.now + ctx.clock_skew;
    let in_future = |name: &str| data.claims.get(name).and_then(Value::as_i64).is_some_and(|t| t > latest);
    if in_future("nbf") || in_future("iat") {
        return Err(JwtError::NotYetValid);
    }
    Ok(data.claims)
}
