//! From a parsed seed file to the rows it makes true: each entry laid over the row
//! stored under its key (or over the defaults, for a new one) and checked whole.

use toml::Spanned;

use super::file::{ClientEntry, SeedFile, UserEntry};
use super::{Place, SeedError};
use crate::clock::UnixTime;
use crate::oauth::client::{check_registration, parse_grant_types};
use crate::store::{Client, ClientKind, PresetRow, ScopeRow, SeedRows, Store, User};

/// The rows `seed` makes true, given what `store` holds now.
pub(super) async fn resolve(
    store: &dyn Store,
    at: &Place<'_>,
    seed: SeedFile,
    now: UnixTime,
) -> Result<SeedRows, SeedError> {
    let mut rows = SeedRows::default();
    for entry in seed.clients {
        let offset = entry.span().start;
        let stored = store.find_client(&entry.get_ref().id).await.map_err(|e| at.store(e))?;
        let client = client_row(entry.into_inner(), stored, now)
            .map_err(|(id, why)| at.invalid(offset, format!("client `{id}`: {why}")))?;
        rows.clients.push(client);
    }
    let mut known = store.list_users().await.map_err(|e| at.store(e))?;
    for entry in seed.users {
        let user = user_row(at, entry, &known, now).await?;
        known.retain(|u| u.id != user.id);
        known.push(user.clone());
        rows.users.push(user);
    }
    rows.scopes = seed
        .scopes
        .into_iter()
        .map(|(name, entry)| {
            let entry = entry.into_inner();
            ScopeRow { name, claims: entry.claims, id_token: entry.id_token }
        })
        .collect();
    rows.presets =
        seed.presets.into_iter().map(|(name, claims)| PresetRow { name, claims: claims.into_inner().0 }).collect();
    Ok(rows)
}

/// The client an entry declares: its fields over the stored client's (or the
/// defaults), checked as the CLI checks a registration.
fn client_row(entry: ClientEntry, stored: Option<Client>, now: UnixTime) -> Result<Client, (String, String)> {
    let id = entry.id.clone();
    let fail = |why: String| (id.clone(), why);
    let new = stored.is_none();
    let mut c = stored.unwrap_or_else(|| Client {
        id: entry.id.clone(),
        name: String::new(),
        kind: ClientKind::Confidential,
        secret_hash: None,
        redirect_uris: Vec::new(),
        grant_types: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        audiences: Vec::new(),
        id_token_signed_response_alg: None,
        require_pkce: true,
        loopback_any_port: false,
        id_token_claims: false,
        third_party: false,
        created_at: now,
    });
    let kind = if entry.public { ClientKind::Public } else { ClientKind::Confidential };
    if !new && kind != c.kind {
        // A confidential client turned public would leave refresh tokens redeemable
        // without authentication; the other way round, its apps would lack a secret.
        let (is, asked) = (c.kind.as_str(), kind.as_str());
        return Err(fail(format!("is {is}; a seed file cannot make it {asked} (remove the client first)")));
    }
    c.kind = kind;
    c.secret_hash = entry.secret.as_deref().map(crate::secret::hash);
    if let Some(name) = entry.name {
        c.name = name;
    }
    if let Some(names) = entry.grant_types {
        c.grant_types = parse_grant_types(&names).map_err(fail)?;
    } else if new {
        c.grant_types = parse_grant_types::<&str>(&[]).map_err(fail)?;
    }
    if let Some(uris) = entry.redirect_uris {
        c.redirect_uris = uris;
    }
    if let Some(uris) = entry.post_logout_redirect_uris {
        c.post_logout_redirect_uris = uris;
    }
    if let Some(audiences) = entry.audiences {
        c.audiences = audiences;
    }
    c.require_pkce = entry.require_pkce.unwrap_or(c.require_pkce);
    c.loopback_any_port = entry.loopback_any_port.unwrap_or(c.loopback_any_port);
    c.id_token_claims = entry.id_token_claims.unwrap_or(c.id_token_claims);
    c.third_party = entry.third_party.unwrap_or(c.third_party);
    check_registration(&c).map_err(fail)?;
    Ok(c)
}

/// The user an entry declares, over the stored one with that username (whose id,
/// disabled flag and creation time are kept). A password that already matches is
/// not hashed again, so that applying twice changes nothing.
async fn user_row(at: &Place<'_>, entry: Spanned<UserEntry>, known: &[User], now: UnixTime) -> Result<User, SeedError> {
    let offset = entry.span().start;
    let entry = entry.into_inner();
    let invalid = |why: String| at.invalid(offset, format!("user `{}`: {why}", entry.username));
    let key = crate::username::key(&entry.username);
    let stored = known.iter().find(|u| crate::username::key(&u.username) == key).cloned();
    let look_alike = || known.iter().find(|u| crate::username::looks_like(&u.username, &entry.username));
    if let (None, Some(existing)) = (&stored, look_alike()) {
        return Err(invalid(format!(
            "looks like the existing user `{}`; choose a name people can tell apart",
            existing.username
        )));
    }
    let password_hash = match (&entry.password, &entry.password_hash, &stored) {
        (Some(password), _, Some(user))
            if crate::password::verify(password.clone(), Some(user.password_hash.clone())).await =>
        {
            user.password_hash.clone()
        }
        (Some(password), _, _) => crate::password::hash(password.clone()).await.map_err(|e| invalid(e.to_string()))?,
        (None, Some(hash), _) => hash.clone(),
        (None, None, Some(user)) => user.password_hash.clone(),
        (None, None, None) => return Err(invalid("a new user needs a `password` or a `password_hash`".into())),
    };
    let mut user = stored.unwrap_or_else(|| User {
        id: uuid::Uuid::new_v4().to_string(),
        username: entry.username.clone(),
        password_hash: String::new(),
        disabled: false,
        claims: serde_json::Map::new(),
        created_at: now,
        updated_at: now,
    });
    let claims = entry.claims.map_or_else(|| user.claims.clone(), |c| c.0);
    if user.password_hash != password_hash || user.claims != claims || user.username != entry.username {
        user.updated_at = now;
    }
    user.username = entry.username;
    user.password_hash = password_hash;
    user.claims = claims;
    Ok(user)
}
