//! The relying party against an in-process gatehouse (`gatehouse::testing`): the
//! login through HTTP as a browser would make it, and every defect of a token that
//! the relying party must reject.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use gatehouse::testing::{AddedClient, Client, Defect, Provider, Token, User};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, LOCATION, SET_COOKIE, WWW_AUTHENTICATE};

use super::router;
use super::rp::{Config, Rp};

/// A provider with alice and a client, and the relying party serving on loopback.
struct Setup {
    op: Provider,
    rp: Arc<Rp>,
    /// The relying party's origin, `http://127.0.0.1:PORT`.
    base: String,
    client: AddedClient,
    /// Alice's `sub`.
    alice: String,
    /// A browser that does not follow redirects (and keeps no cookies).
    http: reqwest::Client,
}

async fn setup() -> Setup {
    let op = Provider::start().await.unwrap();
    let alice = op.add_user(User::new("alice").claim("email", "alice@example.com")).await.unwrap().sub;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let redirect_uri = format!("{base}/callback");
    // `id_token_claims`: alice's email comes in the ID token, as it does from `dev`'s demo client.
    let client = op.add_client(Client::confidential("rp", &redirect_uri).id_token_claims()).await.unwrap();
    let config = Config {
        issuer: op.issuer().to_owned(),
        client_id: client.client_id.clone(),
        client_secret: client.client_secret.clone().unwrap(),
        redirect_uri,
        api_audience: op.issuer().to_owned(),
    };
    let rp = Arc::new(Rp::discover(config).await.unwrap());
    tokio::spawn(axum::serve(listener, router(rp.clone())).into_future());
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Setup { op, rp, base, client, alice, http }
}

impl Setup {
    /// `GET` without following redirects.
    async fn get(&self, url: &str) -> reqwest::Response {
        self.http.get(url).send().await.unwrap()
    }

    /// The callback URL the provider redirects alice's browser to, after `/login`.
    async fn callback_url(&self) -> String {
        let login = self.get(&format!("{}/login", self.base)).await;
        assert_eq!(login.status(), StatusCode::SEE_OTHER);
        let authorize = format!("{}&login_hint=alice", location(&login));
        let redirect = self.get(&authorize).await;
        assert_eq!(redirect.status(), StatusCode::SEE_OTHER, "{}", redirect.text().await.unwrap());
        location(&redirect)
    }

    /// `GET /api/me` with this bearer token.
    async fn me(&self, token: &str) -> reqwest::Response {
        let url = format!("{}/api/me", self.base);
        self.http.get(url).header(AUTHORIZATION, format!("Bearer {token}")).send().await.unwrap()
    }
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// The value of a parameter in a logged request.
fn param<'r>(request: &'r gatehouse::testing::Request, name: &str) -> Option<&'r str> {
    request.params.get(name).and_then(|v| v.as_str())
}

#[tokio::test]
async fn login_through_the_browser_flow_starts_a_session() {
    // Arrange
    let s = setup().await;

    // Act: /login → the provider (login_hint logs alice in) → /callback.
    let callback = s.get(&s.callback_url().await).await;

    // Assert: a session for alice.
    assert_eq!(callback.status(), StatusCode::OK);
    assert!(callback.headers()[SET_COOKIE].to_str().unwrap().starts_with("rp_session="));
    let body: serde_json::Value = callback.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "sub": s.alice, "email": "alice@example.com" }));

    // Assert: what the relying party sent the provider.
    let requests = s.op.requests();
    let authorize = requests.iter().find(|r| r.path == "/authorize").unwrap();
    assert_eq!(param(authorize, "code_challenge_method"), Some("S256"));
    assert_eq!(param(authorize, "scope"), Some("openid profile email"));
    assert!(param(authorize, "nonce").is_some() && param(authorize, "state").is_some());
    let token = requests.iter().find(|r| r.path == "/token").unwrap();
    assert_eq!(token.status, 200);
    assert_eq!(param(token, "grant_type"), Some("authorization_code"));
    assert_eq!(param(token, "code_verifier"), Some("[redacted]"));
    assert_eq!(token.headers.get("authorization").and_then(|v| v.as_str()), Some("[redacted]"));
    assert_eq!(param(token, "client_secret"), None, "client_secret_basic, not _post");
}

#[tokio::test]
async fn api_accepts_access_tokens_from_a_login_and_minted() {
    let s = setup().await;
    let login = s.op.login("alice", &s.client.client_id).await.unwrap();
    let minted = s.op.mint(Token::access("alice", "rp")).await.unwrap();

    for token in [login.access_token, minted.token] {
        let response = s.me(&token).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["sub"], s.alice.as_str());
    }
}

/// One test per defect an access token can have: `/api/me` answers 401 `invalid_token`,
/// saying why.
macro_rules! access_token_defects {
    ($($name:ident: $defect:expr => $why:literal,)*) => {$(
        #[tokio::test]
        async fn $name() {
            let s = setup().await;
            let minted = s.op.mint(Token::access("alice", "rp").defect($defect)).await.unwrap();
            let response = s.me(&minted.token).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{:?} was accepted", $defect);
            let challenge = response.headers()[WWW_AUTHENTICATE].to_str().unwrap();
            assert!(challenge.starts_with("Bearer error=\"invalid_token\""), "{challenge}");
            assert!(challenge.contains($why), "{:?}: {challenge}", $defect);
        }
    )*};
}

