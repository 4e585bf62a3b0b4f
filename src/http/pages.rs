//! HTML pages (askama templates under `templates/`): never framed, never cached.
//!
//! Every page struct carries a [`Layout`] (`layout: Layout::current()`), which
//! `base.html` draws: the dev banner, the branding and the palette.

use std::sync::Arc;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::config::Branding;
use crate::config::colour::Rgb;
use crate::config::palette::{DARK, LIGHT};
use crate::oauth::consent::ScopeLine;
use crate::oauth::dev::DevForm;

/// What the frame around every page (`base.html`) shows.
pub(super) struct Layout {
    /// Whether the banner shows (dev mode).
    pub dev_banner: bool,
    /// The organisation's name, logo and accent colour.
    pub brand: Arc<Branding>,
}

impl Layout {
    /// The layout for the request being served: its branding, and the banner under dev.
    pub(super) fn current() -> Self {
        let brand = BRAND.try_with(Arc::clone).unwrap_or_default();
        Self { dev_banner: in_dev_mode(), brand }
    }

    /// The light palette's custom properties.
    pub(super) fn light(&self) -> [(&'static str, Rgb); 11] {
        LIGHT.vars()
    }

    /// The dark palette's custom properties.
    pub(super) fn dark(&self) -> [(&'static str, Rgb); 11] {
        DARK.vars()
    }
}

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
    /// The frame: banner and branding.
    pub layout: Layout,
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
    /// The frame: banner and branding.
    pub layout: Layout,
}

/// An error shown to the user instead of a redirect.
#[derive(Template)]
#[template(path = "error.html")]
pub(super) struct ErrorPage<'a> {
    /// The page's heading.
    pub title: &'a str,
    /// What went wrong, for the person reading it.
    pub message: &'a str,
    /// The frame: banner and branding.
    pub layout: Layout,
}

/// The logout confirmation: "Sign out of <organisation>?".
#[derive(Template)]
#[template(path = "logout.html")]
pub(super) struct LogoutPage<'a> {
    /// The signed-in user's username.
    pub username: &'a str,
    /// The client's name, if the client is known.
    pub client_name: Option<&'a str>,
    /// Where the form posts.
    pub action: &'a str,
    /// The CSRF token.
    pub csrf: &'a str,
    /// The request's parameters, carried back as hidden fields.
    pub fields: &'a [(&'static str, String)],
    /// The frame: banner and branding.
    pub layout: Layout,
}

/// The end of a logout (or of its refusal by the user): what is signed in now.
#[derive(Template)]
#[template(path = "logged_out.html")]
pub(super) struct LoggedOutPage {
    /// False when the user chose to stay signed in.
    pub signed_out: bool,
    /// Whether the application's `post_logout_redirect_uri` was not recognised.
    pub unrecognised_uri: bool,
    /// The frame: banner and branding.
    pub layout: Layout,
}

tokio::task_local! {
    /// Set for the requests `gatehouse dev` serves, so that every page shows the banner.
    static DEV_MODE: ();
    /// The configured branding, set for every request (pages are rendered from
    /// handlers and extractors alike, so it travels with the request, not as an argument).
    static BRAND: Arc<Branding>;
}

/// Middleware: the pages rendered for the request carry `brand`.
pub(super) async fn branded(
    axum::extract::State(brand): axum::extract::State<Arc<Branding>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    BRAND.scope(brand, next.run(request)).await
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

/// The pages' policy without a logo.
const NO_IMAGES_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

/// The pages' policy: nothing but the inline style sheet, and the logo's origin for
/// images if there is a logo; never framed (CSP Level 3, `frame-ancestors`).
fn content_security_policy(brand: &Branding) -> String {
    let images = brand.logo.as_ref().map(|logo| format!("; img-src {}", logo.origin)).unwrap_or_default();
    format!("default-src 'none'; style-src 'unsafe-inline'{images}; frame-ancestors 'none'; base-uri 'none'")
}

/// Renders a page with the headers every HTML response carries.
pub(super) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let mut response = (status, Html(body)).into_response();
            let headers = response.headers_mut();
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            // An origin's ASCII serialisation is always a valid header value; were it
            // not, the page would lose its logo, never its policy.
            let csp = HeaderValue::from_str(&content_security_policy(&Layout::current().brand))
                .unwrap_or_else(|_| HeaderValue::from_static(NO_IMAGES_POLICY));
            headers.insert(header::CONTENT_SECURITY_POLICY, csp);
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot render a page");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}
