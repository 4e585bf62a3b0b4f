//! `POST /_dev/login` of `gatehouse dev`'s control API: a code that redeems at
//! `/token` as a browser's would, the tokens at once, and the authorization
//! endpoint's refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::{Backend, CHALLENGE, TestApp, TestClient, assert_refused, jwt_claims};

backend_tests!(
    dev_api_login_gives_a_code_that_redeems_with_pkce,
    dev_api_login_with_tokens_redeems_the_code_itself,
    dev_api_login_refuses_what_the_authorization_endpoint_refuses,
);

fn login(client: &TestClient, username: &str) -> Value {
    json!({"username": username, "client_id": client.id, "redirect_uri": client.redirect_uri, "scope": "openid email"})
}

async fn dev_api_login_gives_a_code_that_redeems_with_pkce(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    let client = app.dev_client("rp").await;
    let (_, alice) = app.dev("POST", "/users", Some(json!({"username": "alice"}))).await;
    let mut body = login(&client, "alice");
    for (name, value) in
        [("state", "st-1"), ("nonce", "n-1"), ("code_challenge", CHALLENGE), ("code_challenge_method", "S256")]
    {
        body[name] = value.into();
    }

    let (status, answer) = app.dev("POST", "/login", Some(body)).await;

    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["state"], "st-1");
    let code = answer["code"].as_str().unwrap();
    let redirect = url::Url::parse(answer["redirect"].as_str().unwrap()).unwrap();
    assert_eq!(crate::common::query(&redirect, "code").as_deref(), Some(code));
    assert_eq!(crate::common::query(&redirect, "iss").as_deref(), Some(app.issuer.as_str()));
    let tokens = app.redeem(&client, code).await;
    let claims = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!((&claims["sub"], &claims["nonce"]), (&alice["sub"], &json!("n-1")));
    // Without state, the answer says so.
    let mut again = login(&client, "alice");
    again["code_challenge"] = CHALLENGE.into();
    again["code_challenge_method"] = "S256".into();
    let (status, answer) = app.dev("POST", "/login", Some(again)).await;
    assert_eq!((status, &answer["state"]), (200, &Value::Null), "{answer}");
}

async fn dev_api_login_with_tokens_redeems_the_code_itself(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    let confidential = app.dev_client("rp").await;
    let spa = json!({"client_id": "spa", "public": true, "redirect_uris": ["https://spa.example/cb"]});
    assert_eq!(app.dev("POST", "/clients", Some(spa)).await.0, 201);
    let spa = TestClient { id: "spa".into(), secret: None, redirect_uri: "https://spa.example/cb".into() };
    let body = json!({"username": "bob", "claims": {"email": "bob@example.com"}});
    let (_, bob) = app.dev("POST", "/users", Some(body)).await;

    for client in [&confidential, &spa] {
        let mut body = login(client, "bob");
        body["tokens"] = true.into();
        body["nonce"] = "n-2".into();
        body["scope"] = "openid email offline_access".into();
        let (status, tokens) = app.dev("POST", "/login", Some(body)).await;

        assert_eq!(status, 200, "{}: {tokens}", client.id);
        assert_eq!(tokens["token_type"], "Bearer");
        let claims = jwt_claims(tokens["id_token"].as_str().unwrap());
        assert_eq!((&claims["sub"], &claims["nonce"], &claims["aud"]), (&bob["sub"], &json!("n-2"), &json!(client.id)));
        let userinfo: Value = app.userinfo(tokens["access_token"].as_str().unwrap()).await.json().await.unwrap();
        assert_eq!(userinfo["email"], "bob@example.com");
        let refreshed = app.refresh(client, tokens["refresh_token"].as_str().unwrap(), None).await;
        assert_eq!(refreshed.status(), 200, "{}: the refresh token works", client.id);
    }
}

async fn dev_api_login_refuses_what_the_authorization_endpoint_refuses(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    let client = app.dev_client("rp").await;
    let spa = json!({"client_id": "spa", "public": true, "redirect_uris": ["https://spa.example/cb"]});
    assert_eq!(app.dev("POST", "/clients", Some(spa)).await.0, 201);
    let spa = TestClient { id: "spa".into(), secret: None, redirect_uri: "https://spa.example/cb".into() };
    app.dev("POST", "/users", Some(json!({"username": "carol"}))).await;
    let before = app.snapshot().await;
    let with = |client: &TestClient, changes: &[(&str, Value)]| {
        let mut body = login(client, "carol");
        for (name, value) in changes {
            body[*name] = value.clone();
        }
        body
    };
    let pkce = [("code_challenge", json!(CHALLENGE)), ("code_challenge_method", json!("S256"))];
    let cases = [
        ("an unknown user", with(&client, &[("username", json!("nobody"))]), 404, "not_found"),
        ("an unknown client", with(&client, &[("client_id", json!("nobody"))]), 404, "not_found"),
        (
            "a redirect URI not registered",
            with(&client, &[("redirect_uri", json!("https://evil.example/cb")), pkce[0].clone(), pkce[1].clone()]),
            400,
            "invalid_request",
        ),
        (
            "an unknown scope",
            with(&client, &[("scope", json!("bogus")), pkce[0].clone(), pkce[1].clone()]),
            400,
            "invalid_scope",
        ),
        ("no PKCE for a public client", with(&spa, &[]), 400, "invalid_request"),
        ("no PKCE for a client that requires it", with(&client, &[]), 400, "invalid_request"),
        (
            "plain PKCE",
            with(&spa, &[pkce[0].clone(), ("code_challenge_method", json!("plain"))]),
            400,
            "invalid_request",
        ),
        (
            "a challenge with tokens",
            with(&spa, &[pkce[0].clone(), pkce[1].clone(), ("tokens", json!(true))]),
            400,
            "invalid_request",
        ),
        ("an unknown field", with(&client, &[("prompt", json!("login"))]), 400, "invalid_request"),
        ("no scope", with(&client, &[("scope", Value::Null)]), 400, "invalid_request"),
    ];
    for (case, body, status, error) in cases {
        let answer = app.dev("POST", "/login", Some(body)).await;
        assert_refused(&answer, status, error, case);
        assert_eq!(app.snapshot().await, before, "{case}: nothing changed");
    }
    let (status, answer) =
        app.dev("POST", "/login", Some(with(&client, &[("redirect_uri", json!("https://evil.example/cb"))]))).await;
    assert!(answer["error_description"].as_str().unwrap().contains("redirect_uri"), "{status} {answer}");
}
