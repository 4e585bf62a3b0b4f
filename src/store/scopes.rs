//! Custom scopes and the dev login page's claim presets, declared by seed files.

use async_trait::async_trait;
use serde_json::{Map, Value};

use super::StoreResult;
use super::sql::{SqlStore, impl_from_row, on_pool, parse_json};

/// A scope beyond OpenID Connect's own, and the user claims it releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRow {
    /// The scope token.
    pub name: String,
    /// The names of the claims it releases.
    pub claims: Vec<String>,
    /// Whether those claims go in the ID token too, not only to userinfo.
    pub id_token: bool,
}

/// A named set of claims that dev's login page fills in with one click.
#[derive(Debug, Clone, PartialEq)]
pub struct PresetRow {
    /// The name shown on the button.
    pub name: String,
    /// The claims, a JSON object.
    pub claims: Map<String, Value>,
}

/// The custom scopes and claim presets.
#[async_trait]
pub trait Scopes {
    /// Every custom scope, ordered by name.
    async fn list_scopes(&self) -> StoreResult<Vec<ScopeRow>>;
    /// Every claim preset, ordered by name.
    async fn list_presets(&self) -> StoreResult<Vec<PresetRow>>;
}

struct ScopeRecord {
    name: String,
    claims: String,
    id_token: bool,
}

struct PresetRecord {
    name: String,
    claims: String,
}

impl_from_row!(ScopeRecord { name, claims, id_token });
impl_from_row!(PresetRecord { name, claims });

#[async_trait]
impl Scopes for SqlStore {
    async fn list_scopes(&self) -> StoreResult<Vec<ScopeRow>> {
        let sql = "select name, claims, id_token from scopes";
        let rows: Vec<ScopeRecord> = on_pool!(self, db => sqlx::query_as(sql).fetch_all(db).await)?;
        let mut scopes = rows
            .into_iter()
            .map(|r| {
                Ok(ScopeRow { claims: parse_json("scopes.claims", &r.claims)?, name: r.name, id_token: r.id_token })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        // Sorted here: the engines' collations differ.
        scopes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(scopes)
    }

    async fn list_presets(&self) -> StoreResult<Vec<PresetRow>> {
        let sql = "select name, claims from claim_presets";
        let rows: Vec<PresetRecord> = on_pool!(self, db => sqlx::query_as(sql).fetch_all(db).await)?;
        let mut presets = rows
            .into_iter()
            .map(|r| Ok(PresetRow { claims: parse_json("claim_presets.claims", &r.claims)?, name: r.name }))
            .collect::<StoreResult<Vec<_>>>()?;
        presets.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(presets)
    }
}
