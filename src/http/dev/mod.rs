//! `gatehouse dev`'s control API under `{issuer}/_dev/`, for relying parties' test
//! suites: JSON in, JSON out, routed only in dev mode (see [`super::router`]).
//!
//! Every request passes [`guard`] first: its `Host` must be the issuer's (no DNS
//! rebinding), a browser's `Origin` must be the issuer's, and a body must be
//! `application/json`, which no HTML form can send (no cross-site form posts).
//! Refusals are JSON `{error, error_description}` with a 4xx status, and change nothing.

pub(super) mod clients;
pub(super) mod clock;
pub(crate) mod control;
pub(super) mod keys;
pub(super) mod login;
pub(super) mod requests;
pub(super) mod seed;
pub(super) mod tokens;
pub(super) mod users;

use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::AppState;
use super::extract::read_body;
use super::respond::no_store_json;
use crate::oauth::fixture::FixtureError;

/// A refused control request: its status, error code and description.
#[derive(Debug)]
pub(super) struct DevError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl DevError {
    /// A refusal, logged here (at the edge) with what was wrong.
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        let description = description.into();
        tracing::info!(status = status.as_u16(), error, "dev API refused a request: {description}");
        Self { status, error, description }
    }

    /// 400: the request is malformed.
    fn invalid(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }
}

impl DevError {
    /// 500 `server_error`, its cause logged where it happened.
    fn server_error() -> Self {
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, error: "server_error", description: String::new() }
    }
}

impl From<FixtureError> for DevError {
    fn from(e: FixtureError) -> Self {
        match e {
            FixtureError::Invalid(why) => Self::invalid(why),
            FixtureError::Conflict(why) => Self::new(StatusCode::CONFLICT, "conflict", why),
            FixtureError::NotFound(why) => Self::new(StatusCode::NOT_FOUND, "not_found", why),
            FixtureError::Store(e) => {
                tracing::error!(error = %e, "dev API: the store failed");
                Self::server_error()
            }
        }
    }
}

impl IntoResponse for DevError {
    fn into_response(self) -> Response {
        let body = match self.error {
            "server_error" => serde_json::json!({"error": self.error}),
            _ => serde_json::json!({"error": self.error, "error_description": self.description}),
        };
        no_store_json(self.status, body.to_string())
    }
}

/// A JSON answer with `status`.
fn answer(status: StatusCode, body: &serde_json::Value) -> Response {
    no_store_json(status, body.to_string())
}

/// 204 No Content.
fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// The JSON body of a control request, as `T`: unknown fields, a missing body and
/// malformed JSON are refused (400). [`guard`] has checked the content type.
pub(super) struct DevJson<T>(pub(super) T);

impl<T: DeserializeOwned> FromRequest<AppState> for DevJson<T> {
    type Rejection = DevError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, DevError> {
        let body = read_body(request, state)
            .await
            .map_err(|e| DevError::new(e.status(), "invalid_request", e.description()))?;
        if body.is_empty() {
            return Err(DevError::invalid("this call needs a JSON body"));
        }
        serde_json::from_slice(&body)
            .map(Self)
            .map_err(|e| DevError::invalid(format!("the body is not what this call takes: {e}")))
    }
}

/// The path parameter of a control request, or 400.
fn path_param(
    path: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<String, DevError> {
    path.map(|p| p.0).map_err(|e| DevError::invalid(format!("the path is malformed: {e}")))
}

/// 404 for a path under `/_dev/` that is no call.
pub(super) async fn unknown_call() -> DevError {
    DevError::new(StatusCode::NOT_FOUND, "not_found", "there is no such call under /_dev/")
}

/// 405 for a call with another method.
pub(super) async fn wrong_method() -> DevError {
    DevError::new(StatusCode::METHOD_NOT_ALLOWED, "invalid_request", "this call does not take this method")
}

/// What every control request must satisfy before its handler runs.
pub(super) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match check_request(&state, &request) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

fn check_request(state: &AppState, request: &Request) -> Result<(), DevError> {
    let issuer = url::Url::parse(state.config.issuer.as_str()).map_err(|_| DevError::invalid("no issuer"))?;
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    if !host.is_some_and(|host| is_issuer_host(&issuer, host)) {
        return Err(DevError::new(
            StatusCode::FORBIDDEN,
            "invalid_host",
            format!("the Host header must be the issuer's host and port, {}", host_of(&issuer)),
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN)
        && origin.as_bytes() != issuer.origin().ascii_serialization().as_bytes()
    {
        let why = "the control API takes no cross-origin requests";
        return Err(DevError::new(StatusCode::FORBIDDEN, "invalid_origin", why));
    }
    if has_body(headers) && !is_json(headers) {
        return Err(DevError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be Content-Type: application/json",
        ));
    }
    Ok(())
}

/// Whether `host` (a `Host` header) names the issuer's host and port.
fn is_issuer_host(issuer: &url::Url, host: &str) -> bool {
    if host.contains(['/', '@', '?', '#', '\\']) {
        return false;
    }
    match url::Url::parse(&format!("{}://{host}/", issuer.scheme())) {
        Ok(given) => given.host() == issuer.host() && given.port_or_known_default() == issuer.port_or_known_default(),
        Err(_) => false,
    }
}

/// The issuer's `host:port`, as a `Host` header names it.
fn host_of(issuer: &url::Url) -> String {
    match issuer.port() {
        Some(port) => format!("{}:{port}", issuer.host_str().unwrap_or_default()),
        None => issuer.host_str().unwrap_or_default().to_owned(),
    }
}

/// Whether a request has (or says it has) a body.
fn has_body(headers: &HeaderMap) -> bool {
    let length = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok());
    headers.contains_key(header::CONTENT_TYPE)
        || headers.contains_key(header::TRANSFER_ENCODING)
        || length.is_some_and(|l| l.trim() != "0")
}

/// Whether the body is declared `application/json` (parameters such as `charset` allowed).
fn is_json(headers: &HeaderMap) -> bool {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    content_type.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_issuers_host_and_port() {
        let issuer = url::Url::parse("http://127.0.0.1:8080").unwrap();
        assert!(is_issuer_host(&issuer, "127.0.0.1:8080"));
        for bad in [
            "127.0.0.1",
            "127.0.0.1:8081",
            "localhost:8080",
            "evil.example",
            "x@127.0.0.1:8080",
            "127.0.0.1:8080/x",
            "",
        ] {
            assert!(!is_issuer_host(&issuer, bad), "{bad}");
        }
        let named = url::Url::parse("http://LocalHost").unwrap();
        assert!(is_issuer_host(&named, "localhost") && is_issuer_host(&named, "localhost:80"));
        assert_eq!(host_of(&issuer), "127.0.0.1:8080");
    }
}
