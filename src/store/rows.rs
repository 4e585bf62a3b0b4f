//! The rows the store keeps, as the rest of gatehouse sees them.

use crate::clock::UnixTime;

/// Whether a client has a secret (confidential) or not (public, PKCE-only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// Authenticates with a secret at the token endpoint.
    Confidential,
    /// Runs on the user's device and cannot keep a secret (RFC 6749 §2.1).
    Public,
}

impl ClientKind {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confidential => "confidential",
            Self::Public => "public",
        }
    }

    /// Parses a stored or typed name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "confidential" => Some(Self::Confidential),
            "public" => Some(Self::Public),
            _ => None,
        }
    }
}

/// A registered relying party.
#[derive(Clone, PartialEq, Eq)]
pub struct Client {
    /// The `client_id`.
    pub id: String,
    /// A human-readable name, shown on the login page.
    pub name: String,
    /// Confidential or public.
    pub kind: ClientKind,
    /// SHA-256 of the client secret; `None` for public clients.
    pub secret_hash: Option<Vec<u8>>,
    /// Redirect URIs, matched exactly.
    pub redirect_uris: Vec<String>,
    /// Grant types the client may use.
    pub grant_types: Vec<String>,
    /// Where RP-initiated logout may send the browser back to.
    pub post_logout_redirect_uris: Vec<String>,
    /// Extra `aud` values for access tokens (the client's APIs).
    pub audiences: Vec<String>,
    /// The `alg` for this client's ID tokens; `None` for the server default.
    pub id_token_signed_response_alg: Option<String>,
    /// Whether `/authorize` requires PKCE (always, for public clients).
    pub require_pkce: bool,
    /// When it was registered.
    pub created_at: UnixTime,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("secret_hash", &self.secret_hash.as_ref().map(|_| "[redacted]"))
            .field("redirect_uris", &self.redirect_uris)
            .field("grant_types", &self.grant_types)
            .finish_non_exhaustive()
    }
}

/// A person who can log in.
#[derive(Clone, PartialEq)]
pub struct User {
    /// The stable subject identifier (`sub`): a UUID, never the username.
    pub id: String,
    /// The login name, as typed at registration.
    pub username: String,
    /// The PHC string of the argon2id hash.
    pub password_hash: String,
    /// A disabled user cannot log in or refresh.
    pub disabled: bool,
    /// Standard claims (OpenID Connect Core §5.1) as a JSON object, `sub` and `updated_at` excluded.
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// When the user was created.
    pub created_at: UnixTime,
    /// When the user's password or claims last changed (the `updated_at` claim).
    pub updated_at: UnixTime,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password_hash", &"[redacted]")
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// The key under which usernames are unique: "Alice" and "alice" are one account.
pub fn username_key(username: &str) -> String {
    username.to_lowercase()
}

/// A signing key as stored. Its state is derived from the times, never from a flag.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyRow {
    /// The key id published in JWKS and named by every JWT header.
    pub kid: String,
    /// The JWS `alg`, e.g. `RS256`.
    pub alg: String,
    /// The private key in DER (PKCS#1 for RSA, PKCS#8 otherwise), sealed when `kek_id` is set.
    pub private_der: Vec<u8>,
    /// The fingerprint of the key-encryption key that sealed `private_der`, if any.
    pub kek_id: Option<String>,
    /// When it was created.
    pub created_at: UnixTime,
    /// From when it is in JWKS.
    pub published_at: UnixTime,
    /// From when it may sign; `None` while it waits as the next key.
    pub activates_at: Option<UnixTime>,
    /// From when it no longer signs; it stays published while tokens it signed live.
    pub retires_at: Option<UnixTime>,
}

impl std::fmt::Debug for KeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRow")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("private_der", &"[redacted]")
            .field("published_at", &self.published_at)
            .field("activates_at", &self.activates_at)
            .field("retires_at", &self.retires_at)
            .finish()
    }
}

/// A browser session: one login in one browser.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// SHA-256 of the session cookie.
    pub id_hash: Vec<u8>,
    /// The public session id (the `sid` claim).
    pub sid: String,
    /// The user logged in.
    pub user_id: String,
    /// When the user authenticated.
    pub auth_time: UnixTime,
    /// When the session started.
    pub created_at: UnixTime,
    /// When it ends.
    pub expires_at: UnixTime,
}

impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRow").field("sid", &self.sid).field("user_id", &self.user_id).finish_non_exhaustive()
    }
}

/// An authorization request waiting for the user to log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRequestRow {
    /// The handle the login page carries.
    pub id: String,
    /// The client that asked.
    pub client_id: String,
    /// SHA-256 of the cookie of the browser that asked; only it may finish the request.
    pub browser_hash: Vec<u8>,
    /// The validated request, as JSON.
    pub request: String,
    /// When it was made.
    pub created_at: UnixTime,
    /// When it is abandoned.
    pub expires_at: UnixTime,
}

/// An authorization code, stored by the hash of its value.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeRow {
    /// SHA-256 of the code.
    pub code_hash: Vec<u8>,
    /// The id of the grant its redemption creates.
    pub grant_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The user who logged in.
    pub user_id: String,
    /// The browser session's `sid`.
    pub sid: String,
    /// The redirect URI of the request, which the token request must repeat.
    pub redirect_uri: String,
    /// The granted scope, space-separated.
    pub scope: String,
    /// The request's `nonce`, carried into the ID token.
    pub nonce: Option<String>,
    /// The PKCE `S256` challenge.
    pub code_challenge: Option<String>,
    /// When the user authenticated.
    pub auth_time: UnixTime,
    /// The `claims` request parameter as JSON, if any.
    pub claims: Option<String>,
    /// When it was issued.
    pub created_at: UnixTime,
    /// When it expires.
    pub expires_at: UnixTime,
    /// When it was redeemed, if it was.
    pub consumed_at: Option<UnixTime>,
}

impl std::fmt::Debug for CodeRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeRow")
            .field("grant_id", &self.grant_id)
            .field("client_id", &self.client_id)
            .field("consumed_at", &self.consumed_at)
            .finish_non_exhaustive()
    }
}

/// One login of one user for one client: the unit that is revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRow {
    /// Carried by every access token of the grant.
    pub id: String,
    /// The client.
    pub client_id: String,
    /// The user; `None` for client credentials.
    pub user_id: Option<String>,
    /// The granted scope, space-separated.
    pub scope: String,
    /// The browser session's `sid`.
    pub sid: Option<String>,
    /// When the user authenticated.
    pub auth_time: Option<UnixTime>,
    /// The `claims` request parameter as JSON, if any.
    pub claims: Option<String>,
    /// When it was created.
    pub created_at: UnixTime,
    /// When it ends.
    pub expires_at: UnixTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
}

impl GrantRow {
    /// Whether tokens of this grant are good at `now`.
    pub fn is_live(&self, now: UnixTime) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// A refresh token of a grant's family, stored by the hash of its value.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshRow {
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    /// The grant (family) it belongs to.
    pub grant_id: String,
    /// When it was issued.
    pub created_at: UnixTime,
    /// When it expires unused (idle lifetime, bounded by the grant's end).
    pub expires_at: UnixTime,
    /// When it was rotated; presenting it after that is reuse.
    pub spent_at: Option<UnixTime>,
    /// Its successor, sealed under a key derived from this token (grace window only).
    pub successor_sealed: Option<Vec<u8>>,
}

impl std::fmt::Debug for RefreshRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshRow")
            .field("grant_id", &self.grant_id)
            .field("expires_at", &self.expires_at)
            .field("spent_at", &self.spent_at)
            .finish_non_exhaustive()
    }
}

/// Failed logins counted under one key (an account or a client address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleRow {
    /// `user:<name>` or `ip:<address>`.
    pub key: String,
    /// Failures since `window_start`.
    pub failures: i64,
    /// When the current counting window began.
    pub window_start: UnixTime,
    /// Logins under this key are refused until then.
    pub blocked_until: Option<UnixTime>,
}

/// A rotation that was scheduled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The key that will sign from `activates_at`.
    pub kid: String,
    /// When it starts signing (and the key before it retires).
    pub activates_at: UnixTime,
}
