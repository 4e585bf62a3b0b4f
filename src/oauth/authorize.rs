//! The authorization endpoint's rules (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2).
//!
//! Until the client and its redirect URI are verified, errors are shown on a page and
//! never redirected (no open redirector); after that, they go back to the client.

use serde::{Deserialize, Serialize};

use super::claims::RequestedClaims;
use super::error::{ErrorCode, OAuthError};
use super::params::Params;
use super::pkce;
use super::scope::Scope;
use crate::clock::UnixTime;
use crate::keys::KeySet;
use crate::store::{Client, ClientKind, CodeRow, SessionRow, Store, StoreError};

/// A validated authorization request; kept in the store while the user logs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The client.
    pub client_id: String,
    /// The client's registered redirect URI that the request named.
    pub redirect_uri: String,
    /// The granted scope.
    pub scope: Scope,
    /// Echoed back unchanged.
    pub state: Option<String>,
    /// Carried into the ID token.
    pub nonce: Option<String>,
    /// The PKCE `S256` challenge.
    pub code_challenge: Option<String>,
    /// `prompt=none`: never show UI.
    pub prompt_none: bool,
    /// `prompt=login`: authenticate again even with a session.
    pub prompt_login: bool,
    /// Authenticate again if the last authentication is older than this many seconds.
    pub max_age: Option<i64>,
    /// Prefills the username.
    pub login_hint: Option<String>,
    /// The `claims` parameter, if given.
    pub claims: Option<RequestedClaims>,
    /// The `sub` of a valid `id_token_hint`: the user the client expects.
    pub hinted_sub: Option<String>,
}

/// An error at the authorization endpoint, and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: shown to the user, never redirected.
    Page(String),
    /// Sent back to the verified redirect URI.
    Redirect(ErrorRedirect),
    /// The store failed.
    Server,
}

impl From<StoreError> for AuthorizeError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store failure at the authorization endpoint");
        Self::Server
    }
}

/// An error response for a verified redirect URI (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorRedirect {
    /// The verified redirect URI.
    pub redirect_uri: String,
    /// The request's `state`.
    pub state: Option<String>,
    /// What went wrong.
    pub error: OAuthError,
}

impl ErrorRedirect {
    /// The URL to send the browser to, with `error`, `error_description`, `state` and `iss`.
    pub fn url(&self, issuer: &str) -> String {
        let mut pairs = vec![("error", self.error.code.as_str()), ("error_description", self.error.description())];
        if let Some(state) = &self.state {
            pairs.push(("state", state));
        }
        pairs.push(("iss", issuer));
        with_query(&self.redirect_uri, &pairs)
    }
}

/// Appends query parameters to a redirect URI, keeping any query it has (RFC 6749 §3.1.2).
pub fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            url.to_string()
        }
        // Registered redirect URIs were checked to parse; this cannot happen.
        Err(_) => uri.to_owned(),
    }
}

/// The longest `nonce` or `login_hint` kept; longer ones are refused rather than stored.
const MAX_VALUE_LEN: usize = 1024;

/// Validates an authorization request in the order that decides where errors go.
pub async fn validate(
    store: &dyn Store,
    keys: &KeySet,
    issuer: &str,
    params: &Params,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let client = check_client(store, params).await?;
    let redirect_uri = check_redirect_uri(&client, params)?;
    let state = params.get("state").map(str::to_owned);
    let redirect = |error: OAuthError| {
        AuthorizeError::Redirect(ErrorRedirect { redirect_uri: redirect_uri.clone(), state: state.clone(), error })
    };
    check_request_objects(params).map_err(redirect)?;
    check_response_type(&client, params).map_err(redirect)?;
    let scope = check_scope(&client, params).map_err(redirect)?;
    let code_challenge = check_pkce(&client, params).map_err(redirect)?;
    let (prompt_none, prompt_login) = check_prompt(params).map_err(redirect)?;
    let max_age = check_max_age(params).map_err(redirect)?;
    let claims = check_claims(params).map_err(redirect)?;
    let nonce = check_length(params, "nonce").map_err(redirect)?;
    let login_hint = check_length(params, "login_hint").map_err(redirect)?;
    let hinted_sub = check_id_token_hint(keys, issuer, &client, params).map_err(redirect)?;
    Ok(AuthorizationRequest {
        client_id: client.id,
        redirect_uri,
        scope,
        state,
        nonce,
        code_challenge,
        prompt_none,
        prompt_login,
        max_age,
        login_hint,
        claims,
        hinted_sub,
    })
}

/// RFC 6749 §4.1.1: `client_id` names a registered client.
async fn check_client(store: &dyn Store, params: &Params) -> Result<Client, AuthorizeError> {
    let id = params.get("client_id").ok_or_else(|| AuthorizeError::Page("The request has no client_id.".into()))?;
    store.find_client(id).await?.ok_or_else(|| AuthorizeError::Page("The application is not registered here.".into()))
}

