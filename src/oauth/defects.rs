//! The defects `gatehouse dev` can mint a token with (`POST /_dev/tokens`), so that a
//! relying party can test that it rejects each: one defect per token, which is
//! otherwise valid. The claim defects are applied here; the signature defects are
//! made by `keys::forge`.

use serde_json::{Map, Value};

use crate::clock::UnixTime;

/// How far time defects move a time claim: 10 minutes, beyond any verifier's leeway.
pub const SHIFT: i64 = 600;
/// The `iss` of a `wrong_issuer` token.
pub const WRONG_ISSUER: &str = "https://wrong-issuer.invalid";
/// The `aud` of a `wrong_audience` token: neither a client nor the issuer.
pub const WRONG_AUDIENCE: &str = "https://wrong-audience.invalid";

/// One defect of a minted token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Defect {
    /// `exp` 10 minutes in the past, `iat` a lifetime before it.
    Expired,
    /// `nbf` 10 minutes in the future; `iat` now.
    NotYetValid,
    /// `iat` 10 minutes in the future, `exp` a lifetime after it, no `nbf`.
    IssuedInFuture,
    /// `iss` another URL.
    WrongIssuer,
    /// `aud` holds neither the client nor the issuer.
    WrongAudience,
    /// This claim absent.
    MissingClaim(String),
    /// Signed by a fresh key whose `kid` is in no JWKS.
    UnknownKid,
    /// Signature bytes altered (same length, still base64url).
    BadSignature,
    /// Header `alg: none`, empty signature.
    AlgNone,
    /// HS256 keyed with the PEM text of the active RS256 public key.
    Hs256WithPublicKey,
    /// The other token type's `typ`: `at+jwt` on an ID token, `JWT` on an access token.
    WrongTyp,
    /// ID tokens only: a `nonce` other than the one sent.
    NonceMismatch,
    /// ID tokens only: the `at_hash` of another access token.
    AtHashMismatch,
}

/// The defects' names, as requests give them (`missing_claim:NAME` for [`Defect::MissingClaim`]).
pub const NAMES: &[&str] = &[
    "expired",
    "not_yet_valid",
    "issued_in_future",
    "wrong_issuer",
    "wrong_audience",
    "missing_claim:NAME",
    "unknown_kid",
    "bad_signature",
    "alg_none",
    "hs256_with_public_key",
    "wrong_typ",
    "nonce_mismatch",
    "at_hash_mismatch",
];

impl Defect {
    /// Parses a defect's name (see [`NAMES`]).
    pub fn parse(name: &str) -> Result<Self, String> {
        Ok(match name {
            "expired" => Self::Expired,
            "not_yet_valid" => Self::NotYetValid,
            "issued_in_future" => Self::IssuedInFuture,
            "wrong_issuer" => Self::WrongIssuer,
            "wrong_audience" => Self::WrongAudience,
            "unknown_kid" => Self::UnknownKid,
            "bad_signature" => Self::BadSignature,
            "alg_none" => Self::AlgNone,
            "hs256_with_public_key" => Self::Hs256WithPublicKey,
            "wrong_typ" => Self::WrongTyp,
            "nonce_mismatch" => Self::NonceMismatch,
            "at_hash_mismatch" => Self::AtHashMismatch,
            _ => match name.strip_prefix("missing_claim:") {
                Some(claim) if !claim.is_empty() => Self::MissingClaim(claim.to_owned()),
                _ => return Err(format!("unknown defect `{name}`; known: {}", NAMES.join(", "))),
            },
        })
    }

    /// Whether only an ID token can have it.
    pub fn id_token_only(&self) -> bool {
        matches!(self, Self::NonceMismatch | Self::AtHashMismatch)
    }

    /// Applies a claim defect to `claims` of a token living `lifetime` seconds, minted
    /// at `now`; other defects leave them as they are. `Err` if the claim that
    /// `missing_claim` names is not in the token anyway.
    pub fn apply(
        &self,
        mut claims: Map<String, Value>,
        now: UnixTime,
        lifetime: i64,
    ) -> Result<Map<String, Value>, String> {
        fn set(claims: &mut Map<String, Value>, name: &str, value: Value) {
            claims.insert(name.to_owned(), value);
        }
        match self {
            Self::Expired => {
                let iat = now - SHIFT - lifetime;
                set(&mut claims, "exp", (now - SHIFT).into());
                set(&mut claims, "iat", iat.into());
                // Authenticated no later than the token was issued.
                if claims.contains_key("auth_time") {
                    claims.insert("auth_time".into(), iat.into());
                }
            }
            Self::NotYetValid => set(&mut claims, "nbf", (now + SHIFT).into()),
            Self::IssuedInFuture => {
                set(&mut claims, "iat", (now + SHIFT).into());
                set(&mut claims, "exp", (now + SHIFT + lifetime).into());
                claims.remove("nbf");
            }
            Self::WrongIssuer => set(&mut claims, "iss", WRONG_ISSUER.into()),
            Self::WrongAudience => {
                let aud = match claims.get("aud") {
                    Some(Value::Array(_)) => Value::from(vec![WRONG_AUDIENCE]),
                    _ => Value::from(WRONG_AUDIENCE),
                };
                set(&mut claims, "aud", aud);
            }
            Self::MissingClaim(name) if claims.remove(name).is_none() => {
                return Err(format!("the token has no claim `{name}` to leave out"));
            }
            Self::NonceMismatch => {
                let sent = claims.get("nonce").and_then(Value::as_str).unwrap_or_default().to_owned();
                set(&mut claims, "nonce", format!("not-{sent}-{}", crate::secret::random_token()).into());
            }
            _ => {}
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims() -> Map<String, Value> {
        json!({"iss": "http://op", "aud": ["http://op"], "exp": 1_060, "iat": 1_000, "nonce": "n"})
            .as_object()
            .cloned()
            .unwrap()
    }

    #[test]
    fn names_parse() {
        for name in NAMES.iter().map(|n| n.replace("NAME", "sub")) {
            assert!(Defect::parse(&name).is_ok(), "{name}");
        }
        assert_eq!(Defect::parse("missing_claim:email"), Ok(Defect::MissingClaim("email".into())));
        for bad in ["", "nope", "missing_claim:", "Expired", "expired "] {
            assert!(Defect::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn claim_defects_change_only_their_claims() {
        let apply = |d: Defect| Value::Object(d.apply(claims(), 1_000, 60).unwrap());
        assert_eq!(apply(Defect::Expired)["exp"], 400);
        assert_eq!(apply(Defect::Expired)["iat"], 340);
        assert_eq!(apply(Defect::NotYetValid)["nbf"], 1_600);
        let future = apply(Defect::IssuedInFuture);
        assert_eq!((&future["iat"], &future["exp"]), (&json!(1_600), &json!(1_660)));
        assert_eq!(apply(Defect::WrongAudience)["aud"], json!([WRONG_AUDIENCE]));
        assert_ne!(apply(Defect::NonceMismatch)["nonce"], "n");
        assert!(apply(Defect::MissingClaim("nonce".into())).get("nonce").is_none());
        assert!(Defect::MissingClaim("email".into()).apply(claims(), 1_000, 60).is_err());
        assert_eq!(apply(Defect::BadSignature), Value::Object(claims()));
    }
}
