//! Reading JWTs in assertions: their header and claims, decoded without verifying
//! (tests that need a signature checked use an RP library or the server's keys).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use serde_json::Value;

/// Decodes a JWT's payload without verifying it.
pub(crate) fn jwt_claims(jwt: &str) -> Value {
    decode_part(jwt.split('.').nth(1).unwrap())
}

/// Decodes a JWT's (JOSE) header.
pub(crate) fn jwt_header(jwt: &str) -> Value {
    decode_part(jwt.split('.').next().unwrap())
}

fn decode_part(part: &str) -> Value {
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}
