//! Authorization requests kept while the browser is away from the client: waiting
//! for the user to log in, then perhaps for their consent. Each is bound to the
//! browser that made it (by its browser id cookie) and used once.

use std::net::IpAddr;

use super::Context;
use super::error::OAuthError;
use super::request::AuthorizationRequest;
use crate::secret;
use crate::store::PendingRequestRow;

/// How long a pending authorization request waits for the user to log in or consent.
pub const PENDING_LIFETIME: i64 = 15 * 60;

/// Why a login or consent cannot go on: the pending request cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The browser sent no browser id: cookies are off.
    NoCookies,
    /// The page was opened without a pending request.
    NoRequest,
    /// The pending request expired, was used, or is another browser's.
    Expired,
    /// The form's CSRF token is not this browser's for this request.
    FormExpired,
}

/// The browser a login or consent runs in.
#[derive(Debug, Clone, Copy)]
pub struct Browser<'a> {
    /// The browser id cookie, which binds a pending request to the browser that made it.
    pub id: Option<&'a str>,
    /// The session cookie it has now, which a new login replaces.
    pub session: Option<&'a str>,
    /// Its address, for throttling.
    pub address: Option<IpAddr>,
}

/// A kept request: its id, and the browser id to set when the browser had none yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Begun {
    /// The pending request's id, which the login or consent page carries.
    pub request_id: String,
    /// A new browser id for the browser's cookie; `None` when it already had one.
    pub new_browser_id: Option<String>,
}

/// Keeps `request` where any instance can finish it, bound to the browser whose id
/// cookie is `browser_id` (a new id when it has none). `sid` is `None` for a request
/// that waits for a login, and the session's for one that waits for consent in it.
pub async fn keep(
    ctx: &Context<'_>,
    request: &AuthorizationRequest,
    browser_id: Option<&str>,
    sid: Option<&str>,
) -> Result<Begun, OAuthError> {
    let new_browser_id = browser_id.is_none().then(secret::random_token);
    let browser_id = browser_id.or(new_browser_id.as_deref()).unwrap_or_default();
    let json = serde_json::to_string(request).map_err(|_| OAuthError::server_error())?;
    let pending = PendingRequestRow {
        id: secret::random_token(),
        client_id: request.client_id.clone(),
        browser_hash: secret::hash(browser_id),
        request: json,
        sid: sid.map(str::to_owned),
        created_at: ctx.now,
        expires_at: ctx.now + PENDING_LIFETIME,
    };
    ctx.store.insert_pending_request(&pending).await?;
    Ok(Begun { request_id: pending.id, new_browser_id })
}

/// The authorization request a pending row keeps.
pub fn read(pending: &PendingRequestRow) -> Result<AuthorizationRequest, OAuthError> {
    serde_json::from_str(&pending.request).map_err(|e| {
        tracing::error!(error = %e, "a stored authorization request cannot be read");
        OAuthError::server_error()
    })
}
