//! `GET/POST /userinfo` (OIDC Core §5.3), a protected resource (RFC 6750).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::AppState;
use super::extract::BearerToken;
use super::respond::{bearer_error, no_store_json};
use crate::oauth::error::ErrorCode;
use crate::oauth::userinfo;

/// Answers the claims of the access token's user, by granted scope.
pub(super) async fn handle(State(state): State<AppState>, BearerToken(token): BearerToken) -> Response {
    let ctx = state.context();
    match userinfo::userinfo(&ctx, &token).await {
        Ok(claims) => no_store_json(StatusCode::OK, serde_json::Value::Object(claims).to_string()),
        Err(e) => {
            // Only a good token's scope falls short: the log names the client it was issued to.
            let client = match e.code {
                ErrorCode::InsufficientScope => userinfo::verify_access_token(&ctx, &token).await.ok(),
                _ => None,
            };
            let client = client.map(|token| token.grant.client_id);
            bearer_error(Some(&e), client.as_deref(), state.config.issuer.as_str())
        }
    }
}
