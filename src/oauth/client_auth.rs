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

/// A failed client authentication: the error to answer, and the id of the client the
/// credentials named if it is registered. An unregistered id is not kept, even for
/// the log: it may be a secret pasted into the wrong field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unauthenticated {
    /// `invalid_client` (or `server_error`), with a detail for the log only.
    pub error: OAuthError,
    /// The registered client the credentials named, if any.
    pub client: Option<String>,
}

impl From<crate::store::StoreError> for Unauthenticated {
    fn from(e: crate::store::StoreError) -> Self {
        Self { error: e.into(), client: None }
    }
}

/// Authenticates a client: a confidential client by its secret (compared by hash, in
/// constant time), a public client by its id alone. Every failure is `invalid_client`
/// with the same description, so it does not tell which part was wrong; only the log
/// is told (the error's detail).
pub async fn authenticate(store: &dyn Store, credentials: &Credentials) -> Result<Client, Unauthenticated> {
    let failed = |detail, client: Option<&Client>| Unauthenticated {
        error: OAuthError::invalid_client("client authentication failed").with_detail(detail),
        client: client.map(|c| c.id.clone()),
    };
    let (id, secret) = match credentials {
        Credentials::Basic { id, secret } | Credentials::Post { id, secret } => (id, Some(secret)),
        Credentials::None { id } => (id, None),
    };
    let client = store.find_client(id).await?.ok_or_else(|| failed("no client is registered with that id", None))?;
    let refused = match (client.kind, &client.secret_hash, secret) {
        (ClientKind::Confidential, Some(hash), Some(secret)) if crate::secret::verify(secret, hash) => None,
        (ClientKind::Confidential, Some(_), Some(_)) => Some("the client secret is wrong"),
        (ClientKind::Confidential, _, None) => Some("the client is confidential and sent no secret"),
        (ClientKind::Public, None, None) => None,
        (ClientKind::Public, _, Some(_)) => Some("the client is public and has no secret to send"),
        _ => Some("the client's registration has no usable secret"),
    };
    match refused {
        None => Ok(client),
        Some(detail) => Err(failed(detail, Some(&client))),
    }
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
