//! The key-encryption key: when configured, private signing keys are stored sealed
//! with AES-256-GCM (the key id as associated data), so that a copy of the database
//! alone cannot sign tokens.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;

use crate::store::KeyRow;

/// Why the key-encryption key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KekError {
    /// The configured value is not a 256-bit key.
    #[error("the key-encryption key must be 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`)")]
    Malformed,
    /// Keys are sealed but no key-encryption key is configured.
    #[error(
        "signing key {kid} is encrypted, but no key-encryption key is configured: set GATEHOUSE_KEYS_ENCRYPTION_KEY or keys.encryption_key_file"
    )]
    Missing {
        /// The sealed key.
        kid: String,
    },
    /// Keys were sealed with another key-encryption key.
    #[error(
        "signing key {kid} was encrypted with a different key-encryption key ({stored}); the configured one is {configured}"
    )]
    Wrong {
        /// The sealed key.
        kid: String,
        /// The id of the key that sealed it.
        stored: String,
        /// The id of the configured key.
        configured: String,
    },
    /// The sealed key does not open.
    #[error("signing key {kid} does not decrypt: the stored value is damaged")]
    Damaged {
        /// The sealed key.
        kid: String,
    },
}

/// A 256-bit key-encryption key and its public id (a fingerprint, never the key).
#[derive(Clone)]
pub struct Kek {
    bytes: [u8; 32],
    id: String,
}

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kek").field("id", &self.id).field("bytes", &"[redacted]").finish()
    }
}

impl Kek {
    /// Parses a base64 (standard or URL-safe, padded or not) 32-byte key.
    pub fn parse(text: &str) -> Result<Self, KekError> {
        let text = text.trim();
        let decoded = [
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .ok_or(KekError::Malformed)?;
        let bytes: [u8; 32] = decoded.try_into().map_err(|_| KekError::Malformed)?;
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(b"gatehouse key-encryption key id\0");
        ctx.update(&bytes);
        let digest = ctx.finish();
        let id = digest.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self { bytes, id })
    }

    /// The fingerprint stored with every key this one sealed.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn key(&self) -> LessSafeKey {
        // A 32-byte key is always a valid AES-256 key.
        #[allow(clippy::expect_used)]
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.bytes).expect("a 32-byte AES-256 key"))
    }

    /// `nonce || ciphertext || tag` of a private key, bound to its `kid`.
    pub fn seal(&self, kid: &str, der: &[u8]) -> Result<Vec<u8>, super::KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).map_err(|_| super::KeyError::Generate("no randomness".into()))?;
        let mut in_out = der.to_vec();
        self.key()
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(kid.as_bytes()), &mut in_out)
            .map_err(|_| super::KeyError::Generate("cannot encrypt the key".into()))?;
        Ok([nonce.as_slice(), &in_out].concat())
    }

    /// The private key of a row: as stored, or opened with `kek` when it is sealed.
    pub fn open_row(kek: Option<&Kek>, row: &KeyRow) -> Result<Vec<u8>, KekError> {
        let Some(stored) = &row.kek_id else { return Ok(row.private_der.clone()) };
        let kek = kek.ok_or_else(|| KekError::Missing { kid: row.kid.clone() })?;
        if *stored != kek.id {
            return Err(KekError::Wrong { kid: row.kid.clone(), stored: stored.clone(), configured: kek.id.clone() });
        }
        let damaged = || KekError::Damaged { kid: row.kid.clone() };
        if row.private_der.len() <= NONCE_LEN {
            return Err(damaged());
        }
        let (nonce, sealed) = row.private_der.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| damaged())?;
        let mut in_out = sealed.to_vec();
        let plain =
            kek.key().open_in_place(nonce, Aad::from(row.kid.as_bytes()), &mut in_out).map_err(|_| damaged())?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kek: &Kek) -> KeyRow {
        KeyRow {
            kid: "k1".into(),
            alg: "RS256".into(),
            private_der: kek.seal("k1", b"secret der").unwrap(),
            kek_id: Some(kek.id().into()),
            created_at: 0,
            published_at: 0,
            activates_at: None,
            retires_at: None,
        }
    }

    #[test]
    fn sealed_keys_open_only_with_their_kek() {
        let kek = Kek::parse(&base64::engine::general_purpose::STANDARD.encode([7u8; 32])).unwrap();
        let other = Kek::parse(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([8u8; 32])).unwrap();
        let sealed = row(&kek);
        assert!(!sealed.private_der.windows(10).any(|w| w == b"secret der"));
        assert_eq!(Kek::open_row(Some(&kek), &sealed).unwrap(), b"secret der");
        assert!(matches!(Kek::open_row(None, &sealed), Err(KekError::Missing { .. })));
        assert!(matches!(Kek::open_row(Some(&other), &sealed), Err(KekError::Wrong { .. })));
        let mut moved = sealed.clone();
        moved.kid = "k2".into();
        assert!(matches!(Kek::open_row(Some(&kek), &moved), Err(KekError::Damaged { .. })));
        assert!(format!("{kek:?}").contains("redacted"));
    }

    #[test]
    fn only_32_byte_keys_are_accepted() {
        assert!(Kek::parse("c2hvcnQ=").is_err());
        assert!(Kek::parse("not base64 at all!").is_err());
    }
}
