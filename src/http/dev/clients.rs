//! `/_dev/clients`: register and remove a client.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::{DevError, DevJson, answer, no_content, path_param};
use crate::AppState;
use crate::oauth::fixture::{self, ClientSpec};
use crate::store::ClientKind;

/// `{"client_id", "client_secret"?, "redirect_uris", "public"?, "grant_types"?, "id_token_claims"?,
/// "third_party"?, "post_logout_redirect_uris"?}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::http) struct ClientBody {
    client_id: String,
    client_secret: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    public: bool,
    #[serde(default)]
    grant_types: Vec<String>,
    #[serde(default)]
    id_token_claims: bool,
    #[serde(default)]
    third_party: bool,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
}

/// `POST /_dev/clients`: 201 the client with its `client_secret` (generated when not
/// given; none for a public client); 409 if the id is taken.
pub(in crate::http) async fn post(
    State(state): State<AppState>,
    DevJson(body): DevJson<ClientBody>,
) -> Result<Response, DevError> {
    let spec = ClientSpec {
        client_id: body.client_id,
        client_secret: body.client_secret,
        redirect_uris: body.redirect_uris,
        public: body.public,
        grant_types: body.grant_types,
        id_token_claims: body.id_token_claims,
        third_party: body.third_party,
        post_logout_redirect_uris: body.post_logout_redirect_uris,
    };
    let (client, secret) = fixture::register_client(&state.context(), spec).await?;
    let mut answered = json!({
        "client_id": client.id,
        "redirect_uris": client.redirect_uris,
        "public": client.kind == ClientKind::Public,
        "grant_types": client.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "id_token_claims": client.id_token_claims,
        "third_party": client.third_party,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "require_pkce": client.require_pkce,
    });
    if let Some(secret) = secret {
        answered["client_secret"] = secret.into();
    }
    Ok(answer(StatusCode::CREATED, &answered))
}

/// `DELETE /_dev/clients/{client_id}`: 204, or 404 if there is none.
pub(in crate::http) async fn delete(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, DevError> {
    fixture::delete_client(&state.context(), &path_param(path)?).await?;
    Ok(no_content())
}
