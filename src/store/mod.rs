//! The store: one trait, two real backends (SQLite and PostgreSQL) chosen by the
//! database URL. Times are Unix seconds bound from gatehouse's clock, never the
//! database's `now()`. No protocol rules live here, only data and atomicity.

mod postgres;
mod sql;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;

use crate::clock::UnixTime;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row with the same unique key exists (duplicate client id, username, …).
    #[error("already exists")]
    Conflict,
    /// A stored value could not be decoded: the database holds something gatehouse did not write.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database failed or could not be reached.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// What a fallible store call returns.
pub type StoreResult<T> = Result<T, StoreError>;

/// The database engine behind a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:path` (or `sqlite://path`)
    Sqlite,
    /// `postgres://…` or `postgresql://…`
    Postgres,
}

impl Backend {
    /// The backend a database URL names, if any.
    pub fn of(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// Opens the store a URL names, creating a SQLite file if missing, and applies migrations.
pub async fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    match Backend::of(url) {
        Some(Backend::Sqlite) => Ok(Arc::new(SqliteStore::open(url).await?)),
        Some(Backend::Postgres) => Ok(Arc::new(PgStore::open(url).await?)),
        None => Err(StoreError::Corrupt(format!("not a sqlite: or postgres:// URL: {url}"))),
    }
}

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
    pub grant_types: Vec<String>,
    /// Where RP-initiated logout may send the browser back to.
    pub post_logout_redirect_uris: Vec<String>,
    /// Extra `aud` values for access tokens (the client's APIs).
    pub audiences: Vec<String>,
    /// The `alg` for this client's ID tokens; `None` for the server default.
    pub id_token_signed_response_alg: Option<String>,
    /// When it was registered.
    pub created_at: UnixTime,
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

/// A person who can log in.
#[derive(Clone, PartialEq)]
pub struct User {
    /// The stable subject identifier (`sub`): a UUID, never the username.
    pub id: String,
    /// The login name, as typed at registration.
    pub username: String,
    /// The PHC string of the argon2id hash.
    pub password_hash: String,
    /// A disabled user cannot log in or refresh.
    pub disabled: bool,
    /// Standard claims (OpenID Connect Core §5.1) as a JSON object, `sub` and `updated_at` excluded.
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// When the user was created.
    pub created_at: UnixTime,
    /// When the user's password or claims last changed (the `updated_at` claim).
    pub updated_at: UnixTime,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password_hash", &"[redacted]")
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// The key under which usernames are unique: "Alice" and "alice" are one account.
pub fn username_key(username: &str) -> String {
    username.to_lowercase()
}

/// A signing key as stored. Its state is derived from the times, never from a flag.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyRow {
    /// The key id published in JWKS and named by every JWT header.
    pub kid: String,
    /// The JWS `alg`, e.g. `RS256`.
    pub alg: String,
    /// The private key in DER (PKCS#1 for RSA).
    pub private_der: Vec<u8>,
    /// When it was created.
    pub created_at: UnixTime,
    /// From when it is in JWKS.
    pub published_at: UnixTime,
    /// From when it may sign.
    pub activates_at: UnixTime,
    /// From when it no longer signs; it stays published while tokens it signed live.
    pub retires_at: Option<UnixTime>,
}

impl std::fmt::Debug for KeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRow")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("private_der", &"[redacted]")
            .field("published_at", &self.published_at)
            .field("activates_at", &self.activates_at)
            .field("retires_at", &self.retires_at)
            .finish()
    }
}

/// Everything gatehouse keeps. Implemented once in SQL for both backends (`sql.rs`).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which engine this is.
    fn backend(&self) -> Backend;
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Closes every connection, waiting for them to finish; later calls fail.
    async fn close(&self);

    /// Registers a client; `Conflict` if the id is taken.
    async fn insert_client(&self, client: &Client) -> StoreResult<()>;
    /// The client with this id.
    async fn find_client(&self, id: &str) -> StoreResult<Option<Client>>;
    /// All clients, ordered by id.
    async fn list_clients(&self) -> StoreResult<Vec<Client>>;
    /// Removes a client and everything issued to it; false if there was none.
    async fn delete_client(&self, id: &str) -> StoreResult<bool>;

    /// Creates a user; `Conflict` if the username (case-insensitively) is taken.
    async fn insert_user(&self, user: &User) -> StoreResult<()>;
    /// The user with this login name (case-insensitive).
    async fn find_user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    /// The user with this subject identifier.
    async fn find_user(&self, id: &str) -> StoreResult<Option<User>>;
    /// All users, ordered by username.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// Replaces a user's password hash; false if there is no such user.
    async fn set_password(&self, username: &str, password_hash: &str, now: UnixTime) -> StoreResult<bool>;
    /// Enables or disables a user; false if there is no such user.
    async fn set_disabled(&self, username: &str, disabled: bool, now: UnixTime) -> StoreResult<bool>;
    /// Removes a user and everything issued to them; false if there was none.
    async fn delete_user(&self, username: &str) -> StoreResult<bool>;

    /// All signing keys, oldest first.
    async fn list_keys(&self) -> StoreResult<Vec<KeyRow>>;
    /// Stores `key` only if no key with the same `alg` exists yet, atomically, so that
    /// instances starting together on an empty database agree on one first key.
    /// True if it was stored.
    async fn insert_first_key(&self, key: &KeyRow) -> StoreResult<bool>;
}
