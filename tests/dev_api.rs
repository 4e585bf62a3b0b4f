//! The control API of `gatehouse dev` (`/_dev/`), users and clients: each call, its
//! answers and its refusals, after which the store is as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::{Backend, TestApp, TestClient, assert_refused, jwt_claims};

backend_tests!(
    dev_api_creates_users_who_log_in,
    dev_api_refuses_bad_user_requests_and_changes_nothing,
    dev_api_put_creates_or_replaces_a_user,
    dev_api_deletes_users,
    dev_api_registers_clients,
    dev_api_refuses_bad_client_requests_and_changes_nothing,
    dev_api_deletes_clients,
);

async fn dev_api_creates_users_who_log_in(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    let client = app.dev_client("rp").await;

    let body = json!({"username": "carol", "claims": {"email": "carol@example.com", "groups": ["admins"]}});
    let (status, carol) = app.dev("POST", "/users", Some(body)).await;
    let (dave_status, dave) = app.dev("POST", "/users", Some(json!({"username": "dave", "password": "pw-1"}))).await;

    assert_eq!(status, 201, "{carol}");
    assert_eq!(carol["username"], "carol");
    let sub = carol["sub"].as_str().unwrap();
    let stored = app.store.find_user_by_username("carol").await.unwrap().unwrap();
    assert_eq!((stored.id.as_str(), &Value::Object(stored.claims.clone())), (sub, &body_claims()));
    // Without a password, one nobody knows: the user logs in with login_hint only.
    assert!(!gatehouse::password::verify(String::new(), Some(stored.password_hash)).await);
    let code = app.headless_code(&client, "carol", "openid email").await;
    let tokens = app.redeem(&client, &code).await;
    assert_eq!(jwt_claims(tokens["id_token"].as_str().unwrap())["sub"], sub);
    let userinfo: Value = app.userinfo(tokens["access_token"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(userinfo["email"], "carol@example.com");
    // With a password, that one.
    assert_eq!(dave_status, 201, "{dave}");
    let dave = app.store.find_user_by_username("dave").await.unwrap().unwrap();
    assert!(gatehouse::password::verify("pw-1".into(), Some(dave.password_hash)).await);

    let before = app.snapshot().await;
    for name in ["carol", "CAROL"] {
        let again = app.dev("POST", "/users", Some(json!({"username": name, "password": "other"}))).await;
        assert_refused(&again, 409, "conflict", name);
    }
    assert_eq!(app.snapshot().await, before, "a conflict changes nothing");
}

fn body_claims() -> Value {
    json!({"email": "carol@example.com", "groups": ["admins"]})
}

async fn dev_api_refuses_bad_user_requests_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    app.dev("PUT", "/users/erin", Some(json!({"claims": {"name": "Erin"}}))).await;
    let before = app.snapshot().await;
    let users = app.url("/_dev/users");
    let good = json!({"username": "frank"}).to_string();
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        ("no content type", app.http.post(&users).body(good.clone()), 415, "unsupported_media_type"),
        (
            "a form post",
            app.http.post(&users).header("content-type", "application/x-www-form-urlencoded").body("username=frank"),
            415,
            "unsupported_media_type",
        ),
        (
            "text/plain",
            app.http.post(&users).header("content-type", "text/plain").body(good.clone()),
            415,
            "unsupported_media_type",
        ),
        ("another Host", json_post(&app, &users, &good).header("host", "evil.example"), 403, "invalid_host"),
        ("another port", json_post(&app, &users, &good).header("host", "127.0.0.1:1"), 403, "invalid_host"),
        (
            "a cross-origin page",
            json_post(&app, &users, &good).header("origin", "https://evil.example"),
            403,
            "invalid_origin",
        ),
        ("malformed JSON", json_post(&app, &users, "{\"username\": "), 400, "invalid_request"),
        ("no body", json_post(&app, &users, ""), 400, "invalid_request"),
        (
            "an unknown field",
            json_post(&app, &users, r#"{"username": "frank", "admin": true}"#),
            400,
            "invalid_request",
        ),
        ("no username", json_post(&app, &users, r#"{"password": "x"}"#), 400, "invalid_request"),
        ("an empty username", json_post(&app, &users, r#"{"username": ""}"#), 400, "invalid_request"),
        (
            "an empty password",
            json_post(&app, &users, r#"{"username": "frank", "password": ""}"#),
            400,
            "invalid_request",
        ),
        (
            "a registered claim",
            json_post(&app, &users, r#"{"username": "frank", "claims": {"sub": "x"}}"#),
            400,
            "invalid_request",
        ),
        (
            "a mistyped claim",
            json_post(&app, &users, r#"{"username": "frank", "claims": {"email_verified": "yes"}}"#),
            400,
            "invalid_request",
        ),
        (
            "claims not an object",
            json_post(&app, &users, r#"{"username": "frank", "claims": []}"#),
            400,
            "invalid_request",
        ),
        (
            "PUT with another username",
            app.dev_request("PUT", "/users/erin", Some(&json!({"username": "frank"}))),
            400,
            "invalid_request",
        ),
        (
            "PUT with a registered claim",
            app.dev_request("PUT", "/users/erin", Some(&json!({"claims": {"iss": "x"}}))),
            400,
            "invalid_request",
        ),
        ("PUT as text", app.http.put(app.url("/_dev/users/erin")).body("{}"), 415, "unsupported_media_type"),
        (
            "DELETE from another Host",
            app.dev_request("DELETE", "/users/erin", None).header("host", "evil.example"),
            403,
            "invalid_host",
        ),
        (
            "revoke from a cross-origin form",
            app.dev_request("POST", "/users/erin/revoke", None)
                .header("origin", "null")
                .header("content-type", "application/x-www-form-urlencoded"),
            403,
            "invalid_origin",
        ),
    ];
    for (case, request, status, error) in cases {
        let answer = crate::common::answer(request.send().await.unwrap()).await;
        assert_refused(&answer, status, error, case);
        assert_eq!(app.snapshot().await, before, "{case}: nothing changed");
    }
}

fn json_post(app: &TestApp, url: &str, body: &str) -> reqwest::RequestBuilder {
    app.http.post(url).header("content-type", "application/json").body(body.to_owned())
}

async fn dev_api_put_creates_or_replaces_a_user(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    let client = app.dev_client("rp").await;

    let (status, created) = app.dev("PUT", "/users/grace", Some(json!({"claims": {"name": "Grace"}}))).await;
    let body = json!({"username": "grace", "password": "new-pw", "claims": {"name": "Grace Hopper"}});
    let (replaced_status, replaced) = app.dev("PUT", "/users/grace", Some(body)).await;

    assert_eq!((status, &created["username"], &created["created"]), (200, &json!("grace"), &json!(true)), "{created}");
    assert_eq!(replaced_status, 200, "{replaced}");
    assert_eq!(replaced["created"], false);
    assert_eq!(replaced["sub"], created["sub"], "the sub is kept");
    let stored = app.store.find_user_by_username("grace").await.unwrap().unwrap();
    assert_eq!(stored.claims["name"], "Grace Hopper");
    assert!(gatehouse::password::verify("new-pw".into(), Some(stored.password_hash)).await);
    let tokens = app.redeem(&client, &app.headless_code(&client, "grace", "openid profile").await).await;
    let userinfo: Value = app.userinfo(tokens["access_token"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!((&userinfo["sub"], &userinfo["name"]), (&created["sub"], &json!("Grace Hopper")));
}

async fn dev_api_deletes_users(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    app.dev("POST", "/users", Some(json!({"username": "heidi"}))).await;
    app.dev("POST", "/users", Some(json!({"username": "ivan"}))).await;

    let (status, body) = app.dev("DELETE", "/users/heidi", None).await;

    assert_eq!((status, body), (204, Value::Null));
    let left: Vec<String> = app.snapshot().await.0.into_iter().map(|u| u.username).collect();
    assert_eq!(left, ["ivan"]);
    let before = app.snapshot().await;
    assert_refused(&app.dev("DELETE", "/users/heidi", None).await, 404, "not_found", "deleted already");
    assert_refused(&app.dev("DELETE", "/users/nobody", None).await, 404, "not_found", "never was");
    assert_eq!(app.snapshot().await, before);
}

async fn dev_api_registers_clients(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    app.dev("POST", "/users", Some(json!({"username": "judy"}))).await;

    let (status, generated) = app
        .dev("POST", "/clients", Some(json!({"client_id": "web", "redirect_uris": ["http://localhost:3000/cb"]})))
        .await;
    let given = json!({"client_id": "api", "client_secret": "s3cret", "redirect_uris": ["https://api.example/cb"],
        "grant_types": ["authorization_code", "client_credentials"], "id_token_claims": true});
    let (given_status, given) = app.dev("POST", "/clients", Some(given)).await;
    let public = json!({"client_id": "spa", "public": true, "redirect_uris": ["https://spa.example/cb"]});
    let (public_status, public) = app.dev("POST", "/clients", Some(public)).await;

    assert_eq!(status, 201, "{generated}");
    assert_eq!(generated["grant_types"], json!(["authorization_code", "refresh_token"]));
    assert_eq!((&generated["public"], &generated["id_token_claims"]), (&json!(false), &json!(false)));
    let secret = generated["client_secret"].as_str().unwrap();
    assert!(secret.len() >= 43, "at least 256 bits: {secret}");
    assert_eq!(
        (given_status, &given["client_secret"], &given["id_token_claims"]),
        (201, &json!("s3cret"), &json!(true))
    );
    assert_eq!(given["grant_types"], json!(["authorization_code", "client_credentials"]));
    assert_eq!((public_status, &public["public"]), (201, &json!(true)), "{public}");
    assert!(public.get("client_secret").is_none(), "{public}");
    // Each works at the token endpoint with what the call answered.
    let web =
        TestClient { id: "web".into(), secret: Some(secret.into()), redirect_uri: "http://localhost:3000/cb".into() };
    let tokens = app.redeem(&web, &app.headless_code(&web, "judy", "openid").await).await;
    assert!(tokens["id_token"].is_string());
    let api = TestClient { id: "api".into(), secret: Some("s3cret".into()), redirect_uri: String::new() };
    assert_eq!(app.token(&api, &[("grant_type", "client_credentials")]).await.status(), 200);
    let spa = TestClient { id: "spa".into(), secret: None, redirect_uri: "https://spa.example/cb".into() };
    assert!(app.redeem(&spa, &app.headless_code(&spa, "judy", "openid").await).await["access_token"].is_string());

    let before = app.snapshot().await;
    let again =
        app.dev("POST", "/clients", Some(json!({"client_id": "web", "redirect_uris": ["https://x.example/cb"]})));
    assert_refused(&again.await, 409, "conflict", "the id is taken");
    assert_eq!(app.snapshot().await, before);
}

async fn dev_api_refuses_bad_client_requests_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    app.dev_client("existing").await;
    let before = app.snapshot().await;
    let uris = json!(["https://rp.example/cb"]);
    let cases = [
        ("no client_id", json!({"redirect_uris": uris})),
        ("a bad client_id", json!({"client_id": "a b", "redirect_uris": uris})),
        ("no redirect URI", json!({"client_id": "new"})),
        ("an http redirect URI", json!({"client_id": "new", "redirect_uris": ["http://rp.example/cb"]})),
        ("a fragment", json!({"client_id": "new", "redirect_uris": ["https://rp.example/cb#x"]})),
        (
            "a public client with a secret",
            json!({"client_id": "new", "public": true, "client_secret": "x", "redirect_uris": uris}),
        ),
        ("an empty secret", json!({"client_id": "new", "client_secret": "", "redirect_uris": uris})),
        ("an unknown grant type", json!({"client_id": "new", "grant_types": ["implicit"], "redirect_uris": uris})),
        (
            "a public client_credentials",
            json!({"client_id": "new", "public": true, "grant_types": ["client_credentials"]}),
        ),
        ("an unknown field", json!({"client_id": "new", "redirect_uris": uris, "scope": "openid"})),
        ("a mistyped field", json!({"client_id": "new", "redirect_uris": "https://rp.example/cb"})),
    ];
    for (case, body) in cases {
        assert_refused(&app.dev("POST", "/clients", Some(body)).await, 400, "invalid_request", case);
        assert_eq!(app.snapshot().await, before, "{case}: nothing changed");
    }
    let form = app.http.post(app.url("/_dev/clients")).form(&[("client_id", "new")]);
    assert_refused(&crate::common::answer(form.send().await.unwrap()).await, 415, "unsupported_media_type", "a form");
    let elsewhere = app.dev_request("POST", "/clients", Some(&json!({"client_id": "new", "redirect_uris": uris})));
    let elsewhere = crate::common::answer(elsewhere.header("host", "localhost").send().await.unwrap()).await;
    assert_refused(&elsewhere, 403, "invalid_host", "another Host");
    assert_eq!(app.snapshot().await, before);
}

async fn dev_api_deletes_clients(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    let client = app.dev_client("gone").await;
    app.dev_client("kept").await;
    app.dev("POST", "/users", Some(json!({"username": "kim"}))).await;
    let tokens = app.redeem(&client, &app.headless_code(&client, "kim", "openid").await).await;

    let (status, body) = app.dev("DELETE", "/clients/gone", None).await;

    assert_eq!((status, body), (204, Value::Null));
    let left: Vec<String> = app.snapshot().await.1.into_iter().map(|c| c.id).collect();
    assert_eq!(left, ["kept"]);
    assert_eq!(app.userinfo_status(tokens["access_token"].as_str().unwrap()).await, 401, "its tokens end with it");
    let before = app.snapshot().await;
    assert_refused(&app.dev("DELETE", "/clients/gone", None).await, 404, "not_found", "deleted already");
    assert_eq!(app.snapshot().await, before);
}
