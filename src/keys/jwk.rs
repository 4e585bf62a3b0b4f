//! Public keys as published (RFC 7517), and their thumbprints (RFC 7638), which are
//! gatehouse's `kid`s.

use serde::Serialize;

use crate::secret::b64url;

/// A public key as published in JWKS: public members only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Jwk {
    /// Key type: `RSA`, `EC` or `OKP`.
    pub kty: &'static str,
    /// Intended use: always `sig`.
    #[serde(rename = "use")]
    pub use_: &'static str,
    /// The algorithm the key signs with.
    pub alg: &'static str,
    /// The key id.
    pub kid: String,
    /// RSA modulus.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Curve: `P-256` or `Ed25519`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<&'static str>,
    /// EC x coordinate, or the Ed25519 public key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

impl Jwk {
    /// The JWK thumbprint (RFC 7638 §3.2: required members only, in lexicographic
    /// order, no whitespace): a `kid` that is derived from the key and unique to it.
    pub fn thumbprint(&self) -> String {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        let canonical = match self.kty {
            "RSA" => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, s(&self.e), s(&self.n)),
            "EC" => format!(r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#, s(&self.x), s(&self.y)),
            _ => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, s(&self.x)),
        };
        b64url(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes()).as_ref())
    }
}

/// The JWK set document served at `/jwks`.
#[derive(Debug, Clone, Serialize)]
pub struct Jwks {
    /// The published keys.
    pub keys: Vec<Jwk>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwk(kty: &'static str, alg: &'static str) -> Jwk {
        Jwk { kty, use_: "sig", alg, kid: String::new(), n: None, e: None, crv: None, x: None, y: None }
    }

    #[test]
    fn rsa_thumbprints_follow_rfc_7638() {
        // RFC 7638 §3.1's example key.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let key = Jwk { n: Some(n.into()), e: Some("AQAB".into()), ..jwk("RSA", "RS256") };
        assert_eq!(key.thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn okp_thumbprints_follow_rfc_8037() {
        // RFC 8037 Appendix A.3.
        let x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        let key = Jwk { crv: Some("Ed25519"), x: Some(x.into()), ..jwk("OKP", "EdDSA") };
        assert_eq!(key.thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }
}
