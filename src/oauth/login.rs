//! The login step between the authorization request and the code (OIDC Core
//! §3.1.2.3): [`begin`] keeps the request until the user has logged in, bound to the
//! browser that made it; [`show`] gives the form; [`finish`] checks what was typed and,
//! once the password is right, starts the session and issues the code. Each returns an
//! [`Outcome`] that the HTTP layer only renders.

use super::consent::{self, Step};
use super::dev::{self, AtLogin, DevForm};
use super::error::OAuthError;
use super::params::Params;
use super::request::AuthorizationRequest;
use super::response::ErrorRedirect;
use super::session::{FormKind, Rejected};
use super::{Context, pending, session, throttle};
use crate::secret;
use crate::store::{PendingRequestRow, User};

pub use super::pending::{Begun, Browser, PENDING_LIFETIME, Refusal};

/// What the login page answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The login form, perhaps after a failure.
    Form(Form),
    /// Logged in: the browser goes on to the client with a code, or to the consent
    /// page, with `session_cookie` as its new session.
    LoggedIn {
        /// Where the browser goes next.
        step: Step,
        /// The new session cookie's value.
        session_cookie: String,
    },
    /// The form again after a failed attempt, and what the log says of it.
    Failed {
        /// The form, with the failure.
        form: Form,
        /// The client the login is for.
        client_id: String,
        /// Who failed and why: for the log only.
        rejected: Rejected,
    },
    /// Back to the client with an error: someone other than the user the client named
    /// with `id_token_hint` logged in.
    Redirect(ErrorRedirect),
    /// The login cannot go on; the page says why.
    Refused(Refusal),
}

/// The login form's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// Who is asking: the client's name, or its id.
    pub client_name: String,
    /// The pending request's id.
    pub request_id: String,
    /// The CSRF token for this browser and request.
    pub csrf: String,
    /// The username to prefill: `login_hint`, or what was typed.
    pub username: String,
    /// Why the last attempt failed, if it did.
    pub failure: Option<Failure>,
    /// Under dev mode: the claims field and the presets.
    pub dev: Option<DevForm>,
}

/// Why a login attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Unknown user, wrong password or disabled user: one answer for all three.
    Credentials,
    /// Too many failures for this account or address: try again in this many seconds.
    Throttled(i64),
    /// Under dev mode: what is wrong with the claims or the new username typed.
    Dev(String),
}

/// Keeps `request` until the user has logged in, bound to the browser whose id
/// cookie is `browser_id` (a new id when it has none).
pub async fn begin(
    ctx: &Context<'_>,
    request: &AuthorizationRequest,
    browser_id: Option<&str>,
) -> Result<Begun, OAuthError> {
    pending::keep(ctx, request, browser_id, None).await
}

/// The form for the pending request `params` names, prefilled with `login_hint`.
pub async fn show(ctx: &Context<'_>, browser: Browser<'_>, params: &Params) -> Result<Outcome, OAuthError> {
    let (pending, request, browser_id) = match pending(ctx, browser, params).await? {
        Ok(found) => found,
        Err(refusal) => return Ok(Outcome::Refused(refusal)),
    };
    let hint = request.login_hint.as_deref().unwrap_or("");
    let dev = match ctx.dev {
        Some(_) => Some(DevForm::for_user(ctx, hint).await?),
        None => None,
    };
    Ok(Outcome::Form(form(ctx, &pending, browser_id, hint, None, dev).await))
}

/// Checks a submitted login form. The attempt is throttled per account and address;
/// after the right password, the user must be the one `id_token_hint` named (OIDC
/// Core §3.1.2.1); then the pending request is used up, the browser's session
/// replaced by a new one, and a code issued.
pub async fn finish(ctx: &Context<'_>, browser: Browser<'_>, params: &Params) -> Result<Outcome, OAuthError> {
    let (pending, request, browser_id) = match pending(ctx, browser, params).await? {
        Ok(found) => found,
        Err(refusal) => return Ok(Outcome::Refused(refusal)),
    };
    if !params.get("csrf").is_some_and(|csrf| session::check_csrf(FormKind::Login, browser_id, &pending.id, csrf)) {
        return Ok(Outcome::Refused(Refusal::FormExpired));
    }
    let store = ctx.store;
    let username = params.get("username").unwrap_or("");
    let password = params.get("password").unwrap_or("");
    let failed = async |failure, rejected| -> Result<Outcome, OAuthError> {
        let dev = DevForm::as_typed(ctx, params).await?;
        let form = form(ctx, &pending, browser_id, username, Some(failure), dev).await;
        Ok(Outcome::Failed { form, client_id: pending.client_id.clone(), rejected })
    };
    // Dev mode: a preset fills the claims field; claims typed go with this login; a
    // username nobody has becomes a user.
    let mut claims = None;
    if ctx.dev.is_some() {
        match dev::at_login(ctx, params, username, password).await? {
            AtLogin::Check(typed) => claims = typed,
            AtLogin::Form(dev, why) => {
                let failure = why.map(Failure::Dev);
                return Ok(Outcome::Form(form(ctx, &pending, browser_id, username, failure, Some(dev)).await));
            }
            AtLogin::Refused(why, reason) => return failed(Failure::Dev(why), Rejected { user: None, reason }).await,
            AtLogin::SignedUp(user) => return finish_login(ctx, browser, &pending, &request, &user).await,
        }
    }

    let keys = throttle::Keys::new(username, browser.address);
    // Admitted only while the throttle allows as many more failures as are being
    // checked, so that parallel guesses cannot slip past; may wait for those in flight.
    let attempt = match throttle::admit(store, &keys, ctx.now).await? {
        Ok(attempt) => attempt,
        Err(wait) => {
            // For the log only: a failed lookup leaves the id out, not the answer.
            let user = store.find_user_by_username(username).await.ok().flatten().map(|u| u.id);
            return failed(Failure::Throttled(wait), Rejected { user, reason: "too many failed attempts" }).await;
        }
    };
    let user = match session::check_password(store, username, password).await {
        Ok(user) => user,
        Err(e) => {
            // If giving the slots back fails as well, their lease lapses.
            let _ = attempt.abandoned(store).await;
            return Err(e.into());
        }
    };
    let user = match user {
        Ok(user) => user,
        Err(rejected) => {
            attempt.failed(store).await?;
            return failed(Failure::Credentials, rejected).await;
        }
    };
    attempt.succeeded(store).await?;
    let user = match claims {
        Some(claims) if claims != user.claims => {
            store.set_claims(&user.id, &claims, ctx.now).await?;
            User { claims, updated_at: ctx.now, ..user }
        }
        _ => user,
    };
    finish_login(ctx, browser, &pending, &request, &user).await
}

