//! `GET/POST /userinfo` (OIDC Core §5.3), a protected resource (RFC 6750).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;

use super::respond::{bearer_error, no_store_json};
use super::{AppState, extract};
use crate::oauth::error::OAuthError;
use crate::oauth::userinfo;

/// Answers the claims of the access token's user, by granted scope.
pub(super) async fn handle(State(state): State<AppState>, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    let realm = state.config.issuer.as_str();
    // A form body may carry the token (RFC 6750 §2.2); any other body is not read.
    let form = if method == Method::POST && !body.is_empty() {
        match extract::params(&method, None, &headers, &body) {
            Ok(params) => Some(params),
            Err(message) => return bearer_error(Some(&OAuthError::invalid_request(message)), realm),
        }
    } else {
        None
    };
    let token = match extract::bearer(&headers, form.as_ref()) {
        extract::Bearer::Token(token) => token,
        extract::Bearer::Missing => return bearer_error(None, realm),
        extract::Bearer::Invalid(e) => return bearer_error(Some(&e), realm),
    };
    let result = match userinfo::verify_access_token(&state.context(), &token).await {
        Ok(verified) => userinfo::claims(&verified),
        Err(e) => Err(e),
    };
    match result {
        Ok(claims) => no_store_json(StatusCode::OK, serde_json::Value::Object(claims).to_string()),
        Err(e) => bearer_error(Some(&e), realm),
    }
}
