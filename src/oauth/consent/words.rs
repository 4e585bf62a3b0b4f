//! The requested scopes in plain words, for the consent page (OIDC Core §5.4 for
//! what OpenID Connect's scopes release; custom scopes say which claims they release).

use super::super::Context;
use super::super::scope::{Scope, custom_scopes};
use crate::store::StoreError;

/// One requested scope on the consent page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeLine {
    /// What the client may do, in plain words.
    pub text: String,
    /// The claims a custom scope releases, if it is one.
    pub claims: Option<String>,
    /// Whether the user approved it for this client before.
    pub approved: bool,
}

/// The plain words for one of OpenID Connect's scopes (the page says whose account).
fn standard(token: &str) -> Option<String> {
    Some(match token {
        "openid" => "Know who you are (your account's identifier)".to_owned(),
        "profile" => "See your name, username, picture and other profile details".to_owned(),
        "email" => "See your email address".to_owned(),
        "address" => "See your postal address".to_owned(),
        "phone" => "See your phone number".to_owned(),
        "offline_access" => "Keep access when you are not using it".to_owned(),
        _ => return None,
    })
}

/// The lines for `scope`, in request order; those in `approved` are marked.
pub(super) async fn lines(ctx: &Context<'_>, scope: &Scope, approved: &Scope) -> Result<Vec<ScopeLine>, StoreError> {
    let custom = custom_scopes(ctx.store, scope.tokens()).await?;
    Ok(scope
        .tokens()
        .map(|token| {
            let (text, claims) = match standard(token) {
                Some(text) => (text, None),
                None => {
                    let claims = custom.iter().find(|c| c.name == token).map(|c| c.claims.join(", "));
                    (format!("Use the scope “{token}”"), claims.filter(|c| !c.is_empty()))
                }
            };
            ScopeLine { text, claims, approved: approved.has(token) }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_standard_scope_has_plain_words() {
        for token in crate::oauth::scope::SUPPORTED {
            assert!(standard(token).is_some(), "{token}");
        }
        assert_eq!(standard("openid").as_deref(), Some("Know who you are (your account's identifier)"));
        assert_eq!(standard("groups"), None);
    }
}