mod api_rejects_access_token {
    use super::*;

    access_token_defects! {
        expired: Defect::Expired => "expired",
        not_yet_valid: Defect::NotYetValid => "not valid yet",
        issued_in_future: Defect::IssuedInFuture => "in the future",
        wrong_issuer: Defect::WrongIssuer => "another issuer",
        wrong_audience: Defect::WrongAudience => "not for us",
        missing_sub: Defect::MissingClaim("sub".into()) => "no `sub`",
        unknown_kid: Defect::UnknownKid => "in the JWKS",
        bad_signature: Defect::BadSignature => "bad signature",
        alg_none: Defect::AlgNone => "unknown alg",
        hs256_with_public_key: Defect::Hs256WithPublicKey => "not RS256",
        wrong_typ: Defect::WrongTyp => "wrong token type",
    }
}

/// One test per defect an ID token can have: `verify_id_token` refuses it, saying why.
macro_rules! id_token_defects {
    ($($name:ident: $defect:expr => $why:literal,)*) => {$(
        #[tokio::test]
        async fn $name() {
            let s = setup().await;
            let minted = s.op.mint(Token::id("alice", "rp").nonce("n-1").defect($defect)).await.unwrap();
            let access_token = minted.access_token.unwrap();
            let verified = s.rp.verify_id_token(&minted.token, "n-1", &access_token).await;
            let error = verified.expect_err(&format!("{:?} was accepted", $defect));
            assert!(error.0.contains($why), "{:?}: {error}", $defect);
        }
    )*};
}

mod id_token_rejected {
    use super::*;

    id_token_defects! {
        expired: Defect::Expired => "expired",
        not_yet_valid: Defect::NotYetValid => "not valid yet",
        issued_in_future: Defect::IssuedInFuture => "in the future",
        wrong_issuer: Defect::WrongIssuer => "another issuer",
        wrong_audience: Defect::WrongAudience => "not for us",
        missing_sub: Defect::MissingClaim("sub".into()) => "no `sub`",
        missing_nonce: Defect::MissingClaim("nonce".into()) => "nonce",
        unknown_kid: Defect::UnknownKid => "in the JWKS",
        bad_signature: Defect::BadSignature => "bad signature",
        alg_none: Defect::AlgNone => "unknown alg",
        hs256_with_public_key: Defect::Hs256WithPublicKey => "not RS256",
        wrong_typ: Defect::WrongTyp => "wrong token type",
        nonce_mismatch: Defect::NonceMismatch => "nonce",
        at_hash_mismatch: Defect::AtHashMismatch => "at_hash",
    }
}

#[tokio::test]
async fn id_token_without_defect_is_accepted() {
    let s = setup().await;
    let minted = s.op.mint(Token::id("alice", "rp").nonce("n-1")).await.unwrap();

    let claims = s.rp.verify_id_token(&minted.token, "n-1", &minted.access_token.unwrap()).await.unwrap();

    assert_eq!(claims.email.as_deref(), Some("alice@example.com"));
}

#[tokio::test]
async fn api_fetches_the_jwks_again_for_a_new_key() {
    let s = setup().await;
    let before = s.op.login("alice", "rp").await.unwrap();
    assert_eq!(s.me(&before.access_token).await.status(), StatusCode::OK);

    s.op.rotate_keys(true).await.unwrap();
    let after = s.op.login("alice", "rp").await.unwrap();

    assert_eq!(s.me(&after.access_token).await.status(), StatusCode::OK);
    let jwks = s.op.requests().iter().filter(|r| r.path == "/jwks").count();
    assert_eq!(jwks, 2, "at discovery, then once for the new kid");
}

#[tokio::test]
async fn callback_refuses_an_unknown_state() {
    let s = setup().await;
    let url = s.callback_url().await.replace("state=", "state=forged");

    assert_eq!(s.get(&url).await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn callback_refuses_another_issuer() {
    let s = setup().await;
    let mut url = url::Url::parse(&s.callback_url().await).unwrap();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    url.query_pairs_mut().clear().extend_pairs(
        pairs.iter().map(|(k, v)| (k.as_str(), if k == "iss" { "https://mix-up.invalid" } else { v.as_str() })),
    );

    let response = s.get(url.as_str()).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("iss"));
}

#[tokio::test]
async fn callback_replayed_starts_no_session() {
    let s = setup().await;
    let url = s.callback_url().await;
    assert_eq!(s.get(&url).await.status(), StatusCode::OK);

    let replayed = s.get(&url).await;

    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);
    assert!(replayed.headers().get(SET_COOKIE).is_none());
    assert_eq!(s.op.requests().iter().filter(|r| r.path == "/token").count(), 1, "the code was sent once");
}

#[tokio::test]
async fn refresh_fails_once_the_user_is_revoked() {
    let s = setup().await;
    let tokens = s.op.login("alice", "rp").await.unwrap();
    let refresh_token = tokens.refresh_token.unwrap();

    s.op.revoke_user("alice").await.unwrap();
    let refreshed = s.rp.token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh_token)]).await;

    // The relying party ends the session and sends the user to /login.
    let error = refreshed.unwrap_err().0;
    assert!(error.starts_with("invalid_grant"), "{error}");
}
