//! `GET /healthz`: liveness and store reachability, for load balancers and orchestrators.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::respond::json;

/// 200 when the store answers and the keys are fresh, 503 otherwise: an instance
/// that has not reloaded its keys for longer than the rotation margins allow may be
/// signing with a key the others no longer publish, and should leave the pool.
pub(super) async fn get(State(state): State<AppState>) -> Response {
    let stale = state.clock.now() - state.keys.loaded_at() > state.config.key_timing().propagation();
    if stale {
        tracing::warn!("health check: signing keys have not been reloaded in time");
        let mut response = json(r#"{"status":"unavailable","keys":"stale"}"#, "no-store");
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        return response;
    }
    match state.store.ping().await {
        Ok(()) => json(r#"{"status":"ok"}"#, "no-store"),
        Err(e) => {
            tracing::warn!(error = %e, "health check: the store does not answer");
            let mut response = json(r#"{"status":"unavailable","store":"unreachable"}"#, "no-store");
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response.into_response()
        }
    }
}
