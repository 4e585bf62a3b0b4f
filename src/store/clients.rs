//! Relying parties, registered by the admin CLI.

use async_trait::async_trait;

use super::sql::{SqlStore, execute, impl_from_row, on_pool, parse_json};
use super::{StoreError, StoreResult};
use crate::clock::UnixTime;

/// Whether a client has a secret (confidential) or not (public, PKCE-only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// Authenticates with a secret at the token endpoint.
    Confidential,
    /// Runs on the user's device and cannot keep a secret (RFC 6749 §2.1).
    Public,
}

impl ClientKind {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confidential => "confidential",
            Self::Public => "public",
        }
    }

    /// Parses a stored or typed name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "confidential" => Some(Self::Confidential),
            "public" => Some(Self::Public),
            _ => None,
        }
    }
}

/// A grant type a client may be allowed (RFC 6749 §4, §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    /// RFC 6749 §4.1
    AuthorizationCode,
    /// RFC 6749 §6
    RefreshToken,
    /// RFC 6749 §4.4
    ClientCredentials,
}

impl GrantType {
    /// Every grant type gatehouse knows.
    pub const ALL: [GrantType; 3] = [Self::AuthorizationCode, Self::RefreshToken, Self::ClientCredentials];

    /// The `grant_type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }

    /// Parses a `grant_type` value.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

impl AsRef<str> for GrantType {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for GrantType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A registered relying party.
#[derive(Clone, PartialEq, Eq)]
pub struct Client {
    /// The `client_id`.
    pub id: String,
    /// A human-readable name, shown on the login page.
    pub name: String,
    /// Confidential or public.
    pub kind: ClientKind,
    /// SHA-256 of the client secret; `None` for public clients.
    pub secret_hash: Option<Vec<u8>>,
    /// Redirect URIs, matched exactly.
    pub redirect_uris: Vec<String>,
    /// Grant types the client may use.
    pub grant_types: Vec<GrantType>,
    /// Where RP-initiated logout may send the browser back to.
    pub post_logout_redirect_uris: Vec<String>,
    /// Extra `aud` values for access tokens (the client's APIs).
    pub audiences: Vec<String>,
    /// The `alg` for this client's ID tokens; `None` for the server default.
    pub id_token_signed_response_alg: Option<String>,
    /// Whether `/authorize` requires PKCE (always, for public clients).
    pub require_pkce: bool,
    /// Whether a registered redirect URI on `127.0.0.1` or `[::1]` matches any port
    /// (RFC 8252 §7.3, for native apps).
    pub loopback_any_port: bool,
    /// Whether the claims the granted scope releases go in the ID token too, not
    /// only to userinfo (for RP libraries that read only the ID token).
    pub id_token_claims: bool,
    /// Whether the client is a third party: the user is asked before it gets their
    /// data (the consent page). First-party clients are not asked.
    pub third_party: bool,
    /// When it was registered.
    pub created_at: UnixTime,
}

impl Client {
    /// Whether the client was registered for `grant`.
    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("secret_hash", &self.secret_hash.as_ref().map(|_| "[redacted]"))
            .field("redirect_uris", &self.redirect_uris)
            .field("grant_types", &self.grant_types)
            .finish_non_exhaustive()
    }
}

/// The registered clients.
#[async_trait]
pub trait Clients {
    /// Registers a client; `Conflict` if the id is taken.
    async fn insert_client(&self, client: &Client) -> StoreResult<()>;
    /// The client with this id.
    async fn find_client(&self, id: &str) -> StoreResult<Option<Client>>;
    /// All clients, ordered by id.
    async fn list_clients(&self) -> StoreResult<Vec<Client>>;
    /// Removes a client and everything issued to it; false if there was none.
    async fn delete_client(&self, id: &str) -> StoreResult<bool>;
}

const COLUMNS: &str = "id, name, kind, secret_hash, redirect_uris, grant_types, post_logout_redirect_uris, \
     audiences, id_token_signed_response_alg, require_pkce, loopback_any_port, id_token_claims, third_party, \
     created_at";

/// A `clients` row as read: lists are JSON text.
struct Record {
    id: String,
    name: String,
    kind: String,
    secret_hash: Option<Vec<u8>>,
    redirect_uris: String,
    grant_types: String,
    post_logout_redirect_uris: String,
    audiences: String,
    id_token_signed_response_alg: Option<String>,
    require_pkce: bool,
    loopback_any_port: bool,
    id_token_claims: bool,
    third_party: bool,
    created_at: i64,
}

impl_from_row!(Record {
    id,
    name,
    kind,
    secret_hash,
    redirect_uris,
    grant_types,
    post_logout_redirect_uris,
    audiences,
    id_token_signed_response_alg,
    require_pkce,
    loopback_any_port,
    id_token_claims,
    third_party,
    created_at
});

impl TryFrom<Record> for Client {
    type Error = StoreError;
    fn try_from(r: Record) -> StoreResult<Self> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("client {}: {what}", r.id));
        let names: Vec<String> = parse_json("grant_types", &r.grant_types)?;
        let grant_types: StoreResult<Vec<_>> =
            names.iter().map(|g| GrantType::parse(g).ok_or_else(|| corrupt(g))).collect();
        Ok(Client {
            kind: ClientKind::parse(&r.kind).ok_or_else(|| corrupt(&r.kind))?,
            grant_types: grant_types?,
            redirect_uris: parse_json("redirect_uris", &r.redirect_uris)?,
            post_logout_redirect_uris: parse_json("post_logout_redirect_uris", &r.post_logout_redirect_uris)?,
            audiences: parse_json("audiences", &r.audiences)?,
            id: r.id,
            name: r.name,
            secret_hash: r.secret_hash,
            id_token_signed_response_alg: r.id_token_signed_response_alg,
            require_pkce: r.require_pkce,
            loopback_any_port: r.loopback_any_port,
            id_token_claims: r.id_token_claims,
            third_party: r.third_party,
            created_at: r.created_at,
        })
    }
}

