//! An OpenID Provider for a relying party's tests, in the test's own process (cargo
//! feature `testing`).
//!
//! [`Provider::start`] serves a real gatehouse, as `gatehouse dev` does, on an
//! ephemeral loopback port with a SQLite store in memory: the same endpoints, rules
//! and tokens as `gatehouse serve`. Each provider is isolated (its own store, clock
//! and request log), so one test binary can run many at once; dropping one stops it.
//! The first start in a process generates the signing keys (RSA takes a while), and
//! every later provider reuses them, so that it is ready in milliseconds. Its typed API does what
//! the `/_dev/` control API does over HTTP: add users and clients, log a user in
//! without a browser, move the clock, rotate the keys, mint tokens with one defect,
//! and list the requests the relying party made.
//!
//! ```
//! use std::time::Duration;
//! use gatehouse::testing::{Client, Defect, Provider, Token, User};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), gatehouse::testing::Error> {
//! let op = Provider::start().await?;
//! op.add_user(User::new("alice").claim("email", "alice@example.com")).await?;
//! let client = op.add_client(Client::confidential("my-app", "http://127.0.0.1:3000/callback")).await?;
//! // The relying party is configured with these:
//! let (issuer, secret) = (op.issuer(), client.client_secret.unwrap());
//! assert!(issuer.starts_with("http://127.0.0.1:") && !secret.is_empty());
//!
//! // Tokens for alice, as if she had logged in through a browser.
//! let tokens = op.login("alice", "my-app").await?;
//! assert!(tokens.id_token.is_some() && tokens.refresh_token.is_some());
//!
//! // An hour later, as far as the provider is concerned: the access token has expired.
//! op.advance(Duration::from_secs(3600)).await;
//!
//! // A token the relying party must reject.
//! let expired = op.mint(Token::id("alice", "my-app").defect(Defect::Expired)).await?;
//! # let _ = expired;
//! # Ok(())
//! # }
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::{OnceCell, oneshot};

use crate::AppState;
use crate::clock::{Clock, SystemClock, UnixTime};
use crate::config::Config;
use crate::keys::{Alg, KeyError};
use crate::oauth::dev::DevMode;
use crate::oauth::fixture::{self, ClientSpec, FixtureError, UserSpec};
use crate::oauth::fixture_login::{self, LoggedIn, LoginError, LoginSpec};
use crate::oauth::mint::{self, MintError, MintSpec, TokenKind};
use crate::store::{KeyRow, Store, StoreError};

pub use crate::oauth::defects::Defect;
pub use crate::oauth::grant::TokenResponse as TokenSet;
pub use crate::oauth::mint::Minted;
pub use crate::oauth::request_log::Entry as Request;

/// The scope [`Provider::login`] asks for: an ID token, the standard claims, and a
/// refresh token.
pub const DEFAULT_SCOPE: &str = "openid profile email offline_access";

/// Why a call was refused (nothing changed), or the provider failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The call is malformed or breaks a rule (a bad username or redirect URI, …).
    #[error("invalid: {0}")]
    Invalid(String),
    /// What it would create exists already.
    #[error("conflict: {0}")]
    Conflict(String),
    /// What it names does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The authorization or token endpoint refused the login, with this OAuth error
    /// (`invalid_scope`, `access_denied`, …).
    #[error("{error}: {description}")]
    OAuth {
        /// The OAuth error code.
        error: String,
        /// What was wrong.
        description: String,
    },
    /// The provider could not start, or failed (its store, its keys); see the log.
    #[error("the provider failed: {0}")]
    Failed(String),
}

impl From<FixtureError> for Error {
    fn from(e: FixtureError) -> Self {
        match e {
            FixtureError::Invalid(why) => Self::Invalid(why),
            FixtureError::Conflict(why) => Self::Conflict(why),
            FixtureError::NotFound(why) => Self::NotFound(why),
            FixtureError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.to_string())
    }
}

impl From<KeyError> for Error {
    fn from(e: KeyError) -> Self {
        Self::Failed(e.to_string())
    }
}

impl From<MintError> for Error {
    fn from(e: MintError) -> Self {
        match e {
            MintError::Refused(e) => e.into(),
            MintError::Keys(e) => e.into(),
        }
    }
}

impl From<LoginError> for Error {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::NotFound(why) => Self::NotFound(why),
            LoginError::Invalid(e) => {
                Self::OAuth { error: e.code.as_str().to_owned(), description: e.description().to_owned() }
            }
            LoginError::Server => Self::Failed("the login failed; see the log".into()),
        }
    }
}

