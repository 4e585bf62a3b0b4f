//! `GET /healthz`: liveness and store reachability, for load balancers and orchestrators.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{AppState, json_response};

/// 200 when the store answers, 503 when it does not.
pub(super) async fn get(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => json_response(r#"{"status":"ok"}"#, "no-store"),
        Err(e) => {
            tracing::warn!(error = %e, "health check: the store does not answer");
            let mut response = json_response(r#"{"status":"unavailable","store":"unreachable"}"#, "no-store");
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response.into_response()
        }
    }
}
