//! RP-Initiated Logout 1.0 at the `end_session_endpoint`: the request's parameters
//! are checked ([`check`]), then the browser's session is ended at once when the
//! `id_token_hint` names its user, or after the user confirms on a CSRF-protected
//! form otherwise. What ends is [`crate::store::Sessions::end_session`] with
//! `offline_access` kept (OIDC Core §11: offline access survives a logout).

use aws_lc_rs::digest;
use serde_json::Value;

use super::Context;
use super::error::OAuthError;
use super::params::Params;
use crate::secret;
use crate::store::{Client, SessionRow, StoreError};

/// The scope token whose grants survive a browser logout (OIDC Core §11).
const KEEP_SCOPE: &str = "offline_access";

/// The parameters the confirmation form carries back, to be checked again.
const CARRIED: [&str; 4] = ["id_token_hint", "client_id", "post_logout_redirect_uri", "state"];

/// What a valid `id_token_hint` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// The user it was issued for.
    pub sub: String,
    /// The browser session it was issued in (`sid`), if it names one.
    pub sid: Option<String>,
    /// The audiences it was issued to.
    pub audiences: Vec<String>,
    /// The client it was issued to, when it names one (`azp`, or a single `aud`).
    pub client_id: Option<String>,
}

/// A checked logout request.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The valid `id_token_hint`, if one was given.
    pub hint: Option<Hint>,
    /// The registered client the request is from, if it is known.
    pub client: Option<Client>,
    /// Where to send the browser when done: a registered `post_logout_redirect_uri`
    /// with `state` appended.
    pub redirect: Option<String>,
    /// A `post_logout_redirect_uri` was given but is not honoured.
    pub unrecognised_uri: bool,
}

/// How a logout request ends.
#[derive(Debug)]
pub enum Outcome {
    /// The session was ended, or there was none to end.
    Done(Done),
    /// The user must confirm: the session is not tied to the request.
    Confirm(Confirmation),
    /// The user chose to stay signed in; nothing changed.
    StillSignedIn,
    /// The request is refused (400 page, no redirect, nothing changed); the client
    /// is named if it is registered.
    Refused(OAuthError, Option<String>),
    /// The confirmation form's CSRF token is missing or wrong (403, nothing changed).
    Forbidden,
}

/// A logout that went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    /// Where to send the browser, or `None` for gatehouse's own page.
    pub redirect: Option<String>,
    /// Whether a given `post_logout_redirect_uri` was not honoured (the page says so).
    pub unrecognised_uri: bool,
    /// Whether a session was ended (else there was none).
    pub ended: bool,
    /// The client, if it is registered.
    pub client_id: Option<String>,
}

/// What the confirmation page shows and carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    /// The signed-in user's username.
    pub username: String,
    /// The client's name (or id), if the client is known.
    pub client_name: Option<String>,
    /// The form's CSRF token.
    pub csrf: String,
    /// The request's parameters, as hidden fields.
    pub fields: Vec<(&'static str, String)>,
}

/// Handles a logout request: `confirmed` is `Some(action)` for the confirmation form's
/// POST (`action` is `logout` or `stay`), `None` for a request from a relying party.
pub async fn logout(
    ctx: &Context<'_>,
    params: &Params,
    cookie: Option<&str>,
    confirmed: Option<&str>,
) -> Result<Outcome, StoreError> {
    if confirmed.is_some() {
        let csrf_ok = cookie.zip(params.get("csrf")).is_some_and(|(cookie, token)| check_csrf(cookie, token));
        if !csrf_ok {
            return Ok(Outcome::Forbidden);
        }
    }
    let checked = match check(ctx, params).await? {
        Ok(checked) => checked,
        Err((error, client)) => return Ok(Outcome::Refused(error, client)),
    };
    let session = super::session::current(ctx, cookie).await?;
    let Some(session) = session else { return Ok(Outcome::Done(done(checked, false))) };
    // RP-Initiated Logout 1.0 §2: without asking, only a hint issued in this very
    // session (its user and its `sid`); any other ID token of the user asks first.
    let tied = checked.hint.as_ref().is_some_and(|h| h.sub == session.user_id && h.sid.as_ref() == Some(&session.sid));
    match confirmed {
        Some("stay") => Ok(Outcome::StillSignedIn),
        Some(_) => end(ctx, checked, &session).await.map(Outcome::Done),
        None if tied => end(ctx, checked, &session).await.map(Outcome::Done),
        None => confirmation(ctx, params, checked, &session, cookie.unwrap_or_default()).await,
    }
}

/// Checks the request's parameters (RP-Initiated Logout 1.0 §2, §3): the hint, the
/// client, and the `post_logout_redirect_uri`. `ui_locales` and `logout_hint` are
/// accepted and ignored. A refusal names the client if it is registered.
pub async fn check(
    ctx: &Context<'_>,
    params: &Params,
) -> Result<Result<Checked, (OAuthError, Option<String>)>, StoreError> {
    let hint = match params.get("id_token_hint").map(|token| check_hint(ctx, token)).transpose() {
        Ok(hint) => hint,
        Err(e) => return Ok(Err((e, None))),
    };
    let client_id = params.get("client_id").map(str::to_owned).or_else(|| hint.as_ref()?.client_id.clone());
    let client = match client_id {
        Some(id) => ctx.store.find_client(&id).await?,
        None => None,
    };
    if let (Some(hint), Some(id)) = (&hint, params.get("client_id"))
        && !hint.audiences.iter().any(|a| a == id)
    {
        let error = OAuthError::invalid_request("id_token_hint was not issued to client_id");
        return Ok(Err((error, client.map(|c| c.id))));
    }
    let uri = params.get("post_logout_redirect_uri");
    let redirect = uri.filter(|uri| client.as_ref().is_some_and(|c| is_registered(c, uri)));
    let redirect = redirect.map(|uri| with_state(uri, params.get("state")));
    Ok(Ok(Checked { hint, unrecognised_uri: uri.is_some() && redirect.is_none(), redirect, client }))
}

