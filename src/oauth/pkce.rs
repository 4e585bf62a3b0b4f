//! PKCE (RFC 7636) with `S256` only: `plain` gives no protection against a stolen code.

use aws_lc_rs::digest;

use crate::secret::b64url;

/// RFC 7636 §4.2: `S256` challenges are base64url of a SHA-256 digest: 43 characters.
pub fn check_challenge(challenge: &str) -> Result<(), &'static str> {
    let b64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    if challenge.len() == 43 && challenge.bytes().all(b64url) {
        Ok(())
    } else {
        Err("code_challenge must be 43 base64url characters (the S256 of the verifier)")
    }
}

/// RFC 7636 §4.1 and §4.6: the verifier is 43 to 128 unreserved characters, and its
/// SHA-256, base64url-encoded, equals the challenge (compared in constant time).
pub fn verify(verifier: &str, challenge: &str) -> bool {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if !(43..=128).contains(&verifier.len()) || !verifier.bytes().all(unreserved) {
        return false;
    }
    let computed = self::challenge(verifier);
    aws_lc_rs::constant_time::verify_slices_are_equal(computed.as_bytes(), challenge.as_bytes()).is_ok()
}

/// RFC 7636 §4.2: the `S256` challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    b64url(digest::digest(&digest::SHA256, verifier.as_bytes()).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(check_challenge(challenge).is_ok());
        assert!(verify(verifier, challenge));
        assert_eq!(super::challenge(verifier), challenge);
        assert!(!verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx", challenge));
        assert!(!verify("short", challenge));
        assert!(check_challenge("plain-verifier").is_err());
    }
}
