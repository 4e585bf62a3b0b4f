//! `gatehouse::testing`: the in-process provider for Rust relying parties' tests,
//! through its typed API, checked over HTTP and by a relying-party library.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gatehouse::testing::{Client, Defect, Error, Login, Provider, Token, User};
use jsonwebtoken::errors::ErrorKind;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    RedirectUrl, Scope, TokenResponse,
};
use serde_json::{Value, json};

use crate::common::{CHALLENGE, Found, Kind, NONCE, VERIFIER, jwt_claims, jwt_header, verify};

const REDIRECT_URI: &str = "http://127.0.0.1:3000/callback";

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A provider with the client `rp` (its secret returned) and the user `ada`.
async fn provider() -> (Provider, String) {
    let op = Provider::start().await.unwrap();
    let ada = User::new("ada").password("pw").claim("email", "ada@example.com").claim("name", "Ada");
    op.add_user(ada).await.unwrap();
    let client = op.add_client(Client::confidential("rp", REDIRECT_URI)).await.unwrap();
    (op, client.client_secret.unwrap())
}

async fn jwks(op: &Provider) -> Value {
    http().get(op.url("/jwks")).send().await.unwrap().json().await.unwrap()
}

async fn userinfo_status(op: &Provider, access_token: &str) -> u16 {
    http().get(op.url("/userinfo")).bearer_auth(access_token).send().await.unwrap().status().as_u16()
}

