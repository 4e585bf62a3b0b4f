//! `POST /_dev/login`: a code (or the tokens) for a user and a client without a
//! browser. The request is checked by the authorization endpoint's rules, the user
//! logged in as dev's headless login does, and the code redeemed by the token
//! endpoint's grant: the same paths as the flow a browser goes through.

use super::Context;
use super::authorize::{self, AuthorizeError};
use super::consent::{self, Step};
use super::error::{ErrorCode, OAuthError};
use super::grant::{self, TokenResponse};
use super::login::{self, Browser};
use super::params::Params;
use super::{is_active, pkce};
use crate::secret;
use crate::store::StoreError;

/// What a relying party's suite asks for: the authorization request's parameters,
/// and whether the provider redeems the code itself.
#[derive(Debug, Default)]
pub struct LoginSpec {
    /// Who logs in.
    pub username: String,
    /// The client the code is for.
    pub client_id: String,
    /// One of the client's registered redirect URIs.
    pub redirect_uri: String,
    /// The requested scope.
    pub scope: String,
    /// Echoed back.
    pub state: Option<String>,
    /// Carried into the ID token.
    pub nonce: Option<String>,
    /// The PKCE challenge (RFC 7636), as the client would send it.
    pub code_challenge: Option<String>,
    /// Its method (`S256`).
    pub code_challenge_method: Option<String>,
    /// Redeem the code and answer the token response instead.
    pub tokens: bool,
}

/// What the login gave.
#[derive(Debug)]
pub enum LoggedIn {
    /// The code, with the request's `state` and the redirect that carries them.
    Code {
        /// The authorization code.
        code: String,
        /// The request's `state`.
        state: Option<String>,
        /// Where the browser would have been sent: the redirect URI with `code`,
        /// `state` and `iss`.
        redirect: String,
    },
    /// The token endpoint's response for the code.
    Tokens(TokenResponse),
}

/// Why a login was refused; nothing was issued.
#[derive(Debug)]
pub enum LoginError {
    /// No such user or client.
    NotFound(String),
    /// The request breaks a rule of the authorization (or token) endpoint.
    Invalid(OAuthError),
    /// The store failed, or the server (already logged).
    Server,
}

impl From<StoreError> for LoginError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "dev login: the store failed");
        Self::Server
    }
}

impl From<OAuthError> for LoginError {
    fn from(e: OAuthError) -> Self {
        if e.code == ErrorCode::ServerError { Self::Server } else { Self::Invalid(e) }
    }
}

/// Logs `spec.username` in for the authorization request `spec` describes, and issues
/// a code (OIDC Core §3.1.2); with `tokens`, redeems it (§3.1.3). The provider then
/// makes its own PKCE pair, since it is the one that redeems the code.
pub async fn log_in(ctx: &Context<'_>, spec: LoginSpec) -> Result<LoggedIn, LoginError> {
    let user = ctx.store.find_user_by_username(&spec.username).await?;
    let user = user.ok_or_else(|| LoginError::NotFound(format!("there is no user named {}", spec.username)))?;
    if !is_active(&user) {
        let why = format!("the user {} is disabled and cannot log in", user.username);
        return Err(LoginError::Invalid(OAuthError::new(ErrorCode::AccessDenied, why)));
    }
    let client = ctx.store.find_client(&spec.client_id).await?;
    let client = client.ok_or_else(|| LoginError::NotFound(format!("there is no client {}", spec.client_id)))?;
    let verifier = match (spec.tokens, &spec.code_challenge, &spec.code_challenge_method) {
        (true, None, None) => Some(secret::random_token()),
        (true, _, _) => {
            let why = "with tokens, the provider redeems the code with its own PKCE pair; leave out code_challenge";
            return Err(LoginError::Invalid(OAuthError::invalid_request(why)));
        }
        (false, _, _) => None,
    };
    let challenge = verifier.as_deref().map(pkce::challenge);
    let method = verifier.as_ref().map(|_| "S256".to_owned());
    let authorization = params(&[
        ("response_type", Some("code")),
        ("client_id", Some(&spec.client_id)),
        ("redirect_uri", Some(&spec.redirect_uri)),
        ("scope", Some(&spec.scope)),
        ("state", spec.state.as_deref()),
        ("nonce", spec.nonce.as_deref()),
        ("code_challenge", spec.code_challenge.as_deref().or(challenge.as_deref())),
        ("code_challenge_method", spec.code_challenge_method.as_deref().or(method.as_deref())),
    ]);
    let request = match authorize::check(ctx, &authorization).await {
        Ok(request) => request,
        Err(AuthorizeError::Page(page)) => return Err(page.error.into()),
        Err(AuthorizeError::Redirect(redirect)) => return Err(redirect.error.into()),
        Err(AuthorizeError::Server(e)) => return Err(e.into()),
    };
    // A fixture login acts as the user: it consents for them rather than asking.
    consent::given_by_fixture(ctx, &request, &user.id).await?;
    let browser = Browser { id: None, session: None, address: None };
    let (step, _session_cookie) = login::log_in(ctx, browser, &request, &user).await?;
    let Step::Code(redirect) = step else {
        tracing::error!(client = %client.id, "dev login: consent was recorded, yet the login asks for it");
        return Err(LoginError::Server);
    };
    tracing::info!(user = %user.id, client = %client.id, "dev: logged in {} through the control API", user.username);
    let code = query(&redirect, "code").ok_or(LoginError::Server)?;
    let Some(verifier) = verifier else {
        return Ok(LoggedIn::Code { code, state: request.state, redirect });
    };
    // The provider redeems the code itself: the client is the one the code was issued
    // to, and needs no authentication for that.
    let redeem = params(&[
        ("grant_type", Some("authorization_code")),
        ("code", Some(&code)),
        ("redirect_uri", Some(&request.redirect_uri)),
        ("code_verifier", Some(&verifier)),
    ]);
    Ok(LoggedIn::Tokens(grant::exchange(ctx, &client, &redeem).await?))
}

/// Parameters as a request would carry them: one without a value is left out
/// (RFC 6749 §3.1).
fn params(pairs: &[(&str, Option<&str>)]) -> Params {
    Params::from_pairs(pairs.iter().filter_map(|(name, value)| value.filter(|v| !v.is_empty()).map(|v| (*name, v))))
}

/// A query parameter of a redirect URL.
fn query(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    url.query_pairs().find(|(n, _)| n == name).map(|(_, v)| v.into_owned())
}
