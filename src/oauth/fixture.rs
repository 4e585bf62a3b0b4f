//! The rules of `gatehouse dev`'s control API (`/_dev/`), with which a relying
//! party's test suite sets up users and clients and moves time: the same checks as
//! the admin CLI and seed files, and nothing changed when a request is refused.

use std::time::Duration;

use serde_json::{Map, Value};

use super::Context;
use super::claims::check_claim;
use super::client::{check_registration, parse_grant_types};
use crate::store::{Client, ClientKind, StoreError, User};

/// Why a control request was refused; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The request is malformed or breaks a rule.
    #[error("{0}")]
    Invalid(String),
    /// What it would create exists already.
    #[error("{0}")]
    Conflict(String),
    /// What it names does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A user as a control request declares them.
#[derive(Debug, Default)]
pub struct UserSpec {
    /// The login name.
    pub username: String,
    /// The password; without one, none works (the user logs in with `login_hint`).
    pub password: Option<String>,
    /// Their claims (none without).
    pub claims: Option<Map<String, Value>>,
}

/// Creates a user; [`FixtureError::Conflict`] if the username is taken.
pub async fn create_user(ctx: &Context<'_>, spec: UserSpec) -> Result<User, FixtureError> {
    check_user(&spec)?;
    if let Some(existing) = ctx.store.find_user_by_username(&spec.username).await? {
        return Err(taken(&existing.username));
    }
    let user = new_user(ctx, spec).await?;
    ctx.store.insert_user(&user).await.map_err(|e| conflict_as(e, &user.username))?;
    Ok(user)
}

/// Creates the user, or replaces the one with that username (who keeps their `sub`,
/// creation time and disabled flag); true if created.
pub async fn put_user(ctx: &Context<'_>, spec: UserSpec) -> Result<(User, bool), FixtureError> {
    check_user(&spec)?;
    let stored = ctx.store.find_user_by_username(&spec.username).await?;
    let mut user = new_user(ctx, spec).await?;
    let created = stored.is_none();
    if let Some(stored) = stored {
        user.id = stored.id;
        user.created_at = stored.created_at;
        user.disabled = stored.disabled;
    }
    ctx.store.put_user(&user).await.map_err(|e| conflict_as(e, &user.username))?;
    Ok((user, created))
}

/// Removes a user and everything issued to them.
pub async fn delete_user(ctx: &Context<'_>, username: &str) -> Result<(), FixtureError> {
    if ctx.store.delete_user(username).await? { Ok(()) } else { Err(no_user(username)) }
}

/// Logs a user out everywhere, as `gatehouse user logout` does: ends every browser
/// session and every grant (and so every refresh-token family and access token) of
/// theirs, and the codes issued to them and not yet redeemed; returns how many grants
/// ended.
pub async fn revoke_user(ctx: &Context<'_>, username: &str) -> Result<u64, FixtureError> {
    let user = ctx.store.find_user_by_username(username).await?.ok_or_else(|| no_user(username))?;
    Ok(ctx.store.end_user_sessions(&user.id, ctx.now).await?.grants)
}

/// Checks what needs no store: the username and the claims.
fn check_user(spec: &UserSpec) -> Result<(), FixtureError> {
    crate::username::check(&spec.username).map_err(FixtureError::Invalid)?;
    if spec.password.as_deref() == Some("") {
        return Err(FixtureError::Invalid("the password is empty; leave it out for a random one".into()));
    }
    for (name, value) in spec.claims.iter().flatten() {
        check_claim(name, value).map_err(|why| FixtureError::Invalid(format!("claims: {why}")))?;
    }
    Ok(())
}

/// A new user row for `spec`, its password hashed (without one, a hash nothing matches).
async fn new_user(ctx: &Context<'_>, spec: UserSpec) -> Result<User, FixtureError> {
    let password_hash = match spec.password {
        Some(password) => crate::password::hash(password).await.map_err(|e| FixtureError::Invalid(e.to_string()))?,
        None => crate::password::unusable_hash(),
    };
    Ok(User {
        id: uuid::Uuid::new_v4().to_string(),
        username: spec.username,
        password_hash,
        disabled: false,
        claims: spec.claims.unwrap_or_default(),
        created_at: ctx.now,
        updated_at: ctx.now,
    })
}

fn taken(username: &str) -> FixtureError {
    FixtureError::Conflict(format!("the user {username} exists; PUT /_dev/users/{username} replaces it"))
}

fn no_user(username: &str) -> FixtureError {
    FixtureError::NotFound(format!("there is no user named {username}"))
}

/// A unique violation (the name taken meanwhile) as a conflict.
fn conflict_as(e: StoreError, username: &str) -> FixtureError {
    match e {
        StoreError::Conflict => taken(username),
        other => other.into(),
    }
}

