//! The JWS algorithms gatehouse signs with (RFC 7518 §3.1, RFC 8037 §3.1).

use crate::secret::b64url;

/// A JWS algorithm gatehouse signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 over RSA-2048; required by OpenID Connect.
    Rs256,
    /// ECDSA over P-256 with SHA-256.
    Es256,
    /// EdDSA over Ed25519.
    EdDsa,
}

/// The algorithm of access tokens, and of ID tokens unless a client asks for another.
pub const DEFAULT_ALG: Alg = Alg::Rs256;

impl Alg {
    /// Every algorithm gatehouse offers, the default first.
    pub const ALL: [Alg; 3] = [Alg::Rs256, Alg::Es256, Alg::EdDsa];

    /// The `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }

    /// Parses an `alg` name gatehouse signs with.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The algorithm as jsonwebtoken names it, for verification.
    pub fn jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::Rs256 => jsonwebtoken::Algorithm::RS256,
            Self::Es256 => jsonwebtoken::Algorithm::ES256,
            Self::EdDsa => jsonwebtoken::Algorithm::EdDSA,
        }
    }

    /// `at_hash` (OIDC Core §3.1.3.6): the left half of the hash the `alg` uses
    /// (SHA-512 for Ed25519).
    pub fn at_hash(self, access_token: &str) -> String {
        use aws_lc_rs::digest::{SHA256, SHA512, digest};
        let hash = match self {
            Self::Rs256 | Self::Es256 => digest(&SHA256, access_token.as_bytes()),
            Self::EdDsa => digest(&SHA512, access_token.as_bytes()),
        };
        let bytes = hash.as_ref();
        b64url(&bytes[..bytes.len() / 2])
    }
}

impl std::fmt::Display for Alg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_uses_the_algorithms_hash() {
        // OIDC Core §3.1.3.6; EdDSA uses SHA-512 (as openidconnect does).
        assert_eq!(Alg::Rs256.at_hash("token").len(), 22);
        assert_eq!(Alg::EdDsa.at_hash("token").len(), 43);
    }

    #[test]
    fn names_round_trip() {
        for alg in Alg::ALL {
            assert_eq!(Alg::parse(alg.as_str()), Some(alg));
        }
        assert_eq!(Alg::parse("none"), None);
    }
}
