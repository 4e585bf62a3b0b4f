//! `/_dev/tokens`: an ID token or access token on demand, with at most one defect.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{DevError, DevJson, answer};
use crate::AppState;
use crate::keys::KeyError;
use crate::oauth::defects::Defect;
use crate::oauth::mint::{self, MintError, MintSpec, TokenKind};

/// `{"token", "username", "client_id", "nonce"?, "claims"?, "defect"?}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::http) struct TokenBody {
    token: String,
    username: String,
    client_id: String,
    nonce: Option<String>,
    claims: Option<Map<String, Value>>,
    defect: Option<String>,
}

/// `POST /_dev/tokens`: 200 `{"token"}`, with `"access_token"` for an ID token; 400
/// for an unknown defect or one the kind of token cannot have; 404 for an unknown
/// user or client.
pub(in crate::http) async fn post(
    State(state): State<AppState>,
    DevJson(body): DevJson<TokenBody>,
) -> Result<Response, DevError> {
    let kind = TokenKind::parse(&body.token).map_err(DevError::invalid)?;
    let defect = body.defect.as_deref().map(Defect::parse).transpose().map_err(DevError::invalid)?;
    let spec = MintSpec {
        kind,
        username: body.username,
        client_id: body.client_id,
        nonce: body.nonce,
        claims: body.claims.unwrap_or_default(),
        defect,
    };
    let minted = mint::mint(&state.context(), spec).await?;
    let mut answered = json!({"token": minted.token});
    if let Some(access_token) = minted.access_token {
        answered["access_token"] = access_token.into();
    }
    Ok(answer(StatusCode::OK, &answered))
}

impl From<MintError> for DevError {
    fn from(e: MintError) -> Self {
        match e {
            MintError::Refused(refused) => refused.into(),
            MintError::Keys(e) => key_failure(e),
        }
    }
}

/// A signing-key failure: 500, logged here.
pub(super) fn key_failure(e: KeyError) -> DevError {
    tracing::error!(error = %e, "dev API: the signing keys failed");
    DevError { status: StatusCode::INTERNAL_SERVER_ERROR, error: "server_error", description: String::new() }
}
