//! The authorization request's rules (RFC 6749 §4.1.1, OIDC Core §3.1.2.1), checked in
//! the order that decides where an error goes: a page until the client and its
//! redirect URI are verified, a redirect to the client after that.

use super::AuthorizeError;
use crate::oauth::Context;
use crate::oauth::claims::RequestedClaims;
use crate::oauth::client::matches_with_any_port;
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::params::Params;
use crate::oauth::pkce;
use crate::oauth::request::AuthorizationRequest;
use crate::oauth::response::{ErrorPage, ErrorRedirect};
use crate::oauth::scope::{Releases, Scope, custom_scopes};
use crate::store::{Client, ClientKind, GrantType, ScopeRow, Store};

/// The longest `nonce`, `login_hint` or `ui_locales` accepted; longer ones are
/// refused rather than stored or echoed.
pub(crate) const MAX_VALUE_LEN: usize = 1024;
/// The longest `state` accepted. Some relying parties keep their whole request in it
/// (ASP.NET Core's handler sends one to two kilobytes), so it may be longer.
pub(crate) const MAX_STATE_LEN: usize = 4096;

/// Validates an authorization request in the order that decides where errors go.
pub(super) async fn validate(ctx: &Context<'_>, params: &Params) -> Result<AuthorizationRequest, AuthorizeError> {
    let client = check_client(ctx.store, params).await?;
    let redirect_uri = check_redirect_uri(&client, params)?;
    // A state too long to echo is left out of the error that says so.
    let (state, state_error) = match params.get("state") {
        Some(state) if state.len() > MAX_STATE_LEN => (None, Some(too_long("state", MAX_STATE_LEN))),
        state => (state.map(str::to_owned), None),
    };
    let redirect = |error: OAuthError| {
        let (client_id, redirect_uri, state) = (client.id.clone(), redirect_uri.clone(), state.clone());
        AuthorizeError::Redirect(ErrorRedirect { client_id, redirect_uri, state, error })
    };
    state_error.map_or(Ok(()), Err).map_err(redirect)?;
    check_request_objects(params).map_err(redirect)?;
    check_response_type(&client, params).map_err(redirect)?;
    let scope = check_scope(ctx.store, &client, params).await?.map_err(redirect)?;
    let code_challenge = check_pkce(&client, params).map_err(redirect)?;
    let (prompt_none, prompt_login, prompt_consent) = check_prompt(params).map_err(redirect)?;
    let max_age = check_max_age(params).map_err(redirect)?;
    let claims = match check_claims(params).map_err(redirect)? {
        Some(claims) if client.third_party => Some(within_consent(ctx.store, &scope, claims).await?),
        claims => claims,
    };
    let nonce = check_length(params, "nonce").map_err(redirect)?;
    let login_hint = check_length(params, "login_hint").map_err(redirect)?;
    check_length(params, "ui_locales").map_err(redirect)?;
    let hinted_sub = check_id_token_hint(ctx, &client, params).map_err(redirect)?;
    Ok(AuthorizationRequest {
        client_id: client.id,
        redirect_uri,
        scope,
        state,
        nonce,
        code_challenge,
        prompt_none,
        prompt_login,
        prompt_consent,
        max_age,
        login_hint,
        claims,
        hinted_sub,
    })
}

/// An error page: `message` for the browser, `error` for the log.
fn page(client: Option<&Client>, error: OAuthError, message: &'static str) -> AuthorizeError {
    AuthorizeError::Page(ErrorPage { client_id: client.map(|c| c.id.clone()), error, message })
}

/// RFC 6749 §4.1.1: `client_id` names a registered client.
async fn check_client(store: &dyn Store, params: &Params) -> Result<Client, AuthorizeError> {
    let no_id = || page(None, OAuthError::invalid_request("client_id is required"), "The request has no client_id.");
    let id = params.get("client_id").ok_or_else(no_id)?;
    let unknown = || {
        let error = OAuthError::invalid_client("no client is registered with that client_id");
        page(None, error, "The application is not registered here.")
    };
    store.find_client(id).await?.ok_or_else(unknown)
}

