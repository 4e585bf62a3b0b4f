//! Key rotation as relying parties that cache JWKS see it: a key is published at
//! least one JWKS max-age before it signs, and stays published until every token it
//! signed has expired; per-client algorithms; keys encrypted at rest.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use gatehouse::clock::Clock;
use gatehouse::keys::Alg;
use openidconnect::core::{CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet};
use openidconnect::{ClientId, ClientSecret, IssuerUrl, Nonce};
use serde_json::Value;

use crate::backend_tests;
use crate::common::{
    Backend, Browser, ClientSpec, Options, TestApp, TestClient, auth_params, jwt_header, location, query,
};

backend_tests!(
    a_caching_rp_never_meets_an_unknown_kid,
    two_quick_rotations_never_sign_with_an_unpublished_key,
    automatic_rotation_follows_the_clock,
    clients_may_ask_for_es256_or_eddsa_id_tokens,
    private_keys_are_sealed_under_the_key_encryption_key,
    rotating_under_load_never_fails_a_caching_rp,
);

const MAX_AGE: i64 = 60;

fn short_cache() -> Options {
    Options { extra_config: format!("[keys]\njwks_max_age = \"{MAX_AGE}s\"\n"), ..Options::default() }
}

/// Logs in (or reuses the browser's session) and redeems a code: a fresh token response.
async fn issue(app: &TestApp, browser: &mut Browser, client: &TestClient) -> Value {
    let params = auth_params(client, "openid");
    let response = browser.authorize(app, &params).await;
    let back = if location(&response).starts_with(&client.redirect_uri) {
        url::Url::parse(&location(&response)).unwrap()
    } else {
        let done = browser.log_in(app, response, "alice", "wonderland").await;
        url::Url::parse(&location(&done)).unwrap()
    };
    app.redeem(client, &query(&back, "code").unwrap()).await
}

fn id_token(tokens: &Value) -> String {
    tokens["id_token"].as_str().unwrap().to_owned()
}

async fn jwks_at(app: &TestApp, t: i64) -> CoreJsonWebKeySet {
    app.clock.set(t);
    app.maintain().await;
    serde_json::from_value(app.jwks().await).unwrap()
}

/// Verifies an ID token as an RP holding `jwks` would, at the test clock's time.
fn verify(app: &TestApp, client: &TestClient, jwks: &CoreJsonWebKeySet, token: &str) -> Result<(), String> {
    let clock = app.clock.clone();
    let verifier = CoreIdTokenVerifier::new_confidential_client(
        ClientId::new(client.id.clone()),
        ClientSecret::new(client.secret.clone().unwrap()),
        IssuerUrl::new(app.issuer.clone()).unwrap(),
        jwks.clone(),
    )
    .set_time_fn(move || chrono::DateTime::from_timestamp(clock.now(), 0).unwrap())
    .set_other_audience_verifier_fn(|_| true);
    let token: CoreIdToken = token.parse().unwrap();
    token.claims(&verifier, |_: Option<&Nonce>| Ok(())).map(|_| ()).map_err(|e| e.to_string())
}

async fn a_caching_rp_never_meets_an_unknown_kid(backend: Backend) {
    let app = TestApp::spawn_with(backend, short_cache()).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();
    let t0 = app.clock.now();
    let cached = jwks_at(&app, t0).await;
    let before = id_token(&issue(&app, &mut browser, &client).await);
    let old_kid = jwt_header(&before)["kid"].as_str().unwrap().to_owned();

    let rotation = app.rotate(Alg::Rs256).await.unwrap();

    assert!(rotation.activates_at >= t0 + MAX_AGE, "published at least one max-age before signing");
    assert_ne!(rotation.kid, old_kid);
    // Until the activation, tokens keep the old kid and verify against the old cache.
    app.clock.set(rotation.activates_at - 1);
    let late = id_token(&issue(&app, &mut browser, &client).await);
    assert_eq!(jwt_header(&late)["kid"], old_kid.as_str());
    verify(&app, &client, &cached, &late).unwrap();
    // An RP whose cache is as old as the max-age allows already has the new key.
    let oldest_allowed = jwks_at(&app, rotation.activates_at - MAX_AGE).await;
    app.clock.set(rotation.activates_at);
    let after = id_token(&issue(&app, &mut browser, &client).await);
    assert_eq!(jwt_header(&after)["kid"], rotation.kid.as_str(), "the new key signs from its activation");
    verify(&app, &client, &oldest_allowed, &after).unwrap();
    // Tokens signed before the rotation still verify against the JWKS served after it,
    // until they have expired; then the retired key is no longer published.
    let served = jwks_at(&app, rotation.activates_at + 1).await;
    app.clock.set(rotation.activates_at + 1);
    verify(&app, &client, &served, &late).unwrap();
    let lifetime = app.state.config.key_timing().retention();
    app.clock.set(rotation.activates_at + lifetime - 1);
    assert!(app.jwks_kids().await.contains(&old_kid));
    app.clock.set(rotation.activates_at + lifetime);
    assert!(!app.jwks_kids().await.contains(&old_kid), "removed once its last token expired");
}

