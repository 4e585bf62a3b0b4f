//! The test harness: a real server on an ephemeral port against a real store.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use gatehouse::clock::TestClock;
use gatehouse::config::Config;
use gatehouse::store::{self, KeyRow, Store};
use tokio::sync::oneshot;

/// Which engine a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Emits, for each named `async fn name(backend: Backend)`, a module with two tests:
/// `name::sqlite` and `name::postgres`. The Postgres one needs `DATABASE_URL`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::common::postgres_enabled() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            }
        }
    )*};
}

/// Whether the Postgres variants run: they need `DATABASE_URL=postgres://…`. Under CI
/// (`CI` set) a missing Postgres is a failure, not a skip.
pub fn postgres_enabled() -> bool {
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => true,
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set but DATABASE_URL does not point at Postgres: the Postgres tests must run")
        }
        _ => {
            eprintln!("skipped: set DATABASE_URL=postgres://… to run the Postgres variant");
            false
        }
    }
}

/// A fresh, empty database that is removed when dropped.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite:{}", dir.path().join("gatehouse.db").display());
                Self { url, _dir: Some(dir), pg_admin: None }
            }
            Backend::Postgres => {
                let admin = std::env::var("DATABASE_URL").unwrap();
                let name = format!("gatehouse_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = connect_pg(&admin).await;
                sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}"))).execute(&mut conn).await.unwrap();
                let mut url = url::Url::parse(&admin).unwrap();
                url.set_path(&name);
                Self { url: url.to_string(), _dir: None, pg_admin: Some((admin, name)) }
            }
        }
    }
}

async fn connect_pg(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("DATABASE_URL is set but Postgres cannot be reached: {e}"))
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg_admin.take() else { return };
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let mut conn = connect_pg(&admin).await;
                let sql = format!("drop database if exists {name} with (force)");
                let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await;
            });
        })
        .join();
    }
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
pub fn fixture_keys(now: i64) -> [KeyRow; 2] {
    use gatehouse::keys::{Alg, key_row};
    let mut active = key_row(Alg::Rs256, fixture_der("active"), now, None).unwrap();
    active.activates_at = Some(now);
    [active, key_row(Alg::Rs256, fixture_der("next"), now, None).unwrap()]
}

/// The foreign key's PKCS#1 DER.
pub fn foreign_key_der() -> Vec<u8> {
    fixture_der("foreign")
}

/// A key set that is not the server's: what an attacker would sign with.
pub fn foreign_keys(now: i64) -> gatehouse::keys::KeySet {
    use gatehouse::keys::{Alg, KeySet, key_row};
    let mut row = key_row(Alg::Rs256, fixture_der("foreign"), now, None).unwrap();
    row.activates_at = Some(now);
    KeySet::from_rows(&[row], None).unwrap()
}

/// The server's keys as stored now.
pub async fn server_keys(app: &TestApp) -> gatehouse::keys::KeySet {
    gatehouse::keys::KeySet::from_rows(&app.store.list_keys().await.unwrap(), None).unwrap()
}

/// How to start a [`TestApp`].
pub struct Options {
    /// The issuer's path, e.g. `/tenant`.
    pub issuer_path: String,
    /// Seed the shared fixture key (true) or let the server generate its own (false).
    pub fixture_key: bool,
    /// Extra TOML appended to the configuration.
    pub extra_config: String,
    /// An `https` issuer (as behind a TLS-terminating proxy); the server itself still
    /// answers plain HTTP on its address.
    pub https_issuer: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self { issuer_path: String::new(), fixture_key: true, extra_config: String::new(), https_issuer: false }
    }
}

