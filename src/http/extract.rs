//! Reading OAuth requests strictly: parameters from the query (GET) or a
//! form-encoded body (POST), HTTP Basic client credentials, and Bearer tokens. The
//! extractors answer malformed input themselves: an error page for the browser's
//! pages, `invalid_request` or `invalid_client` for clients. A body they cannot read
//! (too large, or broken off) gets the same forms, with its own status.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use base64::Engine;

use super::refusal::attach;
use super::respond::{bearer_error, error_page, token_error};
use super::{AppState, Limits};
use crate::oauth::client_auth::{self, Credentials};
use crate::oauth::error::OAuthError;
use crate::oauth::params::Params;
use crate::store::Client;

/// The parameters of a request a browser makes (`/authorize`, `/login`); malformed
/// ones get an error page.
pub(super) struct PageParams(pub(super) Params);

impl<S: Send + Sync> FromRequest<S> for PageParams {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let (method, query, headers) =
            (request.method().clone(), request.uri().query().map(str::to_owned), request.headers().clone());
        let body = read_body(request, state)
            .await
            .map_err(|e| attach(&e.oauth(), None, error_page(e.status(), e.page_message())))?;
        params(&method, query.as_deref(), &headers, &body).map(Self).map_err(|message| {
            let page = error_page(StatusCode::BAD_REQUEST, &message);
            attach(&OAuthError::invalid_request(message), None, page)
        })
    }
}

/// A form request from an authenticated client (RFC 6749 §2.3), to the token,
/// revocation or introspection endpoint.
pub(super) struct ClientRequest {
    /// The client, authenticated.
    pub(super) client: Client,
    /// The form's parameters.
    pub(super) params: Params,
}

impl FromRequest<AppState> for ClientRequest {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let realm = state.config.issuer.as_str();
        let headers = request.headers().clone();
        let body = read_body(request, state)
            .await
            .map_err(|e| with_status(token_error(&e.oauth(), None, realm), e.status()))?;
        let params = params(&Method::POST, None, &headers, &body)
            .map_err(|message| token_error(&OAuthError::invalid_request(message), None, realm))?;
        let credentials = basic_auth(&headers)
            .and_then(|basic| Credentials::from_request(basic, &params))
            .map_err(|e| token_error(&e, None, realm))?;
        let client = client_auth::authenticate(state.store.as_ref(), &credentials)
            .await
            .map_err(|e| token_error(&e.error, e.client.as_deref(), realm))?;
        Ok(Self { client, params })
    }
}

/// Why a request's body could not be read. Each extractor answers it in its
/// endpoint's own error form, with this status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyError {
    /// Longer than the routes' body limit ([`super::BODY_LIMIT`]).
    TooLarge,
    /// Not all there within the body read timeout ([`Limits::body_read`]).
    TimedOut,
    /// The connection failed before the whole body arrived.
    Unreadable,
}

impl BodyError {
    pub(super) fn status(self) -> StatusCode {
        match self {
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TimedOut => StatusCode::REQUEST_TIMEOUT,
            Self::Unreadable => StatusCode::BAD_REQUEST,
        }
    }

    /// What was wrong with the body, as an `error_description`.
    pub(super) fn description(self) -> &'static str {
        match self {
            Self::TooLarge => "the request body is larger than 64 KiB",
            Self::TimedOut => "the request body did not arrive in time",
            Self::Unreadable => "the request body could not be read",
        }
    }

    fn oauth(self) -> OAuthError {
        OAuthError::invalid_request(self.description())
    }

    fn page_message(self) -> &'static str {
        match self {
            Self::TooLarge => "The request is larger than 64 KiB.",
            Self::TimedOut => "The request did not arrive in time.",
            Self::Unreadable => "The request could not be read.",
        }
    }
}

/// The whole body of a request, within the routes' body limit and, all of it, within
/// the body read timeout (a deadline, so that a trickle of bytes does not extend it).
/// The caller's refusal says why it failed, in the log too.
pub(super) async fn read_body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, BodyError> {
    let timeout = request.extensions().get::<Limits>().unwrap_or(&Limits::DEFAULT).body_read;
    match tokio::time::timeout(timeout, Bytes::from_request(request, state)).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(rejection)) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(BodyError::TooLarge),
        Ok(Err(_)) => Err(BodyError::Unreadable),
        Err(_) => Err(BodyError::TimedOut),
    }
}

