//! Refresh-token families (RFC 6749 §6, RFC 9700 §4.14): every use rotates the token,
//! and presenting a spent token revokes the whole family (the grant).
//!
//! The optional reuse grace window makes a retry of the *just*-spent token by its own
//! client idempotent: it gets the successor that was already issued, never a new
//! branch. The successor is kept sealed (AES-256-GCM) under a key derived from the
//! spent token, which the store does not have, so the store holds no usable token.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::digest;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

use super::{Context, OAuthError, Params, Scope, TokenResponse, Tokens, grant_user, respond};
use crate::secret;
use crate::store::{Client, GrantRow, RefreshRow, User};

/// A new refresh token of `grant`'s family: its value and its row. It expires after the
/// idle lifetime, and never after the family does.
pub(super) fn new_token(ctx: &Context<'_>, grant: &GrantRow) -> (String, RefreshRow) {
    let token = secret::random_token();
    let row = RefreshRow {
        token_hash: secret::hash(&token),
        grant_id: grant.id.clone(),
        created_at: ctx.now,
        expires_at: (ctx.now + ctx.lifetimes.refresh_idle).min(grant.expires_at),
        spent_at: None,
        successor_sealed: None,
    };
    (token, row)
}

/// `grant_type=refresh_token` for an authenticated client.
pub(super) async fn refresh(ctx: &Context<'_>, client: &Client, params: &Params) -> Result<TokenResponse, OAuthError> {
    let presented =
        params.get("refresh_token").ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let invalid = || OAuthError::invalid_grant("the refresh token is invalid");
    let hash = secret::hash(presented);
    let row = ctx.store.find_refresh_token(&hash).await?.ok_or_else(invalid)?;
    let grant = ctx.store.find_grant(&row.grant_id).await?.ok_or_else(invalid)?;
    // The client authenticated fine; the token is simply not its own (RFC 6749 §6).
    if grant.client_id != client.id {
        return Err(OAuthError::invalid_grant("the refresh token was issued to another client"));
    }
    if !grant.is_live(ctx.now) {
        return Err(OAuthError::invalid_grant("the refresh token has been revoked or has expired"));
    }
    let spent = Spent { client, grant: &grant, presented, params };
    if row.spent_at.is_some() {
        return reused(ctx, spent, &row).await;
    }
    let scope = narrowed_scope(&grant, params)?;
    if ctx.now >= row.expires_at {
        return Err(OAuthError::invalid_grant("the refresh token has expired"));
    }
    let user = family_user(ctx, &grant).await?;

    let (successor, successor_row) = new_token(ctx, &grant);
    let sealed = (ctx.lifetimes.refresh_reuse_grace > 0).then(|| seal(presented, &grant.id, &successor));
    if !ctx.store.rotate_refresh_token(&hash, &successor_row, sealed.as_deref(), ctx.now).await? {
        // A concurrent refresh spent it first: this one is a reuse.
        let row = ctx.store.find_refresh_token(&hash).await?.ok_or_else(invalid)?;
        return reused(ctx, spent, &row).await;
    }
    let (user, scope) = (Some(&user), &scope);
    respond(ctx, Tokens { grant: &grant, client, user, scope, nonce: None, refresh_token: Some(successor) }).await
}

/// A refresh request whose token turned out to be spent.
#[derive(Clone, Copy)]
struct Spent<'a> {
    client: &'a Client,
    grant: &'a GrantRow,
    presented: &'a str,
    params: &'a Params,
}

/// RFC 6749 §6: `scope` on refresh may narrow the access token's scope, never widen it.
/// The family (and the new refresh token) keeps the grant's scope.
fn narrowed_scope(grant: &GrantRow, params: &Params) -> Result<Scope, OAuthError> {
    let granted = Scope::from_stored(&grant.scope);
    let Some(requested) = params.get("scope") else { return Ok(granted) };
    let mut wanted = Vec::new();
    for token in requested.split(' ').filter(|t| !t.is_empty()) {
        if !granted.has(token) {
            return Err(OAuthError::invalid_scope("scope may not exceed what was granted"));
        }
        if !wanted.contains(&token) {
            wanted.push(token);
        }
    }
    Ok(Scope::from_stored(&wanted.join(" ")))
}

