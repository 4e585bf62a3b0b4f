//! `GET/POST /authorize` (RFC 6749 §4.1.1, OIDC Core §3.1.2).

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;

use super::cookies::Cookie;
use super::extract::PageParams;
use super::refusal::attach;
use super::respond::{error_page, see_other, server_error_page};
use super::{AppState, respond};
use crate::oauth::authorize::{self, Outcome};
use crate::oauth::consent::Step;

/// Handles an authorization request, as a GET query or a form POST.
pub(super) async fn handle(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    PageParams(params): PageParams,
) -> Response {
    if method == Method::POST {
        return respond::as_get(&format!("{}/authorize", state.config.issuer.path()), &params);
    }
    let browser = state.cookies.browser(&headers, None);
    match authorize::authorize(&state.context(), &params, browser).await {
        Ok(Outcome::Page(page)) => {
            attach(&page.error, page.client_id.as_deref(), error_page(StatusCode::BAD_REQUEST, page.message))
        }
        Ok(Outcome::Redirect(url)) => see_other(&url),
        Ok(Outcome::Refused(redirect)) => {
            let response = see_other(&redirect.url(state.config.issuer.as_str()));
            attach(&redirect.error, Some(redirect.client_id.as_str()), response)
        }
        Ok(Outcome::LoggedIn { step, session_cookie }) => super::consent::step(&state, step, Some(&session_cookie)),
        Ok(Outcome::Consent(begun)) => super::consent::step(&state, Step::Ask(begun), None),
        Ok(Outcome::Login(begun)) => {
            let issuer = &state.config.issuer;
            let mut response = see_other(&format!("{}/login?request={}", issuer.path(), begun.request_id));
            if let Some(id) = begun.new_browser_id {
                response.headers_mut().append(header::SET_COOKIE, state.cookies.set(Cookie::Browser, &id));
            }
            response
        }
        Err(_) => server_error_page(),
    }
}