/// How to start a [`Provider`]; [`Provider::start`] takes the defaults.
#[derive(Debug, Default, Clone)]
pub struct Builder {
    issuer_path: String,
    config: String,
    auto_login: Option<String>,
}

impl Builder {
    /// Serves under this path of the loopback origin (an issuer such as
    /// `http://127.0.0.1:PORT/tenant`), as a multi-tenant provider would.
    pub fn issuer_path(mut self, path: &str) -> Self {
        self.issuer_path = path.trim_end_matches('/').to_owned();
        self
    }

    /// Configuration keys in TOML, as in `gatehouse.toml` (for example
    /// `[lifetimes]\naccess_token = 60`); `issuer`, `listen` and `database_url` are
    /// the provider's own.
    pub fn config(mut self, toml: &str) -> Self {
        self.config.push_str(toml);
        self.config.push('\n');
        self
    }

    /// Logs this user in without a page for every authorization request, as
    /// `gatehouse dev --auto-login` does. (Without it, a `login_hint` naming a user
    /// does the same for one request.)
    pub fn auto_login(mut self, username: &str) -> Self {
        self.auto_login = Some(username.to_owned());
        self
    }

    /// Starts the provider on `127.0.0.1` and an ephemeral port.
    pub async fn start(self) -> Result<Provider, Error> {
        let failed = |e: &dyn std::fmt::Display| Error::Failed(e.to_string());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| failed(&e))?;
        let addr = listener.local_addr().map_err(|e| failed(&e))?;
        let issuer = format!("http://{addr}{}", self.issuer_path);
        let toml = format!("issuer = \"{issuer}\"\nlisten = \"{addr}\"\n{}", self.config);
        let mut config = Config::from_toml(&toml).map_err(|e| Error::Invalid(e.to_string()))?;
        config.database_url = "sqlite::memory:".into();
        let store = crate::store::open_in_memory().await?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        // What `crate::start` does, but with the process's keys: every configured
        // algorithm has its first keys, so there is nothing to bootstrap.
        store_shared_keys(store.as_ref(), &config.algorithms, clock.now()).await?;
        let keys = Arc::new(crate::keys::Keyring::load(store.as_ref(), None, clock.now()).await?);
        let state = AppState::new(config, store, keys, clock).in_dev_mode(DevMode { auto_login: self.auto_login });
        let (stop, stopped) = oneshot::channel::<()>();
        let served = state.clone();
        let server = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(e) = crate::serve(served, listener, shutdown).await {
                tracing::error!(error = %e, "the test provider stopped serving");
            }
        });
        let upkeep = tokio::spawn(crate::upkeep::maintain_forever(state.clone()));
        Ok(Provider { state, issuer, addr, stop: Some(stop), server: Some(server), upkeep })
    }
}

/// The signing keys every provider in this process starts with, an active and a next
/// key per algorithm: generated once (RSA key generation takes a while), each provider
/// storing its own copy.
static SHARED_KEYS: OnceCell<Vec<[KeyRow; 2]>> = OnceCell::const_new();

/// Stores the shared keys of each of `algs` as first keys at `now`.
async fn store_shared_keys(store: &dyn Store, algs: &[Alg], now: UnixTime) -> Result<(), Error> {
    let generated = SHARED_KEYS
        .get_or_try_init(|| async move {
            let generate = move || {
                let pair = |alg| {
                    Ok::<_, KeyError>([crate::keys::generate(alg, now, None)?, crate::keys::generate(alg, now, None)?])
                };
                Alg::ALL.into_iter().map(pair).collect::<Result<Vec<_>, _>>()
            };
            tokio::task::spawn_blocking(generate).await.map_err(|e| Error::Failed(e.to_string()))?.map_err(Error::from)
        })
        .await?;
    for [active, next] in generated.iter().filter(|[key, _]| algs.iter().any(|alg| alg.as_str() == key.alg)) {
        let (mut active, mut next) = (active.clone(), next.clone());
        for key in [&mut active, &mut next] {
            (key.created_at, key.published_at, key.activates_at, key.retires_at) = (now, now, None, None);
        }
        active.activates_at = Some(now);
        store.insert_first_keys(&active.alg.clone(), &[active, next]).await?;
    }
    Ok(())
}

