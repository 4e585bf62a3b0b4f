//! The userinfo endpoint's rules (OIDC Core §5.3, RFC 6750): which access tokens are
//! good, and which claims they release.

use serde_json::{Map, Value};

use super::Context;
use super::claims::{RequestedClaims, release};
use super::error::OAuthError;
use super::scope::{Releases, Scope};
use super::tokens::ACCESS_TOKEN_TYP;
use crate::store::{GrantRow, User};

/// A verified access token's claims and its live grant.
#[derive(Debug)]
pub struct AccessToken {
    /// The token's claims.
    pub claims: Map<String, Value>,
    /// The grant it belongs to, live at the time of the check.
    pub grant: GrantRow,
    /// The grant's user, enabled at the time of the check; `None` for client credentials.
    pub user: Option<User>,
}

/// Verifies an access token: our signature and `typ`, our issuer, not expired by
/// gatehouse's clock, meant for us, and its grant still live.
pub async fn verify_access_token(ctx: &Context<'_>, token: &str) -> Result<AccessToken, OAuthError> {
    let (issuer, now) = (ctx.issuer.as_str(), ctx.now);
    let invalid = || OAuthError::invalid_token("the access token is invalid");
    let claims = super::jwt::verify(ctx, token, ACCESS_TOKEN_TYP).map_err(|_| invalid())?;
    let exp = claims.get("exp").and_then(Value::as_i64).ok_or_else(invalid)?;
    if now >= exp {
        return Err(OAuthError::invalid_token("the access token has expired"));
    }
    let for_us = match claims.get("aud") {
        Some(Value::String(aud)) => aud == issuer,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(issuer)),
        _ => false,
    };
    if !for_us {
        return Err(OAuthError::invalid_token("the access token is not meant for this server"));
    }
    let grant_id = claims.get("grant_id").and_then(Value::as_str).ok_or_else(invalid)?;
    let jti = claims.get("jti").and_then(Value::as_str).ok_or_else(invalid)?;
    if ctx.store.is_access_token_revoked(jti).await? {
        return Err(OAuthError::invalid_token("the access token has been revoked"));
    }
    let grant = ctx
        .store
        .find_grant(grant_id)
        .await?
        .filter(|g| g.is_live(now))
        .ok_or_else(|| OAuthError::invalid_token("the access token has been revoked"))?;
    // A user's tokens end when the user is disabled or removed (client credentials have none).
    let user = match &grant.user_id {
        Some(user_id) => Some(
            super::active_user(ctx.store, user_id)
                .await?
                .ok_or_else(|| OAuthError::invalid_token("the user no longer exists or is disabled"))?,
        ),
        None => None,
    };
    Ok(AccessToken { claims, grant, user })
}

/// Answers a userinfo request made with the access token `token` (OIDC Core §5.3).
pub async fn userinfo(ctx: &Context<'_>, token: &str) -> Result<Map<String, Value>, OAuthError> {
    let token = verify_access_token(ctx, token).await?;
    let scope = Scope::from_stored(token.claims.get("scope").and_then(Value::as_str).unwrap_or(""));
    if !scope.has("openid") {
        return Err(OAuthError::insufficient_scope("userinfo needs the openid scope"));
    }
    let releases = Releases::of(ctx.store, &scope).await?;
    claims(&token, &releases)
}

/// The userinfo response for a verified token with the `openid` scope: `sub` plus
/// the claims its scope and the `claims` request parameter release (§5.3.2).
pub fn claims(token: &AccessToken, releases: &Releases<'_>) -> Result<Map<String, Value>, OAuthError> {
    let user = token.user.as_ref().ok_or_else(|| OAuthError::insufficient_scope("the token has no user"))?;
    let requested: RequestedClaims =
        token.grant.claims.as_deref().and_then(|c| serde_json::from_str(c).ok()).unwrap_or_default();
    let mut claims = release(user, |name| releases.claim(name) || requested.userinfo.iter().any(|r| r == name));
    claims.insert("sub".into(), Value::String(user.id.clone()));
    Ok(claims)
}
