//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4).

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::{AppState, json_response};
use crate::config::Config;
use crate::keys::DEFAULT_ALG;

/// Provider metadata (Discovery §3). Only what gatehouse does is advertised; every
/// URL is built from the issuer.
#[derive(Serialize)]
struct Metadata<'a> {
    issuer: &'a str,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    response_types_supported: &'a [&'a str],
    response_modes_supported: &'a [&'a str],
    subject_types_supported: &'a [&'a str],
    id_token_signing_alg_values_supported: Vec<&'a str>,
}

/// The metadata document as JSON bytes.
pub(super) fn document(config: &Config) -> Vec<u8> {
    let issuer = &config.issuer;
    let metadata = Metadata {
        issuer: issuer.as_str(),
        authorization_endpoint: issuer.endpoint("/authorize"),
        token_endpoint: issuer.endpoint("/token"),
        jwks_uri: issuer.endpoint("/jwks"),
        response_types_supported: &["code"],
        response_modes_supported: &["query"],
        subject_types_supported: &["public"],
        id_token_signing_alg_values_supported: vec![DEFAULT_ALG.as_str()],
    };
    // Serialising a struct of strings cannot fail.
    serde_json::to_vec(&metadata).unwrap_or_default()
}

/// Serves the metadata. It changes only with the configuration, so caches may keep it an hour.
pub(super) async fn get(State(state): State<AppState>) -> Response {
    json_response(state.discovery.to_vec(), "public, max-age=3600")
}
