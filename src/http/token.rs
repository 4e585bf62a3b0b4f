//! `POST /token` (RFC 6749 §3.2), `POST /revoke` (RFC 7009) and `POST /introspect`
//! (RFC 7662): form requests from an authenticated client, JSON answers no cache keeps.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::extract::ClientRequest;
use super::respond::{no_store_ok, token_error};
use crate::oauth::grant;
use crate::oauth::revocation::{self, Revoked};

/// Runs the grant the request names.
pub(super) async fn post(State(state): State<AppState>, ClientRequest { client, params }: ClientRequest) -> Response {
    let realm = state.config.issuer.as_str();
    match grant::exchange(&state.context(), &client, &params).await {
        Ok(response) => no_store_ok(&response, realm),
        Err(e) => token_error(&e, Some(client.id.as_str()), realm),
    }
}

/// Revokes a token; 200 with an empty body whether or not there was anything to
/// revoke. The log says what was revoked.
pub(super) async fn revoke(State(state): State<AppState>, ClientRequest { client, params }: ClientRequest) -> Response {
    match revocation::revoke(&state.context(), &client, &params).await {
        Ok(revoked) => {
            log_revoked(&client.id, &revoked);
            (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response()
        }
        Err(e) => token_error(&e, Some(client.id.as_str()), state.config.issuer.as_str()),
    }
}

/// One `info` line for a revocation: the client, the kind of token and the grant.
fn log_revoked(client: &str, revoked: &Revoked) {
    let endpoint = "/revoke";
    match revoked {
        Revoked::Grant(grant) => tracing::info!(
            endpoint = %endpoint, %client, token = %"refresh_token", %grant,
            "revoked: the refresh token's grant ended, and every token of it"
        ),
        Revoked::AccessToken(grant) => tracing::info!(
            endpoint = %endpoint, %client, token = %"access_token", %grant,
            "revoked: the access token, until it expires (its grant lives on)"
        ),
        Revoked::Nothing(why) => tracing::info!(endpoint = %endpoint, %client, "revoked nothing: {why}"),
    }
}

/// Says whether a token is active, and what it is.
pub(super) async fn introspect(
    State(state): State<AppState>,
    ClientRequest { client, params }: ClientRequest,
) -> Response {
    let realm = state.config.issuer.as_str();
    match revocation::introspect(&state.context(), &client, &params).await {
        Ok(info) => no_store_ok(&info, realm),
        Err(e) => token_error(&e, Some(client.id.as_str()), realm),
    }
}
