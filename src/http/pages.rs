//! HTML pages (askama templates under `templates/`): never framed, never cached.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::oauth::consent::ScopeLine;
use crate::oauth::dev::DevForm;

/// The login form.
#[derive(Template)]
#[template(path = "login.html")]
pub(super) struct LoginPage<'a> {
    /// Who is asking: the client's name, or its id.
    pub client_name: &'a str,
    /// Where the form posts.
    pub action: &'a str,
    /// The pending request's id.
    pub request_id: &'a str,
    /// The CSRF token.
    pub csrf: &'a str,
    /// The username to prefill (`login_hint`, or what was typed).
    pub username: &'a str,
    /// A failure message.
    pub error: Option<&'a str>,
    /// Under dev mode: the claims field and the presets' names.
    pub dev: Option<&'a DevForm>,
    /// Whether the banner shows (dev mode).
    pub dev_banner: bool,
}

/// The consent page.
#[derive(Template)]
#[template(path = "consent.html")]
pub(super) struct ConsentPage<'a> {
    /// Who is asking: the client's name, or its id.
    pub client_name: &'a str,
    /// Who is signed in.
    pub username: &'a str,
    /// Where the form posts.
    pub action: &'a str,
    /// The pending request's id.
    pub request_id: &'a str,
    /// The CSRF token.
    pub csrf: &'a str,
    /// The requested scopes, in plain words.
    pub scopes: &'a [ScopeLine],
    /// Whether the banner shows (dev mode).
    pub dev_banner: bool,
}

/// An error shown to the user instead of a redirect.
#[derive(Template)]
#[template(path = "error.html")]
pub(super) struct ErrorPage<'a> {
    /// The page's heading.
    pub title: &'a str,
    /// What went wrong, for the person reading it.
    pub message: &'a str,
    /// Whether the banner shows (dev mode).
    pub dev_banner: bool,
}

tokio::task_local! {
    /// Set for the requests `gatehouse dev` serves, so that every page shows the banner.
    static DEV_MODE: ();
}

/// Middleware, installed only in dev mode: the pages rendered for the request show
/// the dev banner.
pub(super) async fn dev_mode(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    DEV_MODE.scope((), next.run(request)).await
}

/// Whether the page being rendered is served by `gatehouse dev`.
pub(super) fn in_dev_mode() -> bool {
    DEV_MODE.try_with(|()| ()).is_ok()
}

/// Renders a page with the headers every HTML response carries.
pub(super) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let mut response = (status, Html(body)).into_response();
            let headers = response.headers_mut();
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
                ),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot render a page");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}