/// A running provider; dropping it stops it.
pub struct Provider {
    state: AppState,
    issuer: String,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    upkeep: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.upkeep.abort();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Provider {
    /// Starts a provider with the defaults (see [`Builder`]).
    pub async fn start() -> Result<Self, Error> {
        Builder::default().start().await
    }

    /// A provider to configure before it starts.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The issuer identifier, e.g. `http://127.0.0.1:41234`: what a relying party is
    /// configured with; discovery is at `{issuer}/.well-known/openid-configuration`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A URL under the issuer, e.g. `url("/token")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// Stops serving and waits until every connection has closed.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// The provider's time, in Unix seconds: the wall clock plus every [`advance`](Self::advance).
    pub fn now(&self) -> UnixTime {
        self.state.clock.now()
    }

    /// Moves the provider's clock forward, as if that time had passed: codes, tokens,
    /// sessions, refresh lifetimes, throttling and the key schedule all follow it.
    /// Returns the new time.
    pub async fn advance(&self, by: Duration) -> UnixTime {
        self.state.advance_clock(by).await.unwrap_or_else(|| self.now())
    }

    /// Adds a user; [`Error::Conflict`] if the username is taken.
    pub async fn add_user(&self, user: User) -> Result<AddedUser, Error> {
        let user = fixture::create_user(&self.state.context(), user.0).await?;
        Ok(AddedUser { username: user.username, sub: user.id })
    }

    /// Adds the user, or replaces the one with that username (who keeps their `sub`).
    pub async fn put_user(&self, user: User) -> Result<AddedUser, Error> {
        let (user, _) = fixture::put_user(&self.state.context(), user.0).await?;
        Ok(AddedUser { username: user.username, sub: user.id })
    }

    /// Removes a user and everything issued to them.
    pub async fn delete_user(&self, username: &str) -> Result<(), Error> {
        Ok(fixture::delete_user(&self.state.context(), username).await?)
    }

    /// Logs a user out everywhere: every browser session, grant and refresh-token family
    /// of theirs ends, so their refresh and access tokens stop working (to test the
    /// relying party's "log in again" path).
    pub async fn revoke_user(&self, username: &str) -> Result<(), Error> {
        fixture::revoke_user(&self.state.context(), username).await?;
        Ok(())
    }

    /// Registers a client; returns it with its secret (generated when not given).
    pub async fn add_client(&self, client: Client) -> Result<AddedClient, Error> {
        let (client, client_secret) = fixture::register_client(&self.state.context(), client.0).await?;
        Ok(AddedClient { client_id: client.id, client_secret, redirect_uris: client.redirect_uris })
    }

    /// Removes a client and everything issued to it.
    pub async fn delete_client(&self, client_id: &str) -> Result<(), Error> {
        Ok(fixture::delete_client(&self.state.context(), client_id).await?)
    }

    /// Applies a seed file's text (TOML: clients, users, custom scopes, claim presets),
    /// all of it or, on an error, none.
    pub async fn seed(&self, toml: &str) -> Result<(), Error> {
        let (store, now) = (self.state.store.as_ref(), self.now());
        match crate::seed::apply(store, "seed", toml, crate::seed::Rules::Dev, now).await {
            Ok(_) => Ok(()),
            Err(crate::seed::SeedError::Store { error: StoreError::Conflict, .. }) => {
                Err(Error::Conflict("the seed conflicts with what is stored".into()))
            }
            Err(crate::seed::SeedError::Store { error, .. }) => Err(error.into()),
            Err(e) => Err(Error::Invalid(e.to_string())),
        }
    }

    /// Logs `username` in to `client_id` (at its first redirect URI, with
    /// [`DEFAULT_SCOPE`]) and redeems the code: the tokens the client would get
    /// after a login through a browser.
    pub async fn login(&self, username: &str, client_id: &str) -> Result<TokenSet, Error> {
        self.login_with(Login::new(username, client_id)).await
    }

    /// [`login`](Self::login) for the authorization request `login` describes.
    pub async fn login_with(&self, login: Login) -> Result<TokenSet, Error> {
        let spec = LoginSpec { tokens: true, ..self.resolve(login).await? };
        match fixture_login::log_in(&self.state.context(), spec).await? {
            LoggedIn::Tokens(tokens) => Ok(tokens),
            LoggedIn::Code { .. } => Err(Error::Failed("a code where tokens were asked for".into())),
        }
    }

    /// Logs the user in for the authorization request `login` describes and returns
    /// the code, as the redirect to the client would carry it: the client redeems it
    /// at the token endpoint itself (with its `code_verifier`, if it sent a challenge).
    pub async fn code(&self, login: Login) -> Result<Code, Error> {
        let spec = self.resolve(login).await?;
        match fixture_login::log_in(&self.state.context(), spec).await? {
            LoggedIn::Code { code, state, redirect } => Ok(Code { code, state, redirect }),
            LoggedIn::Tokens(_) => Err(Error::Failed("tokens where a code was asked for".into())),
        }
    }

    /// The login's spec, its redirect URI the client's first unless given.
    async fn resolve(&self, login: Login) -> Result<LoginSpec, Error> {
        let mut spec = login.0;
        if spec.redirect_uri.is_empty() {
            let client = self.state.store.find_client(&spec.client_id).await?;
            let client = client.ok_or_else(|| Error::NotFound(format!("there is no client {}", spec.client_id)))?;
            spec.redirect_uri = client.redirect_uris.first().cloned().unwrap_or_default();
        }
        Ok(spec)
    }

    /// Rotates the signing keys and returns the `kid`s that sign now. Normally, the
    /// next key (published since the start) signs once the JWKS cache lifetime has
    /// passed ([`advance`](Self::advance) past it); `immediately`, a freshly generated
    /// key that was never in the JWKS signs the next token at once, while every
    /// earlier key stays published: the relying party's "unknown `kid` → fetch the
    /// JWKS again" path.
    pub async fn rotate_keys(&self, immediately: bool) -> Result<Vec<String>, Error> {
        Ok(self.state.rotate_keys(immediately).await?.kids)
    }

    /// An ID token or access token on demand, with the user's claims (overridden by
    /// the token's) and at most one [`Defect`]; its grant is live, so that userinfo and
    /// introspection accept a defect-free access token.
    pub async fn mint(&self, token: Token) -> Result<Minted, Error> {
        Ok(mint::mint(&self.state.context(), token.0).await?)
    }

    /// The requests the provider received at its endpoints, oldest first (the last
    /// 1,000), with secrets redacted: what the relying party's code sent.
    pub fn requests(&self) -> Vec<Request> {
        self.state.requests()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.state.clear_requests();
    }
}

/// A user to add: a username, a password (without one, an unguessable one: the user
/// logs in through [`Provider::login`] or a `login_hint`), and claims.
#[derive(Debug)]
pub struct User(UserSpec);

impl User {
    /// A user with this username, no password and no claims.
    pub fn new(username: &str) -> Self {
        Self(UserSpec { username: username.to_owned(), ..UserSpec::default() })
    }

