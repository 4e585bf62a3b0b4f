//! Consent (OIDC Core §3.1.2.4, §11): before a third-party client gets a code, the
//! user approves the scopes it asks for, once; what they approved is remembered per
//! client and the page comes back only for a scope not yet approved, or when the
//! request says `prompt=consent`. [`code_or_ask`] decides after the session is known;
//! [`show`] gives the page; [`finish`] records the answer and sends the browser back.

mod words;

use super::Context;
use super::error::OAuthError;
use super::params::Params;
use super::pending::{self, Begun, Browser};
use super::request::AuthorizationRequest;
use super::response::{ErrorRedirect, issue_code};
use super::scope::Scope;
use super::session::{self, FormKind};
use crate::secret;
use crate::store::{ConsentRow, PendingRequestRow, SessionRow, StoreError};

pub use words::ScopeLine;

/// Where the browser goes once its user is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Back to the client: the redirect URI with the code, `state` and `iss`.
    Code(String),
    /// To the consent page, for the request kept there.
    Ask(Begun),
    /// Back to the client with an error (`consent_required` under `prompt=none`).
    Refused(ErrorRedirect),
}

/// Whether the user must be asked (OIDC Core §3.1.2.4, §3.1.2.1 `prompt=consent`):
/// the request says `prompt=consent`, for any client; or the client is third-party
/// and asks for a scope token the user has not approved for it.
pub fn needed(request: &AuthorizationRequest, third_party: bool, approved: Option<&Scope>) -> bool {
    let covered = approved.is_some_and(|approved| request.scope.tokens().all(|t| approved.has(t)));
    request.prompt_consent || (third_party && !covered)
}

/// Whether `user_id` must be asked before the client of `request` gets a code.
pub async fn required(ctx: &Context<'_>, request: &AuthorizationRequest, user_id: &str) -> Result<bool, StoreError> {
    let third_party = ctx.store.find_client(&request.client_id).await?.is_some_and(|c| c.third_party);
    let stored = ctx.store.find_consent(user_id, &request.client_id).await?;
    let approved = stored.map(|c| Scope::from_stored(&c.scope));
    Ok(needed(request, third_party, approved.as_ref()))
}

/// With the user's session known: issues the code, or, when consent is needed, keeps
/// the request for the consent page in this session, bound to `browser_id` (a new id
/// when the browser has none). Under `prompt=none` the need is the error
/// `consent_required` (OIDC Core §3.1.2.6) and nothing is kept.
pub async fn code_or_ask(
    ctx: &Context<'_>,
    request: &AuthorizationRequest,
    session: &SessionRow,
    browser_id: Option<&str>,
) -> Result<Step, OAuthError> {
    if !required(ctx, request, &session.user_id).await? {
        return Ok(Step::Code(issue_code(ctx, request, session).await?));
    }
    if request.prompt_none {
        let error = OAuthError::consent_required("the user has not consented to this client for this scope");
        return Ok(Step::Refused(ErrorRedirect::to(request, error)));
    }
    Ok(Step::Ask(pending::keep(ctx, request, browser_id, Some(&session.sid)).await?))
}

/// Records that `user_id` approved `scope` for the client, adding it to what they
/// approved before.
pub async fn record(ctx: &Context<'_>, user_id: &str, client_id: &str, scope: &Scope) -> Result<Scope, StoreError> {
    let stored = ctx.store.find_consent(user_id, client_id).await?;
    let created_at = stored.as_ref().map_or(ctx.now, |c| c.created_at);
    let mut all = stored.map(|c| Scope::from_stored(&c.scope)).unwrap_or_else(|| Scope::from_stored(""));
    all = all.union(scope);
    let row = ConsentRow {
        user_id: user_id.to_owned(),
        client_id: client_id.to_owned(),
        scope: all.to_string(),
        created_at,
        updated_at: ctx.now,
    };
    ctx.store.put_consent(&row).await?;
    Ok(all)
}

/// Fixture logins act as the user: when consent would be needed, it is recorded as
/// given, so that the login skips the page.
pub async fn given_by_fixture(
    ctx: &Context<'_>,
    request: &AuthorizationRequest,
    user_id: &str,
) -> Result<(), StoreError> {
    if required(ctx, request, user_id).await? {
        record(ctx, user_id, &request.client_id, &request.scope).await?;
    }
    Ok(())
}

/// What the consent page answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The page.
    Page(Page),
    /// Allowed: back to the client with the code.
    Allowed(String),
    /// Denied (or refused): back to the client with an error.
    Denied(ErrorRedirect),
    /// The consent cannot go on; the page says why. With the client, once known.
    Refused(Refusal, Option<String>),
}

/// Why a consent cannot go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// As a login's: no cookies, no request, an expired, used or other browser's
    /// request, or a form whose CSRF token is wrong.
    Login(pending::Refusal),
    /// The session the request waits in has ended (logged out, expired, or another).
    SignedOut,
    /// The form's `decision` is neither `allow` nor `deny`.
    Decision,
}

/// The consent page's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Who is asking: the client's name, or its id.
    pub client_name: String,
    /// Who is signed in.
    pub username: String,
    /// The pending request's id.
    pub request_id: String,
    /// The CSRF token for this browser and request.
    pub csrf: String,
    /// The requested scopes, in plain words.
    pub scopes: Vec<ScopeLine>,
}

/// A pending request found for the consent page, with its session.
struct Found<'b> {
    pending: PendingRequestRow,
    request: AuthorizationRequest,
    browser_id: &'b str,
    session: SessionRow,
}

