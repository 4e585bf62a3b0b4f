//! The demo client and user of `gatehouse dev`: created on first start, kept after.
//!
//! The store holds the client secret only hashed and the password only as an argon2
//! hash, as always; to show them again, `dev` keeps both in clear in
//! `.gatehouse/demo.toml` (mode 0600), beside the store.

use std::path::Path;

use super::CliError;
use crate::clock::{Clock, SystemClock};
use crate::config::Issuer;
use crate::oauth::dev::{DEMO_CLIENTS, DEMO_USER};
use crate::store::{Client, ClientKind, GrantType, Store, User};

/// The demo confidential client.
pub(super) const CLIENT_ID: &str = DEMO_CLIENTS[0];
/// The demo public client (a single-page or native app: PKCE, no secret).
pub(super) const PUBLIC_CLIENT_ID: &str = DEMO_CLIENTS[1];
/// The demo user's login name.
pub(super) const USERNAME: &str = DEMO_USER;
/// The demo clients' redirect URIs; the loopback one matches any port (RFC 8252 §7.3).
pub(super) const REDIRECT_URIS: [&str; 2] = ["http://127.0.0.1/callback", "http://localhost:3000/callback"];
/// Where RP-initiated logout may send the browser back to: an app on localhost:3000, as
/// express-openid-connect (its `baseURL`) and oidc-client-ts setups usually name it.
const POST_LOGOUT_REDIRECT_URIS: [&str; 2] = ["http://localhost:3000", "http://localhost:3000/"];
/// The PKCE verifier of the printed headless-login command (RFC 7636 Appendix B's).
pub(super) const CODE_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// Its `S256` challenge.
const CODE_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// The file, in the dev folder, that keeps the demo secret and password.
const SECRETS_FILE: &str = "demo.toml";

/// The demo credentials, as printed.
pub(super) struct Demo {
    client_secret: String,
    password: String,
}

impl Demo {
    /// Prints what a relying party needs, one `label: value` per line, to stdout.
    pub(super) fn print(&self, issuer: &Issuer) {
        println!("issuer: {issuer}");
        println!("discovery: {}", issuer.endpoint("/.well-known/openid-configuration"));
        println!("client_id: {CLIENT_ID}");
        println!("client_secret: {}", self.client_secret);
        println!("public client_id: {PUBLIC_CLIENT_ID}");
        for uri in REDIRECT_URIS {
            println!("redirect_uri: {uri}");
        }
        println!("username: {USERNAME}");
        println!("password: {}", self.password);
        println!("code_verifier: {CODE_VERIFIER}");
        println!("headless login: curl -s -o /dev/null -w '%{{redirect_url}}\\n' '{}'", login_url(issuer));
    }
}

/// An authorization request for the demo client that headless login answers with a
/// redirect carrying a code (PKCE with [`CODE_VERIFIER`]).
fn login_url(issuer: &Issuer) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URIS[0]),
            ("scope", "openid profile email"),
            ("login_hint", USERNAME),
            ("code_challenge", CODE_CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    format!("{}?{query}", issuer.endpoint("/authorize"))
}

