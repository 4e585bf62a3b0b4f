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
    answer(StatusCode::OK, &json!({"now": state.clock.now(), "offset": state.clock_offset()}))
}

/// `GET /_dev/clock`: 200 `{"now": <Unix seconds>, "offset": <seconds ahead of the wall clock>}`.
pub(in crate::http) async fn get(State(state): State<AppState>) -> Response {
    clock_answer(&state)
}

/// `POST /_dev/clock`: moves the provider's time forward, as if that time had passed
/// (key upkeep then runs at once, so a rotation due by then is scheduled); 200 `{"now", "offset"}`.
pub(in crate::http) async fn post(
    State(state): State<AppState>,
    DevJson(body): DevJson<AdvanceBody>,
) -> Result<Response, DevError> {
    let by = parse_advance(&body.advance).map_err(DevError::invalid)?;
    state.advance_clock(by).await.ok_or_else(|| DevError::invalid("not in dev mode"))?;
    Ok(clock_answer(&state))
}
