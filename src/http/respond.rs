//! The responses handlers share: redirects, JSON, error pages, and protocol errors
//! (RFC 6749 §5.2, RFC 6750 §3). A protocol error's response carries its refusal to
//! the log ([`refusal`](super::refusal)).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::pages;
use super::refusal::{self, Refusal};
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::pending::Refusal as Unusable;

/// A 303 redirect: the browser follows it with a GET whatever the request's method.
pub(super) fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = location.parse() {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An error page for the person at the browser (never a redirect: the client or its
/// redirect URI may not be trusted).
pub(super) fn error_page(status: StatusCode, message: &str) -> Response {
    let title = if status.is_server_error() { "Something went wrong" } else { "This request cannot be completed" };
    pages::render(status, &pages::ErrorPage { title, message, layout: pages::Layout::current() })
}

/// The page for a failure on the server's side (already logged where it happened).
pub(super) fn server_error_page() -> Response {
    error_page(StatusCode::INTERNAL_SERVER_ERROR, "The server could not handle the request. Please try again.")
}

/// A JSON body with a `Cache-Control` header.
pub(super) fn json(body: impl Into<axum::body::Body>, cache_control: &str) -> Response {
    let mut response = Response::new(body.into());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(value) = HeaderValue::from_str(cache_control) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    response
}

/// The JSON error body `{error, error_description}`.
fn body(error: &OAuthError) -> String {
    serde_json::json!({"error": error.code.as_str(), "error_description": error.description()}).to_string()
}

/// A JSON response that no cache keeps (token responses and errors alike).
pub(super) fn no_store_json(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// A token-endpoint error: 400, 401 with a Basic challenge for `invalid_client`
/// (RFC 6749 §5.2), 500 for `server_error`; refused to `client`, if it is known.
pub(super) fn token_error(error: &OAuthError, client: Option<&str>, realm: &str) -> Response {
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
    refusal::attach(error, client, response)
}

/// A protected-resource error (RFC 6750 §3): the challenge carries the error; without
/// any token the challenge names only the realm (§3.1). Refused to `client`, if it is known.
pub(super) fn bearer_error(error: Option<&OAuthError>, client: Option<&str>, realm: &str) -> Response {
    let Some(error) = error else {
        let mut response = no_store_json(StatusCode::UNAUTHORIZED, String::new());
        if let Ok(challenge) = HeaderValue::from_str(&format!("Bearer realm=\"{realm}\"")) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
        }
        response.headers_mut().remove(header::CONTENT_TYPE);
        return Refusal::without_code("no access token was sent").attach(response);
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
    refusal::attach(error, client, response)
}

/// A JSON success body that no cache keeps.
pub(super) fn no_store_ok(body: &impl serde::Serialize, realm: &str) -> Response {
    match serde_json::to_string(body) {
        Ok(body) => no_store_json(StatusCode::OK, body),
        Err(_) => token_error(&OAuthError::server_error(), None, realm),
    }
}

/// What the log says of a login (or consent) that cannot go on.
pub(super) fn why_refused(refusal: Unusable) -> &'static str {
    match refusal {
        Unusable::NoCookies => "the browser sent no browser cookie (cookies are off or blocked)",
        Unusable::NoRequest => "the page was opened without a pending request",
        Unusable::Expired => "the pending request has expired, was used already, or is another browser's",
        Unusable::FormExpired => "the form's CSRF token is not this browser's for this request",
    }
}

/// The page for a login (or consent) that cannot go on.
pub(super) fn refused_page(refusal: Unusable) -> Response {
    let (status, message) = match refusal {
        Unusable::NoCookies => (StatusCode::BAD_REQUEST, "Cookies must be enabled to sign in."),
        Unusable::NoRequest => (StatusCode::BAD_REQUEST, "The sign-in request is missing."),
        Unusable::Expired => (StatusCode::BAD_REQUEST, "This sign-in link has expired or was already used."),
        Unusable::FormExpired => {
            (StatusCode::FORBIDDEN, "The form has expired. Go back to the application and try again.")
        }
    };
    error_page(status, message)
}

/// A browser's cross-site form POST to `path` answered with a 303 to the same request
/// as a GET: the POST carries no `SameSite=Lax` cookies, so the browser's session would
/// look absent; the top-level GET it is sent to carries them.
pub(super) fn as_get(path: &str, params: &crate::oauth::params::Params) -> Response {
    see_other(&format!("{path}?{}", params.to_query()))
}
