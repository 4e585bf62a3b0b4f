//! `/_dev/keys/rotate`: a normal key rotation, or dev's immediate one.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::tokens::key_failure;
use super::{DevError, DevJson, answer};
use crate::AppState;
use crate::keys;

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
    // The immediate rotation breaks publish-before-use: dev mode only.
    if state.dev.is_none() {
        return Err(DevError::invalid("not in dev mode"));
    }
    let (store, kek, now) = (state.store.as_ref(), state.keys.kek(), state.clock.now());
    let mut scheduled = Vec::new();
    for &alg in &state.config.algorithms {
        if body.immediately {
            let kid = keys::rotate_immediately(store, alg, kek, now).await.map_err(key_failure)?;
            tracing::info!(%kid, "dev API: a new {alg} key signs at once");
        } else if let Some(rotation) =
            keys::rotate(store, alg, kek, state.config.key_timing(), now, None).await.map_err(key_failure)?
        {
            scheduled.push(json!({"kid": rotation.kid, "activates_at": rotation.activates_at}));
        }
    }
    state.keys.reload(store, now).await.map_err(key_failure)?;
    let current = state.keys.current();
    let kids: Vec<&str> =
        state.config.algorithms.iter().filter_map(|alg| current.active(*alg, now).ok()).map(|k| k.kid()).collect();
    Ok(answer(StatusCode::OK, &json!({"kids": kids, "scheduled": scheduled})))
}
