//! `GET/POST /logout`: the `end_session_endpoint` (OpenID Connect RP-Initiated
//! Logout 1.0).

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;

use super::cookies::Cookie;
use super::extract::PageParams;
use super::refusal::{Refusal, attach};
use super::respond::{error_page, see_other, server_error_page};
use super::{AppState, pages, respond};
use crate::oauth::error::ErrorCode;
use crate::oauth::logout::{self, Done, Outcome};

/// Handles a logout request from a relying party (GET, or a cross-site form POST), or
/// the confirmation form's POST (which carries a `csrf` field).
pub(super) async fn handle(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    PageParams(params): PageParams,
) -> Response {
    let path = format!("{}/logout", state.config.issuer.path());
    let confirmed = method == Method::POST && params.has("csrf");
    if method == Method::POST && !confirmed {
        return respond::as_get(&path, &params);
    }
    let action = confirmed.then(|| params.get("action").unwrap_or("logout"));
    let cookie = state.cookies.get(&headers, Cookie::Session);
    match logout::logout(&state.context(), &params, cookie, action).await {
        Ok(Outcome::Done(done)) => finished(&state, done, cookie.is_some()),
        Ok(Outcome::Confirm(confirm)) => pages::render(
            StatusCode::OK,
            &pages::LogoutPage {
                username: &confirm.username,
                client_name: confirm.client_name.as_deref(),
                action: &path,
                csrf: &confirm.csrf,
                fields: &confirm.fields,
                layout: pages::Layout::current(),
            },
        ),
        Ok(Outcome::StillSignedIn) => logged_out_page(false, false),
        Ok(Outcome::Refused(error, client)) => {
            attach(&error, client.as_deref(), error_page(StatusCode::BAD_REQUEST, error.description()))
        }
        Ok(Outcome::Forbidden) => {
            let why = "the logout form's CSRF token is not this browser's session's".to_owned();
            let page = error_page(StatusCode::FORBIDDEN, "The form has expired. Nothing was changed; try again.");
            Refusal::new(ErrorCode::InvalidRequest, why).attach(page)
        }
        Err(e) => {
            tracing::error!(error = %e, "logout: the store failed");
            server_error_page()
        }
    }
}

/// The end of a logout: a 303 to the relying party, or gatehouse's own page. The
/// session cookie, if the browser sent one, is removed either way.
fn finished(state: &AppState, done: Done, had_cookie: bool) -> Response {
    let mut response = match &done.redirect {
        Some(to) => see_other(to),
        None => logged_out_page(true, done.unrecognised_uri),
    };
    if had_cookie {
        response.headers_mut().append(header::SET_COOKIE, state.cookies.clear(Cookie::Session));
    }
    if done.unrecognised_uri {
        let why =
            "post_logout_redirect_uri is not registered for the client (or the client is unknown): not redirected";
        return Refusal::new(ErrorCode::InvalidRequest, why.to_owned())
            .client(done.client_id.as_deref())
            .attach(response);
    }
    response
}

fn logged_out_page(signed_out: bool, unrecognised_uri: bool) -> Response {
    let page = pages::LoggedOutPage { signed_out, unrecognised_uri, layout: pages::Layout::current() };
    pages::render(StatusCode::OK, &page)
}
