//! The token endpoint's grants (RFC 6749 §4.1.3, §4.4, §6; OIDC Core §3.1.3): one
//! file per grant type, and what they share: choosing the grant and signing the
//! token response. A new grant is a new file here and a line in [`exchange`].

mod authorization_code;
mod client_credentials;
mod refresh_token;

use serde::Serialize;

use super::error::OAuthError;
use super::params::Params;
use super::scope::{Releases, Scope};
use super::{Context, tokens};
use crate::store::{Client, GrantRow, GrantType, User};

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

/// Runs the grant the request names for an authenticated client. RFC 6749 §5.2:
/// an unknown grant type is `unsupported_grant_type`; one the client was not
/// registered for is `unauthorized_client`.
pub async fn exchange(ctx: &Context<'_>, client: &Client, params: &Params) -> Result<TokenResponse, OAuthError> {
    let name = params.get("grant_type").ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    let grant_type =
        GrantType::parse(name).ok_or_else(|| OAuthError::unsupported_grant_type("the grant type is not supported"))?;
    if !client.allows(grant_type) {
        return Err(OAuthError::unauthorized_client(format!("the client may not use the {grant_type} grant")));
    }
    match grant_type {
        GrantType::AuthorizationCode => authorization_code::redeem(ctx, client, params).await,
        GrantType::RefreshToken => refresh_token::refresh(ctx, client, params).await,
        GrantType::ClientCredentials => client_credentials::issue(ctx, client).await,
    }
}

/// The tokens of one response.
struct Tokens<'a> {
    /// The grant they belong to.
    grant: &'a GrantRow,
    /// The client they are issued to.
    client: &'a Client,
    /// The user they speak for; `None` for client credentials.
    user: Option<&'a User>,
    /// The access token's scope.
    scope: &'a Scope,
    /// The authorization request's `nonce`, for the ID token.
    nonce: Option<&'a str>,
    /// The family's new refresh token, if any.
    refresh_token: Option<String>,
}

/// Signs the tokens of one token response: the access token, and the ID token when
/// the scope has `openid` and there is a user.
async fn respond(ctx: &Context<'_>, tokens: Tokens<'_>) -> Result<TokenResponse, OAuthError> {
    let Tokens { grant, client, user, scope, nonce, refresh_token } = tokens;
    let access_token = tokens::access_token(ctx, grant, client, scope)?;
    let id_token = match user {
        Some(user) if scope.has("openid") => {
            let releases = Releases::of(ctx.store, scope).await?;
            Some(tokens::id_token(ctx, grant, client, user, &releases, nonce, &access_token)?)
        }
        _ => None,
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: ctx.lifetimes.access_token,
        id_token,
        scope: scope.to_string(),
        refresh_token,
    })
}

/// The grant's user, if they may still use it: a removed or disabled user's grants
/// stop working.
async fn grant_user(ctx: &Context<'_>, user_id: &str) -> Result<User, OAuthError> {
    super::active_user(ctx.store, user_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("the user can no longer log in"))
}
