//! A real gatehouse on an ephemeral port against a fresh store: starting and
//! stopping it, and the fixtures tests put into its store (clients, users, keys).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;

use gatehouse::clock::{Clock, TestClock};
use gatehouse::config::Config;
use gatehouse::keys::{Alg, KeySet, key_row};
use gatehouse::oauth::dev::DevMode;
use gatehouse::store::{self, Client, ClientKind, GrantType, KeyRow, Store, User};
use tokio::sync::oneshot;

use super::db::{Backend, TestDb};
use super::log::Captured;

/// How to start a [`TestApp`].
pub(crate) struct Options {
    /// The issuer's path, e.g. `/tenant`.
    pub(crate) issuer_path: String,
    /// Seed the shared fixture key (true) or let the server generate its own (false).
    pub(crate) fixture_key: bool,
    /// Extra TOML appended to the configuration.
    pub(crate) extra_config: String,
    /// An `https` issuer (as behind a TLS-terminating proxy); the server itself still
    /// answers plain HTTP on its address.
    pub(crate) https_issuer: bool,
    /// Timeouts and the connection bound (tests of them shorten them).
    pub(crate) limits: gatehouse::Limits,
    /// Serve in dev mode, as `gatehouse dev` does; `None` (the default) serves as
    /// `gatehouse serve` does.
    pub(crate) dev: Option<DevMode>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            issuer_path: String::new(),
            fixture_key: true,
            extra_config: String::new(),
            https_issuer: false,
            limits: gatehouse::Limits::DEFAULT,
            dev: None,
        }
    }
}

/// A running gatehouse.
pub(crate) struct TestApp {
    /// The issuer, e.g. `http://127.0.0.1:41234`.
    pub(crate) issuer: String,
    /// The address the server listens on.
    pub(crate) addr: std::net::SocketAddr,
    /// An HTTP client that does not follow redirects.
    pub(crate) http: reqwest::Client,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: TestClock,
    pub(crate) db_url: String,
    /// The server's state, for upkeep the server would run on a timer.
    pub(crate) state: gatehouse::AppState,
    /// What the server has logged.
    pub(crate) log: Captured,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    // Last: the database goes after the server has stopped.
    db: Option<TestDb>,
}

impl TestApp {
    pub(crate) async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, Options::default()).await
    }

    pub(crate) async fn spawn_with(backend: Backend, options: Options) -> Self {
        let db = TestDb::new(backend).await;
        let mut app = Self::spawn_on(&db.url, TestClock::starting_now(), options).await;
        app.db = Some(db);
        app
    }

    /// Starts a server on an existing database (for restarts).
    pub(crate) async fn spawn_on(db_url: &str, clock: TestClock, options: Options) -> Self {
        super::log::init();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let scheme = if options.https_issuer { "https" } else { "http" };
        let issuer = format!("{scheme}://{addr}{}", options.issuer_path);
        let config = Config::from_toml(&format!(
            "issuer = \"{issuer}\"\nlisten = \"{addr}\"\ndatabase_url = \"{db_url}\"\n{}",
            options.extra_config
        ))
        .unwrap();
        let store = store::open(db_url).await.unwrap();
        if options.fixture_key {
            store.insert_first_keys("RS256", &fixture_keys(clock.now())).await.unwrap();
        }
        let mut state = gatehouse::start(config, store.clone(), Arc::new(clock.clone())).await.unwrap();
        if let Some(dev) = options.dev {
            state = state.in_dev_mode(dev);
        }
        let (tx, rx) = oneshot::channel::<()>();
        let served = state.clone();
        let limits = options.limits;
        let log = Captured::default();
        let server = log.spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            gatehouse::serve_with(served, listener, shutdown, limits).await.unwrap();
        });
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self {
            issuer,
            addr,
            http,
            store,
            clock,
            db_url: db_url.to_owned(),
            state,
            log,
            shutdown: Some(tx),
            server: Some(server),
            db: None,
        }
    }

    /// One round of the upkeep the server runs on a timer: reload keys, rotate if due.
    pub(crate) async fn maintain(&self) {
        gatehouse::upkeep::maintain(&self.state).await.unwrap();
    }

    /// Rotates `alg` now, as `gatehouse keys rotate` does.
    pub(crate) async fn rotate(&self, alg: Alg) -> Option<store::Rotation> {
        let timing = self.state.config.key_timing();
        let kek = self.state.config.kek.as_ref();
        let rotation =
            gatehouse::keys::rotate(self.store.as_ref(), alg, kek, timing, self.clock.now(), None).await.unwrap();
        self.maintain().await;
        rotation
    }

    /// Stops the server and waits until it has.
    pub(crate) async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
    }

    /// Stops the server but keeps the database for another.
    pub(crate) async fn stop_keep_db(mut self) -> Option<TestDb> {
        self.stop().await;
        self.db.take()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// A registered client, as a test knows it.
#[derive(Debug, Clone)]
pub(crate) struct TestClient {
    pub(crate) id: String,
    pub(crate) secret: Option<String>,
    pub(crate) redirect_uri: String,
}

/// How to register a test client.
pub(crate) struct ClientSpec {
    pub(crate) id: &'static str,
    /// The name shown on the login and consent pages (empty: the id).
    pub(crate) name: &'static str,
    pub(crate) public: bool,
    pub(crate) require_pkce: bool,
    /// Whether a loopback IP redirect URI matches any port (RFC 8252 §7.3).
    pub(crate) loopback_any_port: bool,
    /// Whether the granted scope's claims go in the ID token too.
    pub(crate) id_token_claims: bool,
    /// A third-party client: the user is asked for consent.
    pub(crate) third_party: bool,
    pub(crate) post_logout_redirect_uris: Vec<String>,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) grant_types: Vec<&'static str>,
    pub(crate) audiences: Vec<String>,
}

