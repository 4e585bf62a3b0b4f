//! Authorization responses (RFC 6749 §4.1.2): the code, or an error, sent back to the
//! client's verified redirect URI with `state` and `iss` (RFC 9207).

use super::Context;
use super::error::OAuthError;
use super::request::AuthorizationRequest;
use crate::secret;
use crate::store::{CodeRow, SessionRow, StoreError};

/// An error response for a verified redirect URI (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorRedirect {
    /// The verified client, for the log.
    pub client_id: String,
    /// The verified redirect URI.
    pub redirect_uri: String,
    /// The request's `state`.
    pub state: Option<String>,
    /// What went wrong.
    pub error: OAuthError,
}

/// An error shown on a page, never redirected: the client or its redirect URI cannot
/// be trusted (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorPage {
    /// The registered client the request named, for the log; an unregistered id is
    /// not kept (it may be anything pasted into the wrong field).
    pub client_id: Option<String>,
    /// What went wrong, for the log.
    pub error: OAuthError,
    /// What went wrong, for the person at the browser.
    pub message: &'static str,
}

impl ErrorRedirect {
    /// The error for a validated request.
    pub fn to(request: &AuthorizationRequest, error: OAuthError) -> Self {
        let (client_id, redirect_uri) = (request.client_id.clone(), request.redirect_uri.clone());
        Self { client_id, redirect_uri, state: request.state.clone(), error }
    }

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

/// Issues an authorization code for the session's user (RFC 6749 §4.1.2): 256 random
/// bits, stored only as a hash, bound to everything the token request must match.
/// Returns the redirect URL that carries it, with `state` and `iss` (RFC 9207).
pub async fn issue_code(
    ctx: &Context<'_>,
    request: &AuthorizationRequest,
    session: &SessionRow,
) -> Result<String, StoreError> {
    let code = secret::random_token();
    ctx.store
        .insert_code(&CodeRow {
            code_hash: secret::hash(&code),
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
            created_at: ctx.now,
            expires_at: ctx.now + ctx.lifetimes.code,
            consumed_at: None,
        })
        .await?;
    let mut pairs = vec![("code", code.as_str())];
    if let Some(state) = &request.state {
        pairs.push(("state", state));
    }
    pairs.push(("iss", ctx.issuer.as_str()));
    Ok(with_query(&request.redirect_uri, &pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_keep_the_registered_query() {
        let url = with_query("https://rp.example/cb?tenant=a", &[("code", "x y"), ("iss", "https://op")]);
        assert_eq!(url, "https://rp.example/cb?tenant=a&code=x+y&iss=https%3A%2F%2Fop");
    }
}
