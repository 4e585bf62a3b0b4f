//! Applying a seed file: everything it declares written in one transaction.

use async_trait::async_trait;

use super::clients::{INSERT as INSERT_CLIENT, OR_REPLACE as REPLACE_CLIENT, bind_client};
use super::scopes::{PresetRow, ScopeRow};
use super::sql::{SqlStore, execute, json_list, json_object};
use super::users::{INSERT as INSERT_USER, OR_REPLACE as REPLACE_USER, bind_user};
use super::{Client, StoreResult, User};
use crate::clock::UnixTime;

/// What a checked seed file makes true: each row inserted, or replacing the one with
/// its key (a user's disabled flag and every row's creation time are kept).
#[derive(Debug, Default)]
pub struct SeedRows {
    /// Clients, by id.
    pub clients: Vec<Client>,
    /// Users, by id (an existing user keeps theirs).
    pub users: Vec<User>,
    /// Custom scopes, by name.
    pub scopes: Vec<ScopeRow>,
    /// Claim presets, by name.
    pub presets: Vec<PresetRow>,
}

/// Writes seed rows.
#[async_trait]
pub trait Seeding {
    /// Writes every row in one transaction: all of them, or (on any error) none.
    async fn apply_seed(&self, rows: &SeedRows, now: UnixTime) -> StoreResult<()>;
}

#[async_trait]
impl Seeding for SqlStore {
    async fn apply_seed(&self, rows: &SeedRows, now: UnixTime) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let client_sql = format!("{INSERT_CLIENT} {REPLACE_CLIENT}");
        for client in &rows.clients {
            execute!(tx: tx, bind_client!(sqlx::query(sqlx::AssertSqlSafe(client_sql.clone())), client))?;
        }
        let user_sql = format!("{INSERT_USER} {REPLACE_USER}");
        for user in &rows.users {
            execute!(tx: tx, bind_user!(sqlx::query(sqlx::AssertSqlSafe(user_sql.clone())), user))?;
        }
        let scope_sql = "insert into scopes (name, claims, id_token, created_at, updated_at) \
                         values ($1, $2, $3, $4, $4) on conflict (name) do update set \
                         claims = excluded.claims, id_token = excluded.id_token, updated_at = excluded.updated_at \
                         where scopes.claims <> excluded.claims or scopes.id_token <> excluded.id_token";
        for scope in &rows.scopes {
            let claims = json_list(&scope.claims);
            execute!(tx: tx, sqlx::query(scope_sql).bind(&scope.name).bind(&claims).bind(scope.id_token).bind(now))?;
        }
        let preset_sql = "insert into claim_presets (name, claims, created_at, updated_at) \
                          values ($1, $2, $3, $3) on conflict (name) do update set \
                          claims = excluded.claims, updated_at = excluded.updated_at \
                          where claim_presets.claims <> excluded.claims";
        for preset in &rows.presets {
            let claims = json_object(&preset.claims);
            execute!(tx: tx, sqlx::query(preset_sql).bind(&preset.name).bind(&claims).bind(now))?;
        }
        tx.commit().await
    }
}