impl Default for ClientSpec {
    fn default() -> Self {
        Self {
            id: "rp",
            name: "",
            public: false,
            require_pkce: true,
            loopback_any_port: false,
            id_token_claims: false,
            third_party: false,
            post_logout_redirect_uris: vec![],
            redirect_uris: vec!["https://rp.example/cb".into()],
            grant_types: vec!["authorization_code"],
            audiences: vec![],
        }
    }
}

impl TestApp {
    /// Registers a client directly in the store.
    pub(crate) async fn add_client(&self, spec: ClientSpec) -> TestClient {
        let secret = (!spec.public).then(gatehouse::secret::random_token);
        self.store
            .insert_client(&Client {
                id: spec.id.into(),
                name: spec.name.into(),
                kind: if spec.public { ClientKind::Public } else { ClientKind::Confidential },
                secret_hash: secret.as_deref().map(gatehouse::secret::hash),
                redirect_uris: spec.redirect_uris.clone(),
                grant_types: spec.grant_types.iter().map(|g| GrantType::parse(g).unwrap()).collect(),
                post_logout_redirect_uris: spec.post_logout_redirect_uris,
                audiences: spec.audiences,
                id_token_signed_response_alg: None,
                require_pkce: spec.require_pkce,
                loopback_any_port: spec.loopback_any_port,
                id_token_claims: spec.id_token_claims,
                third_party: spec.third_party,
                created_at: self.clock.now(),
            })
            .await
            .unwrap();
        TestClient { id: spec.id.into(), secret, redirect_uri: spec.redirect_uris[0].clone() }
    }

    /// A confidential client `rp` with redirect URI `https://rp.example/cb`.
    pub(crate) async fn client(&self) -> TestClient {
        self.add_client(ClientSpec::default()).await
    }

    /// A confidential client that may also refresh (for `offline_access`).
    pub(crate) async fn offline_client(&self, id: &'static str) -> TestClient {
        let grant_types = vec!["authorization_code", "refresh_token"];
        self.add_client(ClientSpec { id, grant_types, ..Default::default() }).await
    }

    /// Creates a user with a password and claims; returns its `sub`.
    pub(crate) async fn add_user(&self, username: &str, password: &str, claims: serde_json::Value) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        let password_hash = gatehouse::password::hash(password.into()).await.unwrap();
        self.store
            .insert_user(&User {
                id: id.clone(),
                username: username.into(),
                password_hash,
                disabled: false,
                claims: claims.as_object().cloned().unwrap_or_default(),
                created_at: self.clock.now(),
                updated_at: self.clock.now(),
            })
            .await
            .unwrap();
        id
    }

    /// The user `alice` (password `wonderland`) with every scope's claims.
    pub(crate) async fn alice(&self) -> String {
        self.add_user(
            "alice",
            "wonderland",
            serde_json::json!({
                "name": "Alice Liddell", "given_name": "Alice", "family_name": "Liddell",
                "email": "alice@example.com", "email_verified": true,
                "phone_number": "+44 1865 000000", "phone_number_verified": false,
                "address": {"locality": "Oxford", "country": "UK"},
            }),
        )
        .await
    }

    /// The server's keys as stored now.
    pub(crate) async fn server_keys(&self) -> KeySet {
        KeySet::from_rows(&self.store.list_keys().await.unwrap(), None).unwrap()
    }
}

/// The server's active fixture key (PKCS#1 DER): for tests that must sign as the
/// server would, to show what it refuses even with a good signature.
pub(crate) fn server_key_der() -> Vec<u8> {
    fixture_der("active")
}

/// RS256 private keys shared by all tests, so that each does not pay for RSA
/// generation: two for the server (its active and next key) and one foreign.
/// Kept in files because nextest runs every test in its own process.
fn fixture_der(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fixture-rs256-{name}.der"));
    match std::fs::read(&path) {
        Ok(der) => der,
        Err(_) => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            let key = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).unwrap();
            let der = key.to_pkcs1_der().unwrap().as_bytes().to_vec();
            let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
            std::fs::write(&tmp, &der).unwrap();
            std::fs::rename(&tmp, &path).unwrap();
            der
        }
    }
}

/// The server's first RS256 keys: active from `now`, and the next one.
pub(crate) fn fixture_keys(now: i64) -> [KeyRow; 2] {
    let mut active = key_row(Alg::Rs256, fixture_der("active"), now, None).unwrap();
    active.activates_at = Some(now);
    [active, key_row(Alg::Rs256, fixture_der("next"), now, None).unwrap()]
}

/// The foreign key's PKCS#1 DER.
pub(crate) fn foreign_key_der() -> Vec<u8> {
    fixture_der("foreign")
}

/// A key set that is not the server's: what an attacker would sign with.
pub(crate) fn foreign_keys(now: i64) -> KeySet {
    let mut row = key_row(Alg::Rs256, fixture_der("foreign"), now, None).unwrap();
    row.activates_at = Some(now);
    KeySet::from_rows(&[row], None).unwrap()
}
