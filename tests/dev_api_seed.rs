//! `POST /_dev/seed` of `gatehouse dev`'s control API: the seed-file format as JSON,
//! applied whole or not at all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::{Backend, TestApp, TestClient, assert_refused, jwt_claims};

backend_tests!(dev_api_seed_applies_json_seeds, dev_api_seed_refuses_a_bad_seed_and_changes_nothing);

fn seed() -> Value {
    json!({
        "clients": [{"id": "web", "secret": "s3cret", "redirect_uris": ["https://web.example/cb"]}],
        "users": [{"username": "ada", "password": "lovelace", "claims": {"email": "ada@example.com", "groups": ["admins"]}}],
        "scopes": {"groups": {"claims": ["groups"], "id_token": true}},
        "presets": {"admin": {"groups": ["admins"]}},
    })
}

async fn dev_api_seed_applies_json_seeds(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;

    let (status, body) = app.dev("POST", "/seed", Some(seed())).await;
    let (again, _) = app.dev("POST", "/seed", Some(seed())).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["applied"], json!({"clients": 1, "users": 1, "scopes": 1, "presets": 1}));
    assert_eq!(again, 200, "applying twice is fine");
    let web =
        TestClient { id: "web".into(), secret: Some("s3cret".into()), redirect_uri: "https://web.example/cb".into() };
    let tokens = app.redeem(&web, &app.headless_code(&web, "ada", "openid groups").await).await;
    assert_eq!(jwt_claims(tokens["id_token"].as_str().unwrap())["groups"], json!(["admins"]));
    assert_eq!(app.store.list_presets().await.unwrap().len(), 1);
}

async fn dev_api_seed_refuses_a_bad_seed_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    app.dev("POST", "/users", Some(json!({"username": "kept"}))).await;
    let before = app.snapshot().await;
    let mut second_user_bad = seed();
    second_user_bad["users"].as_array_mut().unwrap().push(json!({"username": "bob", "claims": {"sub": "x"}}));
    let mut unknown_field = seed();
    unknown_field["clients"][0]["colour"] = "red".into();
    let cases = [
        ("a registered claim in the second user", second_user_bad, "users[1]"),
        ("an unknown field", unknown_field, "clients[0]"),
        ("a null", json!({"users": [{"username": "x", "password": null}]}), "users[0]"),
        (
            "dev's demo client",
            json!({"clients": [{"id": "demo", "secret": "x", "redirect_uris": ["https://a.example/cb"]}]}),
            "clients[0]",
        ),
        ("not an object", json!([1]), "body"),
        ("an unknown key", json!({"clientz": []}), "clientz"),
    ];
    for (case, body, entry) in cases {
        let answer = app.dev("POST", "/seed", Some(body)).await;
        assert_refused(&answer, 400, "invalid_request", case);
        let description = answer.1["error_description"].as_str().unwrap();
        assert!(description.contains(entry) && !description.contains("line"), "{case}: {description}");
        assert_eq!(app.snapshot().await, before, "{case}: nothing changed");
        assert!(app.store.list_presets().await.unwrap().is_empty(), "{case}");
    }
}
