//! A validated authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1), as the
//! authorization endpoint produces it and the login and consent steps keep it.

use serde::{Deserialize, Serialize};

use super::claims::RequestedClaims;
use super::scope::Scope;

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
    /// `prompt=consent`: the user is asked on the consent page, whatever they approved
    /// before and for any client (dev mode's headless login steps aside for it).
    #[serde(default)]
    pub prompt_consent: bool,
    /// Authenticate again if the last authentication is older than this many seconds.
    pub max_age: Option<i64>,
    /// Prefills the username.
    pub login_hint: Option<String>,
    /// The `claims` parameter, if given.
    pub claims: Option<RequestedClaims>,
    /// The `sub` of a valid `id_token_hint`: the user the client expects.
    pub hinted_sub: Option<String>,
}