/// After the user proved who they are: they must be the one `id_token_hint` named;
/// then the pending request is used up and the user logged in.
async fn finish_login(
    ctx: &Context<'_>,
    browser: Browser<'_>,
    pending: &PendingRequestRow,
    request: &AuthorizationRequest,
    user: &User,
) -> Result<Outcome, OAuthError> {
    let store = ctx.store;
    if request.hinted_sub.as_ref().is_some_and(|sub| *sub != user.id) {
        let error = OAuthError::login_required("the user who signed in is not the one id_token_hint names");
        // The request is finished either way; if removing it fails, it expires on its own.
        let _ = store.take_pending_request(&pending.id, ctx.now).await;
        return Ok(Outcome::Redirect(ErrorRedirect::to(request, error)));
    }
    // The request is used once: a second submission finds nothing.
    if store.take_pending_request(&pending.id, ctx.now).await?.is_none() {
        return Ok(Outcome::Refused(Refusal::Expired));
    }
    let (step, session_cookie) = log_in(ctx, browser, request, user).await?;
    Ok(Outcome::LoggedIn { step, session_cookie })
}

/// Logs `user` in for `request` once they are known to be who they say: replaces the
/// browser's session with a new one, then issues the code, or keeps the request for
/// the consent page when consent is needed (OIDC Core §3.1.2.4). After a good
/// password, and for a headless or fixture login. Returns the next step and the new
/// session cookie's value.
pub(super) async fn log_in(
    ctx: &Context<'_>,
    browser: Browser<'_>,
    request: &AuthorizationRequest,
    user: &User,
) -> Result<(Step, String), OAuthError> {
    // A login replaces the browser's previous session rather than leaving it behind.
    if let Some(old) = browser.session {
        ctx.store.delete_session(&secret::hash(old)).await?;
    }
    let (session_cookie, session) = session::start(ctx.store, user, ctx.lifetimes, ctx.now).await?;
    let step = consent::code_or_ask(ctx, request, &session, browser.id).await?;
    Ok((step, session_cookie))
}

/// The pending request `params` names, if it is live and this browser's.
async fn pending<'b>(
    ctx: &Context<'_>,
    browser: Browser<'b>,
    params: &Params,
) -> Result<Result<(PendingRequestRow, AuthorizationRequest, &'b str), Refusal>, OAuthError> {
    let Some(browser_id) = browser.id else { return Ok(Err(Refusal::NoCookies)) };
    let Some(request_id) = params.get("request") else { return Ok(Err(Refusal::NoRequest)) };
    // Only the browser that started the request may finish it; a request waiting for
    // consent is past its login.
    let pending = match ctx.store.find_pending_request(request_id, ctx.now).await? {
        Some(pending) if pending.sid.is_none() && secret::verify(browser_id, &pending.browser_hash) => pending,
        _ => return Ok(Err(Refusal::Expired)),
    };
    let request = pending::read(&pending)?;
    Ok(Ok((pending, request, browser_id)))
}

/// The form for `pending`, for the browser `browser_id`.
async fn form(
    ctx: &Context<'_>,
    pending: &PendingRequestRow,
    browser_id: &str,
    username: &str,
    failure: Option<Failure>,
    dev: Option<DevForm>,
) -> Form {
    // The name is only shown: a failed lookup shows the id instead.
    let client = ctx.store.find_client(&pending.client_id).await.ok().flatten();
    let client_name = client.map(|c| c.name).filter(|name| !name.is_empty()).unwrap_or(pending.client_id.clone());
    Form {
        client_name,
        request_id: pending.id.clone(),
        csrf: session::csrf_token(FormKind::Login, browser_id, &pending.id),
        username: username.to_owned(),
        failure,
        dev,
    }
}
