//! Signing keys as relying parties meet them: verified by an RP library from the
//! served JWKS, kept across restarts, agreed on by instances starting together.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use gatehouse::clock::Clock;
use gatehouse::keys::Alg;
use openidconnect::core::{CoreClient, CoreIdToken, CoreProviderMetadata};
use openidconnect::{ClientId, IssuerUrl, Nonce};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::{Backend, Options, TestApp, TestDb};

backend_tests!(
    an_rp_library_verifies_what_gatehouse_signs,
    the_first_key_is_generated_once_and_survives_a_restart,
    instances_starting_together_agree_on_one_key,
    the_first_key_is_stored_once_under_concurrency,
    of_concurrent_automatic_rotations_one_rotates,
);

/// Signs an ID token with the server's own active key, as the token endpoint will.
async fn sign_id_token(app: &TestApp, claims: &Value) -> String {
    let keys = app.server_keys().await;
    keys.active(Alg::Rs256, app.clock.now()).unwrap().sign("JWT", claims).unwrap()
}

async fn an_rp_library_verifies_what_gatehouse_signs(backend: Backend) {
    let options = Options { issuer_path: "/realm".into(), ..Options::default() };
    let app = TestApp::spawn_with(backend, options).await;
    let now = app.clock.now();
    let claims = json!({
        "iss": app.issuer, "sub": "248289761001", "aud": ["rp"], "exp": now + 600, "iat": now,
        "nonce": "n-0S6_WzA2Mj",
    });
    let jwt = sign_id_token(&app, &claims).await;

    // The RP discovers the provider and fetches JWKS itself.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.issuer.clone()).unwrap(), &http)
        .await
        .expect("openidconnect accepts the discovery document and JWKS");
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new("rp".into()), None);
    let verifier = client.id_token_verifier();
    let token: CoreIdToken = jwt.parse().unwrap();
    let verified = token.claims(&verifier, &Nonce::new("n-0S6_WzA2Mj".into())).expect("the signature verifies");
    assert_eq!(verified.subject().as_str(), "248289761001");

    // A token for another audience, or signed by a key that is not published, is refused.
    let other_aud =
        sign_id_token(&app, &json!({"iss": app.issuer, "sub": "x", "aud": ["other"], "exp": now + 600, "iat": now}))
            .await;
    let token: CoreIdToken = other_aud.parse().unwrap();
    assert!(token.claims(&verifier, |_: Option<&Nonce>| Ok(())).is_err());
    let foreign = crate::common::foreign_keys(now);
    let forged = foreign.active(Alg::Rs256, now).unwrap().sign("JWT", &claims).unwrap();
    let token: CoreIdToken = forged.parse().unwrap();
    assert!(token.claims(&verifier, &Nonce::new("n-0S6_WzA2Mj".into())).is_err());
}

async fn the_first_key_is_generated_once_and_survives_a_restart(backend: Backend) {
    let no_fixture = || Options { fixture_key: false, ..Options::default() };
    let first = TestApp::spawn_with(backend, no_fixture()).await;
    let kids = first.jwks_kids().await;
    assert_eq!(kids.len(), 6, "a fresh store gets an active and a next key per algorithm");
    let (clock, db_url) = (first.clock.clone(), first.db_url.clone());
    let db = first.stop_keep_db().await;

    let second = TestApp::spawn_on(&db_url, clock, no_fixture()).await;

    assert_eq!(second.jwks_kids().await, kids, "the keys are loaded, not regenerated");
    assert_eq!(second.store.list_keys().await.unwrap().len(), 6);
    drop(second);
    drop(db);
}

async fn instances_starting_together_agree_on_one_key(backend: Backend) {
    let db = TestDb::new(backend).await;
    let config = || gatehouse::config::Config::from_toml(&format!("database_url = \"{}\"", db.url)).unwrap();
    let clock = Arc::new(gatehouse::clock::TestClock::starting_now());
    let (a, b) = (gatehouse::store::open(&db.url).await.unwrap(), gatehouse::store::open(&db.url).await.unwrap());

    let (one, two) = tokio::join!(
        gatehouse::start(config(), a.clone(), clock.clone()),
        gatehouse::start(config(), b.clone(), clock.clone()),
    );

    let now = clock.now();
    let (one, two) = (one.unwrap().keys.current(), two.unwrap().keys.current());
    for alg in Alg::ALL {
        assert_eq!(one.active(alg, now).unwrap().kid(), two.active(alg, now).unwrap().kid(), "{alg}");
    }
    assert_eq!(a.list_keys().await.unwrap().len(), 6, "an active and a next key per algorithm");
    a.close().await;
    b.close().await;
}

async fn the_first_key_is_stored_once_under_concurrency(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = gatehouse::store::open(&db.url).await.unwrap();
    let base = crate::common::fixture_keys(1_000);

    // Twenty instances try to store their own first keys at the same moment.
    let attempts = (0..20).map(|i| {
        let store = store.clone();
        let mut rows = base.clone();
        rows[0].kid = format!("kid-{i}-active");
        rows[1].kid = format!("kid-{i}-next");
        tokio::spawn(async move { store.insert_first_keys("RS256", &rows).await.unwrap() })
    });
    let stored = futures_count(attempts).await;

    assert_eq!(stored, 1, "exactly one set of first keys wins");
    assert_eq!(store.list_keys().await.unwrap().len(), 2);
    store.close().await;
}

async fn futures_count(tasks: impl Iterator<Item = tokio::task::JoinHandle<bool>>) -> usize {
    let mut wins = 0;
    for task in tasks.collect::<Vec<_>>() {
        wins += usize::from(task.await.unwrap());
    }
    wins
}

async fn of_concurrent_automatic_rotations_one_rotates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let timing = app.state.config.key_timing();
    let before = app.store.list_keys().await.unwrap().len();
    app.clock.advance(std::time::Duration::from_secs(86_400));
    let now = app.clock.now();

    // Twenty instances find the RS256 key a day old at the same moment.
    let attempts = (0..20).map(|_| {
        let store = app.store.clone();
        tokio::spawn(async move {
            gatehouse::keys::rotate(store.as_ref(), Alg::Rs256, None, timing, now, Some(now - 86_400)).await.unwrap()
        })
    });
    let mut rotations = Vec::new();
    for attempt in attempts.collect::<Vec<_>>() {
        rotations.extend(attempt.await.unwrap());
    }

    assert_eq!(rotations.len(), 1, "{rotations:?}");
    assert_eq!(app.store.list_keys().await.unwrap().len(), before + 1, "one new next key");
}
