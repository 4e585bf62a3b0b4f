//! Revocation (RFC 7009), introspection (RFC 7662) and client credentials.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gatehouse::clock::Clock;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::{Backend, ClientSpec, TestApp, TestClient, jwt_claims, jwt_header, login_tokens};

backend_tests!(
    revoking_a_refresh_token_revokes_its_family,
    revoking_an_access_token_ends_only_that_token,
    unknown_and_foreign_tokens_revoke_nothing,
    revocation_errors,
    introspection_reports_active_tokens_and_nothing_else,
    introspection_is_for_confidential_clients,
    client_credentials_gives_the_client_a_token_for_itself,
);

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("no {key} in {v}")).to_owned()
}

async fn revoking_a_refresh_token_revokes_its_family(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.offline_client("rp").await;
    app.alice().await;
    let tokens = login_tokens(&app, &client, "openid offline_access").await;
    let (access, refresh_token) = (s(&tokens, "access_token"), s(&tokens, "refresh_token"));

    app.revoke(&client, &refresh_token).await;

    assert_eq!(app.refresh(&client, &refresh_token, None).await.status(), 400);
    assert_eq!(app.userinfo_status(&access).await, 401);
    assert_eq!(app.introspect(&client, &access).await, json!({"active": false}));
    assert_eq!(app.introspect(&client, &refresh_token).await, json!({"active": false}));
}

async fn revoking_an_access_token_ends_only_that_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.offline_client("rp").await;
    app.alice().await;
    let tokens = login_tokens(&app, &client, "openid offline_access").await;
    let access = s(&tokens, "access_token");

    app.revoke(&client, &access).await;

    assert_eq!(app.userinfo_status(&access).await, 401);
    assert_eq!(app.introspect(&client, &access).await, json!({"active": false}));
    let next: Value = app.refresh(&client, &s(&tokens, "refresh_token"), None).await.json().await.unwrap();
    assert_eq!(app.userinfo_status(&s(&next, "access_token")).await, 200);
}

async fn unknown_and_foreign_tokens_revoke_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.offline_client("rp").await;
    let other = app.offline_client("rp2").await;
    app.alice().await;
    let tokens = login_tokens(&app, &client, "openid offline_access").await;

    app.revoke(&client, "no-such-token").await;
    app.revoke(&other, &s(&tokens, "refresh_token")).await;
    app.revoke(&other, &s(&tokens, "access_token")).await;

    assert_eq!(app.userinfo_status(&s(&tokens, "access_token")).await, 200);
    assert_eq!(app.refresh(&client, &s(&tokens, "refresh_token"), None).await.status(), 200);
}

async fn revocation_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.offline_client("rp").await;

    let missing = app.post_as("/revoke", &client, &[]).await;
    assert_eq!(missing.status(), 400);
    assert_eq!(missing.json::<Value>().await.unwrap()["error"], "invalid_request");
    let wrong = TestClient { secret: Some("wrong".into()), ..client.clone() };
    let unauthenticated = app.post_as("/revoke", &wrong, &[("token", "x")]).await;
    assert_eq!(unauthenticated.status(), 401);
    assert!(unauthenticated.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    let unauthenticated = app.post_as("/introspect", &wrong, &[("token", "x")]).await;
    assert_eq!(unauthenticated.status(), 401);
}

