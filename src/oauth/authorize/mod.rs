//! The authorization endpoint (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2): a valid
//! request either gets a code at once, for the browser's session, or waits for the
//! user to log in, or for their consent (§3.1.2.4).
//!
//! Until the client and its redirect URI are verified, errors are shown on a page and
//! never redirected (no open redirector); after that, they go back to the client.

mod validate;

use super::consent::{self, Step};
use super::error::OAuthError;
use super::login::{self, Begun, Browser};
use super::params::Params;
use super::request::AuthorizationRequest;
use super::response::{ErrorPage, ErrorRedirect};
use super::{Context, dev, session};
use crate::clock::UnixTime;
use crate::store::{SessionRow, StoreError};

/// An error at the authorization endpoint, and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: shown to the user, never redirected.
    Page(ErrorPage),
    /// Sent back to the verified redirect URI.
    Redirect(ErrorRedirect),
    /// The server failed (`server_error`, already logged).
    Server(OAuthError),
}

impl From<StoreError> for AuthorizeError {
    fn from(e: StoreError) -> Self {
        Self::Server(e.into())
    }
}

/// What the authorization endpoint answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An error page, never a redirect: the client or redirect URI is not trusted.
    Page(ErrorPage),
    /// Send the browser back to the client with a code.
    Redirect(String),
    /// Send the browser back to the client with an error.
    Refused(ErrorRedirect),
    /// The user must log in first: the request is kept for the login page.
    Login(Begun),
    /// The user must consent first: the request is kept for the consent page.
    Consent(Begun),
    /// Dev mode only: the user was logged in without a page. The browser goes on to
    /// the client with a code, or to the consent page, with `session_cookie` as its
    /// new session.
    LoggedIn {
        /// Where the browser goes next.
        step: Step,
        /// The new session cookie's value.
        session_cookie: String,
    },
}

/// Answers an authorization request from `browser`. `Err` is always `server_error`,
/// already logged.
pub async fn authorize(ctx: &Context<'_>, params: &Params, browser: Browser<'_>) -> Result<Outcome, OAuthError> {
    let request = match validate::validate(ctx, params).await {
        Ok(request) => request,
        Err(AuthorizeError::Page(page)) => return Ok(Outcome::Page(page)),
        Err(AuthorizeError::Redirect(redirect)) => return Ok(Outcome::Refused(redirect)),
        Err(AuthorizeError::Server(e)) => return Err(e),
    };
    let session = session::current(ctx, browser.session).await?;
    let next = decide(&request, session, ctx.now);
    // Dev mode only: log the hinted user in without a page, unless their session will do.
    if let Some((user, source)) = dev::headless_user(ctx, &request).await?
        && !matches!(&next, Ok(Next::Issue(session)) if session.user_id == user.id)
    {
        let (step, session_cookie) = login::log_in(ctx, browser, &request, &user).await?;
        let (name, client) = (&user.username, &request.client_id);
        tracing::info!(user = %user.id, client = %client, "dev: logged in {name} without a page ({source})");
        return Ok(Outcome::LoggedIn { step, session_cookie });
    }
    Ok(match next {
        Err(error) => Outcome::Refused(ErrorRedirect::to(&request, error)),
        Ok(Next::Issue(session)) => match consent::code_or_ask(ctx, &request, &session, browser.id).await? {
            Step::Code(url) => Outcome::Redirect(url),
            Step::Ask(kept) => Outcome::Consent(kept),
            Step::Refused(redirect) => Outcome::Refused(redirect),
        },
        Ok(Next::Login) => Outcome::Login(login::begin(ctx, &request, browser.id).await?),
    })
}

/// Validates an authorization request by the endpoint's rules, in the endpoint's
/// order, without answering it: for dev's `POST /_dev/login`, which then logs the
/// user in as a headless login does.
pub async fn check(ctx: &Context<'_>, params: &Params) -> Result<AuthorizationRequest, AuthorizeError> {
    validate::validate(ctx, params).await
}

/// What the endpoint does next with a valid request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Show the login page.
    Login,
    /// Issue a code for the session's user right away, once they have consented
    /// ([`consent::code_or_ask`]).
    Issue(SessionRow),
}

/// Whether the browser's session (of an enabled user) is enough, or the user must log
/// in (OIDC Core §3.1.2.3): no session, `prompt=login`, a session older than
/// `max_age`, or a session of another user than `id_token_hint` names. With
/// `prompt=none` the need to log in is the error `login_required`.
pub fn decide(request: &AuthorizationRequest, session: Option<SessionRow>, now: UnixTime) -> Result<Next, OAuthError> {
    let session = session.filter(|s| {
        // max_age=0 means the same as prompt=login (OIDC Core §3.1.2.1, errata set 2).
        let too_old = request.max_age.is_some_and(|max| max == 0 || now - s.auth_time > max);
        let other_user = request.hinted_sub.as_ref().is_some_and(|sub| *sub != s.user_id);
        !(request.prompt_login || too_old || other_user)
    });
    match session {
        Some(session) => Ok(Next::Issue(session)),
        None if request.prompt_none => Err(OAuthError::login_required("the user must log in")),
        None => Ok(Next::Login),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::error::ErrorCode;
    use crate::oauth::scope::Scope;

    fn request() -> AuthorizationRequest {
        AuthorizationRequest {
            client_id: "c".into(),
            redirect_uri: "https://rp.example/cb".into(),
            scope: Scope::from_stored("openid"),
            state: None,
            nonce: None,
            code_challenge: None,
            prompt_none: false,
            prompt_login: false,
            prompt_consent: false,
            max_age: None,
            login_hint: None,
            claims: None,
            hinted_sub: None,
        }
    }

    fn session(auth_time: UnixTime) -> SessionRow {
        SessionRow {
            id_hash: vec![1],
            sid: "s".into(),
            user_id: "u".into(),
            auth_time,
            created_at: auth_time,
            expires_at: auth_time + 1000,
            idle_expires_at: auth_time + 1000,
        }
    }

    #[test]
    fn a_session_is_enough_unless_the_request_says_otherwise() {
        let now = 1_000;
        assert_eq!(decide(&request(), Some(session(900)), now), Ok(Next::Issue(session(900))));
        assert_eq!(decide(&request(), None, now), Ok(Next::Login));
        let login = AuthorizationRequest { prompt_login: true, ..request() };
        assert_eq!(decide(&login, Some(session(900)), now), Ok(Next::Login));
        let max_age = AuthorizationRequest { max_age: Some(99), ..request() };
        assert_eq!(decide(&max_age, Some(session(900)), now), Ok(Next::Login));
        assert_eq!(decide(&max_age, Some(session(901)), now), Ok(Next::Issue(session(901))));
        let other = AuthorizationRequest { hinted_sub: Some("v".into()), ..request() };
        assert_eq!(decide(&other, Some(session(900)), now), Ok(Next::Login));
    }

    #[test]
    fn prompt_none_turns_login_into_login_required() {
        let none = AuthorizationRequest { prompt_none: true, ..request() };
        assert_eq!(decide(&none, None, 1_000).unwrap_err().code, ErrorCode::LoginRequired);
        assert!(matches!(decide(&none, Some(session(900)), 1_000), Ok(Next::Issue(_))));
    }
}