/// The invariants on a grid of moments: whatever key signs at `t` was in the JWKS
/// served at every moment since `t - max-age`, and stays in it while tokens it signed
/// at `t` live.
async fn assert_publish_before_use_and_retire_after_use(app: &TestApp, from: i64, to: i64, step: i64) {
    let mut published = Vec::new();
    let mut signing = Vec::new();
    for t in (from..=to).step_by(step as usize) {
        app.clock.set(t);
        let kids: BTreeSet<String> = app.jwks_kids().await.into_iter().collect();
        published.push((t, kids));
        signing.push((t, app.state.keys.current().active(Alg::Rs256, t).unwrap().kid().to_owned()));
    }
    for (t, kid) in &signing {
        for (seen, kids) in &published {
            let cached_now = *seen <= *t && *seen > t - MAX_AGE;
            let token_alive = *seen >= *t && *seen < t + app.state.config.key_timing().retention();
            if cached_now || token_alive {
                assert!(kids.contains(kid), "{kid} signs at {t} but is not in the JWKS served at {seen}");
            }
        }
    }
}

async fn two_quick_rotations_never_sign_with_an_unpublished_key(backend: Backend) {
    let app = TestApp::spawn_with(backend, short_cache()).await;
    let t0 = app.clock.now();

    let first = app.rotate(Alg::Rs256).await.unwrap();
    app.clock.advance(Duration::from_secs(1));
    let second = app.rotate(Alg::Rs256).await.unwrap();

    assert!(second.activates_at > first.activates_at);
    assert!(second.activates_at >= t0 + 1 + MAX_AGE);
    let end = second.activates_at + app.state.config.key_timing().retention() + 120;
    assert_publish_before_use_and_retire_after_use(&app, t0, end, 15).await;
}

async fn automatic_rotation_follows_the_clock(backend: Backend) {
    let mut options = short_cache();
    options.extra_config.push_str("rotate_every = \"1d\"\nalgorithms = [\"RS256\"]\n");
    let app = TestApp::spawn_with(backend, options).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();
    let first_kid = jwt_header(&id_token(&issue(&app, &mut browser, &client).await))["kid"].clone();

    // Not due yet: nothing changes.
    app.clock.advance(Duration::from_secs(23 * 3600));
    app.maintain().await;
    assert!(!app.state.keys.current().has_scheduled(Alg::Rs256, app.clock.now()));

    // A day after activation it rotates: the next key has been published for a day,
    // so it signs as soon as every instance can have learned of the rotation.
    app.clock.advance(Duration::from_secs(3600));
    app.maintain().await;
    app.maintain().await; // this instance does not rotate twice
    assert_eq!(app.store.list_keys().await.unwrap().len(), 3, "active, scheduled, and a new next key");
    let now = app.clock.now();
    assert!(app.state.keys.current().has_scheduled(Alg::Rs256, now));
    assert_eq!(jwt_header(&id_token(&issue(&app, &mut browser, &client).await))["kid"], first_kid);
    let lead = app.state.config.key_timing().propagation();
    app.clock.advance(Duration::from_secs(lead.unsigned_abs()));
    app.maintain().await;
    let second_kid = jwt_header(&id_token(&issue(&app, &mut browser, &client).await))["kid"].clone();
    assert_ne!(first_kid, second_kid);

    // Each next key is published a whole interval before it signs.
    let keys = app.state.keys.current();
    let active = keys.active(Alg::Rs256, app.clock.now()).unwrap();
    assert!(active.activates_at().unwrap() - active.published_at() >= 24 * 3600);
}

