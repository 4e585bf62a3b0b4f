//! Discovery, JWKS and health, as a relying party and a load balancer see them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

use crate::backend_tests;
use crate::common::{Backend, Options, TestApp};

backend_tests!(
    discovery_lists_the_required_metadata,
    routes_live_under_an_issuer_path,
    jwks_publishes_public_members_only,
    healthz_reports_the_store,
);

async fn discovery_lists_the_required_metadata(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let response = app.get("/.well-known/openid-configuration").await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "public, max-age=3600");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let meta: Value = response.json().await.unwrap();
    assert_eq!(meta["issuer"], app.issuer.as_str());
    assert_eq!(meta["authorization_endpoint"], app.url("/authorize"));
    assert_eq!(meta["token_endpoint"], app.url("/token"));
    assert_eq!(meta["jwks_uri"], app.url("/jwks"));
    assert_eq!(meta["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(meta["subject_types_supported"], serde_json::json!(["public"]));
    assert_eq!(meta["id_token_signing_alg_values_supported"], serde_json::json!(["RS256", "ES256", "EdDSA"]));
    assert_eq!(meta["userinfo_endpoint"], app.url("/userinfo"));
    assert_eq!(
        meta["grant_types_supported"],
        serde_json::json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    assert_eq!(meta["revocation_endpoint"], app.url("/revoke"));
    assert_eq!(meta["introspection_endpoint"], app.url("/introspect"));
    assert_eq!(meta["end_session_endpoint"], app.url("/logout"), "RP-Initiated Logout 1.0 §2.1");
    assert_eq!(meta["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(
        meta["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post", "none"])
    );
    assert_eq!(
        meta["scopes_supported"],
        serde_json::json!(["openid", "profile", "email", "address", "phone", "offline_access"])
    );
    assert_eq!(meta["claims_parameter_supported"], true);
    assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
    assert!(meta["claims_supported"].as_array().unwrap().iter().any(|c| c == "email_verified"));
    // Request objects are refused, so nothing about them is advertised (CONFORMANCE.md §3).
    let keys: Vec<&String> = meta.as_object().unwrap().keys().collect();
    assert!(keys.iter().all(|k| !k.starts_with("request")), "{keys:?}");
    assert!(meta.get("registration_endpoint").is_none());
}

async fn routes_live_under_an_issuer_path(backend: Backend) {
    let options = Options { issuer_path: "/tenant".into(), ..Options::default() };
    let app = TestApp::spawn_with(backend, options).await;
    assert!(app.issuer.ends_with("/tenant"));

    let meta = app.discovery().await;

    assert_eq!(meta["issuer"], app.issuer.as_str());
    for key in ["authorization_endpoint", "token_endpoint", "jwks_uri", "end_session_endpoint"] {
        let url = meta[key].as_str().unwrap();
        assert!(url.starts_with(&format!("{}/", app.issuer)), "{key}: {url}");
    }
    assert_eq!(app.get("/jwks").await.status(), 200);
    assert_eq!(app.get("/healthz").await.status(), 200);
    // Nothing is served outside the issuer's path.
    let root = app.issuer.trim_end_matches("/tenant");
    let outside = app.http.get(format!("{root}/.well-known/openid-configuration")).send().await.unwrap();
    assert_eq!(outside.status(), 404);
}

async fn jwks_publishes_public_members_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let response = app.get("/jwks").await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    let jwks: Value = response.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 6, "an active and a next key for each of RS256, ES256 and EdDSA");
    let stored = app.store.list_keys().await.unwrap();
    let mut kids: Vec<&str> = keys.iter().map(|k| k["kid"].as_str().unwrap()).collect();
    kids.sort();
    kids.dedup();
    assert_eq!(kids.len(), 6, "every kid is unique");
    for key in keys {
        let mut members: Vec<&String> = key.as_object().unwrap().keys().collect();
        members.sort();
        let (kty, public): (&str, &[&str]) = match key["alg"].as_str().unwrap() {
            "RS256" => ("RSA", &["alg", "e", "kid", "kty", "n", "use"]),
            "ES256" => ("EC", &["alg", "crv", "kid", "kty", "use", "x", "y"]),
            "EdDSA" => ("OKP", &["alg", "crv", "kid", "kty", "use", "x"]),
            other => panic!("unexpected alg {other}"),
        };
        assert_eq!(members, public, "public members only");
        assert_eq!(key["kty"], kty);
        assert_eq!(key["use"], "sig");
        assert!(stored.iter().any(|k| k.kid == key["kid"]));
    }
}

async fn healthz_reports_the_store(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let up = app.get("/healthz").await;
    assert_eq!(up.status(), 200);
    assert_eq!(up.headers()["cache-control"], "no-store");
    assert_eq!(up.json::<Value>().await.unwrap()["status"], "ok");

    app.store.close().await;
    let down = app.get("/healthz").await;
    assert_eq!(down.status(), 503);
    assert_eq!(down.json::<Value>().await.unwrap()["status"], "unavailable");
}

/// Browser apps may read discovery, JWKS, token and userinfo from any origin; the
/// pages and the login form may not be used that way.
#[tokio::test]
async fn cross_origin_endpoints_answer_cors() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for path in ["/.well-known/openid-configuration", "/jwks"] {
        let response = app.http.get(app.url(path)).header("origin", "https://spa.example").send().await.unwrap();
        assert_eq!(response.headers()["access-control-allow-origin"], "*", "{path}");
    }
    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/token"))
        .header("origin", "https://spa.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert!(preflight.headers()["access-control-allow-headers"].to_str().unwrap().contains("authorization"));
    let login = app.http.get(app.url("/authorize")).send().await.unwrap();
    assert!(login.headers().get("access-control-allow-origin").is_none());
}

/// Behind an https issuer every response asks for https only, and cookies are Secure.
#[tokio::test]
async fn an_https_issuer_gets_hsts_and_secure_cookies() {
    let app = TestApp::spawn_with(Backend::Sqlite, Options { https_issuer: true, ..Options::default() }).await;
    let client = app.client().await;
    let plain = app.issuer.replacen("https://", "http://", 1);

    let response = app.http.get(format!("{plain}/healthz")).send().await.unwrap();
    assert_eq!(response.headers()["strict-transport-security"], "max-age=31536000");
    let params = crate::common::auth_params(&client, "openid");
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&params).finish();
    let response = app.http.get(format!("{plain}/authorize?{query}")).send().await.unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");

    let http = TestApp::spawn(Backend::Sqlite).await;
    assert!(http.get("/healthz").await.headers().get("strict-transport-security").is_none());
}

/// An unknown path is a plain 404, not a crash or a redirect.
#[tokio::test]
async fn unknown_paths_are_not_found() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    assert_eq!(app.get("/nope").await.status(), 404);
    assert_eq!(app.http.post(app.url("/jwks")).send().await.unwrap().status(), 405);
}
