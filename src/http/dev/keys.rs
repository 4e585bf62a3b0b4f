//! `/_dev/keys/rotate`: a normal key rotation, or dev's immediate one.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::tokens::key_failure;
use super::{DevError, DevJson, answer};
use crate::AppState;

/// `{"immediately"?: bool}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::http) struct RotateBody {
    #[serde(default)]
    immediately: bool,
}

/// `POST /_dev/keys/rotate`: rotates every configured algorithm and answers 200
/// `{"kids": [the kids that sign now], "scheduled": [{"kid", "activates_at"}]}`.
/// Without `immediately`, as `gatehouse keys rotate` does (the next key signs once
/// every cache has it: `scheduled`); with it, a freshly generated key that was never
/// published signs at once, and every earlier key stays published.
pub(in crate::http) async fn rotate(
    State(state): State<AppState>,
    DevJson(body): DevJson<RotateBody>,
) -> Result<Response, DevError> {
    let rotated = state.rotate_keys(body.immediately).await.map_err(key_failure)?;
    let scheduled: Vec<_> =
        rotated.scheduled.iter().map(|r| json!({"kid": r.kid, "activates_at": r.activates_at})).collect();
    Ok(answer(StatusCode::OK, &json!({"kids": rotated.kids, "scheduled": scheduled})))
}
