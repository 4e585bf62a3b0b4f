//! Consent under `gatehouse dev`: fixture logins act as the user and record it; a
//! browser's headless login still shows the page for a third-party client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::backend_tests;
use crate::common::{Backend, Browser, TestApp, auth_params, location, query};
use crate::consent::{redirect, stored, third_party};

backend_tests!(fixture_logins_record_the_consent, dev_auto_login_still_asks_third_party_consent,);

async fn fixture_logins_record_the_consent(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    let client = third_party(&app, "Corner Shop").await;
    let (_, alice) = app.dev("POST", "/users", Some(serde_json::json!({"username": "alice"}))).await;
    let alice = alice["sub"].as_str().unwrap().to_owned();
    let body = serde_json::json!({"username": "alice", "client_id": "shop", "redirect_uri": client.redirect_uri,
        "scope": "openid email", "code_challenge": crate::common::CHALLENGE, "code_challenge_method": "S256"});

    let (status, answer) = app.dev("POST", "/login", Some(body)).await;

    assert_eq!(status, 200, "{answer}");
    let tokens = app.redeem(&client, answer["code"].as_str().unwrap()).await;
    assert!(tokens["id_token"].is_string(), "{tokens}");
    assert_eq!(stored(&app, &alice, &client).await.as_deref(), Some("openid email"));
    // A browser of the same user is not asked for what the fixture consented to.
    let mut browser = Browser::default();
    let mut params = auth_params(&client, "openid email");
    params.push(("login_hint", "alice"));
    let back = redirect(&browser.authorize(&app, &params).await);
    assert!(query(&back, "code").is_some(), "{back}");
}

async fn dev_auto_login_still_asks_third_party_consent(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    let client = third_party(&app, "Corner Shop").await;
    let (status, _) = app.dev("POST", "/users", Some(serde_json::json!({"username": "alice"}))).await;
    assert_eq!(status, 201);
    let mut browser = Browser::default();
    let mut params = auth_params(&client, "openid email");
    params.push(("login_hint", "alice"));

    let to_consent = browser.authorize(&app, &params).await;

    assert_eq!(to_consent.status(), 303);
    assert!(location(&to_consent).starts_with("/consent?request="), "{}", location(&to_consent));
    assert!(browser.set_cookies.iter().any(|c| c.starts_with("gatehouse_session=")), "logged in");
    assert!(browser.set_cookies.iter().any(|c| c.starts_with("gatehouse_browser=")), "bound to this browser");
    let back = redirect(&browser.consent(&app, to_consent, "allow").await);
    let tokens = app.redeem(&client, &query(&back, "code").unwrap()).await;
    assert!(tokens["id_token"].is_string(), "{tokens}");
}
