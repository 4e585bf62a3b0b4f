//! The HTTP edge: routing, extraction and responses. No SQL and no protocol rules
//! here: each handler extracts what the request carries, calls one protocol entry
//! point with a [`Context`], and renders the outcome (shared responses: `respond`;
//! refusals are logged once, by `refusal`).

mod authorize;
mod consent;
mod cookies;
mod dev;
mod discovery;
mod extract;
mod health;
mod jwks;
mod login;
mod logout;
mod pages;
mod refusal;
mod respond;
mod server;
mod token;
mod userinfo;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::{delete, get, post, put};

use crate::clock::{Clock, OffsetClock};
use crate::config::Config;
use crate::keys::Keyring;
use crate::oauth::Context;
use crate::oauth::dev::DevMode;
use crate::oauth::request_log::RequestLog;
use crate::store::Store;

pub use server::Limits;
pub(crate) use server::serve;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The store.
    pub store: Arc<dyn Store>,
    /// The signing keys.
    pub keys: Arc<Keyring>,
    /// The one source of time.
    pub clock: Arc<dyn Clock>,
    /// The discovery document without custom scopes, built once from the configuration.
    discovery: Arc<[u8]>,
    /// How the issuer names and scopes its cookies.
    cookies: Arc<cookies::Cookies>,
    /// Dev mode: only [`AppState::in_dev_mode`] sets it, and only `gatehouse dev` calls that.
    dev: Option<Arc<DevState>>,
}

/// What dev mode adds to the state.
struct DevState {
    /// What `gatehouse dev` changes in the protocol.
    mode: DevMode,
    /// The state's clock, which `POST /_dev/clock` moves forward.
    clock: Arc<OffsetClock>,
    /// The requests received, for `GET /_dev/requests`.
    requests: RequestLog,
}

impl AppState {
    /// Assembles the state; the discovery document is rendered here, once.
    pub fn new(config: Config, store: Arc<dyn Store>, keys: Arc<Keyring>, clock: Arc<dyn Clock>) -> Self {
        let discovery = discovery::document(&config, &[]).into();
        let cookies = Arc::new(cookies::Cookies::for_issuer(&config.issuer));
        Self { config: Arc::new(config), store, keys, clock, discovery, cookies, dev: None }
    }

    /// The same state in dev mode: what `gatehouse dev` serves (and tests of it). Its
    /// clock becomes an [`OffsetClock`] over the one given, which the dev-only control
    /// API under `/_dev/` (routed only then) moves forward.
    pub fn in_dev_mode(mut self, dev: DevMode) -> Self {
        let clock = Arc::new(OffsetClock::over(self.clock.clone()));
        self.clock = clock.clone();
        self.dev = Some(Arc::new(DevState { mode: dev, clock, requests: RequestLog::default() }));
        self
    }

    /// What protocol code needs for one request: the keys as loaded now, and now.
    pub fn context(&self) -> Context<'_> {
        Context {
            store: self.store.as_ref(),
            keys: self.keys.current(),
            issuer: &self.config.issuer,
            lifetimes: &self.config.lifetimes,
            now: self.clock.now(),
            clock_skew: self.config.clock_skew,
            dev: self.dev.as_deref().map(|d| &d.mode),
        }
    }
}

/// The largest request body read, in bytes; the extractors' refusal names it (64 KiB).
const BODY_LIMIT: usize = 64 * 1024;

/// All routes on one screen, served under the issuer's path.
pub fn router(state: AppState) -> Router {
    // What browser apps call directly, from any origin and without cookies.
    // (Introspection is for resource servers, so it stays same-origin.)
    let cross_origin = Router::new()
        .route("/.well-known/openid-configuration", get(discovery::get))
        .route("/jwks", get(jwks::get))
        .route("/token", post(token::post))
        .route("/revoke", post(token::revoke))
        .route("/userinfo", get(userinfo::handle).post(userinfo::handle))
        .layer(axum::middleware::from_fn(cors));
    let routes = Router::new()
        .merge(cross_origin)
        .route("/introspect", post(token::introspect))
        .route("/authorize", get(authorize::handle).post(authorize::handle))
        .route("/login", get(login::handle).post(login::handle))
        .route("/consent", get(consent::handle).post(consent::handle))
        .route("/logout", get(logout::handle).post(logout::handle))
        .route("/healthz", get(health::get));
    // The test fixture's control API exists only in dev mode: under `serve` its paths
    // are unknown ones.
    let routes = if state.dev.is_some() { routes.nest("/_dev", dev_api(&state)) } else { routes };
    let routes = routes
        // OAuth requests are small; refuse big bodies before reading them.
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    let prefix = state.config.issuer.path().to_owned();
    let app = if prefix.is_empty() { routes } else { Router::new().nest(&prefix, routes) };
    let https = state.config.issuer.is_https();
    let brand = Arc::new(state.config.branding.clone());
    let dev = state.dev.is_some().then(|| state.clone());
    let app = app.with_state(state);
    // Under dev, every page says so (see `pages::in_dev_mode`), and requests are logged.
    let app = match dev {
        Some(state) => app
            .layer(axum::middleware::from_fn(pages::dev_mode))
            .layer(axum::middleware::from_fn_with_state(state, dev::requests::record)),
        None => app,
    };
    app.layer(axum::middleware::from_fn_with_state(brand, pages::branded))
        .layer(axum::middleware::from_fn_with_state(Arc::<str>::from(prefix), refusal::log))
        .layer(axum::middleware::map_response(move |response| security_headers(response, https)))
}

/// The test fixture's control API (`/_dev/...`), behind its guard.
fn dev_api(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/users", post(dev::users::post))
        .route("/users/{username}", put(dev::users::put).delete(dev::users::delete))
        .route("/users/{username}/revoke", post(dev::users::revoke))
        .route("/clients", post(dev::clients::post))
        .route("/clients/{client_id}", delete(dev::clients::delete))
        .route("/clock", get(dev::clock::get).post(dev::clock::post))
        .route("/tokens", post(dev::tokens::post))
        .route("/keys/rotate", post(dev::keys::rotate))
        .route("/login", post(dev::login::post))
        .route("/requests", get(dev::requests::get).delete(dev::requests::delete))
        .route("/seed", post(dev::seed::post))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), dev::guard))
        .method_not_allowed_fallback(dev::wrong_method)
        .fallback(dev::unknown_call)
}

/// CORS (Fetch standard) for the cross-origin endpoints: any origin may call them,
/// since they use no cookies; preflights are answered here.
async fn cors(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = if request.method() == axum::http::Method::OPTIONS {
        let mut preflight = Response::new(axum::body::Body::empty());
        *preflight.status_mut() = axum::http::StatusCode::NO_CONTENT;
        let headers = preflight.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("authorization, content-type"));
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        preflight
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("www-authenticate"));
    response
}

/// Headers every response carries; behind an https issuer, browsers are also told
/// to use https only (HSTS, RFC 6797).
async fn security_headers(mut response: Response, https: bool) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if https {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}
