//! Protocol errors as HTTP responses (RFC 6749 §5.2, RFC 6750 §3).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::oauth::error::{ErrorCode, OAuthError};

/// The JSON error body `{error, error_description}`.
fn body(error: &OAuthError) -> String {
    serde_json::json!({"error": error.code.as_str(), "error_description": error.description()}).to_string()
}

/// A JSON response that no cache keeps (token responses and errors alike).
pub fn no_store_json(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// A token-endpoint error: 400, 401 with a Basic challenge for `invalid_client`
/// (RFC 6749 §5.2), 500 for `server_error`.
pub fn token_error(error: &OAuthError, realm: &str) -> Response {
    let status = match error.code {
        ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut response = no_store_json(status, body(error));
    if status == StatusCode::UNAUTHORIZED
        && let Ok(challenge) = HeaderValue::from_str(&format!("Basic realm=\"{realm}\""))
    {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
    }
    response
}

/// A protected-resource error (RFC 6750 §3): the challenge carries the error; without
/// any token the challenge names only the realm (§3.1).
pub fn bearer_error(error: Option<&OAuthError>, realm: &str) -> Response {
    let Some(error) = error else {
        let mut response = no_store_json(StatusCode::UNAUTHORIZED, String::new());
        if let Ok(challenge) = HeaderValue::from_str(&format!("Bearer realm=\"{realm}\"")) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
        }
        response.headers_mut().remove(header::CONTENT_TYPE);
        return response;
    };
    let status = match error.code {
        ErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
        ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNAUTHORIZED,
    };
    let mut response = no_store_json(status, body(error));
    // error_description holds only RFC 6749 characters, so no quote can break out.
    let challenge = format!(
        "Bearer realm=\"{realm}\", error=\"{}\", error_description=\"{}\"",
        error.code.as_str(),
        error.description()
    );
    if let Ok(challenge) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
    }
    response
}
