//! `GET/POST /login`: the login page between `/authorize` and the code.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use tracing::instrument::WithSubscriber;

use super::extract::PageParams;
use super::refusal::{Refusal, attach};
use super::respond::{refused_page, see_other, server_error_page, why_refused};
use super::{AppState, pages};
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::login::{self, Failure, Form, Outcome};

/// Shows the form for a pending request (GET), or checks the credentials (POST).
pub(super) async fn handle(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    extensions: Extensions,
    PageParams(params): PageParams,
) -> Response {
    let address = client_address(&state, &headers, &extensions);
    let outcome = if method == Method::GET {
        login::show(&state.context(), state.cookies.browser(&headers, address), &params).await
    } else {
        // A submitted login runs to its end even if the browser goes away meanwhile:
        // the throttle slots it holds in the store are given back only by its end.
        let task = tokio::spawn({
            let state = state.clone();
            async move { login::finish(&state.context(), state.cookies.browser(&headers, address), &params).await }
                .with_current_subscriber()
        });
        task.await.unwrap_or_else(|_| Err(OAuthError::server_error()))
    };
    match outcome {
        Ok(Outcome::Form(form)) => render_form(&state, &form),
        Ok(Outcome::LoggedIn { step, session_cookie }) => super::consent::step(&state, step, Some(&session_cookie)),
        Ok(Outcome::Failed { form, client_id, rejected }) => {
            let wait = match form.failure {
                Some(Failure::Throttled(wait)) => format!(": blocked for {wait} s more"),
                _ => String::new(),
            };
            Refusal::new(ErrorCode::AccessDenied, format!("{}{wait}", rejected.reason))
                .client(Some(client_id.as_str()))
                .user(rejected.user.as_deref())
                .attach(render_form(&state, &form))
        }
        Ok(Outcome::Redirect(redirect)) => {
            let response = see_other(&redirect.url(state.config.issuer.as_str()));
            attach(&redirect.error, Some(redirect.client_id.as_str()), response)
        }
        Ok(Outcome::Refused(refusal)) => refused(refusal),
        Err(_) => server_error_page(),
    }
}

/// The client's address: the last entry a trusted proxy added to the configured
/// header, or else the peer's. A request without a usable entry (one that bypassed the
/// proxy, or a garbled header) is throttled by the peer's address, never by none.
fn client_address(state: &AppState, headers: &HeaderMap, extensions: &Extensions) -> Option<IpAddr> {
    let forwarded = state.config.client_ip_header.as_ref().and_then(|header| {
        let last = headers.get_all(header).iter().next_back()?.to_str().ok()?;
        last.rsplit(',').next()?.trim().parse().ok()
    });
    forwarded.or_else(|| extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip()))
}

/// The form: 200, 401 after a failed attempt, 429 with `Retry-After` while blocked.
fn render_form(state: &AppState, form: &Form) -> Response {
    let (status, message) = match &form.failure {
        None => (StatusCode::OK, None),
        Some(Failure::Credentials) => (StatusCode::UNAUTHORIZED, Some("Incorrect username or password.".to_owned())),
        Some(Failure::Throttled(wait)) => (
            StatusCode::TOO_MANY_REQUESTS,
            Some(format!("Too many failed sign-in attempts. Try again in {wait} seconds.")),
        ),
        Some(Failure::Dev(why)) => (StatusCode::BAD_REQUEST, Some(why.clone())),
    };
    let action = format!("{}/login", state.config.issuer.path());
    let page = pages::LoginPage {
        client_name: &form.client_name,
        action: &action,
        request_id: &form.request_id,
        csrf: &form.csrf,
        username: &form.username,
        error: message.as_deref(),
        dev: form.dev.as_ref(),
        layout: pages::Layout::current(),
    };
    let mut response = pages::render(status, &page);
    if let Some(Failure::Throttled(wait)) = &form.failure {
        response.headers_mut().insert(header::RETRY_AFTER, (*wait).into());
    }
    response
}

/// The page for a login that cannot go on; the log is told why in protocol words.
fn refused(refusal: login::Refusal) -> Response {
    Refusal::new(ErrorCode::InvalidRequest, why_refused(refusal).to_owned()).attach(refused_page(refusal))
}
