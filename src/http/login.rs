//! `GET/POST /login`: the login page between `/authorize` and the code.

use axum::body::Bytes;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::Extensions;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;

use super::authorize::{log_server_error, see_other, server_error};
use super::{AppState, cookies, extract, pages};
use crate::oauth::authorize::{self, AuthorizationRequest};
use crate::oauth::error::OAuthError;
use crate::oauth::params::Params;
use crate::oauth::{session, throttle};
use crate::secret;
use crate::store::PendingRequestRow;

const EXPIRED: &str = "This sign-in link has expired or was already used.";
const FAILED: &str = "Incorrect username or password.";

/// Shows the form for a pending request (GET), or checks the credentials (POST).
pub(super) async fn handle(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    extensions: Extensions,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params = match extract::params(&method, query.as_deref(), &headers, &body) {
        Ok(params) => params,
        Err(message) => return pages::error(StatusCode::BAD_REQUEST, &message),
    };
    let now = state.clock.now();
    let Some(browser) = cookies::get(&headers, cookies::BROWSER) else {
        return pages::error(StatusCode::BAD_REQUEST, "Cookies must be enabled to sign in.");
    };
    let Some(request_id) = params.get("request") else {
        return pages::error(StatusCode::BAD_REQUEST, "The sign-in request is missing.");
    };
    // Only the browser that started the request may finish it.
    let pending = match state.store.find_pending_request(request_id, now).await {
        Ok(Some(p)) if secret::verify(browser, &p.browser_hash) => p,
        Ok(_) => return pages::error(StatusCode::BAD_REQUEST, EXPIRED),
        Err(e) => return log_server_error(&e),
    };
    let Ok(request) = serde_json::from_str::<AuthorizationRequest>(&pending.request) else { return server_error() };
    if method == Method::GET {
        let hint = request.login_hint.as_deref().unwrap_or("");
        return form(&state, &pending, browser, hint, None).await;
    }
    if !params.get("csrf").is_some_and(|csrf| session::check_csrf(browser, request_id, csrf)) {
        return pages::error(StatusCode::FORBIDDEN, "The form has expired. Go back to the application and try again.");
    }
    let old_session = cookies::get(&headers, cookies::SESSION);
    let address = client_address(&state, &headers, &extensions);
    submit(&state, &pending, &request, browser, old_session, address, &params).await
}

/// The client's address: the peer's, or the last entry a trusted proxy added to the
/// configured header.
fn client_address(state: &AppState, headers: &HeaderMap, extensions: &Extensions) -> Option<IpAddr> {
    if let Some(header) = &state.config.client_ip_header {
        let forwarded = headers.get_all(header).iter().filter_map(|v| v.to_str().ok()).next_back();
        return forwarded.and_then(|v| v.rsplit(',').next()).and_then(|ip| ip.trim().parse().ok());
    }
    extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip())
}

async fn form(
    state: &AppState,
    pending: &PendingRequestRow,
    browser: &str,
    username: &str,
    error: Option<&str>,
) -> Response {
    let client = state.store.find_client(&pending.client_id).await.ok().flatten();
    let client_name = client.as_ref().map(|c| if c.name.is_empty() { &c.id } else { &c.name });
    let action = format!("{}/login", state.config.issuer.path());
    let page = pages::LoginPage {
        client_name: client_name.map_or(pending.client_id.as_str(), |n| n.as_str()),
        action: &action,
        request_id: &pending.id,
        csrf: &session::csrf_token(browser, &pending.id),
        username,
        error,
    };
    let status = if error.is_some() { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
    pages::render(status, &page)
}

/// The form again, with 429 and `Retry-After`, while the account or address is blocked.
async fn too_many(
    state: &AppState,
    pending: &PendingRequestRow,
    browser: &str,
    username: &str,
    retry_after: i64,
) -> Response {
    let message = format!("Too many failed sign-in attempts. Try again in {retry_after} seconds.");
    let mut response = form(state, pending, browser, username, Some(&message)).await;
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    response.headers_mut().insert(header::RETRY_AFTER, retry_after.into());
    response
}

async fn submit(
    state: &AppState,
    pending: &PendingRequestRow,
    request: &AuthorizationRequest,
    browser: &str,
    old_session: Option<&str>,
    address: Option<IpAddr>,
    params: &Params,
) -> Response {
    let store = state.store.as_ref();
    let username = params.get("username").unwrap_or("");
    let password = params.get("password").unwrap_or("");
    let throttle = throttle::Keys::new(username, address);
    let now = state.clock.now();
    match throttle::retry_after(store, &throttle, now).await {
        Ok(Some(wait)) => return too_many(state, pending, browser, username, wait).await,
        Ok(None) => {}
        Err(e) => return log_server_error(&e),
    }
    // Counted before the password is checked, so parallel guesses cannot slip past.
    match throttle::attempt(store, &throttle, now).await {
        Ok(Ok(())) => {}
        Ok(Err(wait)) => return too_many(state, pending, browser, username, wait).await,
        Err(e) => return log_server_error(&e),
    }
    let user = match session::check_password(store, username, password).await {
        Ok(Some(user)) => user,
        Ok(None) => return form(state, pending, browser, username, Some(FAILED)).await,
        Err(e) => return log_server_error(&e),
    };
    if let Err(e) = throttle::succeeded(store, &throttle).await {
        return log_server_error(&e);
    }
    // OIDC Core §3.1.2.1: the user the client named with id_token_hint must be the one
    // who signs in.
    if request.hinted_sub.as_ref().is_some_and(|sub| *sub != user.id) {
        let error = OAuthError::login_required("the user who signed in is not the one id_token_hint names");
        let redirect = authorize::ErrorRedirect {
            redirect_uri: request.redirect_uri.clone(),
            state: request.state.clone(),
            error,
        };
        // The request is finished either way; if removing it fails, it expires on its own.
        let _ = store.take_pending_request(&pending.id, now).await;
        return see_other(&redirect.url(state.config.issuer.as_str()));
    }
    // The request is used once: a second submission finds nothing.
    match store.take_pending_request(&pending.id, now).await {
        Ok(Some(_)) => {}
        Ok(None) => return pages::error(StatusCode::BAD_REQUEST, EXPIRED),
        Err(e) => return log_server_error(&e),
    }
    // A login replaces the browser's previous session rather than leaving it behind.
    if let Some(old) = old_session
        && let Err(e) = store.delete_session(&secret::hash(old)).await
    {
        return log_server_error(&e);
    }
    let (cookie, session) = match session::start(store, &user, state.config.lifetimes.session, now).await {
        Ok(started) => started,
        Err(e) => return log_server_error(&e),
    };
    let issuer = state.config.issuer.as_str();
    let url = match authorize::issue_code(store, request, &session, issuer, state.config.lifetimes.code, now).await {
        Ok(url) => url,
        Err(e) => return log_server_error(&e),
    };
    let mut response = see_other(&url);
    response.headers_mut().append(header::SET_COOKIE, cookies::set(&state.config.issuer, cookies::SESSION, &cookie));
    response
}
