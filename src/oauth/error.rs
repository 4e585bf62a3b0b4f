//! OAuth 2.0 and OpenID Connect error codes, and the error value protocol code returns.

use std::borrow::Cow;

/// An error code from RFC 6749 §4.1.2.1 / §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1 or
/// OpenID Connect Core §3.1.2.6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// "The request is missing a required parameter, includes an invalid parameter
    /// value, includes a parameter more than once, or is otherwise malformed."
    InvalidRequest,
    /// "Client authentication failed (e.g., unknown client, no client authentication
    /// included, or unsupported authentication method)."
    InvalidClient,
    /// "The provided authorization grant (e.g., authorization code, resource owner
    /// credentials) or refresh token is invalid, expired, revoked, does not match the
    /// redirection URI used in the authorization request, or was issued to another client."
    InvalidGrant,
    /// "The authenticated client is not authorized to use this authorization grant type."
    UnauthorizedClient,
    /// "The authorization grant type is not supported by the authorization server."
    UnsupportedGrantType,
    /// "The authorization server does not support obtaining an authorization code using this method."
    UnsupportedResponseType,
    /// "The requested scope is invalid, unknown, or malformed."
    InvalidScope,
    /// "The resource owner or authorization server denied the request."
    AccessDenied,
    /// "The Authorization Server requires End-User authentication." (OIDC Core §3.1.2.6)
    LoginRequired,
    /// "The Authorization Server requires End-User consent." (OIDC Core §3.1.2.6)
    ConsentRequired,
    /// "The OP does not support use of the request parameter." (OIDC Core §3.1.2.6)
    RequestNotSupported,
    /// "The OP does not support use of the request_uri parameter." (OIDC Core §3.1.2.6)
    RequestUriNotSupported,
    /// "The access token provided is expired, revoked, malformed, or invalid for other reasons." (RFC 6750 §3.1)
    InvalidToken,
    /// "The request requires higher privileges than provided by the access token." (RFC 6750 §3.1)
    InsufficientScope,
    /// "The authorization server encountered an unexpected condition that prevented it
    /// from fulfilling the request."
    ServerError,
}

impl ErrorCode {
    /// The code as the RFCs spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::ServerError => "server_error",
        }
    }
}

/// A protocol error: a code and a human-readable description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// The error code.
    pub code: ErrorCode,
    /// `error_description`: only the characters RFC 6749 §4.1.2.1 allows
    /// (`%x20-21 / %x23-5B / %x5D-7E`); see [`OAuthError::description`].
    description: Cow<'static, str>,
    /// What the log adds to the description and the client is not told; static, so
    /// that it can hold no value from the request.
    detail: Option<&'static str>,
    /// Whether the refusal was already logged where it happened (a replay, at `warn`).
    logged: bool,
}

macro_rules! constructors {
    ($($name:ident => $code:ident),* $(,)?) => {$(
        #[doc = concat!("An `", stringify!($name), "` error.")]
        pub fn $name(description: impl Into<Cow<'static, str>>) -> Self {
            Self::new(ErrorCode::$code, description)
        }
    )*};
}

impl OAuthError {
    /// An error with a description; characters RFC 6749 does not allow in
    /// `error_description` (quotes, backslashes, non-ASCII, control characters) are replaced.
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        let description = description.into();
        let allowed = |c: char| matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E');
        let description = if description.chars().all(allowed) {
            description
        } else {
            description.replace(|c| !allowed(c), "'").into()
        };
        Self { code, description, detail: None, logged: false }
    }

    constructors! {
        invalid_request => InvalidRequest,
        invalid_client => InvalidClient,
        invalid_grant => InvalidGrant,
        unauthorized_client => UnauthorizedClient,
        unsupported_grant_type => UnsupportedGrantType,
        unsupported_response_type => UnsupportedResponseType,
        invalid_scope => InvalidScope,
        login_required => LoginRequired,
        consent_required => ConsentRequired,
        invalid_token => InvalidToken,
        insufficient_scope => InsufficientScope,
    }

    /// A `server_error`; the cause is logged by the caller, never shown.
    pub fn server_error() -> Self {
        Self::new(ErrorCode::ServerError, "the server failed to handle the request")
    }

    /// The `error_description`.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The same error with what only the log says of it (e.g. why client
    /// authentication failed, which every client is told alike).
    pub fn with_detail(mut self, detail: &'static str) -> Self {
        self.detail = Some(detail);
        self
    }

    /// What only the log says of the error.
    pub fn detail(&self) -> Option<&'static str> {
        self.detail
    }

    /// The same error, marked as logged already where it happened, so that the HTTP
    /// edge does not log the refusal a second time.
    pub fn logged(mut self) -> Self {
        self.logged = true;
        self
    }

    /// Whether the refusal was logged already.
    pub fn was_logged(&self) -> bool {
        self.logged
    }
}

impl From<crate::store::StoreError> for OAuthError {
    /// A store failure is the server's: logged here, once, and answered `server_error`.
    fn from(e: crate::store::StoreError) -> Self {
        tracing::error!(error = %e, "store failure");
        Self::server_error()
    }
}

impl From<crate::keys::KeyError> for OAuthError {
    /// A signing failure is the server's: logged here, once, and answered `server_error`.
    fn from(e: crate::keys::KeyError) -> Self {
        tracing::error!(error = %e, "cannot sign tokens");
        Self::server_error()
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_use_only_the_rfc_6749_character_set() {
        let e = OAuthError::invalid_request("unknown client \"x\\y\"\n\u{e9}");
        assert_eq!(e.description(), "unknown client 'x'y'''");
        assert_eq!(OAuthError::invalid_grant("code expired").description(), "code expired");
    }
}
