//! The tokens gatehouse signs: access tokens (RFC 9068) and ID tokens (OIDC Core §2).

use serde::Serialize;
use serde_json::{Map, Value};

use super::Context;
use super::claims::{RequestedClaims, release};
use super::scope::{Releases, Scope};
use crate::clock::UnixTime;
use crate::keys::{Alg, DEFAULT_ALG, KeyError, SigningKey};
use crate::store::{Client, GrantRow, User};

/// The JWS `typ` of access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// The JWS `typ` of ID tokens.
pub const ID_TOKEN_TYP: &str = "JWT";

/// Access token claims (RFC 9068 §2.2), plus the grant's id so that revoking the grant
/// ends the token at userinfo and introspection.
#[derive(Debug, Serialize)]
struct AccessClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: Vec<&'a str>,
    exp: UnixTime,
    iat: UnixTime,
    jti: String,
    client_id: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    scope: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_time: Option<UnixTime>,
    grant_id: &'a str,
}

/// Signs an access token for a grant. Its audience is the issuer (whose userinfo is
/// the resource) plus the client's registered API audiences.
pub fn access_token(ctx: &Context<'_>, grant: &GrantRow, client: &Client, scope: &Scope) -> Result<String, KeyError> {
    access_key(ctx)?.sign(ACCESS_TOKEN_TYP, &access_claims(ctx, grant, client, scope)?)
}

/// The key that signs access tokens now.
pub fn access_key<'k>(ctx: &'k Context<'_>) -> Result<&'k SigningKey, KeyError> {
    ctx.keys.active(DEFAULT_ALG, ctx.now)
}

/// The claims of an access token for a grant (see [`access_token`]).
pub fn access_claims(
    ctx: &Context<'_>,
    grant: &GrantRow,
    client: &Client,
    scope: &Scope,
) -> Result<Map<String, Value>, KeyError> {
    let issuer = ctx.issuer.as_str();
    let claims = AccessClaims {
        iss: issuer,
        // Client credentials: the client is the subject (RFC 9068 §2.2).
        sub: grant.user_id.as_deref().unwrap_or(&client.id),
        aud: std::iter::once(issuer).chain(client.audiences.iter().map(String::as_str)).collect(),
        exp: ctx.now + ctx.lifetimes.access_token,
        iat: ctx.now,
        jti: uuid::Uuid::new_v4().to_string(),
        client_id: &client.id,
        scope: &scope.to_string(),
        auth_time: grant.auth_time,
        grant_id: &grant.id,
    };
    match serde_json::to_value(claims)? {
        Value::Object(map) => Ok(map),
        _ => Err(KeyError::Sign),
    }
}

/// Signs an ID token (OIDC Core §2, §3.1.3.6) for `user`. The scope's claims go to
/// userinfo, because an access token is issued (§5.4); the ID token carries those
/// asked for by name in the `claims` parameter, those of custom scopes declared to
/// go in the ID token, and, for a client registered with `id_token_claims`, all
/// that the scope releases.
pub fn id_token(
    ctx: &Context<'_>,
    grant: &GrantRow,
    client: &Client,
    user: &User,
    releases: &Releases<'_>,
    nonce: Option<&str>,
    access_token: &str,
) -> Result<String, KeyError> {
    let key = id_token_key(ctx, client)?;
    let requested: RequestedClaims =
        grant.claims.as_deref().and_then(|c| serde_json::from_str(c).ok()).unwrap_or_default();
    let released: Map<String, Value> = release(user, |name| {
        requested.id_token.iter().any(|r| r == name)
            || releases.id_token_claim(name)
            || (client.id_token_claims && releases.claim(name))
    });
    let at_hash = key.alg().at_hash(access_token);
    key.sign(ID_TOKEN_TYP, &id_claims(ctx, grant, client, user, released, nonce, &at_hash))
}

/// The key that signs `client`'s ID tokens now: of its registered algorithm
/// (`id_token_signed_response_alg`), or the default.
pub fn id_token_key<'k>(ctx: &'k Context<'_>, client: &Client) -> Result<&'k SigningKey, KeyError> {
    let alg = client.id_token_signed_response_alg.as_deref().and_then(Alg::parse).unwrap_or(DEFAULT_ALG);
    ctx.keys.active(alg, ctx.now)
}

/// The claims of an ID token (see [`id_token`]): the `released` user claims plus the
/// token's own.
pub fn id_claims(
    ctx: &Context<'_>,
    grant: &GrantRow,
    client: &Client,
    user: &User,
    released: Map<String, Value>,
    nonce: Option<&str>,
    at_hash: &str,
) -> Map<String, Value> {
    let mut claims = released;
    let mut set = |name: &str, value: Value| {
        claims.insert(name.to_owned(), value);
    };
    set("iss", ctx.issuer.as_str().into());
    set("sub", user.id.as_str().into());
    set("aud", client.id.as_str().into());
    set("azp", client.id.as_str().into());
    set("exp", (ctx.now + ctx.lifetimes.id_token).into());
    set("iat", ctx.now.into());
    if let Some(auth_time) = grant.auth_time {
        set("auth_time", auth_time.into());
    }
    if let Some(nonce) = nonce {
        set("nonce", nonce.into());
    }
    if let Some(sid) = &grant.sid {
        set("sid", sid.as_str().into());
    }
    set("at_hash", at_hash.into());
    claims
}