pub(super) const INSERT: &str = "insert into clients (id, name, kind, secret_hash, redirect_uris, grant_types, \
     post_logout_redirect_uris, audiences, id_token_signed_response_alg, require_pkce, loopback_any_port, \
     id_token_claims, third_party, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

/// Appended to [`INSERT`]: replaces every column of the client with that id but `created_at`.
pub(super) const OR_REPLACE: &str = "on conflict (id) do update set name = excluded.name, kind = excluded.kind, \
     secret_hash = excluded.secret_hash, redirect_uris = excluded.redirect_uris, \
     grant_types = excluded.grant_types, post_logout_redirect_uris = excluded.post_logout_redirect_uris, \
     audiences = excluded.audiences, id_token_signed_response_alg = excluded.id_token_signed_response_alg, \
     require_pkce = excluded.require_pkce, loopback_any_port = excluded.loopback_any_port, \
     id_token_claims = excluded.id_token_claims, third_party = excluded.third_party";

/// Binds a client's columns, in [`INSERT`]'s order, to the query `$query` (a macro:
/// the query's type differs per engine).
macro_rules! bind_client {
    ($query:expr, $c:expr) => {{
        let c: &$crate::store::Client = $c;
        $query
            .bind(&c.id)
            .bind(&c.name)
            .bind(c.kind.as_str())
            .bind(&c.secret_hash)
            .bind($crate::store::sql::json_list(&c.redirect_uris))
            .bind($crate::store::sql::json_list(&c.grant_types))
            .bind($crate::store::sql::json_list(&c.post_logout_redirect_uris))
            .bind($crate::store::sql::json_list(&c.audiences))
            .bind(&c.id_token_signed_response_alg)
            .bind(c.require_pkce)
            .bind(c.loopback_any_port)
            .bind(c.id_token_claims)
            .bind(c.third_party)
            .bind(c.created_at)
    }};
}
pub(super) use bind_client;

#[async_trait]
impl Clients for SqlStore {
    async fn insert_client(&self, c: &Client) -> StoreResult<()> {
        execute!(self, bind_client!(sqlx::query(INSERT), c))?;
        Ok(())
    }

    async fn find_client(&self, id: &str) -> StoreResult<Option<Client>> {
        let sql = sqlx::AssertSqlSafe(format!("select {COLUMNS} from clients where id = $1"));
        let row: Option<Record> = on_pool!(self, db => sqlx::query_as(sql).bind(id).fetch_optional(db).await)?;
        row.map(Client::try_from).transpose()
    }

    async fn list_clients(&self) -> StoreResult<Vec<Client>> {
        let sql = sqlx::AssertSqlSafe(format!("select {COLUMNS} from clients"));
        let rows: Vec<Record> = on_pool!(self, db => sqlx::query_as(sql).fetch_all(db).await)?;
        let mut clients = rows.into_iter().map(Client::try_from).collect::<StoreResult<Vec<_>>>()?;
        // Sorted here: the engines' collations differ.
        clients.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(clients)
    }

    async fn delete_client(&self, id: &str) -> StoreResult<bool> {
        let done = execute!(self, sqlx::query("delete from clients where id = $1").bind(id))?;
        Ok(done > 0)
    }
}
