//! `/_dev/seed`: a seed in the seed-file format, as JSON, applied as a seed file is.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::{DevError, DevJson, answer};
use crate::AppState;
use crate::seed::{Rules, SeedError, apply_json};
use crate::store::StoreError;

/// `POST /_dev/seed`: 200 `{"applied": {"clients", "users", "scopes", "presets"}}`, the
/// counts of what the seed declared; 400 naming the entry at fault, and nothing changed.
pub(in crate::http) async fn post(
    State(state): State<AppState>,
    DevJson(seed): DevJson<Value>,
) -> Result<Response, DevError> {
    let applied = match apply_json(state.store.as_ref(), &seed, Rules::Dev, state.clock.now()).await {
        Ok(applied) => applied,
        Err(SeedError::Store { error: StoreError::Conflict, .. }) => {
            return Err(DevError::new(StatusCode::CONFLICT, "conflict", "the seed conflicts with what is stored"));
        }
        Err(SeedError::Store { error, .. }) => {
            tracing::error!(error = %error, "dev API: applying a seed failed");
            return Err(DevError::server_error());
        }
        Err(e) => return Err(DevError::invalid(e.to_string())),
    };
    let counts = json!({"clients": applied.clients, "users": applied.users, "scopes": applied.scopes,
        "presets": applied.presets});
    Ok(answer(StatusCode::OK, &json!({"applied": counts})))
}
