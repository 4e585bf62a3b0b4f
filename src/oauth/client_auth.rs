//! Client authentication at the token endpoint (RFC 6749 §2.3, OIDC Core §9):
//! `client_secret_basic`, `client_secret_post`, and `none` for public clients.

use super::error::OAuthError;
use super::params::Params;
use crate::store::{Client, ClientKind, Store};

/// What the client presented.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// HTTP Basic with the form-urlencoded id and secret (§2.3.1).
    Basic {
        /// client_id
        id: String,
        /// client_secret
        secret: String,
    },
    /// `client_id` and `client_secret` in the body.
    Post {
        /// client_id
        id: String,
        /// client_secret
        secret: String,
    },
    /// Only `client_id`: a public client.
    None {
        /// client_id
        id: String,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Basic { id, .. } => write!(f, "Basic({id}, [redacted])"),
            Self::Post { id, .. } => write!(f, "Post({id}, [redacted])"),
            Self::None { id } => write!(f, "None({id})"),
        }
    }
}

impl Credentials {
    /// Sorts out which method was used; using two at once is an error (§2.3).
    pub fn from_request(basic: Option<(String, String)>, params: &Params) -> Result<Self, OAuthError> {
        let form_id = params.get("client_id");
        let form_secret = params.get("client_secret");
        match (basic, form_id, form_secret) {
            (Some(_), _, Some(_)) => {
                Err(OAuthError::invalid_request("use one client authentication method, not several"))
            }
            (Some((id, _)), Some(form_id), None) if form_id != id => {
                Err(OAuthError::invalid_request("client_id does not match the Authorization header"))
            }
            (Some((id, secret)), _, None) => Ok(Self::Basic { id, secret }),
            (None, Some(id), Some(secret)) => Ok(Self::Post { id: id.to_owned(), secret: secret.to_owned() }),
            (None, Some(id), None) => Ok(Self::None { id: id.to_owned() }),
            (None, None, _) => Err(OAuthError::invalid_client("client authentication is required")),
        }
    }

    /// Whether the client used HTTP Basic (a failure then answers with a Basic challenge).
    pub fn is_basic(&self) -> bool {
        matches!(self, Self::Basic { .. })
    }
}

/// Authenticates a client: a confidential client by its secret (compared by hash, in
/// constant time), a public client by its id alone. Every failure is `invalid_client`
/// with the same description, so it does not tell which part was wrong.
pub async fn authenticate(store: &dyn Store, credentials: &Credentials) -> Result<Client, OAuthError> {
    let failed = || OAuthError::invalid_client("client authentication failed");
    let (id, secret) = match credentials {
        Credentials::Basic { id, secret } | Credentials::Post { id, secret } => (id, Some(secret)),
        Credentials::None { id } => (id, None),
    };
    let client = store.find_client(id).await?.ok_or_else(failed)?;
    let ok = match (client.kind, &client.secret_hash, secret) {
        (ClientKind::Confidential, Some(hash), Some(secret)) => crate::secret::verify(secret, hash),
        (ClientKind::Public, None, None) => true,
        _ => false,
    };
    if ok { Ok(client) } else { Err(failed()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_method_at_a_time() {
        let basic = Some(("c".to_owned(), "s".to_owned()));
        let p = |pairs: &[(&'static str, &'static str)]| Params::from_pairs(pairs.iter().copied());
        assert!(Credentials::from_request(basic.clone(), &p(&[])).unwrap().is_basic());
        assert!(Credentials::from_request(basic.clone(), &p(&[("client_id", "c")])).is_ok());
        assert!(Credentials::from_request(basic.clone(), &p(&[("client_id", "d")])).is_err());
        assert!(Credentials::from_request(basic, &p(&[("client_secret", "s")])).is_err());
        assert_eq!(
            Credentials::from_request(None, &p(&[("client_id", "c"), ("client_secret", "s")])).unwrap(),
            Credentials::Post { id: "c".into(), secret: "s".into() }
        );
        assert_eq!(
            Credentials::from_request(None, &p(&[("client_id", "c")])).unwrap(),
            Credentials::None { id: "c".into() }
        );
        assert_eq!(
            Credentials::from_request(None, &p(&[])).unwrap_err().code,
            super::super::error::ErrorCode::InvalidClient
        );
    }
}