/// The family's user, if they may still use it: a disabled user's families stop refreshing.
async fn family_user(ctx: &Context<'_>, grant: &GrantRow) -> Result<User, OAuthError> {
    grant_user(ctx, grant.user_id.as_deref().unwrap_or_default()).await
}

/// A spent token presented again. Inside the grace window, and only for the token
/// whose successor is still the family's live head, the successor is returned again
/// (with new access and ID tokens). Otherwise it is theft or a stale copy: the family
/// is revoked.
async fn reused(ctx: &Context<'_>, spent: Spent<'_>, row: &RefreshRow) -> Result<TokenResponse, OAuthError> {
    let Spent { client, grant, presented, params } = spent;
    let grace = ctx.lifetimes.refresh_reuse_grace;
    let in_window = row.spent_at.is_some_and(|spent| grace > 0 && ctx.now - spent <= grace);
    let successor = row.successor_sealed.as_deref().and_then(|sealed| open(presented, &grant.id, sealed));
    if let (true, Some(successor)) = (in_window, successor) {
        let head = ctx.store.find_refresh_token(&secret::hash(&successor)).await?;
        if head.is_some_and(|h| h.spent_at.is_none() && ctx.now < h.expires_at) {
            let user = family_user(ctx, grant).await?;
            let scope = narrowed_scope(grant, params)?;
            let (user, scope) = (Some(&user), &scope);
            return respond(ctx, Tokens { grant, client, user, scope, nonce: None, refresh_token: Some(successor) })
                .await;
        }
    }
    let error = OAuthError::invalid_grant("the refresh token was already used; its family has been revoked");
    if ctx.store.revoke_grant(&grant.id, ctx.now).await? {
        // The refusal's one log line.
        tracing::warn!(grant = %grant.id, client = %client.id, "refresh token reused: family revoked");
        return Err(error.logged());
    }
    Err(error)
}

/// The sealing key: derived from the spent token itself (with a label that makes it
/// differ from the stored SHA-256 hash), so only the token's holder can open the seal.
fn seal_key(presented: &str) -> Option<LessSafeKey> {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(b"gatehouse refresh successor seal\0");
    ctx.update(presented.as_bytes());
    UnboundKey::new(&AES_256_GCM, ctx.finish().as_ref()).ok().map(LessSafeKey::new)
}

/// `nonce || ciphertext || tag` of the successor, bound to the grant.
fn seal(presented: &str, grant_id: &str, successor: &str) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    let sealed = seal_key(presented).and_then(|key| {
        SystemRandom::new().fill(&mut nonce).ok()?;
        let mut in_out = successor.as_bytes().to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(grant_id.as_bytes()), &mut in_out)
            .ok()?;
        Some(in_out)
    });
    // Without a seal the grace window cannot answer; reuse then revokes, the safe side.
    sealed.map(|ct| [nonce.as_slice(), &ct].concat()).unwrap_or_default()
}

fn open(presented: &str, grant_id: &str, sealed: &[u8]) -> Option<String> {
    if sealed.len() <= NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut in_out = ciphertext.to_vec();
    let plain = seal_key(presented)?.open_in_place(nonce, Aad::from(grant_id.as_bytes()), &mut in_out).ok()?;
    String::from_utf8(plain.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_spent_token_opens_its_successor() {
        let sealed = seal("spent", "grant", "successor");
        assert_eq!(open("spent", "grant", &sealed).as_deref(), Some("successor"));
        assert_eq!(open("other", "grant", &sealed), None);
        assert_eq!(open("spent", "other-grant", &sealed), None);
        assert!(!sealed.windows(9).any(|w| w == b"successor"), "the successor is not in clear");
        let stored_hash = secret::hash("spent");
        assert_eq!(open(&secret::b64url(&stored_hash), "grant", &sealed), None);
    }
}
