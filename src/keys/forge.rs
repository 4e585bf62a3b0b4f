//! Tokens that are wrong on purpose, for `gatehouse dev`'s control API only
//! (`POST /_dev/tokens`): a relying party's tests need each kind of bad signature on
//! demand. Nothing gatehouse serves under `serve` calls these.

use base64::Engine;
use serde::Serialize;

use super::{Alg, KeyError, KeySet, SigningKey, generate};
use crate::clock::UnixTime;
use crate::secret::b64url;

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    typ: &'a str,
    kid: &'a str,
}

/// `header.payload` of a compact JWS (RFC 7515 §7.1), not yet signed.
fn signing_input<T: Serialize + ?Sized>(header: &Header<'_>, claims: &T) -> Result<String, KeyError> {
    let mut input = b64url(&serde_json::to_vec(header)?);
    input.push('.');
    input.push_str(&b64url(&serde_json::to_vec(claims)?));
    Ok(input)
}

/// An unsecured JWS (RFC 7518 §3.6): header `alg: none` (with `kid`) and an empty signature.
pub fn alg_none<T: Serialize + ?Sized>(typ: &str, kid: &str, claims: &T) -> Result<String, KeyError> {
    let mut jws = signing_input(&Header { alg: "none", typ, kid }, claims)?;
    jws.push('.');
    Ok(jws)
}

/// The algorithm-confusion forgery (RFC 8725 §2.1): HS256, the HMAC key being the PEM
/// text of `key`'s public key (see [`public_pem`]), with `key`'s `kid`.
pub fn hs256_with_public_key<T: Serialize + ?Sized>(
    key: &SigningKey,
    typ: &str,
    claims: &T,
) -> Result<String, KeyError> {
    use aws_lc_rs::hmac;
    let mut jws = signing_input(&Header { alg: "HS256", typ, kid: key.kid() }, claims)?;
    let secret = hmac::Key::new(hmac::HMAC_SHA256, public_pem(key)?.as_bytes());
    let tag = hmac::sign(&secret, jws.as_bytes());
    jws.push('.');
    jws.push_str(&b64url(tag.as_ref()));
    Ok(jws)
}

/// `key`'s public key as PEM text (RFC 7468 `PUBLIC KEY`: SubjectPublicKeyInfo DER,
/// lines of 64 characters, each ending in `\n`), as a public key file holds it.
pub fn public_pem(key: &SigningKey) -> Result<String, KeyError> {
    let der = key.public_key_der().ok_or(KeyError::Sign)?;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in text.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    Ok(pem)
}

/// `jws` with its signature's first byte changed: the same length, still base64url,
/// and no longer valid.
pub fn alter_signature(jws: &str) -> Result<String, KeyError> {
    let (input, signature) = jws.rsplit_once('.').ok_or(KeyError::Sign)?;
    let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature).map_err(|_| KeyError::Sign)?;
    let first = bytes.first_mut().ok_or(KeyError::Sign)?;
    *first ^= 0x01;
    Ok(format!("{input}.{}", b64url(&bytes)))
}

/// A freshly generated key of `alg`, active at `now`, stored nowhere and so in no
/// JWKS. Generated on a blocking thread (RSA takes a while).
pub async fn unpublished_key(alg: Alg, now: UnixTime) -> Result<KeySet, KeyError> {
    let row = tokio::task::spawn_blocking(move || generate(alg, now, None))
        .await
        .map_err(|e| KeyError::Generate(e.to_string()))??;
    KeySet::from_rows(&[crate::store::KeyRow { activates_at: Some(now), ..row }], None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_altered_signature_keeps_its_length_and_alphabet() {
        let jws = "aGVhZA.Ym9keQ.c2lnbmF0dXJlLWJ5dGVz";
        let altered = alter_signature(jws).unwrap();
        assert_ne!(altered, jws);
        assert_eq!(altered.len(), jws.len());
        let signature = altered.rsplit('.').next().unwrap();
        assert!(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature).is_ok());
    }
}
