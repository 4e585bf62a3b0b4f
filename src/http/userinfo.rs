//! `GET/POST /userinfo` (OIDC Core §5.3), a protected resource (RFC 6750).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::AppState;
use super::extract::BearerToken;
use super::respond::{bearer_error, no_store_json};
use crate::oauth::userinfo;

/// Answers the claims of the access token's user, by granted scope.
pub(super) async fn handle(State(state): State<AppState>, BearerToken(token): BearerToken) -> Response {
    match userinfo::userinfo(&state.context(), &token).await {
        Ok(claims) => no_store_json(StatusCode::OK, serde_json::Value::Object(claims).to_string()),
        Err(e) => bearer_error(Some(&e), state.config.issuer.as_str()),
    }
}
