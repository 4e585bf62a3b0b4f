//! Random secrets and their hashes. Codes, refresh tokens, client secrets and
//! session cookies are 256-bit random values shown once and stored only as SHA-256
//! hashes: they are high-entropy, so a fast hash is safe and a stolen database
//! yields nothing usable.

use aws_lc_rs::digest;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Base64url without padding (RFC 7515 §2), the encoding of every token gatehouse makes.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh 256-bit random value, base64url-encoded (43 characters, all URL-safe).
pub fn random_token() -> String {
    b64url(&random_bytes::<32>())
}

/// `N` fresh random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The system generator fails only if the OS has no entropy source at all; nothing
    // sensible can go on without one.
    #[allow(clippy::expect_used)]
    SystemRandom::new().fill(&mut bytes).expect("the operating system's random generator failed");
    bytes
}

/// SHA-256 of a secret, as stored.
pub fn hash(secret: &str) -> Vec<u8> {
    digest::digest(&digest::SHA256, secret.as_bytes()).as_ref().to_vec()
}

/// Whether `secret` hashes to `expected`, compared in constant time.
pub fn verify(secret: &str, expected: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(&hash(secret), expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_url_safe_and_distinct() {
        let a = random_token();
        let b = random_token();
        assert_eq!(a.len(), 43);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
    }

    #[test]
    fn verify_accepts_only_the_secret() {
        let secret = random_token();
        let stored = hash(&secret);
        assert!(verify(&secret, &stored));
        assert!(!verify(&random_token(), &stored));
        assert!(!verify(&secret, &stored[..31]));
    }
}