/// The page for the pending request `params` names.
pub async fn show(ctx: &Context<'_>, browser: Browser<'_>, params: &Params) -> Result<Outcome, OAuthError> {
    let found = match find(ctx, browser, params).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };
    let store = ctx.store;
    let client = store.find_client(&found.request.client_id).await?;
    let client_name = client.map(|c| c.name).filter(|n| !n.is_empty()).unwrap_or(found.request.client_id.clone());
    let username = store.find_user(&found.session.user_id).await?.map(|u| u.username).unwrap_or_default();
    let stored = store.find_consent(&found.session.user_id, &found.request.client_id).await?;
    let approved = Scope::from_stored(stored.as_ref().map_or("", |c| c.scope.as_str()));
    let scopes = words::lines(ctx, &found.request.scope, &approved).await?;
    let csrf = session::csrf_token(FormKind::Consent, found.browser_id, &found.pending.id);
    Ok(Outcome::Page(Page { client_name, username, request_id: found.pending.id, csrf, scopes }))
}

/// Takes the user's answer: with the right CSRF token and a known `decision`, the
/// pending request is used up; `allow` records the consent (adding to what was
/// approved before) and issues the code, `deny` answers `access_denied` (OIDC Core
/// §3.1.2.6) and records nothing.
pub async fn finish(ctx: &Context<'_>, browser: Browser<'_>, params: &Params) -> Result<Outcome, OAuthError> {
    let Found { pending, request, browser_id, session } = match find(ctx, browser, params).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };
    let client = Some(pending.client_id.clone());
    if !params.get("csrf").is_some_and(|csrf| session::check_csrf(FormKind::Consent, browser_id, &pending.id, csrf)) {
        return Ok(Outcome::Refused(Refusal::Login(pending::Refusal::FormExpired), client));
    }
    let allow = match params.get("decision") {
        Some("allow") => true,
        Some("deny") => false,
        _ => return Ok(Outcome::Refused(Refusal::Decision, client)),
    };
    // The request is used once: a second submission finds nothing.
    if ctx.store.take_pending_request(&pending.id, ctx.now).await?.is_none() {
        return Ok(Outcome::Refused(Refusal::Login(pending::Refusal::Expired), client));
    }
    if !allow {
        let error = OAuthError::new(super::error::ErrorCode::AccessDenied, "the user denied the request");
        return Ok(Outcome::Denied(ErrorRedirect::to(&request, error)));
    }
    let all = record(ctx, &session.user_id, &request.client_id, &request.scope).await?;
    let (user, client) = (&session.user_id, &request.client_id);
    tracing::info!(user = %user, client = %client, "user {user} consented to client {client} for scope {} (now approved: {all})", request.scope);
    Ok(Outcome::Allowed(issue_code(ctx, &request, &session).await?))
}

/// The pending request `params` names, if it is live, this browser's, and waits for
/// consent in the browser's live session.
async fn find<'b>(
    ctx: &Context<'_>,
    browser: Browser<'b>,
    params: &Params,
) -> Result<Result<Found<'b>, Outcome>, OAuthError> {
    let refused = |refusal, client: Option<&str>| Ok(Err(Outcome::Refused(refusal, client.map(str::to_owned))));
    let Some(browser_id) = browser.id else { return refused(Refusal::Login(pending::Refusal::NoCookies), None) };
    let Some(request_id) = params.get("request") else {
        return refused(Refusal::Login(pending::Refusal::NoRequest), None);
    };
    // Only the browser that made the request may answer it; a request still waiting
    // for its login is not past it.
    let pending = match ctx.store.find_pending_request(request_id, ctx.now).await? {
        Some(pending) if pending.sid.is_some() && secret::verify(browser_id, &pending.browser_hash) => pending,
        _ => return refused(Refusal::Login(pending::Refusal::Expired), None),
    };
    let session = session::current(ctx, browser.session).await?;
    let Some(session) = session.filter(|s| pending.sid.as_deref() == Some(s.sid.as_str())) else {
        return refused(Refusal::SignedOut, Some(&pending.client_id));
    };
    let request = pending::read(&pending)?;
    Ok(Ok(Found { pending, request, browser_id, session }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(scope: &str, prompt_consent: bool) -> AuthorizationRequest {
        AuthorizationRequest {
            client_id: "c".into(),
            redirect_uri: "https://rp.example/cb".into(),
            scope: Scope::from_stored(scope),
            state: None,
            nonce: None,
            code_challenge: None,
            prompt_none: false,
            prompt_login: false,
            prompt_consent,
            max_age: None,
            login_hint: None,
            claims: None,
            hinted_sub: None,
        }
    }

    #[test]
    fn third_party_clients_need_consent_to_every_scope_token() {
        let approved = Scope::from_stored("openid email");
        assert!(needed(&request("openid", false), true, None));
        assert!(!needed(&request("openid", false), true, Some(&approved)));
        assert!(!needed(&request("email openid", false), true, Some(&approved)));
        assert!(needed(&request("openid profile", false), true, Some(&approved)));
        assert!(!needed(&request("openid profile", false), false, None), "first-party");
    }

    #[test]
    fn prompt_consent_asks_for_any_client() {
        let approved = Scope::from_stored("openid");
        assert!(needed(&request("openid", true), false, None));
        assert!(needed(&request("openid", true), true, Some(&approved)));
    }
}