/// `response` with another status (its body and headers kept).
fn with_status(mut response: Response, status: StatusCode) -> Response {
    *response.status_mut() = status;
    response
}

/// The parameters of a request: the query of a GET, the form body of a POST.
fn params(method: &Method, query: Option<&str>, headers: &HeaderMap, body: &Bytes) -> Result<Params, String> {
    if method == Method::GET {
        return Params::parse(query.unwrap_or("").as_bytes());
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err("the body must be application/x-www-form-urlencoded".into());
    }
    Params::parse(body)
}

/// The access token of a protected-resource request (RFC 6750 §2); a missing or
/// malformed one gets a Bearer challenge.
pub(super) struct BearerToken(pub(super) String);

impl FromRequest<AppState> for BearerToken {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let realm = state.config.issuer.as_str();
        let (method, headers) = (request.method().clone(), request.headers().clone());
        let body = read_body(request, state)
            .await
            .map_err(|e| with_status(bearer_error(Some(&e.oauth()), None, realm), e.status()))?;
        // A form body may carry the token (RFC 6750 §2.2); any other body is not read.
        let form = if method == Method::POST && !body.is_empty() {
            let form = params(&method, None, &headers, &body)
                .map_err(|message| bearer_error(Some(&OAuthError::invalid_request(message)), None, realm))?;
            Some(form)
        } else {
            None
        };
        match bearer(&headers, form.as_ref()) {
            Bearer::Token(token) => Ok(Self(token)),
            Bearer::Missing => Err(bearer_error(None, None, realm)),
            Bearer::Invalid(e) => Err(bearer_error(Some(&e), None, realm)),
        }
    }
}

/// HTTP Basic client credentials (RFC 6749 §2.3.1: id and secret are form-urlencoded
/// before base64). `None` without an `Authorization: Basic` header.
fn basic_auth(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(None) };
    let value = value.to_str().map_err(|_| malformed())?;
    let Some((scheme, encoded)) = value.split_once(' ') else { return Err(malformed()) };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape = |s: &str| -> Result<String, OAuthError> {
        let spaced = s.replace('+', " ");
        let text = percent_encoding::percent_decode_str(&spaced).decode_utf8().map_err(|_| malformed())?;
        // No client id or secret has a NUL, and PostgreSQL cannot compare text with one.
        if text.contains('\0') { Err(malformed()) } else { Ok(text.into_owned()) }
    };
    Ok(Some((unescape(id)?, unescape(secret)?)))
}

fn malformed() -> OAuthError {
    OAuthError::invalid_client("the Authorization header is malformed")
}

/// Where the access token came from (RFC 6750 §2).
enum Bearer {
    /// No token at all.
    Missing,
    /// A token from the header or the form body.
    Token(String),
    /// Something malformed, or a token sent two ways at once.
    Invalid(OAuthError),
}

/// The Bearer token of a request: `Authorization: Bearer` (§2.1) or, for a form POST,
/// `access_token` in the body (§2.2); never both (§2).
fn bearer(headers: &HeaderMap, form: Option<&Params>) -> Bearer {
    let from_header = match headers.get(header::AUTHORIZATION).map(|v| v.to_str()) {
        None => None,
        Some(Ok(v)) => match v.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
                Some(token.trim().to_owned())
            }
            _ => return Bearer::Invalid(OAuthError::invalid_request("the Authorization header is not a Bearer token")),
        },
        Some(Err(_)) => return Bearer::Invalid(OAuthError::invalid_request("the Authorization header is malformed")),
    };
    let from_body = form.and_then(|p| p.get("access_token")).map(str::to_owned);
    match (from_header, from_body) {
        (Some(_), Some(_)) => Bearer::Invalid(OAuthError::invalid_request("send the access token one way, not two")),
        (Some(token), None) | (None, Some(token)) => Bearer::Token(token),
        (None, None) => Bearer::Missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut headers = HeaderMap::new();
        // "my%20app:p%3Ass" → id "my app", secret "p:ss"
        let encoded = base64::engine::general_purpose::STANDARD.encode("my%20app:p%3Ass");
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Basic {encoded}")).unwrap());
        assert_eq!(basic_auth(&headers).ok().flatten(), Some(("my app".into(), "p:ss".into())));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert!(basic_auth(&headers).is_err());
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(basic_auth(&headers).ok().flatten(), None);
    }
}
