//! `/_dev/clock`: the provider's time, and moving it forward.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{DevError, DevJson, answer};
use crate::AppState;
use crate::oauth::fixture::parse_advance;

/// `{"advance": "90s" | "10m" | "2h" | "1d" | <seconds>}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::http) struct AdvanceBody {
    advance: Value,
}

fn clock_answer(state: &AppState) -> Response {
    let offset = state.dev.as_ref().map_or(0, |dev| dev.clock.offset());
    answer(StatusCode::OK, &json!({"now": state.clock.now(), "offset": offset}))
}

/// `GET /_dev/clock`: 200 `{"now": <Unix seconds>, "offset": <seconds ahead of the wall clock>}`.
pub(in crate::http) async fn get(State(state): State<AppState>) -> Response {
    clock_answer(&state)
}

/// `POST /_dev/clock`: moves the provider's time forward, as if that time had passed;
/// 200 `{"now", "offset"}`.
pub(in crate::http) async fn post(
    State(state): State<AppState>,
    DevJson(body): DevJson<AdvanceBody>,
) -> Result<Response, DevError> {
    let by = parse_advance(&body.advance).map_err(DevError::invalid)?;
    let Some(dev) = &state.dev else { return Err(DevError::invalid("not in dev mode")) };
    let now = dev.clock.advance(by);
    tracing::info!(seconds = by.as_secs(), now, "dev API: moved the clock forward");
    // The keys as of the new time, so that their reload does not look overdue.
    if let Err(e) = state.keys.reload(state.store.as_ref(), now).await {
        tracing::warn!(error = %e, "dev API: reloading the keys after moving the clock failed");
    }
    Ok(clock_answer(&state))
}