    /// Their password, for logins through the login page.
    pub fn password(mut self, password: &str) -> Self {
        self.0.password = Some(password.to_owned());
        self
    }

    /// One claim (`email`, `name`, a custom one, …), released by scope as the user's
    /// stored claims are.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.0.claims.get_or_insert_with(Map::new).insert(name.to_owned(), value.into());
        self
    }
}

/// A user as added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedUser {
    /// Their username.
    pub username: String,
    /// Their subject identifier: the `sub` of their tokens.
    pub sub: String,
}

/// A client to register: confidential (with a secret) or public (PKCE, no secret),
/// allowed the authorization code and refresh token grants unless told otherwise.
#[derive(Debug)]
pub struct Client(ClientSpec);

impl Client {
    /// A confidential client with one redirect URI; its secret is generated unless
    /// [`secret`](Self::secret) gives one.
    pub fn confidential(client_id: &str, redirect_uri: &str) -> Self {
        Self(ClientSpec {
            client_id: client_id.to_owned(),
            redirect_uris: vec![redirect_uri.to_owned()],
            ..ClientSpec::default()
        })
    }

    /// A public client (a browser or native app) with one redirect URI.
    pub fn public(client_id: &str, redirect_uri: &str) -> Self {
        let mut client = Self::confidential(client_id, redirect_uri);
        client.0.public = true;
        client
    }

    /// Another redirect URI.
    pub fn redirect_uri(mut self, redirect_uri: &str) -> Self {
        self.0.redirect_uris.push(redirect_uri.to_owned());
        self
    }

    /// The secret, rather than a generated one.
    pub fn secret(mut self, secret: &str) -> Self {
        self.0.client_secret = Some(secret.to_owned());
        self
    }

