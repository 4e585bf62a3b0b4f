//! `GET/POST /authorize` (RFC 6749 §4.1.1, OIDC Core §3.1.2).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{AppState, cookies, extract, pages};
use crate::oauth::authorize::{self, AuthorizeError, ErrorRedirect, Next};
use crate::oauth::session;
use crate::secret;
use crate::store::PendingRequestRow;

/// Handles an authorization request, as a GET query or a form POST.
pub(super) async fn handle(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params = match extract::params(&method, query.as_deref(), &headers, &body) {
        Ok(params) => params,
        Err(message) => return pages::error(StatusCode::BAD_REQUEST, &message),
    };
    // A cross-site form POST carries no SameSite=Lax cookies, so the browser's session
    // would look absent. The same request as a top-level GET carries them.
    if method == Method::POST {
        return see_other(&format!("{}/authorize?{}", state.config.issuer.path(), params.to_query()));
    }
    let store = state.store.as_ref();
    let issuer = state.config.issuer.as_str();
    let now = state.clock.now();
    let request = match authorize::validate(store, &state.keys.current(), issuer, &params).await {
        Ok(request) => request,
        Err(AuthorizeError::Page(message)) => return pages::error(StatusCode::BAD_REQUEST, &message),
        Err(AuthorizeError::Redirect(redirect)) => return see_other(&redirect.url(issuer)),
        Err(AuthorizeError::Server) => return server_error(),
    };
    let session = match session::current(store, cookies::get(&headers, cookies::SESSION), now).await {
        Ok(session) => session,
        Err(e) => return log_server_error(&e),
    };
    match authorize::decide(&request, session, now) {
        Err(error) => {
            let redirect = ErrorRedirect { redirect_uri: request.redirect_uri, state: request.state, error };
            see_other(&redirect.url(issuer))
        }
        Ok(Next::Issue(session)) => {
            match authorize::issue_code(store, &request, &session, issuer, state.config.lifetimes.code, now).await {
                Ok(url) => see_other(&url),
                Err(e) => log_server_error(&e),
            }
        }
        Ok(Next::Login) => {
            // Keep the request where any instance can finish it, bound to this browser.
            let (browser, new_browser) = match cookies::get(&headers, cookies::BROWSER) {
                Some(existing) => (existing.to_owned(), false),
                None => (secret::random_token(), true),
            };
            let Ok(json) = serde_json::to_string(&request) else { return server_error() };
            let pending = PendingRequestRow {
                id: secret::random_token(),
                client_id: request.client_id.clone(),
                browser_hash: secret::hash(&browser),
                request: json,
                created_at: now,
                expires_at: now + session::PENDING_LIFETIME,
            };
            if let Err(e) = store.insert_pending_request(&pending).await {
                return log_server_error(&e);
            }
            let login = format!("{}/login?request={}", state.config.issuer.path(), pending.id);
            let mut response = see_other(&login);
            if new_browser {
                response
                    .headers_mut()
                    .append(header::SET_COOKIE, cookies::set(&state.config.issuer, cookies::BROWSER, &browser));
            }
            response
        }
    }
}

/// A 303 redirect: the browser follows it with a GET whatever the request's method.
pub(super) fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = location.parse() {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    response
}

pub(super) fn server_error() -> Response {
    pages::error(StatusCode::INTERNAL_SERVER_ERROR, "The server could not handle the request. Please try again.")
}

pub(super) fn log_server_error(e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "store failure");
    server_error()
}
