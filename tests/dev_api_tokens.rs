//! The control API of `gatehouse dev` (`/_dev/`): minted tokens, each defect found by
//! an independent verifier (jsonwebtoken with the published JWKS, plus the checks an
//! OpenID Connect relying party adds), and key rotation on demand.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Map, Value, json};

use crate::backend_tests;
use crate::common::{Backend, Found, Kind, NONCE, TestApp, TestClient, assert_refused, jwt_claims, jwt_header, verify};

backend_tests!(
    dev_tokens_without_a_defect_are_accepted,
    dev_tokens_expired,
    dev_tokens_not_yet_valid,
    dev_tokens_issued_in_future,
    dev_tokens_wrong_issuer,
    dev_tokens_wrong_audience,
    dev_tokens_missing_claim,
    dev_tokens_unknown_kid,
    dev_tokens_bad_signature,
    dev_tokens_alg_none,
    dev_tokens_hs256_with_public_key,
    dev_tokens_wrong_typ,
    dev_tokens_nonce_mismatch,
    dev_tokens_at_hash_mismatch,
    dev_tokens_refusals_change_nothing,
    dev_keys_rotate_normally,
    dev_keys_rotate_immediately,
);

struct Setup {
    app: TestApp,
    client: TestClient,
}

async fn setup(backend: Backend) -> Setup {
    let app = TestApp::spawn_dev(backend).await;
    let client = app.dev_client("rp").await;
    let claims = json!({"email": "ada@example.com", "name": "Ada", "groups": ["admins"]});
    let (status, _) = app.dev("POST", "/users", Some(json!({"username": "ada", "claims": claims}))).await;
    assert_eq!(status, 201);
    Setup { app, client }
}

impl Setup {
    /// Mints a token; the call must succeed. Returns it and, for an ID token, its access token.
    async fn mint(&self, kind: Kind, defect: Option<&str>) -> (String, Option<String>) {
        let mut body = json!({"token": token_name(kind), "username": "ada", "client_id": "rp", "nonce": NONCE});
        if let Some(defect) = defect {
            body["defect"] = defect.into();
        }
        let (status, minted) = self.app.dev("POST", "/tokens", Some(body)).await;
        assert_eq!(status, 200, "{defect:?}: {minted}");
        let token = minted["token"].as_str().unwrap().to_owned();
        let access_token = minted["access_token"].as_str().map(str::to_owned);
        assert_eq!(access_token.is_some(), kind == Kind::Id, "{minted}");
        (token, access_token)
    }

    /// Verifies a token as a relying party would, with the JWKS served now.
    async fn verify(&self, kind: Kind, token: &str, access_token: Option<&str>) -> Result<Map<String, Value>, Found> {
        verify(&self.app.jwks().await, &self.app.issuer, kind, token, access_token)
    }

    /// Mints a token with `defect` and checks that the verifier finds exactly
    /// `expected`, and accepts the same kind of token without a defect.
    async fn check(&self, kind: Kind, defect: &str, expected: Found) {
        let (good, good_access) = self.mint(kind, None).await;
        assert!(self.verify(kind, &good, good_access.as_deref()).await.is_ok(), "{kind:?} without a defect");
        let (bad, access_token) = self.mint(kind, Some(defect)).await;
        assert_eq!(self.verify(kind, &bad, access_token.as_deref()).await.err(), Some(expected), "{kind:?} {defect}");
        if let Some(access_token) = access_token {
            assert!(self.verify(Kind::Access, &access_token, None).await.is_ok(), "{defect}: its access token is good");
        }
    }
}

fn token_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Id => "id_token",
        Kind::Access => "access_token",
    }
}

