//! The relying party's protocol side, without axum: discovery, the JWKS cache, the
//! token request, and the checks on ID tokens (OIDC Core §3.1.3.7) and access tokens
//! (RFC 9068 §4). Each check fails with a message that says what was wrong.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, get_current_timestamp};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::sync::RwLock;

/// How far the provider's clock may be from ours (`exp`, `nbf`, `iat`), in seconds.
const LEEWAY: u64 = 60;

/// What the relying party is configured with.
#[derive(Clone)]
pub(crate) struct Config {
    /// The issuer identifier; discovery is at `{issuer}/.well-known/openid-configuration`.
    pub(crate) issuer: String,
    /// The client's `client_id`.
    pub(crate) client_id: String,
    /// The client's secret (for `client_secret_basic`).
    pub(crate) client_secret: String,
    /// Where the provider sends the browser back: `http://…/callback`.
    pub(crate) redirect_uri: String,
    /// The `aud` that `/api/me` expects in access tokens (RFC 9068 §4 step 3): a
    /// resource identifier registered as the client's audience, or else the issuer,
    /// which every gatehouse access token carries.
    pub(crate) api_audience: String,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// Why a token or a response was refused; the message is safe to show.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Rejected(pub(crate) String);

/// Shorthand for a [`Rejected`] from anything printable.
fn reject(why: impl std::fmt::Display) -> Rejected {
    Rejected(why.to_string())
}

/// The provider metadata this relying party uses (OIDC Discovery §3).
#[derive(Debug, Deserialize)]
pub(crate) struct Metadata {
    /// Must equal the configured issuer (OIDC Discovery §4.3).
    pub(crate) issuer: String,
    /// Where `/login` sends the browser.
    pub(crate) authorization_endpoint: String,
    /// Where codes are redeemed.
    pub(crate) token_endpoint: String,
    /// The provider's public keys.
    pub(crate) jwks_uri: String,
}

/// A token endpoint response (RFC 6749 §5.1).
#[derive(Debug, Deserialize)]
pub(crate) struct TokenResponse {
    /// The access token.
    pub(crate) access_token: String,
    /// The ID token, when `openid` was granted.
    pub(crate) id_token: Option<String>,
}

/// The ID token claims the relying party uses, once verified.
#[derive(Debug, Deserialize)]
pub(crate) struct IdClaims {
    /// The user's subject identifier at this provider.
    pub(crate) sub: String,
    /// Their email, if released in the ID token.
    pub(crate) email: Option<String>,
    nonce: Option<String>,
    at_hash: Option<String>,
}

/// The access token claims `/api/me` uses, once verified.
#[derive(Debug, Deserialize)]
pub(crate) struct AccessClaims {
    /// The user (or, for client credentials, the client).
    pub(crate) sub: String,
    /// The granted scopes, space-separated.
    #[serde(default)]
    pub(crate) scope: String,
    client_id: String,
}

/// A relying party of one provider: its metadata, its keys, and the client.
#[derive(Debug)]
pub(crate) struct Rp {
    /// The configuration it was discovered with.
    pub(crate) config: Config,
    /// The provider's metadata.
    pub(crate) metadata: Metadata,
    http: reqwest::Client,
    /// The JWKS's RS256 keys by `kid`.
    keys: RwLock<HashMap<String, DecodingKey>>,
}

impl Rp {
    /// Fetches the provider's metadata and keys; fails if its `issuer` is not the
    /// configured one.
    pub(crate) async fn discover(config: Config) -> Result<Self, Rejected> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(reject)?;
        let url = format!("{}/.well-known/openid-configuration", config.issuer);
        let metadata: Metadata = get_json(&http, &url).await?;
        if metadata.issuer != config.issuer {
            return Err(reject(format!("discovery says issuer {}, not {}", metadata.issuer, config.issuer)));
        }
        let rp = Self { config, metadata, http, keys: RwLock::default() };
        rp.fetch_keys().await?;
        Ok(rp)
    }

    /// Replaces the cached keys with the JWKS's RS256 signing keys.
    async fn fetch_keys(&self) -> Result<(), Rejected> {
        let jwks: JwkSet = get_json(&self.http, &self.metadata.jwks_uri).await?;
        let rsa = jwks.keys.iter().filter(|jwk| matches!(jwk.algorithm, AlgorithmParameters::RSA(_)));
        let keys = rsa.filter_map(|jwk| Some((jwk.common.key_id.clone()?, DecodingKey::from_jwk(jwk).ok()?)));
        *self.keys.write().await = keys.collect();
        Ok(())
    }

    /// The key with this `kid`; on a miss, the JWKS is fetched once more, since the
    /// provider may have rotated its keys. (A busy RP would also limit how often.)
    async fn key(&self, kid: &str) -> Result<DecodingKey, Rejected> {
        if let Some(key) = self.keys.read().await.get(kid) {
            return Ok(key.clone());
        }
        self.fetch_keys().await?;
        self.keys.read().await.get(kid).cloned().ok_or_else(|| reject(format!("no key `{kid}` in the JWKS")))
    }

