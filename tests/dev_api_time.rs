//! The control API of `gatehouse dev` (`/_dev/`): the clock that expiry follows,
//! revoking everything of a user, and `serve`, which has no such API at all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gatehouse::clock::Clock;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::{Backend, TestApp, assert_refused};

backend_tests!(
    dev_api_clock_moves_forward_and_expiry_follows,
    dev_api_clock_refuses_bad_advances,
    dev_api_revoke_ends_every_grant_of_the_user,
    serve_has_no_dev_api,
);

async fn now(app: &TestApp) -> i64 {
    let (status, body) = app.dev("GET", "/clock", None).await;
    assert_eq!(status, 200, "{body}");
    body["now"].as_i64().unwrap()
}

async fn dev_api_clock_moves_forward_and_expiry_follows(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    let client = app.dev_client("rp").await;
    app.dev("POST", "/users", Some(json!({"username": "alice"}))).await;
    let start = now(&app).await;
    assert_eq!(start, app.clock.now(), "no offset yet");
    let tokens = app.redeem(&client, &app.headless_code(&client, "alice", "openid").await).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.userinfo_status(access_token).await, 200);
    let code = app.headless_code(&client, "alice", "openid").await;

    // A code lives 60 seconds.
    let (status, moved) = app.dev("POST", "/clock", Some(json!({"advance": "61s"}))).await;
    assert_eq!((status, moved["now"].as_i64(), moved["offset"].as_i64()), (200, Some(start + 61), Some(61)));
    let late = app.token(&client, &redeem_form(&client.redirect_uri, &code)).await;
    assert_eq!(late.status(), 400);
    assert_eq!(late.json::<Value>().await.unwrap()["error"], "invalid_grant", "the code is too old");

    // An access token lives an hour.
    let (_, moved) = app.dev("POST", "/clock", Some(json!({"advance": "2h"}))).await;
    assert_eq!(moved["now"].as_i64(), Some(start + 61 + 7_200));
    assert_eq!(app.userinfo_status(access_token).await, 401, "the access token has expired");
    let (_, moved) = app.dev("POST", "/clock", Some(json!({"advance": 90}))).await;
    assert_eq!(moved["now"].as_i64(), Some(start + 61 + 7_200 + 90));
    assert_eq!(now(&app).await, start + 7_351);

    // What is issued now is stamped with the moved clock, and so is good.
    let fresh = app.redeem(&client, &app.headless_code(&client, "alice", "openid").await).await;
    let claims = crate::common::jwt_claims(fresh["id_token"].as_str().unwrap());
    assert_eq!(claims["iat"].as_i64(), Some(start + 7_351));
    assert_eq!(app.userinfo_status(fresh["access_token"].as_str().unwrap()).await, 200);
    let (_, moved) = app.dev("POST", "/clock", Some(json!({"advance": "1d"}))).await;
    assert_eq!(moved["now"].as_i64(), Some(start + 7_351 + 86_400));
    assert_eq!(app.get("/healthz").await.status(), 200, "the keys are reloaded as of the new time");
}

fn redeem_form<'a>(redirect_uri: &'a str, code: &'a str) -> [(&'a str, &'a str); 4] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", crate::common::VERIFIER),
    ]
}