    /// The grant types (`authorization_code`, `refresh_token`, `client_credentials`).
    pub fn grant_types(mut self, grant_types: &[&str]) -> Self {
        self.0.grant_types = grant_types.iter().map(|g| (*g).to_owned()).collect();
        self
    }

    /// Puts the granted scopes' claims in the ID token too, not only in userinfo.
    pub fn id_token_claims(mut self) -> Self {
        self.0.id_token_claims = true;
        self
    }

    /// A third-party client: each user is asked for consent before it gets their data.
    pub fn third_party(mut self) -> Self {
        self.0.third_party = true;
        self
    }

    /// A URI that RP-initiated logout may send the browser back to; repeat for several.
    pub fn post_logout_redirect_uri(mut self, uri: &str) -> Self {
        self.0.post_logout_redirect_uris.push(uri.to_owned());
        self
    }
}

/// A client as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedClient {
    /// Its `client_id`.
    pub client_id: String,
    /// Its secret; `None` for a public client.
    pub client_secret: Option<String>,
    /// Its redirect URIs.
    pub redirect_uris: Vec<String>,
}

/// An authorization request for [`Provider::code`] and [`Provider::login_with`]: the
/// client's first redirect URI and [`DEFAULT_SCOPE`] unless told otherwise.
#[derive(Debug)]
pub struct Login(LoginSpec);

impl Login {
    /// `username` logging in to `client_id`.
    pub fn new(username: &str, client_id: &str) -> Self {
        Self(LoginSpec {
            username: username.to_owned(),
            client_id: client_id.to_owned(),
            scope: DEFAULT_SCOPE.to_owned(),
            ..LoginSpec::default()
        })
    }

    /// The redirect URI (one of the client's).
    pub fn redirect_uri(mut self, redirect_uri: &str) -> Self {
        self.0.redirect_uri = redirect_uri.to_owned();
        self
    }

    /// The scope, space-separated.
    pub fn scope(mut self, scope: &str) -> Self {
        self.0.scope = scope.to_owned();
        self
    }

    /// The `state`, echoed back with the code.
    pub fn state(mut self, state: &str) -> Self {
        self.0.state = Some(state.to_owned());
        self
    }

    /// The `nonce`, carried into the ID token.
    pub fn nonce(mut self, nonce: &str) -> Self {
        self.0.nonce = Some(nonce.to_owned());
        self
    }

    /// The PKCE challenge for [`Provider::code`] (`S256` of the client's
    /// `code_verifier`, RFC 7636), as the client would send it.
    pub fn code_challenge(mut self, challenge: &str) -> Self {
        self.0.code_challenge = Some(challenge.to_owned());
        self.0.code_challenge_method = Some("S256".to_owned());
        self
    }
}

/// An authorization code, as the redirect to the client carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// The code.
    pub code: String,
    /// The request's `state`.
    pub state: Option<String>,
    /// The redirect URI with `code`, `state` and `iss` (RFC 9207): where the browser
    /// would have been sent.
    pub redirect: String,
}

/// A token to [`mint`](Provider::mint).
#[derive(Debug)]
pub struct Token(MintSpec);

impl Token {
    /// An ID token for `username`, issued to `client_id` (with the access token its
    /// `at_hash` refers to).
    pub fn id(username: &str, client_id: &str) -> Self {
        Self::of(TokenKind::IdToken, username, client_id)
    }

    /// An access token (a JWT, RFC 9068) for `username`, issued to `client_id`.
    pub fn access(username: &str, client_id: &str) -> Self {
        Self::of(TokenKind::AccessToken, username, client_id)
    }

    fn of(kind: TokenKind, username: &str, client_id: &str) -> Self {
        Self(MintSpec {
            kind,
            username: username.to_owned(),
            client_id: client_id.to_owned(),
            nonce: None,
            claims: Map::new(),
            defect: None,
        })
    }

    /// The ID token's `nonce`.
    pub fn nonce(mut self, nonce: &str) -> Self {
        self.0.nonce = Some(nonce.to_owned());
        self
    }

    /// A claim added to the token, or replacing the user's (not a registered one such
    /// as `iss` or `exp`: [`defect`](Self::defect) breaks those).
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.0.claims.insert(name.to_owned(), value.into());
        self
    }

    /// Its one defect.
    pub fn defect(mut self, defect: Defect) -> Self {
        self.0.defect = Some(defect);
        self
    }
}
