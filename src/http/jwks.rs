//! `GET /jwks`: the published signing keys (RFC 7517), public members only.

use axum::extract::State;
use axum::response::Response;

use super::AppState;
use super::respond::json;

/// Serves the keys published now. `max-age` is the JWKS cache lifetime that key
/// rotation waits for before a new key signs.
pub(super) async fn get(State(state): State<AppState>) -> Response {
    let config = &state.config;
    let now = state.clock.now();
    let jwks = state.keys.current().jwks(now, config.key_timing().retention());
    let body = serde_json::to_vec(&jwks).unwrap_or_default();
    json(body, &format!("public, max-age={}", config.jwks_max_age))
}