async fn dev_tokens_without_a_defect_are_accepted(backend: Backend) {
    let s = setup(backend).await;
    let (id_token, access_token) = s.mint(Kind::Id, None).await;
    let (access_only, _) = s.mint(Kind::Access, None).await;

    let claims = s.verify(Kind::Id, &id_token, access_token.as_deref()).await.unwrap();
    let access_token = access_token.unwrap();
    let ada = s.app.store.find_user_by_username("ada").await.unwrap().unwrap();
    assert_eq!(
        (&claims["sub"], &claims["email"], &claims["groups"]),
        (&json!(ada.id), &json!("ada@example.com"), &json!(["admins"]))
    );
    for token in [&access_token, &access_only] {
        s.verify(Kind::Access, token, None).await.unwrap();
        let userinfo = s.app.userinfo(token).await;
        assert_eq!(userinfo.status(), 200);
        let userinfo: Value = userinfo.json().await.unwrap();
        assert_eq!((&userinfo["sub"], &userinfo["email"]), (&json!(ada.id), &json!("ada@example.com")));
        let introspected = s.app.introspect(&s.client, token).await;
        assert_eq!((&introspected["active"], &introspected["client_id"]), (&json!(true), &json!("rp")));
    }

    // The request's claims are added, and replace the user's.
    let body = json!({"token": "id_token", "username": "ada", "client_id": "rp",
        "claims": {"name": "Override", "roles": ["x"]}});
    let (_, minted) = s.app.dev("POST", "/tokens", Some(body)).await;
    let claims = jwt_claims(minted["token"].as_str().unwrap());
    assert_eq!(
        (&claims["name"], &claims["roles"], &claims["email"]),
        (&json!("Override"), &json!(["x"]), &json!("ada@example.com"))
    );
    assert!(claims.get("nonce").is_none(), "no nonce sent, none in the token");
}

async fn dev_tokens_expired(backend: Backend) {
    let s = setup(backend).await;
    for kind in [Kind::Id, Kind::Access] {
        s.check(kind, "expired", Found::Refused(ErrorKind::ExpiredSignature)).await;
    }
    let claims = jwt_claims(&s.mint(Kind::Access, Some("expired")).await.0);
    let now = s.app.state.clock.now();
    assert!(claims["exp"].as_i64().unwrap() <= now - 590 && claims["iat"].as_i64() < claims["exp"].as_i64());
}

async fn dev_tokens_not_yet_valid(backend: Backend) {
    let s = setup(backend).await;
    for kind in [Kind::Id, Kind::Access] {
        s.check(kind, "not_yet_valid", Found::Refused(ErrorKind::ImmatureSignature)).await;
    }
}

async fn dev_tokens_issued_in_future(backend: Backend) {
    let s = setup(backend).await;
    for kind in [Kind::Id, Kind::Access] {
        s.check(kind, "issued_in_future", Found::IssuedInFuture).await;
    }
    let claims = jwt_claims(&s.mint(Kind::Id, Some("issued_in_future")).await.0);
    assert!(claims.get("nbf").is_none() && claims["exp"].as_i64() > claims["iat"].as_i64());
}

async fn dev_tokens_wrong_issuer(backend: Backend) {
    let s = setup(backend).await;
    for kind in [Kind::Id, Kind::Access] {
        s.check(kind, "wrong_issuer", Found::Refused(ErrorKind::InvalidIssuer)).await;
    }
}

async fn dev_tokens_wrong_audience(backend: Backend) {
    let s = setup(backend).await;
    for kind in [Kind::Id, Kind::Access] {
        s.check(kind, "wrong_audience", Found::Refused(ErrorKind::InvalidAudience)).await;
    }
}

async fn dev_tokens_missing_claim(backend: Backend) {
    let s = setup(backend).await;
    for kind in [Kind::Id, Kind::Access] {
        s.check(kind, "missing_claim:sub", Found::Refused(ErrorKind::MissingRequiredClaim("sub".into()))).await;
    }
    s.check(Kind::Id, "missing_claim:nonce", Found::Missing("nonce")).await;
    s.check(Kind::Access, "missing_claim:jti", Found::Missing("jti")).await;
}

async fn dev_tokens_unknown_kid(backend: Backend) {
    let s = setup(backend).await;
    for kind in [Kind::Id, Kind::Access] {
        s.check(kind, "unknown_kid", Found::UnknownKid).await;
    }
    let (token, _) = s.mint(Kind::Id, Some("unknown_kid")).await;
    assert_eq!(jwt_header(&token)["alg"], "RS256");
    assert!(
        !s.app
            .store
            .list_keys()
            .await
            .unwrap()
            .iter()
            .any(|k| Some(k.kid.as_str()) == jwt_header(&token)["kid"].as_str())
    );
}