/// RFC 6749 §3.1.2.3, OIDC Core §3.1.2.1: `redirect_uri` is required and matches a
/// registered one exactly, character for character.
fn check_redirect_uri(client: &Client, params: &Params) -> Result<String, AuthorizeError> {
    let uri =
        params.get("redirect_uri").ok_or_else(|| AuthorizeError::Page("The request has no redirect_uri.".into()))?;
    if client.redirect_uris.iter().any(|registered| registered == uri) {
        Ok(uri.to_owned())
    } else {
        Err(AuthorizeError::Page("The redirect_uri is not registered for this application.".into()))
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
    if !client.grant_types.iter().any(|g| g == "authorization_code") {
        return Err(OAuthError::unauthorized_client("the client may not use the authorization code flow"));
    }
    match params.get("response_mode") {
        None | Some("query") => Ok(()),
        Some(_) => Err(OAuthError::invalid_request("only response_mode=query is supported")),
    }
}

/// RFC 6749 §3.3: `scope` is required; unsupported tokens are dropped, and so is
/// `offline_access` for a client that may not use refresh tokens (OIDC Core §11).
/// Clients count as first-party, so `offline_access` needs no consent screen.
fn check_scope(client: &Client, params: &Params) -> Result<Scope, OAuthError> {
    let requested = params.get("scope").ok_or_else(|| OAuthError::invalid_scope("scope is required"))?;
    let mut scope = Scope::from_request(requested)?;
    if !client.grant_types.iter().any(|g| g == "refresh_token") {
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
/// `consent` and `select_account` need no screen here (one account per session,
/// clients are first-party); unknown values are ignored.
fn check_prompt(params: &Params) -> Result<(bool, bool), OAuthError> {
    let values: Vec<&str> = params.get("prompt").unwrap_or("").split(' ').filter(|v| !v.is_empty()).collect();
    let none = values.contains(&"none");
    if none && values.len() > 1 {
        return Err(OAuthError::invalid_request("prompt=none cannot be combined with other values"));
    }
    Ok((none, values.contains(&"login")))
}

/// OIDC Core §3.1.2.1: `max_age` is a non-negative number of seconds.
fn check_max_age(params: &Params) -> Result<Option<i64>, OAuthError> {
    params
        .get("max_age")
        .map(|v| v.parse::<i64>().ok().filter(|n| *n >= 0))
        .map(|parsed| parsed.ok_or_else(|| OAuthError::invalid_request("max_age must be a non-negative integer")))
        .transpose()
}

/// OIDC Core §5.5: the `claims` parameter.
fn check_claims(params: &Params) -> Result<Option<RequestedClaims>, OAuthError> {
    params.get("claims").map(|c| RequestedClaims::parse(c).map_err(OAuthError::invalid_request)).transpose()
}

fn check_length(params: &Params, name: &'static str) -> Result<Option<String>, OAuthError> {
    match params.get(name) {
        Some(v) if v.len() > MAX_VALUE_LEN => {
            Err(OAuthError::invalid_request(format!("{name} is longer than {MAX_VALUE_LEN} bytes")))
        }
        v => Ok(v.map(str::to_owned)),
    }
}

/// OIDC Core §3.1.2.1: `id_token_hint` must be an ID token this issuer issued to this
/// client (an expired one is fine); its `sub` names the user the client expects.
fn check_id_token_hint(
    keys: &KeySet,
    issuer: &str,
    client: &Client,
    params: &Params,
) -> Result<Option<String>, OAuthError> {
    let Some(hint) = params.get("id_token_hint") else { return Ok(None) };
    let claims = super::jwt::verify(keys, hint, "JWT", issuer)
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

/// What the endpoint does next with a valid request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Show the login page.
    Login,
    /// Issue a code for the session's user right away.
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

/// Issues an authorization code for the session's user (RFC 6749 §4.1.2): 256 random
/// bits, stored only as a hash, bound to everything the token request must match.
/// Returns the redirect URL that carries it, with `state` and `iss` (RFC 9207).
pub async fn issue_code(
    store: &dyn Store,
    request: &AuthorizationRequest,
    session: &SessionRow,
    issuer: &str,
    lifetime: i64,
    now: UnixTime,
) -> Result<String, StoreError> {
    let code = crate::secret::random_token();
    store
        .insert_code(&CodeRow {
            code_hash: crate::secret::hash(&code),
            grant_id: uuid::Uuid::new_v4().to_string(),
            client_id: request.client_id.clone(),
            user_id: session.user_id.clone(),
            sid: session.sid.clone(),
            redirect_uri: request.redirect_uri.clone(),
            scope: request.scope.to_string(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            auth_time: session.auth_time,
            claims: request.claims.as_ref().and_then(|c| serde_json::to_string(c).ok()),
            created_at: now,
            expires_at: now + lifetime,
            consumed_at: None,
        })
        .await?;
    let mut pairs = vec![("code", code.as_str())];
    if let Some(state) = &request.state {
        pairs.push(("state", state));
    }
    pairs.push(("iss", issuer));
    Ok(with_query(&request.redirect_uri, &pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn redirects_keep_the_registered_query() {
        let url = with_query("https://rp.example/cb?tenant=a", &[("code", "x y"), ("iss", "https://op")]);
        assert_eq!(url, "https://rp.example/cb?tenant=a&code=x+y&iss=https%3A%2F%2Fop");
    }
}
