//! `/_dev/requests` of `gatehouse dev`'s control API: what the provider received,
//! oldest first, secrets redacted, the control API's own calls left out; and none of
//! these calls under `serve`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::{Backend, TestApp, VERIFIER};

backend_tests!(
    dev_api_requests_logs_a_token_request_with_its_secrets_redacted,
    dev_api_requests_keeps_the_last_thousand_and_deletes,
    serve_has_no_login_or_requests_calls,
);

async fn requests(app: &TestApp) -> (Vec<Value>, String) {
    let response = app.dev_request("GET", "/requests", None).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    (serde_json::from_str(&text).unwrap(), text)
}

async fn dev_api_requests_logs_a_token_request_with_its_secrets_redacted(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    let client = app.dev_client("rp").await;
    app.dev("POST", "/users", Some(json!({"username": "alice"}))).await;
    let code = app.headless_code(&client, "alice", "openid offline_access").await;
    let start = app.dev("GET", "/clock", None).await.1["now"].as_i64().unwrap();

    let tokens = app.redeem(&client, &code).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", "rp")];
    let secret = client.secret.clone().unwrap();
    let mut with_secret = form.to_vec();
    with_secret.push(("client_secret", &secret));
    app.http.post(app.url("/token")).form(&with_secret[..]).send().await.unwrap();
    let (logged, text) = requests(&app).await;

    let paths: Vec<&str> = logged.iter().map(|r| r["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["/authorize", "/token", "/token"], "oldest first, no /_dev/ calls");
    let redeemed = &logged[1];
    assert_eq!((&redeemed["method"], &redeemed["status"]), (&json!("POST"), &json!(200)));
    assert_eq!(redeemed["params"]["grant_type"], "authorization_code");
    assert_eq!(redeemed["params"]["redirect_uri"], client.redirect_uri);
    assert_eq!(
        (&redeemed["params"]["code"], &redeemed["params"]["code_verifier"]),
        (&json!("[redacted]"), &json!("[redacted]"))
    );
    assert_eq!(redeemed["headers"]["authorization"], "[redacted]");
    assert!(redeemed["time"].as_i64().unwrap() >= start);
    assert_eq!(logged[2]["params"]["client_secret"], "[redacted]");
    assert_eq!(logged[2]["params"]["refresh_token"], "[redacted]");
    assert_eq!(logged[0]["params"]["login_hint"], "alice");
    for real in [code.as_str(), VERIFIER, secret.as_str(), refresh_token] {
        assert!(!text.contains(real), "{real} appears in the log");
    }
}

async fn dev_api_requests_keeps_the_last_thousand_and_deletes(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    for i in 0..1_005 {
        app.get(&format!("/jwks?n={i}")).await;
    }

    let (logged, _) = requests(&app).await;

    assert_eq!(logged.len(), 1_000);
    assert_eq!((&logged[0]["params"]["n"], &logged[999]["params"]["n"]), (&json!("5"), &json!("1004")));
    let (status, body) = app.dev("DELETE", "/requests", None).await;
    assert_eq!((status, body), (204, Value::Null));
    assert_eq!(requests(&app).await.0, Vec::<Value>::new());
}

async fn serve_has_no_login_or_requests_calls(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (method, path) in [("POST", "/login"), ("GET", "/requests"), ("DELETE", "/requests")] {
        let body = json!({"username": "x", "client_id": "x", "redirect_uri": "x", "scope": "openid"});
        let response = app.dev_request(method, path, Some(&body)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{method} {path}");
    }
}
