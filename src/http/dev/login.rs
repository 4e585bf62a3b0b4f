//! `/_dev/login`: a code, or the tokens, for a user and a client without a browser.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::{DevError, DevJson, answer};
use crate::AppState;
use crate::oauth::fixture_login::{self, LoggedIn, LoginError, LoginSpec};

/// `{"username", "client_id", "redirect_uri", "scope", "state"?, "nonce"?,
/// "code_challenge"?, "code_challenge_method"?, "tokens"?}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::http) struct LoginBody {
    username: String,
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    #[serde(default)]
    tokens: bool,
}

impl From<LoginError> for DevError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::NotFound(why) => Self::new(StatusCode::NOT_FOUND, "not_found", why),
            LoginError::Invalid(e) => Self::new(StatusCode::BAD_REQUEST, e.code.as_str(), e.description()),
            LoginError::Server => Self::server_error(),
        }
    }
}

/// `POST /_dev/login`: 200 `{"code", "state", "redirect"}`; with `"tokens": true`, the
/// token endpoint's response. 404 for an unknown user or client; 400 with the OAuth
/// error for a request the authorization endpoint would refuse.
pub(in crate::http) async fn post(
    State(state): State<AppState>,
    DevJson(body): DevJson<LoginBody>,
) -> Result<Response, DevError> {
    let spec = LoginSpec {
        username: body.username,
        client_id: body.client_id,
        redirect_uri: body.redirect_uri,
        scope: body.scope,
        state: body.state,
        nonce: body.nonce,
        code_challenge: body.code_challenge,
        code_challenge_method: body.code_challenge_method,
        tokens: body.tokens,
    };
    Ok(match fixture_login::log_in(&state.context(), spec).await? {
        LoggedIn::Code { code, state, redirect } => {
            answer(StatusCode::OK, &json!({"code": code, "state": state, "redirect": redirect}))
        }
        LoggedIn::Tokens(tokens) => {
            let body = serde_json::to_value(&tokens).map_err(|_| DevError::server_error())?;
            answer(StatusCode::OK, &body)
        }
    })
}