/// The token endpoint's answer to a `grant` from `rp`.
async fn token_request(op: &Provider, secret: &str, grant: &[(&str, &str)]) -> (u16, Value) {
    let response = http().post(op.url("/token")).basic_auth("rp", Some(secret)).form(grant).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn providers_start_in_parallel_and_each_is_isolated() {
    let started = futures_join(4).await;
    let issuers: std::collections::BTreeSet<_> = started.iter().map(|op| op.issuer().to_owned()).collect();
    assert_eq!(issuers.len(), 4, "each on its own port");
    for op in &started {
        let discovery: Value =
            http().get(op.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
        assert_eq!(discovery["issuer"], op.issuer());
    }
    // A user and a client of one provider are unknown to another.
    let (one, two) = (&started[0], &started[1]);
    one.add_user(User::new("ada")).await.unwrap();
    one.add_client(Client::confidential("rp", REDIRECT_URI)).await.unwrap();
    assert!(one.login("ada", "rp").await.is_ok());
    assert!(matches!(two.login("ada", "rp").await, Err(Error::NotFound(_))));
    two.add_user(User::new("ada")).await.unwrap();
    assert!(matches!(two.login("ada", "rp").await, Err(Error::NotFound(_))), "nor the client");
    // Every provider reuses the RSA keys generated once per process.
    let rsa = |jwks: Value| {
        jwks["keys"].as_array().unwrap().iter().filter(|k| k["kty"] == "RSA").cloned().collect::<Vec<_>>()
    };
    assert_eq!(rsa(jwks(one).await), rsa(jwks(two).await));
}

async fn futures_join(n: usize) -> Vec<Provider> {
    let starting: Vec<_> = (0..n).map(|_| tokio::spawn(Provider::start())).collect();
    let mut started = Vec::new();
    for handle in starting {
        started.push(handle.await.unwrap().unwrap());
    }
    started
}

#[tokio::test]
async fn a_relying_party_library_logs_in_headlessly_against_it() {
    let (op, secret) = provider().await;
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(op.issuer().to_owned()).unwrap(), &http()).await.unwrap();
    let rp = CoreClient::from_provider_metadata(metadata, ClientId::new("rp".into()), Some(ClientSecret::new(secret)))
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, state, nonce) = rp
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .add_extra_param("login_hint", "ada")
        .set_pkce_challenge(challenge)
        .url();

    // Dev mode logs the user `login_hint` names in without a page.
    let back = http().get(auth_url.as_str()).send().await.unwrap();
    assert_eq!(back.status(), 303);
    let back = url::Url::parse(back.headers()["location"].to_str().unwrap()).unwrap();
    let param = |name: &str| back.query_pairs().find(|(n, _)| n == name).map(|(_, v)| v.into_owned());
    assert_eq!(param("state").as_deref(), Some(state.secret().as_str()));
    assert_eq!(param("iss").as_deref(), Some(op.issuer()));
    let tokens = rp
        .exchange_code(AuthorizationCode::new(param("code").unwrap()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .unwrap();
    let claims = tokens.id_token().unwrap().claims(&rp.id_token_verifier(), &nonce).unwrap();
    let userinfo: CoreUserInfoClaims =
        rp.user_info(tokens.access_token().clone(), None).unwrap().request_async(&http()).await.unwrap();
    assert_eq!(userinfo.subject(), claims.subject());
    assert_eq!(userinfo.email().map(|e| e.as_str()), Some("ada@example.com"));
}

#[tokio::test]
async fn login_gives_the_tokens_a_browser_login_would() {
    let (op, secret) = provider().await;

    let tokens = op.login("ada", "rp").await.unwrap();

    let id_token = tokens.id_token.as_deref().unwrap();
    let claims = jwt_claims(id_token);
    assert_eq!((&claims["iss"], &claims["aud"]), (&json!(op.issuer()), &json!("rp")));
    assert_eq!(claims["email"], Value::Null, "userinfo has the email; the ID token only with id_token_claims");
    assert_eq!(tokens.scope, gatehouse::testing::DEFAULT_SCOPE);
    assert_eq!(userinfo_status(&op, &tokens.access_token).await, 200);
    let refresh = tokens.refresh_token.unwrap();
    let (status, renewed) =
        token_request(&op, &secret, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!(status, 200, "{renewed}");

    // Another request: a scope, a nonce, a client that wants claims in the ID token.
    op.add_client(Client::public("spa", "http://localhost:5173/cb").id_token_claims()).await.unwrap();
    let login = Login::new("ada", "spa").scope("openid email").nonce(NONCE);
    let tokens = op.login_with(login).await.unwrap();
    let claims = jwt_claims(tokens.id_token.as_deref().unwrap());
    assert_eq!(
        (&claims["nonce"], &claims["email"], &claims["aud"]),
        (&json!(NONCE), &json!("ada@example.com"), &json!("spa"))
    );
    assert!(tokens.refresh_token.is_none(), "no offline_access asked for");
}

#[tokio::test]
async fn code_is_redeemed_by_the_client_itself() {
    let (op, secret) = provider().await;
    let login = Login::new("ada", "rp").state("s-1").nonce(NONCE).code_challenge(CHALLENGE);

    let code = op.code(login).await.unwrap();

    assert_eq!(code.state.as_deref(), Some("s-1"));
    assert!(code.redirect.starts_with(&format!("{REDIRECT_URI}?code=")), "{}", code.redirect);
    let grant = [
        ("grant_type", "authorization_code"),
        ("code", code.code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
    ];
    let (status, tokens) = token_request(&op, &secret, &grant).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(jwt_claims(tokens["id_token"].as_str().unwrap())["nonce"], NONCE);
    let (status, again) = token_request(&op, &secret, &grant).await;
    assert_eq!((status, &again["error"]), (400, &json!("invalid_grant")), "a code is redeemed once");
}

#[tokio::test]
async fn advance_expires_tokens_as_if_the_time_had_passed() {
    let (op, secret) = provider().await;
    let tokens = op.login("ada", "rp").await.unwrap();
    let before = op.now();

    let now = op.advance(Duration::from_secs(tokens.expires_in.unsigned_abs() + 1)).await;

    assert!(now > before + tokens.expires_in && op.now() >= now);
    assert_eq!(userinfo_status(&op, &tokens.access_token).await, 401, "the access token has expired");
    let refresh = tokens.refresh_token.unwrap();
    let (status, renewed) =
        token_request(&op, &secret, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!(status, 200, "the refresh token lives on: {renewed}");
    assert_eq!(userinfo_status(&op, renewed["access_token"].as_str().unwrap()).await, 200);
    assert!(jwt_claims(renewed["access_token"].as_str().unwrap())["iat"].as_i64().unwrap() >= now);
}

#[tokio::test]
async fn revoke_user_ends_their_refresh_tokens() {
    let (op, secret) = provider().await;
    let tokens = op.login("ada", "rp").await.unwrap();

    op.revoke_user("ada").await.unwrap();

    let refresh = tokens.refresh_token.unwrap();
    let (status, refused) =
        token_request(&op, &secret, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!((status, &refused["error"]), (400, &json!("invalid_grant")));
    assert_eq!(userinfo_status(&op, &tokens.access_token).await, 401);
    assert!(matches!(op.revoke_user("nobody").await, Err(Error::NotFound(_))));
}

#[tokio::test]
async fn users_and_clients_are_added_replaced_and_removed() {
    let (op, _) = provider().await;
    let added = op.add_user(User::new("bob").claim("email", "bob@example.com")).await.unwrap();
    assert!(matches!(op.add_user(User::new("bob")).await, Err(Error::Conflict(_))));

    let replaced = op.put_user(User::new("bob").claim("email", "robert@example.com")).await.unwrap();
    assert_eq!(replaced.sub, added.sub, "a replaced user keeps their sub");
    let tokens = op.login_with(Login::new("bob", "rp").scope("openid email")).await.unwrap();
    let userinfo: Value =
        http().get(op.url("/userinfo")).bearer_auth(&tokens.access_token).send().await.unwrap().json().await.unwrap();
    assert_eq!((&userinfo["sub"], &userinfo["email"]), (&json!(added.sub), &json!("robert@example.com")));

    op.delete_user("bob").await.unwrap();
    assert_eq!(userinfo_status(&op, &tokens.access_token).await, 401, "what was issued to bob is gone");
    assert!(matches!(op.delete_user("bob").await, Err(Error::NotFound(_))));

    let spa = op.add_client(Client::public("spa", "http://localhost:5173/cb")).await.unwrap();
    assert_eq!((spa.client_secret, spa.redirect_uris), (None, vec!["http://localhost:5173/cb".to_owned()]));
    let given = op.add_client(Client::confidential("api", REDIRECT_URI).secret("s3cret")).await.unwrap();
    assert_eq!(given.client_secret.as_deref(), Some("s3cret"));
    assert!(matches!(op.add_client(Client::public("spa", REDIRECT_URI)).await, Err(Error::Conflict(_))));
    op.delete_client("spa").await.unwrap();
    assert!(matches!(op.login("ada", "spa").await, Err(Error::NotFound(_))));
    assert!(matches!(op.delete_client("spa").await, Err(Error::NotFound(_))));
}

fn invalid<T>(result: Result<T, Error>) -> bool {
    matches!(result, Err(Error::Invalid(_)))
}

#[tokio::test]
async fn refused_calls_say_why_and_change_nothing() {
    let (op, _) = provider().await;

    assert!(invalid(op.add_user(User::new("")).await), "an empty username");
    assert!(invalid(op.add_user(User::new("a\u{0}b")).await), "a control character");
    assert!(invalid(op.add_user(User::new("eve").claim("sub", "admin")).await), "a registered claim");
    assert!(invalid(op.add_user(User::new("eve").password("")).await), "an empty password");
    assert!(invalid(op.add_client(Client::confidential("web", "http://example.com/cb")).await), "plain http");
    assert!(invalid(op.add_client(Client::confidential("web", REDIRECT_URI).grant_types(&["implicit"])).await));
    assert!(invalid(op.mint(Token::access("ada", "rp").defect(Defect::NonceMismatch)).await));
    assert!(invalid(op.seed("[[users]]\nusername = 42").await));
    assert!(matches!(op.login("nobody", "rp").await, Err(Error::NotFound(_))));
    let wrong_uri = op.login_with(Login::new("ada", "rp").redirect_uri("http://127.0.0.1:3000/other")).await;
    assert!(matches!(wrong_uri, Err(Error::OAuth { .. })), "{wrong_uri:?}");
    match op.code(Login::new("ada", "rp").code_challenge("too-short")).await {
        Err(Error::OAuth { error, description }) => assert_eq!(error, "invalid_request", "{description}"),
        other => panic!("a malformed code_challenge: {other:?}"),
    }
    match op.login_with(Login::new("ada", "rp").code_challenge(CHALLENGE)).await {
        Err(Error::OAuth { error, description }) => {
            assert!(description.contains("own PKCE pair"), "{error}: {description}")
        }
        other => panic!("a challenge where the provider redeems the code: {other:?}"),
    }

    // Nothing was created: the same names are free.
    op.add_user(User::new("eve")).await.unwrap();
    op.add_client(Client::confidential("web", REDIRECT_URI)).await.unwrap();
    assert!(op.requests().is_empty(), "the typed API makes no HTTP requests");
}

#[tokio::test]
async fn seed_applies_a_seed_files_text() {
    let (op, _) = provider().await;
    let seed = r#"
        [[users]]
        username = "grace"
        password = "pw"
        claims = { groups = ["admins"] }

        [scopes.groups]
        claims = ["groups"]
        id_token = true
    "#;

    op.seed(seed).await.unwrap();

    let tokens = op.login_with(Login::new("grace", "rp").scope("openid groups")).await.unwrap();
    assert_eq!(jwt_claims(tokens.id_token.as_deref().unwrap())["groups"], json!(["admins"]));
}

#[tokio::test]
async fn rotate_keys_immediately_signs_with_a_key_never_published() {
    let (op, _) = provider().await;
    let before = jwt_header(&op.login("ada", "rp").await.unwrap().access_token)["kid"].clone();
    let published: Vec<Value> = jwks(&op).await["keys"].as_array().unwrap().iter().map(|k| k["kid"].clone()).collect();

    let kids = op.rotate_keys(true).await.unwrap();

    assert_eq!(kids.len(), 3, "one per algorithm: {kids:?}");
    assert!(kids.iter().all(|kid| !published.contains(&json!(kid))), "keys no JWKS had");
    let after = op.login("ada", "rp").await.unwrap();
    let kid = jwt_header(&after.access_token)["kid"].clone();
    assert!(kids.contains(&kid.as_str().unwrap().to_owned()));
    let now: Vec<Value> = jwks(&op).await["keys"].as_array().unwrap().iter().map(|k| k["kid"].clone()).collect();
    assert!(now.contains(&before) && now.contains(&kid), "old and new are published: {now:?}");
    assert_eq!(userinfo_status(&op, &after.access_token).await, 200);
}

#[tokio::test]
async fn rotate_keys_normally_takes_effect_once_caches_have_the_key() {
    let (op, _) = provider().await;
    let signing = jwt_header(&op.login("ada", "rp").await.unwrap().access_token)["kid"].clone();

    let kids = op.rotate_keys(false).await.unwrap();

    assert!(kids.contains(&signing.as_str().unwrap().to_owned()), "the signing key keeps signing for now");
    op.advance(Duration::from_secs(2 * 86_400)).await;
    let next = jwt_header(&op.login("ada", "rp").await.unwrap().access_token)["kid"].clone();
    assert_ne!(next, signing);
    let published: Vec<Value> = jwks(&op).await["keys"].as_array().unwrap().iter().map(|k| k["kid"].clone()).collect();
    assert!(published.contains(&next));
}

#[tokio::test]
async fn advance_runs_the_automatic_rotation_that_falls_due() {
    let op = Provider::builder().config("[keys]\nrotate_every = \"1d\"").start().await.unwrap();
    op.add_user(User::new("ada")).await.unwrap();
    op.add_client(Client::confidential("rp", REDIRECT_URI)).await.unwrap();
    let first = jwt_header(&op.login("ada", "rp").await.unwrap().access_token)["kid"].clone();

    // A day later the rotation is due and scheduled at once; once every cache has
    // the next key, it signs.
    op.advance(Duration::from_secs(86_400)).await;
    op.advance(Duration::from_secs(86_400)).await;

    assert_ne!(jwt_header(&op.login("ada", "rp").await.unwrap().access_token)["kid"], first);
}

#[tokio::test]
async fn the_builder_sets_the_issuer_path_the_configuration_and_auto_login() {
    let op = Provider::builder()
        .issuer_path("/tenant")
        .config("[lifetimes]\naccess_token = \"1m\"")
        .auto_login("ada")
        .start()
        .await
        .unwrap();
    op.add_user(User::new("ada")).await.unwrap();
    op.add_client(Client::confidential("rp", REDIRECT_URI)).await.unwrap();

    assert!(op.issuer().ends_with("/tenant"), "{}", op.issuer());
    assert_eq!(op.login("ada", "rp").await.unwrap().expires_in, 60);
    // Every authorization request logs `ada` in without a page.
    let query = [
        ("response_type", "code"),
        ("client_id", "rp"),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let response = http().get(op.url("/authorize")).query(&query).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert!(response.headers()["location"].to_str().unwrap().starts_with(&format!("{REDIRECT_URI}?code=")));

    let bad = Provider::builder().config("[lifetimes]\naccess_token = \"forever\"").start().await;
    assert!(matches!(bad, Err(Error::Invalid(_))), "{bad:?}");
}

#[tokio::test]
async fn requests_show_what_the_relying_party_sent() {
    let (op, secret) = provider().await;
    let tokens = op.login("ada", "rp").await.unwrap();
    let refresh = tokens.refresh_token.unwrap();

    assert_eq!(userinfo_status(&op, &tokens.access_token).await, 200);
    token_request(&op, &secret, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;

    let requests = op.requests();
    let paths: Vec<_> = requests.iter().map(|r| (r.method.as_str(), r.path.as_str(), r.status)).collect();
    assert_eq!(paths, [("GET", "/userinfo", 200), ("POST", "/token", 200)]);
    assert_eq!(requests[0].headers["authorization"], "[redacted]");
    assert_eq!(requests[1].params["grant_type"], "refresh_token");
    assert_eq!(requests[1].params["refresh_token"], "[redacted]");
    assert!(requests[1].time >= requests[0].time);

    op.clear_requests();
    assert!(op.requests().is_empty());
}

#[tokio::test]
async fn stopping_it_closes_its_port() {
    let op = Provider::start().await.unwrap();
    let addr = op.addr();
    assert!(tokio::net::TcpStream::connect(addr).await.is_ok());

    op.stop().await;

    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "nothing listens any more");
}

/// Mints each kind of token with `defect` through the typed API, and checks that the
/// independent verifier finds exactly what is expected, and accepts the same token
/// minted without it.
async fn check_defect(defect: Defect, id: Option<Found>, access: Option<Found>) {
    let (op, _) = provider().await;
    for (kind, expected) in [(Kind::Id, id), (Kind::Access, access)] {
        let token = |defect: Option<Defect>| {
            let token = match kind {
                Kind::Id => Token::id("ada", "rp").nonce(NONCE),
                Kind::Access => Token::access("ada", "rp"),
            };
            match defect {
                Some(defect) => token.defect(defect),
                None => token,
            }
        };
        let good = op.mint(token(None)).await.unwrap();
        let jwks = jwks(&op).await;
        verify(&jwks, op.issuer(), kind, &good.token, good.access_token.as_deref()).unwrap();
        let minted = op.mint(token(Some(defect.clone()))).await;
        let Some(expected) = expected else {
            assert!(matches!(minted, Err(Error::Invalid(_))), "{defect:?} on {kind:?}: {minted:?}");
            continue;
        };
        let bad = minted.unwrap();
        let found = verify(&jwks, op.issuer(), kind, &bad.token, bad.access_token.as_deref());
        assert_eq!(found.err(), Some(expected), "{defect:?} on {kind:?}");
    }
}

macro_rules! defect_tests {
    ($($name:ident: $defect:expr => $id:expr, $access:expr;)*) => {$(
        #[tokio::test]
        async fn $name() {
            check_defect($defect, $id, $access).await;
        }
    )*};
}

defect_tests! {
    mint_expired: Defect::Expired =>
        Some(Found::Refused(ErrorKind::ExpiredSignature)), Some(Found::Refused(ErrorKind::ExpiredSignature));
    mint_not_yet_valid: Defect::NotYetValid =>
        Some(Found::Refused(ErrorKind::ImmatureSignature)), Some(Found::Refused(ErrorKind::ImmatureSignature));
    mint_issued_in_future: Defect::IssuedInFuture => Some(Found::IssuedInFuture), Some(Found::IssuedInFuture);
    mint_wrong_issuer: Defect::WrongIssuer =>
        Some(Found::Refused(ErrorKind::InvalidIssuer)), Some(Found::Refused(ErrorKind::InvalidIssuer));
    mint_wrong_audience: Defect::WrongAudience =>
        Some(Found::Refused(ErrorKind::InvalidAudience)), Some(Found::Refused(ErrorKind::InvalidAudience));
    mint_missing_claim: Defect::MissingClaim("sub".into()) =>
        Some(Found::Refused(ErrorKind::MissingRequiredClaim("sub".into()))),
        Some(Found::Refused(ErrorKind::MissingRequiredClaim("sub".into())));
    mint_unknown_kid: Defect::UnknownKid => Some(Found::UnknownKid), Some(Found::UnknownKid);
    mint_bad_signature: Defect::BadSignature =>
        Some(Found::Refused(ErrorKind::InvalidSignature)), Some(Found::Refused(ErrorKind::InvalidSignature));
    mint_alg_none: Defect::AlgNone => Some(Found::Header), Some(Found::Header);
    mint_hs256_with_public_key: Defect::Hs256WithPublicKey =>
        Some(Found::Refused(ErrorKind::InvalidAlgorithm)), Some(Found::Refused(ErrorKind::InvalidAlgorithm));
    mint_wrong_typ: Defect::WrongTyp => Some(Found::Typ("at+jwt".into())), Some(Found::Typ("JWT".into()));
    mint_nonce_mismatch: Defect::NonceMismatch => Some(Found::Nonce), None;
    mint_at_hash_mismatch: Defect::AtHashMismatch => Some(Found::AtHash), None;
}

#[tokio::test]
async fn minted_tokens_carry_the_users_claims_and_the_tokens_own() {
    let (op, _) = provider().await;
    let minted = op.mint(Token::id("ada", "rp").claim("name", "Override").claim("roles", json!(["x"]))).await.unwrap();
    let claims = jwt_claims(&minted.token);
    assert_eq!(
        (&claims["name"], &claims["roles"], &claims["email"]),
        (&json!("Override"), &json!(["x"]), &json!("ada@example.com"))
    );
    // Its access token has a live grant: userinfo and introspection accept it.
    assert_eq!(userinfo_status(&op, minted.access_token.as_deref().unwrap()).await, 200);
}

#[test]
fn the_readme_example_is_this_file() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = &readme[readme.find("### Test fixture in-process, for Rust").unwrap()..];
    let block = &section[section.find("```rust\n").unwrap() + "```rust\n".len()..];
    let block = &block[..block.find("```\n").unwrap()];
    let file = include_str!("testing_readme.rs");
    assert!(file.ends_with(block), "tests/testing_readme.rs must end with the README's example, verbatim");
}