    /// Verifies a JWS signed by the provider for `audience` (RS256 only), whose `typ`
    /// passes `typ_ok`, and returns its claims; `exp`, `nbf` and `iat` are checked
    /// with [`LEEWAY`].
    async fn verify<T: DeserializeOwned>(
        &self,
        jwt: &str,
        audience: &str,
        typ_ok: impl Fn(Option<&str>) -> bool,
    ) -> Result<T, Rejected> {
        // `alg: none` does not even parse as a header; HS256 is refused below.
        let header = jsonwebtoken::decode_header(jwt).map_err(|_| reject("malformed token or unknown alg"))?;
        if header.alg != Algorithm::RS256 {
            return Err(reject(format!("alg {:?} is not RS256", header.alg)));
        }
        if !typ_ok(header.typ.as_deref()) {
            return Err(reject(format!("wrong token type (typ {})", header.typ.as_deref().unwrap_or("absent"))));
        }
        let kid = header.kid.ok_or_else(|| reject("the token has no kid"))?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = LEEWAY;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<serde_json::Value>(jwt, &key, &validation).map_err(explain)?;
        // jsonwebtoken does not look at `iat`: a token from the future is refused here.
        let iat = data.claims.get("iat").and_then(serde_json::Value::as_u64).ok_or_else(|| reject("no iat"))?;
        if iat > get_current_timestamp() + LEEWAY {
            return Err(reject("the token was issued in the future (iat)"));
        }
        serde_json::from_value(data.claims).map_err(|e| reject(format!("claims: {e}")))
    }

    /// Verifies an ID token from the token endpoint (OIDC Core §3.1.3.7): signature,
    /// `typ` absent or `JWT`, `iss`, `aud`, times, `sub`, the `nonce` sent in the
    /// authorization request, and `at_hash`, when present (it is optional in the code
    /// flow), against the access token (§3.1.3.8).
    pub(crate) async fn verify_id_token(
        &self,
        jwt: &str,
        nonce: &str,
        access_token: &str,
    ) -> Result<IdClaims, Rejected> {
        let jwt_typ = |typ: Option<&str>| typ.is_none_or(|t| t.eq_ignore_ascii_case("JWT"));
        let claims: IdClaims = self.verify(jwt, &self.config.client_id, jwt_typ).await?;
        if claims.nonce.as_deref() != Some(nonce) {
            return Err(reject("the nonce is not the one sent"));
        }
        // RS256's hash is SHA-256: the left half of the access token's, base64url.
        let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
        let expected = URL_SAFE_NO_PAD.encode(&hash.as_ref()[..16]);
        if claims.at_hash.as_ref().is_some_and(|at_hash| *at_hash != expected) {
            return Err(reject("at_hash does not match the access token"));
        }
        Ok(claims)
    }

    /// Verifies an access token as a resource server (RFC 9068 §4): signature, `typ`
    /// `at+jwt`, `iss`, `aud` holding [`Config::api_audience`], times, `sub`; and,
    /// since this API serves this app only, `client_id` must be ours.
    pub(crate) async fn verify_access_token(&self, jwt: &str) -> Result<AccessClaims, Rejected> {
        let at_jwt = |typ: Option<&str>| {
            typ.is_some_and(|t| t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt"))
        };
        let claims: AccessClaims = self.verify(jwt, &self.config.api_audience, at_jwt).await?;
        if claims.client_id != self.config.client_id {
            return Err(reject("the token was issued to another client"));
        }
        Ok(claims)
    }

    /// A token request authenticated with `client_secret_basic` (RFC 6749 §2.3.1:
    /// id and secret form-encoded, then base64); an error response is [`Rejected`]
    /// with its `error` code.
    pub(crate) async fn token(&self, form: &[(&str, &str)]) -> Result<TokenResponse, Rejected> {
        let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let credentials = format!("{}:{}", encode(&self.config.client_id), encode(&self.config.client_secret));
        let response = self
            .http
            .post(&self.metadata.token_endpoint)
            .header("authorization", format!("Basic {}", STANDARD.encode(credentials)))
            .form(form)
            .send()
            .await
            .map_err(reject)?;
        if response.status().is_success() {
            return response.json().await.map_err(reject);
        }
        let error: serde_json::Value = response.json().await.unwrap_or_default();
        let (code, why) = (&error["error"], &error["error_description"]);
        Err(reject(format!("{}: {}", code.as_str().unwrap_or("error"), why.as_str().unwrap_or("no description"))))
    }
}

/// What a failed `jsonwebtoken::decode` means, in words.
fn explain(e: jsonwebtoken::errors::Error) -> Rejected {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::InvalidSignature => reject("bad signature"),
        ErrorKind::ExpiredSignature => reject("the token has expired (exp)"),
        ErrorKind::ImmatureSignature => reject("the token is not valid yet (nbf)"),
        ErrorKind::InvalidIssuer => reject("the token is from another issuer (iss)"),
        ErrorKind::InvalidAudience => reject("the token is not for us (aud)"),
        ErrorKind::MissingRequiredClaim(claim) => reject(format!("the token has no `{claim}`")),
        _ => reject(format!("invalid token: {e}")),
    }
}

/// GETs a JSON document.
async fn get_json<T: DeserializeOwned>(http: &reqwest::Client, url: &str) -> Result<T, Rejected> {
    let response = http.get(url).send().await.and_then(reqwest::Response::error_for_status);
    response.map_err(reject)?.json().await.map_err(|e| reject(format!("{url}: {e}")))
}
