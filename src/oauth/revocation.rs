//! Token revocation (RFC 7009) and introspection (RFC 7662).

use serde_json::{Map, Value, json};

use super::Context;
use super::error::{ErrorCode, OAuthError};
use super::params::Params;
use super::tokens::ACCESS_TOKEN_TYP;
use super::userinfo::verify_access_token;
use crate::secret;
use crate::store::{Client, ClientKind, RefreshRow};

/// What a revocation did. The client is told the same whatever it was (RFC 7009
/// §2.2); the log is told this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    /// A refresh token: its grant ended, and every token of it with it.
    Grant(String),
    /// An access token of this grant, until it expires; the grant lives on.
    AccessToken(String),
    /// Nothing, and why.
    Nothing(&'static str),
}

/// RFC 7009 §2.1: revokes the client's own token. A refresh token revokes its whole
/// family; an access token is revoked until it expires. Unknown, foreign and already
/// revoked tokens change nothing and still succeed (§2.2), so the answer reveals nothing.
pub async fn revoke(ctx: &Context<'_>, client: &Client, params: &Params) -> Result<Revoked, OAuthError> {
    let token = params.get("token").ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    if let Some(row) = ctx.store.find_refresh_token(&secret::hash(token)).await? {
        let grant = ctx.store.find_grant(&row.grant_id).await?;
        if grant.is_none_or(|g| g.client_id != client.id) {
            return Ok(Revoked::Nothing("the refresh token was issued to another client"));
        }
        return Ok(if ctx.store.revoke_grant(&row.grant_id, ctx.now).await? {
            Revoked::Grant(row.grant_id)
        } else {
            Revoked::Nothing("the refresh token's grant had already ended")
        });
    }
    // An access token: ours, by signature, even if expired.
    let Ok(claims) = super::jwt::verify(ctx, token, ACCESS_TOKEN_TYP) else {
        return Ok(Revoked::Nothing("the token is not one this server issued, or no longer known"));
    };
    let own = claims.get("client_id").and_then(Value::as_str) == Some(client.id.as_str());
    let jti = claims.get("jti").and_then(Value::as_str);
    let exp = claims.get("exp").and_then(Value::as_i64);
    let grant_id = claims.get("grant_id").and_then(Value::as_str).unwrap_or_default();
    match (own, jti, exp) {
        (false, _, _) => Ok(Revoked::Nothing("the access token was issued to another client")),
        (true, Some(jti), Some(exp)) if exp > ctx.now => {
            ctx.store.revoke_access_token(jti, exp).await?;
            Ok(Revoked::AccessToken(grant_id.to_owned()))
        }
        (true, Some(_), Some(_)) => Ok(Revoked::Nothing("the access token has expired")),
        (true, _, _) => Ok(Revoked::Nothing("the access token has no jti or exp")),
    }
}

/// RFC 7662 §2.2: what an authenticated confidential client may learn about a token.
/// Access tokens are answered to any confidential client (resource servers introspect
/// tokens issued to others); refresh tokens only to the client they belong to.
/// Expired, revoked, spent, foreign, malformed and unknown tokens are all simply inactive.
pub async fn introspect(ctx: &Context<'_>, client: &Client, params: &Params) -> Result<Value, OAuthError> {
    if client.kind != ClientKind::Confidential {
        return Err(OAuthError::invalid_client("only confidential clients may introspect tokens"));
    }
    let token = params.get("token").ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let inactive = json!({"active": false});
    if let Some(row) = ctx.store.find_refresh_token(&secret::hash(token)).await? {
        return Ok(refresh_token_info(ctx, client, &row).await?.unwrap_or(inactive));
    }
    match verify_access_token(ctx, token).await {
        Ok(verified) => {
            let mut info: Map<String, Value> = verified.claims;
            info.remove("grant_id");
            info.insert("active".into(), Value::Bool(true));
            info.insert("token_type".into(), Value::from("Bearer"));
            Ok(Value::Object(info))
        }
        Err(e) if e.code == ErrorCode::ServerError => Err(e),
        Err(_) => Ok(inactive),
    }
}

async fn refresh_token_info(ctx: &Context<'_>, client: &Client, row: &RefreshRow) -> Result<Option<Value>, OAuthError> {
    if row.spent_at.is_some() || ctx.now >= row.expires_at {
        return Ok(None);
    }
    let Some(grant) = ctx.store.find_grant(&row.grant_id).await? else { return Ok(None) };
    if grant.client_id != client.id || !grant.is_live(ctx.now) {
        return Ok(None);
    }
    let user_id = grant.user_id.clone().unwrap_or_default();
    let active = super::active_user(ctx.store, &user_id).await?.is_some();
    Ok(active.then(|| {
        json!({
            "active": true,
            "token_type": "refresh_token",
            "scope": grant.scope,
            "client_id": grant.client_id,
            "sub": user_id,
            "iss": ctx.issuer.as_str(),
            "iat": row.created_at,
            "exp": row.expires_at,
        })
    }))
}
