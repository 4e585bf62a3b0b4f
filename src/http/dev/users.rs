//! `/_dev/users`: create, replace, remove a user, and end everything issued to them.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{DevError, DevJson, answer, no_content, path_param};
use crate::AppState;
use crate::oauth::fixture::{self, UserSpec};
use crate::store::User;

/// `{"username", "password"?, "claims"?}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::http) struct UserBody {
    username: Option<String>,
    password: Option<String>,
    claims: Option<Map<String, Value>>,
}

fn answer_user(status: StatusCode, user: &User, created: Option<bool>) -> Response {
    let mut body = json!({"username": user.username, "sub": user.id});
    if let Some(created) = created {
        body["created"] = created.into();
    }
    answer(status, &body)
}

/// `POST /_dev/users`: 201 `{"username", "sub"}`; 409 if the username is taken.
pub(in crate::http) async fn post(
    State(state): State<AppState>,
    DevJson(body): DevJson<UserBody>,
) -> Result<Response, DevError> {
    let username = body.username.ok_or_else(|| DevError::invalid("username is required"))?;
    let spec = UserSpec { username, password: body.password, claims: body.claims };
    let user = fixture::create_user(&state.context(), spec).await?;
    Ok(answer_user(StatusCode::CREATED, &user, None))
}

/// `PUT /_dev/users/{username}`: 200 `{"username", "sub", "created"}`, the user
/// created or replaced (keeping their `sub`).
pub(in crate::http) async fn put(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    DevJson(body): DevJson<UserBody>,
) -> Result<Response, DevError> {
    let username = path_param(path)?;
    if body.username.as_ref().is_some_and(|named| *named != username) {
        return Err(DevError::invalid("the body's username differs from the path's"));
    }
    let spec = UserSpec { username, password: body.password, claims: body.claims };
    let (user, created) = fixture::put_user(&state.context(), spec).await?;
    Ok(answer_user(StatusCode::OK, &user, Some(created)))
}

/// `DELETE /_dev/users/{username}`: 204, or 404 if there is none.
pub(in crate::http) async fn delete(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, DevError> {
    fixture::delete_user(&state.context(), &path_param(path)?).await?;
    Ok(no_content())
}

/// `POST /_dev/users/{username}/revoke`: 204, every grant and refresh-token family of
/// the user ended; 404 if there is no such user.
pub(in crate::http) async fn revoke(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, DevError> {
    let username = path_param(path)?;
    let ended = fixture::revoke_user(&state.context(), &username).await?;
    tracing::info!(username, grants = ended, "dev API: revoked every grant of a user");
    Ok(no_content())
}
