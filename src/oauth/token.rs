//! The token endpoint's grants (RFC 6749 §4.1.3, §5.1; OIDC Core §3.1.3).

use serde::Serialize;

use super::error::OAuthError;
use super::params::Params;
use super::pkce;
use super::scope::Scope;
use super::tokens;
use crate::clock::UnixTime;
use crate::config::Config;
use crate::keys::KeySet;
use crate::secret;
use crate::store::{Client, CodeRow, GrantRow, Store, StoreError};

/// A successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    /// The access token (a JWT, RFC 9068).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The ID token, when `openid` was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The granted scope (of the access token); omitted when empty (client credentials).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// The family's new refresh token, when `offline_access` was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

pub(super) fn store_failed(e: StoreError) -> OAuthError {
    tracing::error!(error = %e, "store failure at the token endpoint");
    OAuthError::server_error()
}

/// Runs the grant the request names for an authenticated client.
pub async fn exchange(
    store: &dyn Store,
    keys: &KeySet,
    config: &Config,
    client: &Client,
    params: &Params,
    now: UnixTime,
) -> Result<TokenResponse, OAuthError> {
    let grant_type = params.get("grant_type").ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    match grant_type {
        "authorization_code" => {
            check_allowed(client, grant_type)?;
            redeem_code(store, keys, config, client, params, now).await
        }
        "refresh_token" => {
            check_allowed(client, grant_type)?;
            super::refresh::refresh(store, keys, config, client, params, now).await
        }
        "client_credentials" => {
            check_allowed(client, grant_type)?;
            client_credentials(store, keys, config, client, now).await
        }
        _ => Err(OAuthError::unsupported_grant_type("the grant type is not supported")),
    }
}

/// RFC 6749 §4.4: a confidential client gets an access token for itself. Its grant
/// lives as long as the token, so that revocation and introspection work alike for all.
async fn client_credentials(
    store: &dyn Store,
    keys: &KeySet,
    config: &Config,
    client: &Client,
    now: UnixTime,
) -> Result<TokenResponse, OAuthError> {
    if client.kind != crate::store::ClientKind::Confidential {
        return Err(OAuthError::unauthorized_client("only confidential clients may use client_credentials"));
    }
    let grant = GrantRow {
        id: uuid::Uuid::new_v4().to_string(),
        client_id: client.id.clone(),
        user_id: None,
        // The user-facing OpenID scopes mean nothing for a client acting for itself.
        scope: String::new(),
        sid: None,
        auth_time: None,
        claims: None,
        created_at: now,
        expires_at: now + config.lifetimes.access_token,
        revoked_at: None,
    };
    store.insert_grant(&grant).await.map_err(store_failed)?;
    issue(keys, config, &grant, client, None, &Scope::from_stored(""), None, None, now)
}

/// Signs the tokens of one token response: the access token, and the ID token when
/// `scope` has `openid` and there is a user.
#[allow(clippy::too_many_arguments)]
pub(super) fn issue(
    keys: &KeySet,
    config: &Config,
    grant: &GrantRow,
    client: &Client,
    user: Option<&crate::store::User>,
    scope: &Scope,
    nonce: Option<&str>,
    refresh_token: Option<String>,
    now: UnixTime,
) -> Result<TokenResponse, OAuthError> {
    let signing_failed = |e: crate::keys::KeyError| {
        tracing::error!(error = %e, "cannot sign tokens");
        OAuthError::server_error()
    };
    let access_token = tokens::access_token(keys, config, grant, client, scope, now).map_err(signing_failed)?;
    let id_token = match user {
        Some(user) if scope.has("openid") => Some(
            tokens::id_token(keys, config, grant, client, user, nonce, &access_token, now).map_err(signing_failed)?,
        ),
        _ => None,
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: config.lifetimes.access_token,
        id_token,
        scope: scope.to_string(),
        refresh_token,
    })
}

/// RFC 6749 §5.2 `unauthorized_client`: the client was not registered for this grant.
fn check_allowed(client: &Client, grant_type: &str) -> Result<(), OAuthError> {
    if client.grant_types.iter().any(|g| g == grant_type) {
        Ok(())
    } else {
        Err(OAuthError::unauthorized_client(format!("the client may not use the {grant_type} grant")))
    }
}

/// RFC 6749 §4.1.3: redeems a code once. A second redemption fails and revokes the
/// grant the first one created, and with it its tokens (RFC 6749 §4.1.2).
async fn redeem_code(
    store: &dyn Store,
    keys: &KeySet,
    config: &Config,
    client: &Client,
    params: &Params,
    now: UnixTime,
) -> Result<TokenResponse, OAuthError> {
    let code = params.get("code").ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let code_hash = secret::hash(code);
    let row = store
        .find_code(&code_hash)
        .await
        .map_err(store_failed)?
        .ok_or_else(|| OAuthError::invalid_grant("the authorization code is invalid"))?;
    if row.client_id != client.id {
        return Err(OAuthError::invalid_grant("the authorization code was issued to another client"));
    }
    if row.consumed_at.is_some() {
        return Err(replayed(store, &row, now).await);
    }
    if now >= row.expires_at {
        return Err(OAuthError::invalid_grant("the authorization code has expired"));
    }
    check_redirect_uri(&row, params)?;
    check_verifier(&row, params)?;
    let user = store
        .find_user(&row.user_id)
        .await
        .map_err(store_failed)?
        .filter(|u| !u.disabled)
        .ok_or_else(|| OAuthError::invalid_grant("the user can no longer log in"))?;

    let grant = GrantRow {
        id: row.grant_id.clone(),
        client_id: client.id.clone(),
        user_id: Some(user.id.clone()),
        scope: row.scope.clone(),
        sid: Some(row.sid.clone()),
        auth_time: Some(row.auth_time),
        claims: row.claims.clone(),
        created_at: now,
        expires_at: now + config.lifetimes.refresh_absolute,
        revoked_at: None,
    };
    let scope = Scope::from_stored(&grant.scope);
    // OIDC Core §11: offline_access (granted only to clients allowed the refresh grant)
    // starts a refresh-token family.
    let refresh = (scope.has("offline_access") && client.grant_types.iter().any(|g| g == "refresh_token"))
        .then(|| super::refresh::new_token(&grant, config, now));
    let first = refresh.as_ref().map(|(_, row)| row);
    if !store.redeem_code(&code_hash, &grant, first, now).await.map_err(store_failed)? {
        // Another redemption won the race: this one is a replay.
        return Err(replayed(store, &row, now).await);
    }
    let refresh_token = refresh.map(|(token, _)| token);
    issue(keys, config, &grant, client, Some(&user), &scope, row.nonce.as_deref(), refresh_token, now)
}

/// A used code presented again: revoke what its first redemption issued.
async fn replayed(store: &dyn Store, row: &CodeRow, now: UnixTime) -> OAuthError {
    match store.revoke_grant(&row.grant_id, now).await {
        Ok(true) => {
            tracing::warn!(grant = %row.grant_id, client = %row.client_id, "authorization code replayed: grant revoked")
        }
        Ok(false) => {}
        Err(e) => tracing::error!(error = %e, "cannot revoke the grant of a replayed code"),
    }
    OAuthError::invalid_grant("the authorization code was already used; the tokens issued for it are revoked")
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
