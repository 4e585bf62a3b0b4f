//! Scopes (RFC 6749 §3.3): what a client asks for, what it is granted, and which
//! user claims a granted scope releases (OIDC Core §5.4, and custom scopes).

use super::claims::{ADDRESS, EMAIL, PHONE, PROFILE};
use super::error::OAuthError;
use crate::store::{ScopeRow, Store, StoreError};

/// OpenID Connect's own scopes. Others are granted only when a seed file declared
/// them (custom scopes); the rest are dropped from the granted scope, which the
/// token response reports (RFC 6749 §3.3).
pub const SUPPORTED: &[&str] = &["openid", "profile", "email", "address", "phone", "offline_access"];

/// Whether `token` is a scope token: `1*( %x21 / %x23-5B / %x5D-7E )` (RFC 6749 §3.3).
pub fn is_scope_token(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// The user claims each of OpenID Connect's scopes releases (§5.4).
const STANDARD_CLAIMS: [(&str, &[&str]); 4] =
    [("profile", PROFILE), ("email", EMAIL), ("address", ADDRESS), ("phone", PHONE)];

/// The custom scopes the store declares among `tokens`; when every token is one of
/// OpenID Connect's own, the store is not asked.
pub async fn custom_scopes<'t>(
    store: &dyn Store,
    mut tokens: impl Iterator<Item = &'t str>,
) -> Result<Vec<ScopeRow>, StoreError> {
    let wanted: Vec<&str> = tokens.by_ref().filter(|t| !SUPPORTED.contains(t)).collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store.list_scopes().await?.into_iter().filter(|s| wanted.contains(&s.name.as_str())).collect())
}

/// A granted scope and what it releases: the claims of OpenID Connect's scopes and
/// of the custom scopes among its tokens.
#[derive(Debug)]
pub struct Releases<'a> {
    scope: &'a Scope,
    custom: Vec<ScopeRow>,
}

impl<'a> Releases<'a> {
    /// What `scope` releases, its custom scopes read from the store.
    pub async fn of(store: &dyn Store, scope: &'a Scope) -> Result<Self, StoreError> {
        Ok(Self { custom: custom_scopes(store, scope.tokens()).await?, scope })
    }

    /// Whether the scope releases the claim `name` (`updated_at` goes with `profile`).
    pub fn claim(&self, name: &str) -> bool {
        let standard = STANDARD_CLAIMS.iter().any(|(token, names)| {
            self.scope.has(token) && (names.contains(&name) || (*token == "profile" && name == "updated_at"))
        });
        standard || self.granted().any(|c| c.claims.iter().any(|n| n == name))
    }

    /// Whether a custom scope declared to put its claims in the ID token releases `name`.
    pub fn id_token_claim(&self, name: &str) -> bool {
        self.granted().any(|c| c.id_token && c.claims.iter().any(|n| n == name))
    }

    fn granted(&self) -> impl Iterator<Item = &ScopeRow> {
        self.custom.iter().filter(|c| self.scope.has(&c.name))
    }
}

/// A granted scope: supported scope tokens, in request order, without repeats.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Scope(Vec<String>);

impl Scope {
    /// Checks a requested `scope` and keeps OpenID Connect's scopes and the `custom`
    /// ones (those the store declares).
    pub fn from_request(requested: &str, custom: &[ScopeRow]) -> Result<Self, OAuthError> {
        let mut granted: Vec<String> = Vec::new();
        for token in requested.split(' ').filter(|t| !t.is_empty()) {
            if !is_scope_token(token) {
                return Err(OAuthError::invalid_scope("scope contains an invalid character"));
            }
            let known = SUPPORTED.contains(&token) || custom.iter().any(|c| c.name == token);
            if known && !granted.iter().any(|g| g == token) {
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

    /// This scope's tokens, then those of `other` it lacks, in order, without repeats.
    pub fn union(mut self, other: &Scope) -> Self {
        for token in other.tokens() {
            if !self.has(token) {
                self.0.push(token.to_owned());
            }
        }
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
    fn a_union_keeps_order_without_repeats() {
        let union = Scope::from_stored("openid email").union(&Scope::from_stored("profile openid"));
        assert_eq!(union.to_string(), "openid email profile");
    }

    #[test]
    fn keeps_supported_tokens_in_order_once() {
        let scope = Scope::from_request("email  openid custom:read openid profile", &[]).unwrap();
        assert_eq!(scope.to_string(), "email openid profile");
        assert!(scope.has("openid"));
        assert!(!scope.has("custom:read"));
        assert_eq!(Scope::from_stored(&scope.to_string()), scope);
    }

    fn groups(id_token: bool) -> ScopeRow {
        ScopeRow { name: "groups".into(), claims: vec!["groups".into(), "roles".into()], id_token }
    }

    #[test]
    fn keeps_declared_custom_scopes() {
        let scope = Scope::from_request("openid groups other", &[groups(false)]).unwrap();
        assert_eq!(scope.to_string(), "openid groups");
    }

    #[test]
    fn releases_the_claims_of_granted_scopes() {
        let scope = Scope::from_stored("openid email groups");
        let releases = Releases { scope: &scope, custom: vec![groups(true)] };
        for name in ["email", "email_verified", "groups", "roles"] {
            assert!(releases.claim(name), "{name}");
        }
        for name in ["name", "updated_at", "phone_number", "sub"] {
            assert!(!releases.claim(name), "{name}");
        }
        assert!(releases.id_token_claim("roles"));
        assert!(!releases.id_token_claim("email"));
        let profile = Scope::from_stored("openid profile");
        let releases = Releases { scope: &profile, custom: vec![groups(true)] };
        assert!(releases.claim("name") && releases.claim("updated_at"));
        assert!(!releases.claim("groups"), "a custom scope not granted releases nothing");
        assert!(!releases.id_token_claim("groups"), "a custom scope not granted releases nothing");
    }

    #[test]
    fn refuses_invalid_characters() {
        assert!(Scope::from_request("openid \"quoted\"", &[]).is_err());
        assert!(Scope::from_request("openid back\\slash", &[]).is_err());
    }
}
