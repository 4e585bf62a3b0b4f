//! User passwords: argon2id with the OWASP parameters (m = 19 MiB, t = 2, p = 1),
//! always run off the async runtime, because one hash takes tens of milliseconds of CPU.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The password is empty.
    #[error("the password must not be empty")]
    Empty,
    /// The hasher failed.
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// Hashes a password to an argon2id PHC string, on a blocking thread.
pub async fn hash(password: String) -> Result<String, PasswordError> {
    if password.is_empty() {
        return Err(PasswordError::Empty);
    }
    let _permit = ARGON2.acquire().await.map_err(|e| PasswordError::Hash(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| PasswordError::Hash(e.to_string()))?
    .map_err(PasswordError::Hash)
}

/// A hash no password is known to match, for a user who logs in without one (a test
/// fixture's user, logged in through a `login_hint`): a random salt and a random
/// output in argon2id's format, with the production parameters, so that verifying
/// against it takes the usual time and fails. Costs no argon2 run to make.
pub fn unusable_hash() -> String {
    use base64::Engine;
    // PHC strings encode in unpadded standard base64.
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes);
    let (salt, output) = (crate::secret::random_bytes::<16>(), crate::secret::random_bytes::<32>());
    format!("$argon2id$v=19$m=19456,t=2,p=1${}${}", b64(&salt), b64(&output))
}

/// A valid hash of a password nobody knows, verified when the user does not exist,
/// so that the time a failed login takes does not reveal whether the username exists.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3a8Dg3lbdWAdVr8o3t0Yil1sXVTY0S5EWk8Jh5OeXIM";

/// At most as many argon2 runs (hashes or verifications) at once as there are cores
/// (each takes 19 MiB and a core's time): a burst of logins or sign-ups queues instead
/// of exhausting memory, and more at once would not finish sooner.
static ARGON2: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    tokio::sync::Semaphore::new(cores)
});

/// Whether `password` matches `hash`; with no hash (unknown user) the same work is
/// done against a dummy hash and the answer is false.
pub async fn verify(password: String, hash: Option<String>) -> bool {
    let Ok(_permit) = ARGON2.acquire().await else { return false };
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
        Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok() && known
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_their_password() {
        let hashed = hash("correct horse".into()).await.unwrap();
        assert!(hashed.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse".into(), Some(hashed.clone())).await);
        assert!(!verify("wrong".into(), Some(hashed)).await);
        assert!(!verify("anything".into(), None).await);
        assert!(matches!(hash(String::new()).await, Err(PasswordError::Empty)));
    }

    #[tokio::test]
    async fn an_unusable_hash_parses_and_matches_nothing() {
        let hash = unusable_hash();
        let parsed = argon2::password_hash::phc::PasswordHash::new(&hash).unwrap();
        assert_eq!((parsed.algorithm.as_str(), parsed.hash.map(|h| h.len())), ("argon2id", Some(32)));
        assert!(!verify(String::new(), Some(hash.clone())).await);
        assert!(!verify("password".into(), Some(hash.clone())).await);
        assert_ne!(hash, unusable_hash(), "each is random");
    }

    #[test]
    fn the_dummy_hash_parses_with_production_parameters() {
        // A dummy that failed to parse would return at once and give unknown users away.
        let parsed = argon2::password_hash::phc::PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert!(matches!(
            Argon2::default().verify_password(b"x", DUMMY_HASH),
            Err(argon2::password_hash::Error::PasswordInvalid)
        ));
    }
}
