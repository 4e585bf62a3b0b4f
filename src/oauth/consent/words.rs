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

/// The plain words for one of OpenID Connect's scopes; `org` names this provider.
fn standard(token: &str, org: &str) -> Option<String> {
    Some(match token {
        "openid" => format!("Know who you are on {org}"),
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
    let org = url::Url::parse(ctx.issuer.as_str()).ok().and_then(|u| u.host_str().map(str::to_owned));
    let org = org.unwrap_or_else(|| ctx.issuer.as_str().to_owned());
    let custom = custom_scopes(ctx.store, scope.tokens()).await?;
    Ok(scope
        .tokens()
        .map(|token| {
            let (text, claims) = match standard(token, &org) {
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
            assert!(standard(token, "id.example").is_some(), "{token}");
        }
        assert_eq!(standard("openid", "id.example").as_deref(), Some("Know who you are on id.example"));
        assert_eq!(standard("groups", "id.example"), None);
    }
}