async fn dev_tokens_bad_signature(backend: Backend) {
    let s = setup(backend).await;
    for kind in [Kind::Id, Kind::Access] {
        s.check(kind, "bad_signature", Found::Refused(ErrorKind::InvalidSignature)).await;
    }
    let (good, _) = s.mint(Kind::Access, None).await;
    let (bad, _) = s.mint(Kind::Access, Some("bad_signature")).await;
    let signature = |t: &str| t.rsplit('.').next().unwrap().to_owned();
    assert_eq!(signature(&bad).len(), signature(&good).len());
    assert!(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature(&bad)).is_ok());
}

async fn dev_tokens_alg_none(backend: Backend) {
    let s = setup(backend).await;
    for kind in [Kind::Id, Kind::Access] {
        s.check(kind, "alg_none", Found::Header).await;
    }
    let (token, _) = s.mint(Kind::Id, Some("alg_none")).await;
    assert_eq!(jwt_header(&token)["alg"], "none");
    assert!(token.ends_with('.'), "an empty signature");
    assert_eq!(jwt_claims(&token)["iss"], s.app.issuer.as_str());
}

async fn dev_tokens_hs256_with_public_key(backend: Backend) {
    let s = setup(backend).await;
    for kind in [Kind::Id, Kind::Access] {
        s.check(kind, "hs256_with_public_key", Found::Refused(ErrorKind::InvalidAlgorithm)).await;
    }
    // A verifier that takes the header's word and keys HMAC with the public key's PEM accepts it.
    let (token, _) = s.mint(Kind::Access, Some("hs256_with_public_key")).await;
    let jwks = s.app.jwks().await;
    let kid = jwt_header(&token)["kid"].as_str().unwrap().to_owned();
    let jwk = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str()).unwrap();
    let pem = public_pem(jwk);
    let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&[s.app.issuer.as_str()]);
    let decoded = jsonwebtoken::decode::<Value>(&token, &DecodingKey::from_secret(pem.as_bytes()), &validation);
    assert!(decoded.is_ok(), "{decoded:?}");
}

/// The SubjectPublicKeyInfo PEM of an RSA JWK, built with the `rsa` crate.
fn public_pem(jwk: &Value) -> String {
    use rsa::pkcs8::EncodePublicKey;
    let part =
        |name: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(jwk[name].as_str().unwrap()).unwrap();
    let (n, e) = (part("n"), part("e"));
    let n = rsa::BoxedUint::from_be_slice(&n, (n.len() * 8) as u32).unwrap();
    let e = rsa::BoxedUint::from_be_slice(&e, 64).unwrap();
    rsa::PublicKey::new(n, e).unwrap().to_public_key_pem(rsa::pkcs8::LineEnding::LF).unwrap()
}

async fn dev_tokens_wrong_typ(backend: Backend) {
    let s = setup(backend).await;
    s.check(Kind::Id, "wrong_typ", Found::Typ("at+jwt".into())).await;
    s.check(Kind::Access, "wrong_typ", Found::Typ("JWT".into())).await;
    let (token, _) = s.mint(Kind::Access, Some("wrong_typ")).await;
    assert_eq!(s.app.userinfo_status(&token).await, 401, "gatehouse refuses it too");
}

async fn dev_tokens_nonce_mismatch(backend: Backend) {
    let s = setup(backend).await;
    s.check(Kind::Id, "nonce_mismatch", Found::Nonce).await;
}

async fn dev_tokens_at_hash_mismatch(backend: Backend) {
    let s = setup(backend).await;
    s.check(Kind::Id, "at_hash_mismatch", Found::AtHash).await;
}