async fn introspection_reports_active_tokens_and_nothing_else(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.offline_client("rp").await;
    let resource_server =
        app.add_client(ClientSpec { id: "api", grant_types: vec!["client_credentials"], ..Default::default() }).await;
    let sub = app.alice().await;
    let tokens = login_tokens(&app, &client, "openid offline_access email").await;
    let access = s(&tokens, "access_token");

    let info = app.introspect(&resource_server, &access).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["sub"], sub.as_str());
    assert_eq!(info["client_id"], "rp");
    assert_eq!(info["scope"], "openid offline_access email");
    assert_eq!(info["iss"], app.issuer.as_str());
    assert_eq!(info["token_type"], "Bearer");
    assert_eq!(info["exp"], jwt_claims(&access)["exp"]);
    assert!(info.get("grant_id").is_none());

    let refresh_info = app.introspect(&client, &s(&tokens, "refresh_token")).await;
    assert_eq!(refresh_info["active"], true);
    assert_eq!(refresh_info["token_type"], "refresh_token");
    assert_eq!(refresh_info["sub"], sub.as_str());
    // Refresh tokens are only described to their own client.
    assert_eq!(app.introspect(&resource_server, &s(&tokens, "refresh_token")).await, json!({"active": false}));

    // Foreign issuer, malformed, unknown: inactive alike.
    let now = app.clock.now();
    let foreign = crate::common::foreign_keys(now);
    let forged =
        foreign.active(gatehouse::keys::Alg::Rs256, now).unwrap().sign("at+jwt", &jwt_claims(&access)).unwrap();
    for token in [forged.as_str(), "not.a.jwt", "x", &gatehouse::secret::random_token()] {
        assert_eq!(app.introspect(&client, token).await, json!({"active": false}), "{token}");
    }

    // An ID token is not an access token; a spent refresh token is inactive.
    let id_token = s(&tokens, "id_token");
    assert_eq!(app.introspect(&client, &id_token).await, json!({"active": false}));
    app.revoke(&client, &id_token).await;
    assert_eq!(app.userinfo_status(&access).await, 200, "revoking an ID token changes nothing");
    let next: Value = app.refresh(&client, &s(&tokens, "refresh_token"), None).await.json().await.unwrap();
    assert_eq!(app.introspect(&client, &s(&tokens, "refresh_token")).await, json!({"active": false}));

    // A disabled user's tokens are inactive, as at userinfo.
    app.store.set_disabled("alice", true, now).await.unwrap();
    assert_eq!(app.introspect(&resource_server, &s(&next, "access_token")).await, json!({"active": false}));
    assert_eq!(app.introspect(&client, &s(&next, "refresh_token")).await, json!({"active": false}));
    app.store.set_disabled("alice", false, now).await.unwrap();

    // Expired by the clock; revoking an expired token is a harmless no-op.
    app.clock.advance(Duration::from_secs(3600));
    assert_eq!(app.introspect(&client, &access).await, json!({"active": false}));
    app.revoke(&client, &access).await;
}

async fn introspection_is_for_confidential_clients(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let public = app
        .add_client(ClientSpec {
            id: "spa",
            public: true,
            redirect_uris: vec!["http://localhost/cb".into()],
            ..Default::default()
        })
        .await;

    let response = app.post_as("/introspect", &public, &[("token", "x")]).await;

    assert_eq!(response.status(), 401);
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_client");
}

async fn client_credentials_gives_the_client_a_token_for_itself(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let service = app
        .add_client(ClientSpec {
            id: "svc",
            grant_types: vec!["client_credentials"],
            audiences: vec!["https://api.example".into()],
            ..Default::default()
        })
        .await;
    let web = app.client().await;

    let response = app.token(&service, &[("grant_type", "client_credentials")]).await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert!(body.get("id_token").is_none() && body.get("refresh_token").is_none(), "{body}");
    assert!(body.get("scope").is_none(), "no empty scope: {body}");
    let access = s(&body, "access_token");
    assert_eq!(jwt_header(&access)["typ"], "at+jwt");
    let claims = jwt_claims(&access);
    assert_eq!(claims["sub"], "svc");
    assert_eq!(claims["client_id"], "svc");
    assert_eq!(claims["aud"], json!([app.issuer, "https://api.example"]));
    assert!(claims.get("scope").is_none());
    assert_eq!(app.introspect(&service, &access).await["active"], true);
    app.revoke(&service, &access).await;
    assert_eq!(app.introspect(&service, &access).await["active"], false);

    let refused = app.token(&web, &[("grant_type", "client_credentials")]).await;
    assert_eq!(refused.status(), 400);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "unauthorized_client");
}
