//! What bounds a request: the body's size (refused in each endpoint's own error
//! form, never as plain text).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

use crate::backend_tests;
use crate::common::{Backend, TestApp};

backend_tests!(
    an_oversized_body_gets_an_oauth_json_error,
    an_oversized_body_gets_a_bearer_error_at_userinfo,
    an_oversized_body_gets_an_error_page,
);

/// A form body just over the 64 KiB limit.
fn oversized_form(first: &str) -> String {
    format!("{first}&padding={}", "a".repeat(64 * 1024))
}

const TOO_LARGE: &str = "the request body is larger than 64 KiB";

async fn an_oversized_body_gets_an_oauth_json_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    for path in ["/token", "/revoke", "/introspect"] {
        let response = app
            .http
            .post(app.url(path))
            .basic_auth(&client.id, client.secret.as_ref())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(oversized_form("grant_type=client_credentials&token=x"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json", "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, serde_json::json!({"error": "invalid_request", "error_description": TOO_LARGE}), "{path}");
    }
}

async fn an_oversized_body_gets_a_bearer_error_at_userinfo(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .http
        .post(app.url("/userinfo"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(oversized_form("access_token=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.starts_with(&format!("Bearer realm=\"{}\"", app.issuer)), "{challenge}");
    assert!(challenge.contains("error=\"invalid_request\""), "{challenge}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"error": "invalid_request", "error_description": TOO_LARGE}));
}

async fn an_oversized_body_gets_an_error_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/authorize", "/login"] {
        let response = app
            .http
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(oversized_form("client_id=rp"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413, "{path}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        assert_eq!(response.headers()["x-frame-options"], "DENY", "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("The request is larger than 64 KiB."), "{path}: {html}");
    }
}