async fn clients_may_ask_for_es256_or_eddsa_id_tokens(backend: Backend) {
    use openidconnect::core::{CoreClient, CoreProviderMetadata};
    use openidconnect::{AccessTokenHash, OAuth2TokenResponse, TokenResponse};
    let app = TestApp::spawn(backend).await;
    app.alice().await;
    for (id, alg) in [("es", "ES256"), ("ed", "EdDSA"), ("rs", "RS256")] {
        let client = app.add_client(ClientSpec { id, ..Default::default() }).await;
        let mut row = app.store.find_client(id).await.unwrap().unwrap();
        row.id_token_signed_response_alg = Some(alg.into());
        app.store.delete_client(id).await.unwrap();
        app.store.insert_client(&row).await.unwrap();
        let tokens = issue(&app, &mut Browser::default(), &client).await;
        let raw = id_token(&tokens);
        assert_eq!(jwt_header(&raw)["alg"], alg);
        assert_eq!(jwt_header(tokens["access_token"].as_str().unwrap())["alg"], "RS256");

        // The RP library verifies the signature and at_hash with the algorithm's hash.
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let metadata =
            CoreProviderMetadata::discover_async(IssuerUrl::new(app.issuer.clone()).unwrap(), &http).await.unwrap();
        let rp = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(client.id.clone()),
            client.secret.clone().map(ClientSecret::new),
        );
        let alg_name: openidconnect::core::CoreJwsSigningAlgorithm =
            serde_json::from_value(Value::String(alg.into())).unwrap();
        let verifier = rp.id_token_verifier().set_allowed_algs(vec![alg_name]);
        let parsed: CoreIdToken = raw.parse().unwrap();
        let claims = parsed.claims(&verifier, |_: Option<&Nonce>| Ok(())).unwrap_or_else(|e| panic!("{alg}: {e}"));
        let response: openidconnect::core::CoreTokenResponse = serde_json::from_value(tokens.clone()).unwrap();
        let expected = AccessTokenHash::from_token(
            response.access_token(),
            parsed.signing_alg().unwrap(),
            parsed.signing_key(&verifier).unwrap(),
        )
        .unwrap();
        assert_eq!(claims.access_token_hash(), Some(&expected), "{alg}");
        assert!(response.id_token().is_some());
    }
}