/// RFC 6749 §3.1.2.3, OIDC Core §3.1.2.1: `redirect_uri` is required and matches a
/// registered one exactly, character for character; for a client registered so, a
/// loopback IP redirect URI matches with any port (RFC 8252 §7.3).
fn check_redirect_uri(client: &Client, params: &Params) -> Result<String, AuthorizeError> {
    let missing = || {
        page(Some(client), OAuthError::invalid_request("redirect_uri is required"), "The request has no redirect_uri.")
    };
    let uri = params.get("redirect_uri").ok_or_else(missing)?;
    let matches =
        |registered: &String| registered == uri || (client.loopback_any_port && matches_with_any_port(registered, uri));
    if client.redirect_uris.iter().any(matches) {
        Ok(uri.to_owned())
    } else {
        let error = OAuthError::invalid_request("redirect_uri is not one registered for the client");
        Err(page(Some(client), error, "The redirect_uri is not registered for this application."))
    }
}

/// OIDC Core §6: request objects are not supported, and say so rather than ignore them.
fn check_request_objects(params: &Params) -> Result<(), OAuthError> {
    if params.has("request") {
        return Err(OAuthError::new(ErrorCode::RequestNotSupported, "request objects are not supported"));
    }
    if params.has("request_uri") {
        return Err(OAuthError::new(ErrorCode::RequestUriNotSupported, "request_uri is not supported"));
    }
    Ok(())
}

/// RFC 6749 §4.1.1: `response_type=code`, the only flow gatehouse offers; the client
/// must be allowed the authorization_code grant. `response_mode`, if given, is `query`.
fn check_response_type(client: &Client, params: &Params) -> Result<(), OAuthError> {
    match params.get("response_type") {
        None => return Err(OAuthError::invalid_request("response_type is required")),
        Some("code") => {}
        Some(_) => {
            return Err(OAuthError::unsupported_response_type("only response_type=code is supported"));
        }
    }
    if !client.allows(GrantType::AuthorizationCode) {
        return Err(OAuthError::unauthorized_client("the client may not use the authorization code flow"));
    }
    match params.get("response_mode") {
        None | Some("query") => Ok(()),
        Some(_) => Err(OAuthError::invalid_request("only response_mode=query is supported")),
    }
}

/// RFC 6749 §3.3: `scope` is required; unsupported tokens (neither OpenID Connect's
/// nor a custom scope in the store) are dropped, and so is `offline_access` for a
/// client that may not use refresh tokens (OIDC Core §11). A first-party client gets
/// `offline_access` without a consent screen unless it sends `prompt=consent`; a
/// third-party client's user approves it on the consent page with the other scopes
/// (see [`crate::oauth::consent`]). The outer error is the store's; the inner one goes
/// to the client.
async fn check_scope(
    store: &dyn Store,
    client: &Client,
    params: &Params,
) -> Result<Result<Scope, OAuthError>, AuthorizeError> {
    let Some(requested) = params.get("scope") else {
        return Ok(Err(OAuthError::invalid_scope("scope is required")));
    };
    let custom = custom_scopes(store, requested.split(' ')).await?;
    Ok(check_scope_tokens(client, requested, &custom))
}

fn check_scope_tokens(client: &Client, requested: &str, custom: &[ScopeRow]) -> Result<Scope, OAuthError> {
    let mut scope = Scope::from_request(requested, custom)?;
    if !client.allows(GrantType::RefreshToken) {
        scope = scope.without("offline_access");
    }
    if scope.tokens().next().is_none() {
        return Err(OAuthError::invalid_scope("none of the requested scopes is supported; include openid"));
    }
    Ok(scope)
}

/// RFC 7636 §4.3: `S256` only; required for public clients and for clients that
/// have not been registered with PKCE optional.
fn check_pkce(client: &Client, params: &Params) -> Result<Option<String>, OAuthError> {
    let method = params.get("code_challenge_method");
    match (params.get("code_challenge"), method) {
        (None, None) if client.require_pkce || client.kind == ClientKind::Public => {
            Err(OAuthError::invalid_request("code_challenge is required (PKCE with S256)"))
        }
        (None, None) => Ok(None),
        (None, Some(_)) => Err(OAuthError::invalid_request("code_challenge_method without code_challenge")),
        (Some(_), None | Some("plain")) => {
            Err(OAuthError::invalid_request("code_challenge_method must be S256; plain is not accepted"))
        }
        (Some(challenge), Some("S256")) => {
            pkce::check_challenge(challenge).map_err(OAuthError::invalid_request)?;
            Ok(Some(challenge.to_owned()))
        }
        (Some(_), Some(_)) => Err(OAuthError::invalid_request("code_challenge_method must be S256")),
    }
}

