//! A relying party built with axum: it logs users in with gatehouse (the
//! authorization code flow with PKCE, `client_secret_basic`, a verified ID token) and
//! serves an API that accepts gatehouse's access tokens (RFC 9068).
//!
//! ```text
//! cargo run --release -- dev            # prints the demo client's secret
//! GATEHOUSE_ISSUER=http://127.0.0.1:8080 GATEHOUSE_CLIENT_ID=demo \
//!   GATEHOUSE_CLIENT_SECRET=… cargo run --example axum_rp
//! # then open http://127.0.0.1:3000/login
//! ```
//!
//! `rp.rs` holds the protocol (discovery, keys, token checks); this file the routes.
//! Its tests (`tests.rs`, `cargo test --example axum_rp`) run it against
//! `gatehouse::testing::Provider`.

mod rp;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::json;

use rp::{Config, Rp};

/// How long a login may take, from `/login` to `/callback`.
const LOGIN_LIFETIME: Duration = Duration::from_secs(600);
/// The session cookie's name.
const COOKIE: &str = "rp_session";

impl Config {
    /// `GATEHOUSE_ISSUER`, `GATEHOUSE_CLIENT_ID`, `GATEHOUSE_CLIENT_SECRET` and
    /// optionally `RP_API_AUDIENCE` (default: the issuer).
    fn from_env(redirect_uri: String) -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
        let issuer = var("GATEHOUSE_ISSUER")?.trim_end_matches('/').to_owned();
        Ok(Self {
            api_audience: var("RP_API_AUDIENCE").unwrap_or_else(|_| issuer.clone()),
            issuer,
            client_id: var("GATEHOUSE_CLIENT_ID")?,
            client_secret: var("GATEHOUSE_CLIENT_SECRET")?,
            redirect_uri,
        })
    }
}

/// Listens on `RP_LISTEN` (default `127.0.0.1:3000`), with the redirect URI
/// `http://{that address}/callback`.
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listen = std::env::var("RP_LISTEN").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    let addr = listener.local_addr()?;
    let rp = Rp::discover(Config::from_env(format!("http://{addr}/callback"))?).await?;
    println!("axum_rp: log in at http://{addr}/login (issuer {})", rp.config.issuer);
    axum::serve(listener, router(Arc::new(rp))).await?;
    Ok(())
}

/// A login under way, by its `state`.
struct Pending {
    nonce: String,
    verifier: String,
    started: Instant,
}

/// A logged-in user, by session id.
#[derive(Clone, serde::Serialize)]
struct Session {
    sub: String,
    email: Option<String>,
}

/// What the handlers share.
struct App {
    rp: Arc<Rp>,
    pending: Mutex<HashMap<String, Pending>>,
    sessions: Mutex<HashMap<String, Session>>,
}

/// The relying party's routes: `/`, `/login`, `/callback` and `/api/me`.
fn router(rp: Arc<Rp>) -> Router {
    let app = App { rp, pending: Mutex::default(), sessions: Mutex::default() };
    Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/callback", get(callback))
        .route("/api/me", get(me))
        .with_state(Arc::new(app))
}

/// A failed request: its status and a message for the user.
struct Failure(StatusCode, String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

fn bad_request(why: impl std::fmt::Display) -> Failure {
    Failure(StatusCode::BAD_REQUEST, why.to_string())
}

/// 256 random bits, base64url: states, nonces, PKCE verifiers, session ids.
fn random() -> Result<String, Failure> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Locks a map, even one a panicking handler left poisoned.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `GET /`: who is logged in, by the session cookie.
async fn home(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let cookies = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let id = cookies.split(';').find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='));
    match id.and_then(|id| lock(&app.sessions).get(id).cloned()) {
        Some(session) => Json(session).into_response(),
        None => Json(json!({ "logged_in": false, "login": "/login" })).into_response(),
    }
}

/// `GET /login`: a fresh state, nonce and PKCE verifier (RFC 7636 S256), kept here,
/// and a 303 to the authorization endpoint.
async fn login(State(app): State<Arc<App>>) -> Result<Redirect, Failure> {
    let (state, nonce, verifier) = (random()?, random()?, random()?);
    let challenge = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    let mut url = url::Url::parse(&app.rp.metadata.authorization_endpoint).map_err(bad_request)?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &app.rp.config.client_id)
        .append_pair("redirect_uri", &app.rp.config.redirect_uri)
        .append_pair("scope", "openid profile email")
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &URL_SAFE_NO_PAD.encode(challenge))
        .append_pair("code_challenge_method", "S256");
    let mut pending = lock(&app.pending);
    pending.retain(|_, p| p.started.elapsed() < LOGIN_LIFETIME);
    pending.insert(state, Pending { nonce, verifier, started: Instant::now() });
    Ok(Redirect::to(url.as_str()))
}

/// The authorization response (RFC 6749 §4.1.2, RFC 9207).
#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /callback`: checks `state` (one we issued, once) and `iss`, redeems the code
/// with the verifier, verifies the ID token, and starts a session.
async fn callback(State(app): State<Arc<App>>, Query(response): Query<Callback>) -> Result<Response, Failure> {
    let state = response.state.as_deref().unwrap_or_default();
    let pending = lock(&app.pending).remove(state);
    let pending = pending.filter(|p| p.started.elapsed() < LOGIN_LIFETIME);
    let pending = pending.ok_or_else(|| bad_request("unknown, used or expired state: log in again"))?;
    // RFC 9207 §2.4: the response must come from the provider we sent the user to.
    if response.iss.as_deref() != Some(app.rp.config.issuer.as_str()) {
        return Err(bad_request(format!("the response's iss is {:?}, not our issuer", response.iss)));
    }
    if let Some(error) = response.error {
        return Err(bad_request(format!("login failed: {error}: {}", response.error_description.unwrap_or_default())));
    }
    let code = response.code.ok_or_else(|| bad_request("the response has no code"))?;
    let tokens = app
        .rp
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &app.rp.config.redirect_uri),
            ("code_verifier", &pending.verifier),
        ])
        .await
        .map_err(|e| bad_request(format!("the provider refused the code: {e}")))?;
    let unauthorized = |why: String| Failure(StatusCode::UNAUTHORIZED, why);
    let id_token = tokens.id_token.ok_or_else(|| unauthorized("no ID token".into()))?;
    let claims = app.rp.verify_id_token(&id_token, &pending.nonce, &tokens.access_token).await;
    let claims = claims.map_err(|e| unauthorized(format!("the ID token is invalid: {e}")))?;
    let session = Session { sub: claims.sub, email: claims.email };
    let id = random()?;
    lock(&app.sessions).insert(id.clone(), session.clone());
    let cookie = format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax");
    Ok(([(header::SET_COOKIE, cookie)], Json(session)).into_response())
}

/// `GET /api/me`: the bearer access token's `sub` and `scope`, once verified;
/// otherwise 401 with `WWW-Authenticate` (RFC 6750 §3).
async fn me(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let Some(token) = authorization.and_then(|v| v.strip_prefix("Bearer ")) else {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")]).into_response();
    };
    match app.rp.verify_access_token(token).await {
        Ok(claims) => Json(json!({ "sub": claims.sub, "scope": claims.scope })).into_response(),
        Err(e) => {
            // The description is a header value: keep it to printable ASCII, no quotes.
            let why: String = e.0.chars().map(|c| if c.is_ascii_graphic() && c != '"' { c } else { ' ' }).collect();
            let challenge = format!("Bearer error=\"invalid_token\", error_description=\"{why}\"");
            (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, challenge)], Json(json!({ "error": e.0 })))
                .into_response()
        }
    }
}
