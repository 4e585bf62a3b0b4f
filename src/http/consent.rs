//! `GET/POST /consent`: the consent page between the login and the code for
//! third-party clients and `prompt=consent` (OIDC Core §3.1.2.4).

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;

use super::cookies::Cookie;
use super::extract::PageParams;
use super::refusal::{Refusal, attach};
use super::respond::{error_page, see_other, server_error_page};
use super::{AppState, pages, respond};
use crate::oauth::consent::{self, Outcome, Page, Step};
use crate::oauth::error::ErrorCode;
use crate::oauth::pending::Begun;

/// Shows the page for a pending request (GET), or takes the user's answer (POST).
pub(super) async fn handle(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    PageParams(params): PageParams,
) -> Response {
    let browser = state.cookies.browser(&headers, None);
    let ctx = state.context();
    let outcome = if method == Method::GET {
        consent::show(&ctx, browser, &params).await
    } else {
        consent::finish(&ctx, browser, &params).await
    };
    match outcome {
        Ok(Outcome::Page(page)) => render(&state, &page),
        Ok(Outcome::Allowed(url)) => see_other(&url),
        Ok(Outcome::Denied(redirect)) => {
            let response = see_other(&redirect.url(state.config.issuer.as_str()));
            attach(&redirect.error, Some(redirect.client_id.as_str()), response)
        }
        Ok(Outcome::Refused(refusal, client)) => refused(refusal).client(client.as_deref()).attach(page(refusal)),
        Err(_) => server_error_page(),
    }
}

/// The response for where the browser goes once its user is known: the client (with
/// a code or an error) or the consent page; with the new session cookie, if any.
pub(super) fn step(state: &AppState, step: Step, session_cookie: Option<&str>) -> Response {
    let mut response = match step {
        Step::Code(url) => see_other(&url),
        Step::Refused(redirect) => {
            let response = see_other(&redirect.url(state.config.issuer.as_str()));
            attach(&redirect.error, Some(redirect.client_id.as_str()), response)
        }
        Step::Ask(begun) => to_page(state, begun),
    };
    if let Some(cookie) = session_cookie {
        response.headers_mut().append(header::SET_COOKIE, state.cookies.set(Cookie::Session, cookie));
    }
    response
}

/// The redirect to the consent page for a kept request, setting the browser id cookie
/// when the browser had none.
fn to_page(state: &AppState, begun: Begun) -> Response {
    let issuer = &state.config.issuer;
    let mut response = see_other(&format!("{}/consent?request={}", issuer.path(), begun.request_id));
    if let Some(id) = begun.new_browser_id {
        response.headers_mut().append(header::SET_COOKIE, state.cookies.set(Cookie::Browser, &id));
    }
    response
}

/// The page.
fn render(state: &AppState, page: &Page) -> Response {
    let action = format!("{}/consent", state.config.issuer.path());
    let template = pages::ConsentPage {
        client_name: &page.client_name,
        username: &page.username,
        action: &action,
        request_id: &page.request_id,
        csrf: &page.csrf,
        scopes: &page.scopes,
        layout: pages::Layout::current(),
    };
    pages::render(StatusCode::OK, &template)
}

/// What the log says of a refusal.
fn refused(refusal: consent::Refusal) -> Refusal {
    let why = match refusal {
        consent::Refusal::Login(refusal) => respond::why_refused(refusal),
        consent::Refusal::SignedOut => "the session the request waits in has ended, or the browser has another",
        consent::Refusal::Decision => "the consent form's decision is neither allow nor deny",
    };
    Refusal::new(ErrorCode::InvalidRequest, why.to_owned())
}

/// The page for a consent that cannot go on.
fn page(refusal: consent::Refusal) -> Response {
    match refusal {
        consent::Refusal::Login(refusal) => respond::refused_page(refusal),
        consent::Refusal::SignedOut => {
            error_page(StatusCode::BAD_REQUEST, "The sign-in has ended. Go back to the application and sign in again.")
        }
        consent::Refusal::Decision => error_page(StatusCode::BAD_REQUEST, "Choose Allow or Deny."),
    }
}