/// RP-Initiated Logout 1.0 §2: the `id_token_hint` must be an ID token this issuer
/// signed (with any key it publishes, by an algorithm it signs with: never `none`),
/// and may have expired: it still names the user.
pub fn check_hint(ctx: &Context<'_>, token: &str) -> Result<Hint, OAuthError> {
    let refused = || OAuthError::invalid_request("id_token_hint is not a valid ID token from this issuer");
    let claims = super::jwt::verify(ctx, token, super::tokens::ID_TOKEN_TYP).map_err(|_| refused())?;
    let sub = claims.get("sub").and_then(Value::as_str).ok_or_else(refused)?.to_owned();
    let audiences: Vec<String> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.clone()],
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => vec![],
    };
    let sid = claims.get("sid").and_then(Value::as_str).map(str::to_owned);
    let azp = claims.get("azp").and_then(Value::as_str).map(str::to_owned);
    let client_id = azp.or_else(|| match audiences.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    });
    Ok(Hint { sub, sid, audiences, client_id })
}

/// RP-Initiated Logout 1.0 §3: a `post_logout_redirect_uri` is honoured only if it is
/// exactly one the client registered (no added query, no normalisation).
pub fn is_registered(client: &Client, uri: &str) -> bool {
    client.post_logout_redirect_uris.iter().any(|registered| registered == uri)
}

/// RP-Initiated Logout 1.0 §3: `state` goes back to the relying party as a query
/// parameter, beside the URI's own query.
pub fn with_state(uri: &str, state: Option<&str>) -> String {
    match (state, url::Url::parse(uri)) {
        (Some(state), Ok(mut url)) => {
            url.query_pairs_mut().append_pair("state", state);
            url.into()
        }
        _ => uri.to_owned(),
    }
}

/// Ends `session` and what was issued under it, except offline access.
async fn end(ctx: &Context<'_>, checked: Checked, session: &SessionRow) -> Result<Done, StoreError> {
    let ended = ctx.store.end_session(&session.sid, KEEP_SCOPE, ctx.now).await?;
    let client = checked.client.as_ref().map(|c| c.id.as_str());
    tracing::info!(
        user = %session.user_id,
        sid = %session.sid,
        client = client.map(tracing::field::display),
        grants_revoked = ended.grants,
        "logged out"
    );
    Ok(done(checked, true))
}

fn done(checked: Checked, ended: bool) -> Done {
    let client_id = checked.client.map(|c| c.id);
    Done { redirect: checked.redirect, unrecognised_uri: checked.unrecognised_uri, ended, client_id }
}

/// The confirmation page's content for a session the request is not tied to.
async fn confirmation(
    ctx: &Context<'_>,
    params: &Params,
    checked: Checked,
    session: &SessionRow,
    cookie: &str,
) -> Result<Outcome, StoreError> {
    let user = ctx.store.find_user(&session.user_id).await?;
    let username = user.map_or_else(|| session.user_id.clone(), |u| u.username);
    let client_name = checked.client.map(|c| if c.name.is_empty() { c.id } else { c.name });
    let fields = CARRIED.iter().filter_map(|name| Some((*name, params.get(name)?.to_owned()))).collect();
    Ok(Outcome::Confirm(Confirmation { username, client_name, csrf: csrf_token(cookie), fields }))
}

/// The confirmation form's CSRF token: derived from the browser's secret session
/// cookie under a tag of its own, so only a page served to that browser has it and
/// no other token of gatehouse's can stand in for it.
pub fn csrf_token(session_cookie: &str) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(b"gatehouse logout csrf\0");
    ctx.update(session_cookie.as_bytes());
    secret::b64url(ctx.finish().as_ref())
}

/// Whether a submitted CSRF token is this browser's (constant time).
pub fn check_csrf(session_cookie: &str, submitted: &str) -> bool {
    let expected = csrf_token(session_cookie);
    aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), submitted.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_appended_to_the_uris_own_query() {
        assert_eq!(with_state("https://rp.example/bye", Some("a b")), "https://rp.example/bye?state=a+b");
        assert_eq!(with_state("https://rp.example/bye?x=1", Some("s")), "https://rp.example/bye?x=1&state=s");
        assert_eq!(with_state("https://rp.example/bye?x=1", None), "https://rp.example/bye?x=1");
    }

    #[test]
    fn csrf_tokens_are_bound_to_the_session_and_differ_from_login_ones() {
        let token = csrf_token("cookie");
        assert!(check_csrf("cookie", &token));
        assert!(!check_csrf("other", &token));
        assert!(!check_csrf("cookie", ""));
        assert_ne!(token, super::super::session::csrf_token(super::super::session::FormKind::Login, "cookie", ""));
    }
}