async fn dev_tokens_refusals_change_nothing(backend: Backend) {
    let s = setup(backend).await;
    let before = (s.app.snapshot().await, s.app.store.list_keys().await.unwrap());
    let base = json!({"token": "access_token", "username": "ada", "client_id": "rp"});
    let with = |change: Value| {
        let mut body = base.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        ("an unknown defect", with(json!({"defect": "slightly_off"})), 400, "invalid_request"),
        ("missing_claim without a name", with(json!({"defect": "missing_claim:"})), 400, "invalid_request"),
        ("a claim the token lacks", with(json!({"defect": "missing_claim:nonce"})), 400, "invalid_request"),
        ("nonce_mismatch on an access token", with(json!({"defect": "nonce_mismatch"})), 400, "invalid_request"),
        ("at_hash_mismatch on an access token", with(json!({"defect": "at_hash_mismatch"})), 400, "invalid_request"),
        ("an unknown token", with(json!({"token": "refresh_token"})), 400, "invalid_request"),
        ("a registered claim", with(json!({"claims": {"sub": "admin"}})), 400, "invalid_request"),
        ("an unknown field", with(json!({"scope": "admin"})), 400, "invalid_request"),
        ("no username", json!({"token": "id_token", "client_id": "rp"}), 400, "invalid_request"),
        ("an unknown user", with(json!({"username": "nobody"})), 404, "not_found"),
        ("an unknown client", with(json!({"client_id": "nobody"})), 404, "not_found"),
    ];
    for (case, body, status, error) in cases {
        assert_refused(&s.app.dev("POST", "/tokens", Some(body)).await, status, error, case);
    }
    let malformed =
        s.app.http.post(s.app.url("/_dev/tokens")).header("content-type", "application/json").body("{\"token\":");
    assert_refused(&crate::common::answer(malformed.send().await.unwrap()).await, 400, "invalid_request", "bad JSON");
    assert_refused(
        &s.app.dev("POST", "/keys/rotate", Some(json!({"now": true}))).await,
        400,
        "invalid_request",
        "rotate",
    );
    assert_eq!((s.app.snapshot().await, s.app.store.list_keys().await.unwrap()), before, "nothing changed");
}

async fn dev_keys_rotate_normally(backend: Backend) {
    let s = setup(backend).await;
    let signing = jwt_header(&s.mint(Kind::Access, None).await.0)["kid"].clone();

    let (status, rotated) = s.app.dev("POST", "/keys/rotate", Some(json!({}))).await;

    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["kids"][0], signing, "the signing key keeps signing");
    let next = rotated["scheduled"][0]["kid"].clone();
    assert!(s.app.jwks_kids().await.contains(&next.as_str().unwrap().to_owned()), "the next key is published");
    assert_eq!(jwt_header(&s.mint(Kind::Id, None).await.0)["kid"], signing);
    // Once its time has come, the next key signs.
    let wait = rotated["scheduled"][0]["activates_at"].as_i64().unwrap() - s.app.state.clock.now();
    s.app.dev("POST", "/clock", Some(json!({"advance": wait.max(1)}))).await;
    let (token, access_token) = s.mint(Kind::Id, None).await;
    assert_eq!(jwt_header(&token)["kid"], next);
    assert!(access_token.is_some());
}

async fn dev_keys_rotate_immediately(backend: Backend) {
    let s = setup(backend).await;
    let before = s.app.jwks_kids().await;

    let (status, rotated) = s.app.dev("POST", "/keys/rotate", Some(json!({"immediately": true}))).await;
    let (token, access_token) = s.mint(Kind::Id, None).await;

    assert_eq!(status, 200, "{rotated}");
    let kid = jwt_header(&token)["kid"].as_str().unwrap().to_owned();
    let kids: Vec<String> = serde_json::from_value(rotated["kids"].clone()).unwrap();
    assert!(kids.contains(&kid), "{rotated}");
    assert!(kids.iter().all(|k| !before.contains(k)), "every algorithm signs with a new key: {rotated}");
    assert!(!before.contains(&kid), "the new key was in no JWKS fetched before");
    assert_eq!(s.verify(Kind::Id, &token, access_token.as_deref()).await.err(), None, "the JWKS fetched now has it");
    let after = s.app.jwks_kids().await;
    assert!(before.iter().all(|k| after.contains(k)), "every earlier key stays published: {before:?} {after:?}");
    assert_eq!(s.app.userinfo_status(access_token.as_deref().unwrap()).await, 200);
    // Again: yet another key, and the one before stays published.
    let (_, again) = s.app.dev("POST", "/keys/rotate", Some(json!({"immediately": true}))).await;
    let newer = again["kids"][0].as_str().unwrap().to_owned(); // RS256 first
    assert!(newer != kid && !after.contains(&newer));
    assert_eq!(jwt_header(&s.mint(Kind::Access, None).await.0)["kid"], newer.as_str());
    assert!(s.app.jwks_kids().await.contains(&kid));
}