/// A running gatehouse.
pub struct TestApp {
    /// The issuer, e.g. `http://127.0.0.1:41234`.
    pub issuer: String,
    /// An HTTP client that does not follow redirects.
    pub http: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub clock: TestClock,
    pub db_url: String,
    /// The server's state, for upkeep the server would run on a timer.
    pub state: gatehouse::AppState,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    // Last: the database goes after the server has stopped.
    db: Option<TestDb>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Backend, options: Options) -> Self {
        let db = TestDb::new(backend).await;
        let mut app = Self::spawn_on(&db.url, TestClock::starting_now(), options).await;
        app.db = Some(db);
        app
    }

    /// Starts a server on an existing database (for restarts).
    pub async fn spawn_on(db_url: &str, clock: TestClock, options: Options) -> Self {
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
            use gatehouse::clock::Clock;
            store.insert_first_keys("RS256", &fixture_keys(clock.now())).await.unwrap();
        }
        let state = gatehouse::start(config, store.clone(), Arc::new(clock.clone())).await.unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let served = state.clone();
        let server = tokio::spawn(async move {
            gatehouse::serve(served, listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self {
            issuer,
            http,
            store,
            clock,
            db_url: db_url.to_owned(),
            state,
            shutdown: Some(tx),
            server: Some(server),
            db: None,
        }
    }

    /// One round of the upkeep the server runs on a timer: reload keys, rotate if due.
    pub async fn maintain(&self) {
        gatehouse::upkeep::maintain(&self.state).await.unwrap();
    }

    /// Rotates `alg` now, as `gatehouse keys rotate` does.
    pub async fn rotate(&self, alg: gatehouse::keys::Alg) -> Option<gatehouse::store::Rotation> {
        use gatehouse::clock::Clock;
        let timing = self.state.config.key_timing();
        let kek = self.state.config.kek.as_ref();
        let rotation =
            gatehouse::keys::rotate(self.store.as_ref(), alg, kek, timing, self.clock.now(), None).await.unwrap();
        self.maintain().await;
        rotation
    }

    /// Stops the server and waits until it has.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
    }

    /// Stops the server but keeps the database for another.
    pub async fn stop_keep_db(mut self) -> Option<TestDb> {
        self.stop().await;
        self.db.take()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
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
pub struct TestClient {
    pub id: String,
    pub secret: Option<String>,
    pub redirect_uri: String,
}

/// How to register a test client.
pub struct ClientSpec {
    pub id: &'static str,
    pub public: bool,
    pub require_pkce: bool,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<&'static str>,
    pub audiences: Vec<String>,
}

impl Default for ClientSpec {
    fn default() -> Self {
        Self {
            id: "rp",
            public: false,
            require_pkce: true,
            redirect_uris: vec!["https://rp.example/cb".into()],
            grant_types: vec!["authorization_code"],
            audiences: vec![],
        }
    }
}

impl TestApp {
    /// Registers a client directly in the store.
    pub async fn add_client(&self, spec: ClientSpec) -> TestClient {
        use gatehouse::clock::Clock;
        use gatehouse::store::{Client, ClientKind};
        let secret = (!spec.public).then(gatehouse::secret::random_token);
        self.store
            .insert_client(&Client {
                id: spec.id.into(),
                name: String::new(),
                kind: if spec.public { ClientKind::Public } else { ClientKind::Confidential },
                secret_hash: secret.as_deref().map(gatehouse::secret::hash),
                redirect_uris: spec.redirect_uris.clone(),
                grant_types: spec.grant_types.iter().map(|g| gatehouse::store::GrantType::parse(g).unwrap()).collect(),
                post_logout_redirect_uris: vec![],
                audiences: spec.audiences,
                id_token_signed_response_alg: None,
                require_pkce: spec.require_pkce,
                created_at: self.clock.now(),
            })
            .await
            .unwrap();
        TestClient { id: spec.id.into(), secret, redirect_uri: spec.redirect_uris[0].clone() }
    }

    /// A confidential client `rp` with redirect URI `https://rp.example/cb`.
    pub async fn client(&self) -> TestClient {
        self.add_client(ClientSpec::default()).await
    }

    /// Creates a user with a password and claims; returns its `sub`.
    pub async fn add_user(&self, username: &str, password: &str, claims: serde_json::Value) -> String {
        use gatehouse::clock::Clock;
        let id = uuid::Uuid::new_v4().to_string();
        let password_hash = gatehouse::password::hash(password.into()).await.unwrap();
        self.store
            .insert_user(&gatehouse::store::User {
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
    pub async fn alice(&self) -> String {
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

    /// Redeems `code` for `client` with the test PKCE verifier; the response must be 200.
    pub async fn redeem(&self, client: &TestClient, code: &str) -> serde_json::Value {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("code_verifier", VERIFIER),
        ];
        let response = self.token(client, &form).await;
        assert_eq!(response.status(), 200, "the code is redeemed");
        response.json().await.unwrap()
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http.post(self.url(path)).form(form).send().await.unwrap()
    }

    /// `POST /token` with `client_secret_basic`.
    pub async fn token(&self, client: &TestClient, form: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.http.post(self.url("/token")).form(form);
        match &client.secret {
            Some(secret) => request = request.basic_auth(&client.id, Some(secret)),
            None => {
                let mut with_id = form.to_vec();
                with_id.push(("client_id", &client.id));
                request = self.http.post(self.url("/token")).form(&with_id);
            }
        }
        request.send().await.unwrap()
    }
}

/// PKCE for tests: the RFC 7636 Appendix B pair.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A browser: keeps cookies, follows nothing by itself.
#[derive(Default)]
pub struct Browser {
    pub cookies: std::collections::BTreeMap<String, String>,
    /// Every Set-Cookie header seen, raw.
    pub set_cookies: Vec<String>,
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn remember(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let raw = value.to_str().unwrap().to_owned();
            let (name, value) = raw.split(';').next().unwrap().split_once('=').unwrap();
            self.cookies.insert(name.to_owned(), value.to_owned());
            self.set_cookies.push(raw);
        }
    }

    pub async fn get(&mut self, app: &TestApp, url: &str) -> reqwest::Response {
        let url = if url.starts_with("http") { url.to_owned() } else { format!("http://{}{url}", host(&app.issuer)) };
        let response = app.http.get(url).header("cookie", self.cookie_header()).send().await.unwrap();
        self.remember(&response);
        response
    }

    pub async fn post(&mut self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let url = format!("http://{}{path}", host(&app.issuer));
        let response = app.http.post(url).header("cookie", self.cookie_header()).form(form).send().await.unwrap();
        self.remember(&response);
        response
    }

    /// GET /authorize with these parameters.
    pub async fn authorize(&mut self, app: &TestApp, params: &[(&str, &str)]) -> reqwest::Response {
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
        self.get(app, &format!("{}?{query}", app.url("/authorize"))).await
    }

    /// Fills in and submits the login form the response redirected to; returns the
    /// form POST's response.
    pub async fn log_in(
        &mut self,
        app: &TestApp,
        to_login: reqwest::Response,
        user: &str,
        pw: &str,
    ) -> reqwest::Response {
        assert_eq!(to_login.status(), 303, "expected a redirect to the login page");
        let login_url = location(&to_login);
        let page = self.get(app, &login_url).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        let request = hidden(&html, "request");
        let csrf = hidden(&html, "csrf");
        self.post(
            app,
            &format!("{}/login", url::Url::parse(&app.issuer).unwrap().path().trim_end_matches('/')),
            &[("request", &request), ("csrf", &csrf), ("username", user), ("password", pw)],
        )
        .await
    }

    /// Runs an authorization request through the login, returning the redirect to the client.
    pub async fn authorize_and_log_in(&mut self, app: &TestApp, params: &[(&str, &str)]) -> url::Url {
        let response = self.authorize(app, params).await;
        let done = self.log_in(app, response, "alice", "wonderland").await;
        assert_eq!(done.status(), 303);
        url::Url::parse(&location(&done)).unwrap()
    }
}

fn host(issuer: &str) -> String {
    let url = url::Url::parse(issuer).unwrap();
    format!("{}:{}", url.host_str().unwrap(), url.port().unwrap())
}

/// The `Location` header.
pub fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// A query parameter of a URL.
pub fn query(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The value of a hidden form field.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no field {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Standard authorization parameters for `client`, with PKCE and `state`/`nonce`.
pub fn auth_params<'a>(client: &'a TestClient, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", &client.id),
        ("redirect_uri", &client.redirect_uri),
        ("scope", scope),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
}

/// Decodes a JWT's payload without verifying it (tests verify elsewhere).
pub fn jwt_claims(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

pub fn jwt_header(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let header = jwt.split('.').next().unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

/// A login form the browser was sent to.
pub struct Form {
    pub path: String,
    pub request: String,
    pub csrf: String,
}

impl Form {
    pub fn with<'a>(&'a self, username: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![("request", &self.request), ("csrf", &self.csrf), ("username", username), ("password", password)]
    }
}

/// Starts an authorization in `browser` and opens the login page it leads to.
pub async fn open_form(app: &TestApp, browser: &mut Browser, client: &TestClient) -> Form {
    let to_login = browser.authorize(app, &auth_params(client, "openid")).await;
    assert_eq!(to_login.status(), 303);
    let login_url = location(&to_login);
    let page = browser.get(app, &login_url).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    Form {
        path: login_url.split('?').next().unwrap().to_owned(),
        request: hidden(&html, "request"),
        csrf: hidden(&html, "csrf"),
    }
}
