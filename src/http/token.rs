//! `POST /token` (RFC 6749 §3.2).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;

use super::error::{no_store_json, token_error};
use super::{AppState, extract};
use crate::oauth::client_auth::{self, Credentials};
use crate::oauth::error::OAuthError;
use crate::oauth::token;

/// Authenticates the client, runs the grant, and answers JSON that no cache keeps.
pub(super) async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let realm = state.config.issuer.as_str();
    let params = match extract::params(&Method::POST, None, &headers, &body) {
        Ok(params) => params,
        Err(message) => return token_error(&OAuthError::invalid_request(message), realm),
    };
    let credentials = match extract::basic_auth(&headers).and_then(|basic| Credentials::from_request(basic, &params)) {
        Ok(credentials) => credentials,
        Err(e) => return token_error(&e, realm),
    };
    let client = match client_auth::authenticate(state.store.as_ref(), &credentials).await {
        Ok(client) => client,
        Err(e) => return token_error(&e, realm),
    };
    let now = state.clock.now();
    match token::exchange(state.store.as_ref(), &state.keys, &state.config, &client, &params, now).await {
        Ok(response) => match serde_json::to_string(&response) {
            Ok(body) => no_store_json(StatusCode::OK, body),
            Err(_) => token_error(&OAuthError::server_error(), realm),
        },
        Err(e) => token_error(&e, realm),
    }
}
