//! `POST /token` (RFC 6749 §3.2), `POST /revoke` (RFC 7009) and `POST /introspect`
//! (RFC 7662): form requests from an authenticated client, JSON answers no cache keeps.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::respond::{no_store_ok, token_error};
use super::{AppState, extract};
use crate::oauth::client_auth::{self, Credentials};
use crate::oauth::error::OAuthError;
use crate::oauth::params::Params;
use crate::oauth::{grant, revocation};
use crate::store::Client;

/// Reads the form and authenticates the client (RFC 6749 §2.3).
async fn authenticated(state: &AppState, headers: &HeaderMap, body: &Bytes) -> Result<(Client, Params), Response> {
    let realm = state.config.issuer.as_str();
    let params = extract::params(&Method::POST, None, headers, body)
        .map_err(|message| token_error(&OAuthError::invalid_request(message), realm))?;
    let credentials = extract::basic_auth(headers)
        .and_then(|basic| Credentials::from_request(basic, &params))
        .map_err(|e| token_error(&e, realm))?;
    let client =
        client_auth::authenticate(state.store.as_ref(), &credentials).await.map_err(|e| token_error(&e, realm))?;
    Ok((client, params))
}

/// Runs the grant the request names.
pub(super) async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (client, params) = match authenticated(&state, &headers, &body).await {
        Ok(authenticated) => authenticated,
        Err(response) => return response,
    };
    let realm = state.config.issuer.as_str();
    match grant::exchange(&state.context(), &client, &params).await {
        Ok(response) => no_store_ok(&response, realm),
        Err(e) => token_error(&e, realm),
    }
}

/// Revokes a token; 200 with an empty body whether or not there was anything to revoke.
pub(super) async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (client, params) = match authenticated(&state, &headers, &body).await {
        Ok(authenticated) => authenticated,
        Err(response) => return response,
    };
    match revocation::revoke(&state.context(), &client, &params).await {
        Ok(()) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response(),
        Err(e) => token_error(&e, state.config.issuer.as_str()),
    }
}

/// Says whether a token is active, and what it is.
pub(super) async fn introspect(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (client, params) = match authenticated(&state, &headers, &body).await {
        Ok(authenticated) => authenticated,
        Err(response) => return response,
    };
    let realm = state.config.issuer.as_str();
    match revocation::introspect(&state.context(), &client, &params).await {
        Ok(info) => no_store_ok(&info, realm),
        Err(e) => token_error(&e, realm),
    }
}
