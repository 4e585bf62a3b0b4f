//! RFC 6749 §4.4: a confidential client gets an access token for itself.

use super::{Context, OAuthError, Scope, TokenResponse, Tokens, respond};
use crate::store::{Client, ClientKind, GrantRow};

/// Issues an access token for the client itself. Its grant lives as long as the
/// token, so that revocation and introspection work alike for every token.
pub(super) async fn issue(ctx: &Context<'_>, client: &Client) -> Result<TokenResponse, OAuthError> {
    if client.kind != ClientKind::Confidential {
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
        created_at: ctx.now,
        expires_at: ctx.now + ctx.lifetimes.access_token,
        revoked_at: None,
    };
    ctx.store.insert_grant(&grant).await?;
    let scope = Scope::from_stored("");
    respond(ctx, Tokens { grant: &grant, client, user: None, scope: &scope, nonce: None, refresh_token: None }).await
}