/// OIDC Core §3.1.2.1: `prompt` is a space-separated list; `none` stands alone.
/// `consent` shows the consent page (see [`crate::oauth::consent`]);
/// `select_account` needs no screen here (one account per session); unknown values
/// are ignored. Returns whether `none`,
/// `login` and `consent` were asked.
fn check_prompt(params: &Params) -> Result<(bool, bool, bool), OAuthError> {
    let values: Vec<&str> = params.get("prompt").unwrap_or("").split(' ').filter(|v| !v.is_empty()).collect();
    let none = values.contains(&"none");
    if none && values.len() > 1 {
        return Err(OAuthError::invalid_request("prompt=none cannot be combined with other values"));
    }
    Ok((none, values.contains(&"login"), values.contains(&"consent")))
}

/// OIDC Core §3.1.2.1: `max_age` is a non-negative number of seconds.
fn check_max_age(params: &Params) -> Result<Option<i64>, OAuthError> {
    params
        .get("max_age")
        .map(|v| v.parse::<i64>().ok().filter(|n| *n >= 0))
        .map(|parsed| parsed.ok_or_else(|| OAuthError::invalid_request("max_age must be a non-negative integer")))
        .transpose()
}

/// OIDC Core §3.1.2.4 and §5.5: a third-party client gets only what the user
/// consented to, and consent is given to scopes; so its `claims` parameter may ask
/// only for claims its scope releases (in the ID token as well as at userinfo). The
/// others are dropped: an OP need not return a requested claim (§5.5).
async fn within_consent(
    store: &dyn Store,
    scope: &Scope,
    claims: RequestedClaims,
) -> Result<RequestedClaims, AuthorizeError> {
    let releases = Releases::of(store, scope).await?;
    let keep = |names: Vec<String>| names.into_iter().filter(|name| releases.claim(name)).collect();
    Ok(RequestedClaims { userinfo: keep(claims.userinfo), id_token: keep(claims.id_token) })
}

/// OIDC Core §5.5: the `claims` parameter.
fn check_claims(params: &Params) -> Result<Option<RequestedClaims>, OAuthError> {
    params.get("claims").map(|c| RequestedClaims::parse(c).map_err(OAuthError::invalid_request)).transpose()
}

/// A value kept or echoed is at most [`MAX_VALUE_LEN`] bytes.
fn check_length(params: &Params, name: &'static str) -> Result<Option<String>, OAuthError> {
    match params.get(name) {
        Some(v) if v.len() > MAX_VALUE_LEN => Err(too_long(name, MAX_VALUE_LEN)),
        v => Ok(v.map(str::to_owned)),
    }
}

fn too_long(name: &str, limit: usize) -> OAuthError {
    OAuthError::invalid_request(format!("{name} is longer than {limit} bytes"))
}

/// OIDC Core §3.1.2.1: `id_token_hint` must be an ID token this issuer issued to this
/// client (an expired one is fine); its `sub` names the user the client expects.
fn check_id_token_hint(ctx: &Context<'_>, client: &Client, params: &Params) -> Result<Option<String>, OAuthError> {
    let Some(hint) = params.get("id_token_hint") else { return Ok(None) };
    let claims = crate::oauth::jwt::verify(ctx, hint, "JWT")
        .map_err(|_| OAuthError::invalid_request("id_token_hint is not a valid ID token from this issuer"))?;
    let for_client = match claims.get("aud") {
        Some(serde_json::Value::String(aud)) => aud == &client.id,
        Some(serde_json::Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(&client.id)),
        _ => false,
    };
    match claims.get("sub").and_then(|s| s.as_str()) {
        Some(sub) if for_client => Ok(Some(sub.to_owned())),
        _ => Err(OAuthError::invalid_request("id_token_hint was not issued to this client")),
    }
}
