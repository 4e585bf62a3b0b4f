//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4).

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::AppState;
use super::respond::{json, no_store_json};
use crate::config::Config;
use crate::oauth::{claims, scope};
use crate::store::{GrantType, ScopeRow};

/// Provider metadata (Discovery §3). Only what gatehouse does is advertised; every
/// URL is built from the issuer.
#[derive(Serialize)]
struct Metadata<'a> {
    issuer: &'a str,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    revocation_endpoint: String,
    introspection_endpoint: String,
    jwks_uri: String,
    /// RP-Initiated Logout 1.0 §2.1.
    end_session_endpoint: String,
    scopes_supported: Vec<&'a str>,
    response_types_supported: &'a [&'a str],
    response_modes_supported: &'a [&'a str],
    grant_types_supported: Vec<&'a str>,
    subject_types_supported: &'a [&'a str],
    id_token_signing_alg_values_supported: Vec<&'a str>,
    token_endpoint_auth_methods_supported: &'a [&'a str],
    revocation_endpoint_auth_methods_supported: &'a [&'a str],
    /// Introspection is for confidential clients (resource servers), so no `none`.
    introspection_endpoint_auth_methods_supported: &'a [&'a str],
    code_challenge_methods_supported: &'a [&'a str],
    claims_supported: Vec<&'a str>,
    claims_parameter_supported: bool,
    /// RFC 9207: every authorization response carries `iss`.
    authorization_response_iss_parameter_supported: bool,
}

/// The metadata document as JSON bytes, advertising the `custom` scopes and the
/// claims they release beside OpenID Connect's own.
pub(super) fn document(config: &Config, custom: &[ScopeRow]) -> Vec<u8> {
    let issuer = &config.issuer;
    let metadata = Metadata {
        issuer: issuer.as_str(),
        authorization_endpoint: issuer.endpoint("/authorize"),
        token_endpoint: issuer.endpoint("/token"),
        userinfo_endpoint: issuer.endpoint("/userinfo"),
        revocation_endpoint: issuer.endpoint("/revoke"),
        introspection_endpoint: issuer.endpoint("/introspect"),
        jwks_uri: issuer.endpoint("/jwks"),
        end_session_endpoint: issuer.endpoint("/logout"),
        scopes_supported: scope::SUPPORTED.iter().copied().chain(custom.iter().map(|s| s.name.as_str())).collect(),
        response_types_supported: &["code"],
        response_modes_supported: &["query"],
        grant_types_supported: GrantType::ALL.iter().map(|g| g.as_str()).collect(),
        subject_types_supported: &["public"],
        id_token_signing_alg_values_supported: config.algorithms.iter().map(|a| a.as_str()).collect(),
        token_endpoint_auth_methods_supported: &["client_secret_basic", "client_secret_post", "none"],
        revocation_endpoint_auth_methods_supported: &["client_secret_basic", "client_secret_post", "none"],
        introspection_endpoint_auth_methods_supported: &["client_secret_basic", "client_secret_post"],
        code_challenge_methods_supported: &["S256"],
        claims_supported: claims_supported(custom),
        claims_parameter_supported: true,
        authorization_response_iss_parameter_supported: true,
    };
    // Serialising a struct of strings cannot fail.
    serde_json::to_vec(&metadata).unwrap_or_default()
}

/// gatehouse's own claims, the standard ones, and those the custom scopes release, once each.
fn claims_supported(custom: &[ScopeRow]) -> Vec<&str> {
    let own = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "azp", "at_hash", "sid", "updated_at"];
    let mut names: Vec<&str> = [&own[..], claims::PROFILE, claims::EMAIL, claims::ADDRESS, claims::PHONE].concat();
    for name in custom.iter().flat_map(|s| s.claims.iter()) {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names
}

/// Serves the metadata: the document built at start, or, when a seed file declared
/// custom scopes, one that names them too. Caches may keep it an hour.
pub(super) async fn get(State(state): State<AppState>) -> Response {
    match state.store.list_scopes().await {
        Ok(custom) if custom.is_empty() => json(state.discovery.to_vec(), "public, max-age=3600"),
        Ok(custom) => json(document(&state.config, &custom), "public, max-age=3600"),
        Err(e) => {
            tracing::error!(error = %e, "discovery: the store failed");
            let body =
                serde_json::json!({"error": "server_error", "error_description": "The server failed; try again."});
            no_store_json(axum::http::StatusCode::INTERNAL_SERVER_ERROR, body.to_string())
        }
    }
}
