//! Scopes (RFC 6749 §3.3): what a client asks for and what it is granted.

use super::error::OAuthError;

/// The scopes gatehouse grants; others are ignored (dropped from the granted scope,
/// which the token response reports, RFC 6749 §3.3).
pub const SUPPORTED: &[&str] = &["openid", "profile", "email", "address", "phone", "offline_access"];

/// A granted scope: supported scope tokens, in request order, without repeats.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Scope(Vec<String>);

impl Scope {
    /// Checks a requested `scope` and keeps the supported tokens.
    pub fn from_request(requested: &str) -> Result<Self, OAuthError> {
        // scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
        let valid = |t: &str| t.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E));
        let mut granted: Vec<String> = Vec::new();
        for token in requested.split(' ').filter(|t| !t.is_empty()) {
            if !valid(token) {
                return Err(OAuthError::invalid_scope("scope contains an invalid character"));
            }
            if SUPPORTED.contains(&token) && !granted.iter().any(|g| g == token) {
                granted.push(token.to_owned());
            }
        }
        Ok(Self(granted))
    }

    /// The scope without `token`.
    pub fn without(mut self, token: &str) -> Self {
        self.0.retain(|t| t != token);
        self
    }

    /// A scope as stored (already checked when it was granted).
    pub fn from_stored(stored: &str) -> Self {
        Self(stored.split(' ').filter(|t| !t.is_empty()).map(str::to_owned).collect())
    }

    /// Whether the scope contains `token`.
    pub fn has(&self, token: &str) -> bool {
        self.0.iter().any(|t| t == token)
    }

    /// The tokens.
    pub fn tokens(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_supported_tokens_in_order_once() {
        let scope = Scope::from_request("email  openid custom:read openid profile").unwrap();
        assert_eq!(scope.to_string(), "email openid profile");
        assert!(scope.has("openid"));
        assert!(!scope.has("custom:read"));
        assert_eq!(Scope::from_stored(&scope.to_string()), scope);
    }

    #[test]
    fn refuses_invalid_characters() {
        assert!(Scope::from_request("openid \"quoted\"").is_err());
        assert!(Scope::from_request("openid back\\slash").is_err());
    }
}