/// A client as a control request declares it.
#[derive(Debug, Default)]
pub struct ClientSpec {
    /// The `client_id`.
    pub client_id: String,
    /// The secret of a confidential client; generated when not given.
    pub client_secret: Option<String>,
    /// Its redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Public (no secret, PKCE) rather than confidential.
    pub public: bool,
    /// Grant type names; none means `authorization_code` and `refresh_token`.
    pub grant_types: Vec<String>,
    /// Whether the granted scope's claims go in the ID token too.
    pub id_token_claims: bool,
    /// A third-party client: the user is asked for consent.
    pub third_party: bool,
    /// Where RP-initiated logout may send the browser back to.
    pub post_logout_redirect_uris: Vec<String>,
}

/// Registers a client, checked as the CLI and seed files check one; returns it with
/// its secret (`None` for a public client).
pub async fn register_client(ctx: &Context<'_>, spec: ClientSpec) -> Result<(Client, Option<String>), FixtureError> {
    let invalid = FixtureError::Invalid;
    let secret = match (spec.public, spec.client_secret) {
        (true, Some(_)) => return Err(invalid("a public client has no secret; leave out client_secret".into())),
        (true, None) => None,
        (false, Some(secret)) if secret.is_empty() => return Err(invalid("client_secret is empty".into())),
        (false, Some(secret)) => Some(secret),
        (false, None) => Some(crate::secret::random_token()),
    };
    let client = Client {
        id: spec.client_id,
        name: String::new(),
        kind: if spec.public { ClientKind::Public } else { ClientKind::Confidential },
        secret_hash: secret.as_deref().map(crate::secret::hash),
        redirect_uris: spec.redirect_uris,
        grant_types: parse_grant_types(&spec.grant_types).map_err(invalid)?,
        post_logout_redirect_uris: spec.post_logout_redirect_uris,
        audiences: Vec::new(),
        id_token_signed_response_alg: None,
        require_pkce: true,
        loopback_any_port: false,
        id_token_claims: spec.id_token_claims,
        third_party: spec.third_party,
        created_at: ctx.now,
    };
    check_registration(&client).map_err(invalid)?;
    match ctx.store.insert_client(&client).await {
        Ok(()) => Ok((client, secret)),
        Err(StoreError::Conflict) => Err(FixtureError::Conflict(format!("the client {} exists", client.id))),
        Err(e) => Err(e.into()),
    }
}

/// Removes a client and everything issued to it.
pub async fn delete_client(ctx: &Context<'_>, client_id: &str) -> Result<(), FixtureError> {
    if ctx.store.delete_client(client_id).await? {
        Ok(())
    } else {
        Err(FixtureError::NotFound(format!("there is no client {client_id}")))
    }
}

/// The longest step `POST /_dev/clock` takes at once: about a hundred years.
pub const MAX_ADVANCE: Duration = Duration::from_secs(100 * 365 * 86_400);

/// How far to move the clock: whole seconds, or a number with a unit (`90s`, `10m`,
/// `2h`, `1d`); more than zero and at most [`MAX_ADVANCE`].
pub fn parse_advance(value: &Value) -> Result<Duration, String> {
    let malformed =
        || format!("advance must be a positive number of seconds or a string such as 90s, 10m, 2h, 1d; not {value}");
    let secs = match value {
        Value::Number(n) => n.as_u64().ok_or_else(malformed)?,
        Value::String(text) => {
            let unit_at = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(malformed)?;
            let (digits, unit) = text.split_at(unit_at);
            let scale = match unit {
                "s" => 1,
                "m" => 60,
                "h" => 3_600,
                "d" => 86_400,
                _ => return Err(malformed()),
            };
            let n: u64 = digits.parse().map_err(|_| malformed())?;
            n.checked_mul(scale).ok_or_else(malformed)?
        }
        _ => return Err(malformed()),
    };
    match Duration::from_secs(secs) {
        by if by.is_zero() => Err("advance must be more than zero: the clock only moves forward".into()),
        by if by > MAX_ADVANCE => Err("advance is more than a hundred years".into()),
        by => Ok(by),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn advances_in_seconds_or_with_a_unit() {
        for (value, secs) in [(json!(45), 45), (json!("90s"), 90), (json!("10m"), 600), (json!("2h"), 7_200)] {
            assert_eq!(parse_advance(&value), Ok(Duration::from_secs(secs)), "{value}");
        }
        assert_eq!(parse_advance(&json!("1d")), Ok(Duration::from_secs(86_400)));
        for bad in [
            json!(0),
            json!(-5),
            json!(1.5),
            json!("0s"),
            json!("-1h"),
            json!("2"),
            json!("h"),
            json!("2 h"),
            json!("2w"),
            json!("99999999999999999999d"),
            json!(null),
            json!([60]),
            json!(u64::MAX),
        ] {
            assert!(parse_advance(&bad).is_err(), "{bad}");
        }
    }
}
