//! `gatehouse dev`'s minted tokens (`POST /_dev/tokens`): an ID token or access token
//! for a user and client, signed by the token endpoint's code (`oauth::tokens`), with
//! the request's claims and at most one defect (`oauth::defects`).

use serde_json::{Map, Value};

use super::Context;
use super::claims::{check_claim, release};
use super::defects::{Defect, SHIFT};
use super::fixture::FixtureError;
use super::scope::Scope;
use super::tokens::{self, ACCESS_TOKEN_TYP, ID_TOKEN_TYP};
use crate::keys::{Alg, KeyError, SigningKey, forge};
use crate::store::{GrantRow, StoreError};

/// The scope of a minted token's grant: `openid` and the standard scopes, so that
/// userinfo releases the user's standard claims.
pub const MINTED_SCOPE: &str = "openid profile email address phone";

/// Which token to mint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An ID token (and the access token its `at_hash` refers to).
    IdToken,
    /// An access token.
    AccessToken,
}

impl TokenKind {
    /// `id_token` or `access_token`.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "id_token" => Ok(Self::IdToken),
            "access_token" => Ok(Self::AccessToken),
            _ => Err(format!("token must be id_token or access_token, not `{name}`")),
        }
    }
}

/// What to mint.
#[derive(Debug)]
pub struct MintSpec {
    /// The kind of token.
    pub kind: TokenKind,
    /// The user it speaks for.
    pub username: String,
    /// The client it is issued to.
    pub client_id: String,
    /// The ID token's `nonce`.
    pub nonce: Option<String>,
    /// Claims added to the token, or replacing the user's (no registered names).
    pub claims: Map<String, Value>,
    /// Its one defect, if any.
    pub defect: Option<Defect>,
}

/// Minted tokens.
#[derive(Debug)]
pub struct Minted {
    /// The token asked for.
    pub token: String,
    /// With an ID token: the (defect-free) access token its `at_hash` refers to.
    pub access_token: Option<String>,
}

/// Why no token was minted.
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    /// The request was refused; nothing changed.
    #[error(transparent)]
    Refused(#[from] FixtureError),
    /// Signing failed.
    #[error(transparent)]
    Keys(#[from] KeyError),
}

impl From<StoreError> for MintError {
    fn from(e: StoreError) -> Self {
        Self::Refused(e.into())
    }
}

/// Mints the token `spec` asks for. Its grant (a new one, for that user and client,
/// with [`MINTED_SCOPE`]) is live, so that userinfo and introspection accept a
/// defect-free access token. An ID token carries the user's stored claims. Every
/// check comes before anything is stored.
pub async fn mint(ctx: &Context<'_>, spec: MintSpec) -> Result<Minted, MintError> {
    let invalid = |why: String| MintError::Refused(FixtureError::Invalid(why));
    if spec.kind == TokenKind::AccessToken && spec.defect.as_ref().is_some_and(Defect::id_token_only) {
        return Err(invalid("this defect is for ID tokens only".into()));
    }
    for (name, value) in &spec.claims {
        check_claim(name, value).map_err(|why| invalid(format!("claims: {why}")))?;
    }
    let not_found = |why: String| MintError::Refused(FixtureError::NotFound(why));
    let user = ctx.store.find_user_by_username(&spec.username).await?;
    let user = user.ok_or_else(|| not_found(format!("there is no user named {}", spec.username)))?;
    let client = ctx.store.find_client(&spec.client_id).await?;
    let client = client.ok_or_else(|| not_found(format!("there is no client {}", spec.client_id)))?;
    let longest = ctx.lifetimes.access_token.max(ctx.lifetimes.id_token);
    let grant = GrantRow {
        id: uuid::Uuid::new_v4().to_string(),
        client_id: client.id.clone(),
        user_id: Some(user.id.clone()),
        scope: MINTED_SCOPE.to_owned(),
        sid: None,
        auth_time: Some(ctx.now),
        claims: None,
        created_at: ctx.now,
        // Live as long as any minted token, even one issued in the future.
        expires_at: ctx.now + SHIFT + longest,
        revoked_at: None,
    };
    let scope = Scope::from_stored(MINTED_SCOPE);
    let defect = spec.defect.as_ref();
    let (mut claims, access_token, key, lifetime) = match spec.kind {
        TokenKind::AccessToken => {
            let claims = tokens::access_claims(ctx, &grant, &client, &scope)?;
            (claims, None, tokens::access_key(ctx)?, ctx.lifetimes.access_token)
        }
        TokenKind::IdToken => {
            let access_token = tokens::access_token(ctx, &grant, &client, &scope)?;
            let key = tokens::id_token_key(ctx, &client)?;
            let hashed = match defect {
                Some(Defect::AtHashMismatch) => tokens::access_token(ctx, &grant, &client, &scope)?,
                _ => access_token.clone(),
            };
            let released = release(&user, |name| user.claims.contains_key(name));
            let at_hash = key.alg().at_hash(&hashed);
            let claims = tokens::id_claims(ctx, &grant, &client, &user, released, spec.nonce.as_deref(), &at_hash);
            (claims, Some(access_token), key, ctx.lifetimes.id_token)
        }
    };
    claims.extend(spec.claims);
    if let Some(defect) = defect {
        claims = defect.apply(claims, ctx.now, lifetime).map_err(invalid)?;
    }
    ctx.store.insert_grant(&grant).await?;
    let typ = match spec.kind {
        TokenKind::AccessToken => ACCESS_TOKEN_TYP,
        TokenKind::IdToken => ID_TOKEN_TYP,
    };
    let token = sign(ctx, key, typ, &claims, defect).await?;
    Ok(Minted { token, access_token })
}

/// Signs `claims` with `key` as a token of type `typ`, or forges them as `defect` says.
async fn sign(
    ctx: &Context<'_>,
    key: &SigningKey,
    typ: &str,
    claims: &Map<String, Value>,
    defect: Option<&Defect>,
) -> Result<String, KeyError> {
    match defect {
        Some(Defect::UnknownKid) => {
            let fresh = forge::unpublished_key(key.alg(), ctx.now).await?;
            fresh.active(key.alg(), ctx.now)?.sign(typ, claims)
        }
        Some(Defect::BadSignature) => forge::alter_signature(&key.sign(typ, claims)?),
        Some(Defect::AlgNone) => forge::alg_none(typ, key.kid(), claims),
        Some(Defect::Hs256WithPublicKey) => {
            forge::hs256_with_public_key(ctx.keys.active(Alg::Rs256, ctx.now)?, typ, claims)
        }
        Some(Defect::WrongTyp) if typ == ID_TOKEN_TYP => key.sign(ACCESS_TOKEN_TYP, claims),
        Some(Defect::WrongTyp) => key.sign(ID_TOKEN_TYP, claims),
        _ => key.sign(typ, claims),
    }
}