async fn private_keys_are_sealed_under_the_key_encryption_key(backend: Backend) {
    use base64::Engine;
    let kek = base64::engine::general_purpose::STANDARD.encode([42u8; 32]);
    let wrong = base64::engine::general_purpose::STANDARD.encode([43u8; 32]);
    let with_kek = |key: &str| Options {
        extra_config: format!("[keys]\nencryption_key = \"{key}\"\nalgorithms = [\"RS256\", \"ES256\"]\n"),
        ..Options::default()
    };
    let app = TestApp::spawn_with(backend, with_kek(&kek)).await;
    let rows = app.store.list_keys().await.unwrap();
    let sealed: Vec<_> = rows.iter().filter(|r| r.alg == "ES256").collect();
    assert_eq!(sealed.len(), 2);
    for row in &sealed {
        assert!(row.kek_id.is_some(), "sealed under the key-encryption key");
        let plain = gatehouse::keys::key_row(Alg::Es256, row.private_der.clone(), 0, None);
        assert!(plain.is_err(), "the stored bytes are not a usable key");
    }
    let kids: Vec<String> = rows.iter().map(|r| r.kid.clone()).collect();
    let (clock, db_url) = (app.clock.clone(), app.db_url.clone());
    let db = app.stop_keep_db().await;

    // A wrong or missing key-encryption key stops the start, and creates no keys.
    for (config, message) in [
        (
            format!("[keys]\nencryption_key = \"{wrong}\"\nalgorithms = [\"RS256\", \"ES256\"]\n"),
            "different key-encryption key",
        ),
        ("[keys]\nalgorithms = [\"RS256\", \"ES256\"]\n".to_owned(), "no key-encryption key is configured"),
    ] {
        let config = gatehouse::config::Config::from_toml(&format!("database_url = \"{db_url}\"\n{config}")).unwrap();
        let store = gatehouse::store::open(&db_url).await.unwrap();
        let Err(err) = gatehouse::start(config, store.clone(), std::sync::Arc::new(clock.clone())).await else {
            panic!("started with the wrong key-encryption key");
        };
        assert!(err.to_string().contains(message), "{err}");
        let after: Vec<String> = store.list_keys().await.unwrap().into_iter().map(|r| r.kid).collect();
        assert_eq!(after, kids, "no key was created or changed");
        store.close().await;
    }

    // Adding an algorithm with the wrong key stops before the new keys are made.
    let config = gatehouse::config::Config::from_toml(&format!(
        "database_url = \"{db_url}\"\n[keys]\nencryption_key = \"{wrong}\"\nalgorithms = [\"RS256\", \"ES256\", \"EdDSA\"]\n"
    ))
    .unwrap();
    let store = gatehouse::store::open(&db_url).await.unwrap();
    assert!(gatehouse::start(config, store.clone(), std::sync::Arc::new(clock.clone())).await.is_err());
    assert!(store.list_keys().await.unwrap().iter().all(|r| r.alg != "EdDSA"), "no EdDSA key was made");
    store.close().await;

    // The right one opens them, and ES256 tokens are signed with the same keys.
    let again = TestApp::spawn_on(&db_url, clock, Options { fixture_key: false, ..with_kek(&kek) }).await;
    let loaded = again.state.keys.current();
    assert!(sealed.iter().any(|row| loaded.active(Alg::Es256, again.clock.now()).unwrap().kid() == row.kid));
    drop(again);
    drop(db);
}

/// Tokens are requested concurrently while time passes and the key is rotated again
/// and again; an RP that refetches JWKS only when its copy is `max-age` old verifies
/// every single one.
async fn rotating_under_load_never_fails_a_caching_rp(backend: Backend) {
    let mut options = short_cache();
    options.extra_config.push_str("algorithms = [\"RS256\"]\n");
    let app = TestApp::spawn_with(backend, options).await;
    let service =
        app.add_client(ClientSpec { id: "svc", grant_types: vec!["client_credentials"], ..Default::default() }).await;
    let mut cache: Option<(i64, Value)> = None;
    let mut kids_seen = BTreeSet::new();
    let mut verified = 0;

    for step in 0..48 {
        if step % 6 == 5 {
            app.rotate(Alg::Rs256).await;
        }
        let now = app.clock.now();
        let requests = (0..8).map(|_| {
            let request = app.request_as("/token", &service, &[("grant_type", "client_credentials")]);
            tokio::spawn(async move { request.send().await.unwrap().json::<Value>().await.unwrap() })
        });
        let mut tokens = Vec::new();
        for request in requests.collect::<Vec<_>>() {
            tokens.push(request.await.unwrap()["access_token"].as_str().unwrap().to_owned());
        }
        // The RP: refetch only when its copy has reached max-age.
        if cache.as_ref().is_none_or(|(fetched, _)| now >= fetched + MAX_AGE) {
            cache = Some((now, app.jwks().await));
        }
        let (fetched, jwks) = cache.as_ref().unwrap();
        for token in tokens {
            let kid = jwt_header(&token)["kid"].as_str().unwrap().to_owned();
            let jwk = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str());
            let jwk = jwk.unwrap_or_else(|| panic!("at {now}, {kid} is not in the JWKS fetched at {fetched}"));
            let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).unwrap();
            let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
            validation.validate_exp = false;
            validation.validate_aud = false;
            jsonwebtoken::decode::<Value>(&token, &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(), &validation)
                .unwrap();
            kids_seen.insert(kid);
            verified += 1;
        }
        app.clock.advance(Duration::from_secs(17));
        app.maintain().await;
    }

    assert_eq!(verified, 48 * 8);
    assert!(kids_seen.len() >= 5, "the load crossed several rotations: {kids_seen:?}");
}