async fn dev_api_clock_refuses_bad_advances(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    let start = now(&app).await;
    for (case, body) in [
        ("zero", json!({"advance": 0})),
        ("zero with a unit", json!({"advance": "0m"})),
        ("negative", json!({"advance": -60})),
        ("negative with a unit", json!({"advance": "-1h"})),
        ("a fraction", json!({"advance": 1.5})),
        ("an unknown unit", json!({"advance": "2w"})),
        ("no unit", json!({"advance": "90"})),
        ("no number", json!({"advance": "h"})),
        ("too far", json!({"advance": "99999999d"})),
        ("null", json!({"advance": null})),
        ("no advance", json!({})),
        ("an unknown field", json!({"advance": "1h", "to": 0})),
        ("not an object", json!("1h")),
    ] {
        assert_refused(&app.dev("POST", "/clock", Some(body)).await, 400, "invalid_request", case);
    }
    let text = app.http.post(app.url("/_dev/clock")).header("content-type", "text/plain").body(r#"{"advance": 60}"#);
    let text = crate::common::answer(text.send().await.unwrap()).await;
    assert_refused(&text, 415, "unsupported_media_type", "text/plain");
    assert_refused(&app.dev("DELETE", "/clock", None).await, 405, "invalid_request", "another method");
    assert_refused(&app.dev("GET", "/time", None).await, 404, "not_found", "no such call");
    let rebound = app.dev_request("GET", "/clock", None).header("host", "attacker.example:80");
    assert_refused(&crate::common::answer(rebound.send().await.unwrap()).await, 403, "invalid_host", "DNS rebinding");
    assert_eq!(now(&app).await, start, "the clock did not move");
}

async fn dev_api_revoke_ends_every_grant_of_the_user(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    let client = app.dev_client("rp").await;
    app.dev("POST", "/users", Some(json!({"username": "alice"}))).await;
    app.dev("POST", "/users", Some(json!({"username": "bob"}))).await;
    let first = app.redeem(&client, &app.headless_code(&client, "alice", "openid offline_access").await).await;
    let second = app.redeem(&client, &app.headless_code(&client, "alice", "openid offline_access").await).await;
    let bobs = app.redeem(&client, &app.headless_code(&client, "bob", "openid offline_access").await).await;
    let pending = app.headless_code(&client, "alice", "openid").await;
    let refreshed = app.refresh(&client, first["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(refreshed.status(), 200, "refresh works before");
    let first: Value = refreshed.json().await.unwrap();

    let alice = app.store.find_user_by_username("alice").await.unwrap().unwrap().id;
    let sessions = || app.store.list_user_sessions(&alice, app.clock.now());
    assert!(!sessions().await.unwrap().is_empty(), "the headless logins left sessions");

    let (status, body) = app.dev("POST", "/users/alice/revoke", None).await;

    assert_eq!((status, body), (204, Value::Null));
    assert!(sessions().await.unwrap().is_empty(), "alice is logged out everywhere");
    for (case, tokens) in [("the refreshed family", &first), ("another login", &second)] {
        let refused = app.refresh(&client, tokens["refresh_token"].as_str().unwrap(), None).await;
        assert_eq!(refused.status(), 400, "{case}");
        assert_eq!(refused.json::<Value>().await.unwrap()["error"], "invalid_grant", "{case}");
        assert_eq!(app.userinfo_status(tokens["access_token"].as_str().unwrap()).await, 401, "{case}");
    }
    let late = app.token(&client, &redeem_form(&client.redirect_uri, &pending)).await;
    assert_eq!(late.status(), 400, "a code issued before is refused");
    assert_eq!(app.refresh(&client, bobs["refresh_token"].as_str().unwrap(), None).await.status(), 200, "bob's stays");
    // Logging in again works: the RP's "refresh failed, log in again" path.
    let again = app.redeem(&client, &app.headless_code(&client, "alice", "openid offline_access").await).await;
    assert_eq!(app.refresh(&client, again["refresh_token"].as_str().unwrap(), None).await.status(), 200);

    let before = app.snapshot().await;
    assert_refused(&app.dev("POST", "/users/nobody/revoke", None).await, 404, "not_found", "no such user");
    let form = app.dev_request("POST", "/users/alice/revoke", None).header("content-type", "text/plain").body("x");
    assert_refused(&crate::common::answer(form.send().await.unwrap()).await, 415, "unsupported_media_type", "text");
    assert_eq!(app.snapshot().await, before);
}

/// Every control call, as `(method, path, body)`.
fn every_call() -> Vec<(&'static str, &'static str, Option<Value>)> {
    vec![
        ("POST", "/users", Some(json!({"username": "mallory"}))),
        ("PUT", "/users/alice", Some(json!({"password": "x"}))),
        ("DELETE", "/users/alice", None),
        ("POST", "/users/alice/revoke", None),
        ("POST", "/clients", Some(json!({"client_id": "evil", "redirect_uris": ["https://evil.example/cb"]}))),
        ("DELETE", "/clients/rp", None),
        ("GET", "/clock", None),
        ("POST", "/clock", Some(json!({"advance": "1d"}))),
        ("POST", "/tokens", Some(json!({"token": "id_token", "username": "alice", "client_id": "rp"}))),
        ("POST", "/keys/rotate", Some(json!({"immediately": true}))),
        ("GET", "/", None),
        ("GET", "/users", None),
    ]
}

async fn serve_has_no_dev_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.client().await;
    app.alice().await;
    let before = app.snapshot().await;
    let start = app.clock.now();
    let unknown = app.get("/no-such-path").await;
    let (unknown_status, unknown_body) = (unknown.status(), unknown.bytes().await.unwrap());
    assert_eq!(unknown_status, 404);

    for (method, path, body) in every_call() {
        let response = app.dev_request(method, path, body.as_ref()).send().await.unwrap();
        assert_eq!(response.status(), unknown_status, "{method} /_dev{path}");
        assert_eq!(response.bytes().await.unwrap(), unknown_body, "{method} /_dev{path}: as any unknown path");
    }
    assert_eq!(app.snapshot().await, before, "nothing changed");
    assert_eq!(app.clock.now(), start);
    let code = app.state.clock.now();
    assert_eq!(code, start, "serve's clock is the one it was given, with no offset");
}