/// Makes sure the demo clients and user exist with the secret and password kept in
/// `dir` (none: an ephemeral store, fresh each time); creates what is missing and
/// replaces a secret or password that was lost. Returns them.
pub(super) async fn ensure(store: &dyn Store, dir: Option<&Path>) -> Result<Demo, CliError> {
    let now = SystemClock.now();
    let file = dir.map(|d| d.join(SECRETS_FILE));
    let kept = match &file {
        Some(path) => read_secrets(path)?,
        None => KeptSecrets::default(),
    };
    let client = store.find_client(CLIENT_ID).await?;
    let client_secret = match (kept.client_secret, client) {
        (Some(secret), Some(c)) if c.secret_hash.as_deref().is_some_and(|h| crate::secret::verify(&secret, h)) => {
            secret
        }
        (_, existing) => {
            let secret = crate::secret::random_token();
            if existing.is_some() {
                store.delete_client(CLIENT_ID).await?;
            }
            store.insert_client(&demo_client(CLIENT_ID, Some(&secret), now)).await?;
            secret
        }
    };
    if store.find_client(PUBLIC_CLIENT_ID).await?.is_none() {
        store.insert_client(&demo_client(PUBLIC_CLIENT_ID, None, now)).await?;
    }
    let user = store.find_user_by_username(USERNAME).await?;
    let password = match (kept.password, user) {
        // Not verified again: argon2 would cost every start tens of milliseconds.
        (Some(password), Some(_)) => password,
        (_, existing) => {
            let password = new_password();
            let hash = crate::password::hash(password.clone()).await.map_err(|e| CliError::usage(e.to_string()))?;
            if existing.is_some() {
                store.set_password(USERNAME, &hash, now).await?;
            } else {
                store.insert_user(&demo_user(hash, now)).await?;
            }
            password
        }
    };
    let demo = Demo { client_secret, password };
    if let Some(path) = &file {
        write_secrets(path, &demo)?;
    }
    Ok(demo)
}

/// A demo client: confidential with `secret`, public without.
fn demo_client(id: &str, secret: Option<&str>, now: i64) -> Client {
    Client {
        id: id.to_owned(),
        name: if secret.is_some() { "Demo app" } else { "Demo single-page app" }.to_owned(),
        kind: if secret.is_some() { ClientKind::Confidential } else { ClientKind::Public },
        secret_hash: secret.map(crate::secret::hash),
        redirect_uris: REDIRECT_URIS.map(str::to_owned).to_vec(),
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        post_logout_redirect_uris: POST_LOGOUT_REDIRECT_URIS.map(str::to_owned).to_vec(),
        audiences: Vec::new(),
        id_token_signed_response_alg: None,
        require_pkce: true,
        loopback_any_port: true,
        // Many RP libraries read only the ID token: give them the user's claims there.
        id_token_claims: true,
        third_party: false,
        created_at: now,
    }
}

fn demo_user(password_hash: String, now: i64) -> User {
    let mut claims = serde_json::Map::new();
    claims.insert("name".into(), "Demo User".into());
    claims.insert("email".into(), "demo@example.com".into());
    claims.insert("email_verified".into(), true.into());
    User {
        id: uuid::Uuid::new_v4().to_string(),
        username: USERNAME.to_owned(),
        password_hash,
        disabled: false,
        claims,
        created_at: now,
        updated_at: now,
    }
}

/// A generated password: 96 random bits, URL-safe, easy to copy.
fn new_password() -> String {
    crate::secret::random_token()[..16].to_owned()
}

/// What the secrets file holds.
#[derive(Default)]
struct KeptSecrets {
    client_secret: Option<String>,
    password: Option<String>,
}

fn read_secrets(path: &Path) -> Result<KeptSecrets, CliError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(KeptSecrets::default()),
        Err(e) => return Err(CliError::usage(format!("cannot read {}: {e}", path.display()))),
    };
    // A file that is not what `dev` wrote is replaced, along with the secrets it lost.
    let table: toml::Table = text.parse().unwrap_or_default();
    let get = |key: &str| table.get(key).and_then(toml::Value::as_str).map(str::to_owned);
    Ok(KeptSecrets { client_secret: get("client_secret"), password: get("password") })
}

/// Writes the secrets file, readable by its owner only.
fn write_secrets(path: &Path, demo: &Demo) -> Result<(), CliError> {
    use std::io::Write;
    let mut table = toml::Table::new();
    table.insert("client_secret".into(), demo.client_secret.clone().into());
    table.insert("password".into(), demo.password.clone().into());
    let text = format!(
        "# The demo credentials of `gatehouse dev`, shown on every start; the store holds them only hashed.\n{table}"
    );
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let write = options.open(path).and_then(|mut f| f.write_all(text.as_bytes()));
    write.map_err(|e| CliError::usage(format!("cannot write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_challenge_is_the_verifiers() {
        assert!(crate::oauth::pkce::verify(CODE_VERIFIER, CODE_CHALLENGE));
    }
}
