//! RFC 6749 §4.1.3: redeeming an authorization code, once.

use super::{Context, OAuthError, Params, Scope, TokenResponse, Tokens, grant_user, refresh_token, respond};
use crate::oauth::pkce;
use crate::secret;
use crate::store::{Client, CodeRow, GrantRow, GrantType};

/// Redeems a code. A second redemption fails and revokes the grant the first one
/// created, and with it its tokens (RFC 6749 §4.1.2).
pub(super) async fn redeem(ctx: &Context<'_>, client: &Client, params: &Params) -> Result<TokenResponse, OAuthError> {
    let code = params.get("code").ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let code_hash = secret::hash(code);
    let row = ctx
        .store
        .find_code(&code_hash)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("the authorization code is invalid"))?;
    if row.client_id != client.id {
        return Err(OAuthError::invalid_grant("the authorization code was issued to another client"));
    }
    if row.consumed_at.is_some() {
        return Err(replayed(ctx, &row).await);
    }
    if ctx.now >= row.expires_at {
        return Err(OAuthError::invalid_grant("the authorization code has expired"));
    }
    check_redirect_uri(&row, params)?;
    check_verifier(&row, params)?;
    let user = grant_user(ctx, &row.user_id).await?;

    let grant = GrantRow {
        id: row.grant_id.clone(),
        client_id: client.id.clone(),
        user_id: Some(user.id.clone()),
        scope: row.scope.clone(),
        sid: Some(row.sid.clone()),
        auth_time: Some(row.auth_time),
        claims: row.claims.clone(),
        created_at: ctx.now,
        expires_at: ctx.now + ctx.lifetimes.refresh_absolute,
        revoked_at: None,
    };
    let scope = Scope::from_stored(&grant.scope);
    // OIDC Core §11: offline_access (granted only to clients allowed the refresh grant)
    // starts a refresh-token family.
    let refresh = (scope.has("offline_access") && client.allows(GrantType::RefreshToken))
        .then(|| refresh_token::new_token(ctx, &grant));
    let first = refresh.as_ref().map(|(_, row)| row);
    if !ctx.store.redeem_code(&code_hash, &grant, first, ctx.now).await? {
        // Another redemption won the race: this one is a replay.
        return Err(replayed(ctx, &row).await);
    }
    let refresh_token = refresh.map(|(token, _)| token);
    let nonce = row.nonce.as_deref();
    respond(ctx, Tokens { grant: &grant, client, user: Some(&user), scope: &scope, nonce, refresh_token }).await
}

/// A used code presented again: revoke what its first redemption issued.
/// The refusal is logged here, at `warn`, when it revokes something.
async fn replayed(ctx: &Context<'_>, row: &CodeRow) -> OAuthError {
    let error =
        OAuthError::invalid_grant("the authorization code was already used; the tokens issued for it are revoked");
    match ctx.store.revoke_grant(&row.grant_id, ctx.now).await {
        Ok(true) => {
            tracing::warn!(grant = %row.grant_id, client = %row.client_id, "authorization code replayed: grant revoked");
            return error.logged();
        }
        Ok(false) => {}
        Err(e) => tracing::error!(error = %e, "cannot revoke the grant of a replayed code"),
    }
    error
}

/// RFC 6749 §4.1.3: the same `redirect_uri` as in the authorization request.
fn check_redirect_uri(row: &CodeRow, params: &Params) -> Result<(), OAuthError> {
    match params.get("redirect_uri") {
        Some(uri) if uri == row.redirect_uri => Ok(()),
        Some(_) => Err(OAuthError::invalid_grant("redirect_uri does not match the authorization request")),
        None => Err(OAuthError::invalid_request("redirect_uri is required")),
    }
}

/// RFC 7636 §4.6; RFC 9700 §2.1.1: a verifier exactly when a challenge was sent.
fn check_verifier(row: &CodeRow, params: &Params) -> Result<(), OAuthError> {
    match (&row.code_challenge, params.get("code_verifier")) {
        (Some(challenge), Some(verifier)) if pkce::verify(verifier, challenge) => Ok(()),
        (Some(_), Some(_)) => Err(OAuthError::invalid_grant("code_verifier does not match the code_challenge")),
        (Some(_), None) => Err(OAuthError::invalid_grant("code_verifier is required")),
        (None, Some(_)) => Err(OAuthError::invalid_grant("code_verifier given, but the request had no code_challenge")),
        (None, None) => Ok(()),
    }
}
