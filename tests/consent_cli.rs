//! `gatehouse user consents` and `gatehouse user revoke-consent`, run as the built
//! binary against the store of a running server whose consent page recorded them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use serde_json::Value;

use crate::backend_tests;
use crate::common::{Backend, Browser, ClientSpec, TestApp, TestClient, auth_params, location, query};
use crate::consent::{redirect, signed_in};

backend_tests!(consents_are_listed_and_revoking_one_ends_that_clients_grants,);

/// Runs `gatehouse ARGS` on the app's store: (success, stdout, stderr).
fn cli(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .env_clear()
        .env("GATEHOUSE_DATABASE_URL", &app.db_url)
        .env("GATEHOUSE_LOG", "warn")
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// Allows `client` on the consent page for `openid offline_access`; the token response.
async fn consented_tokens(app: &TestApp, browser: &mut Browser, client: &TestClient) -> Value {
    let to_consent = browser.authorize(app, &auth_params(client, "openid offline_access")).await;
    let back = redirect(&browser.consent(app, to_consent, "allow").await);
    app.redeem(client, &query(&back, "code").unwrap()).await
}

async fn consents_are_listed_and_revoking_one_ends_that_clients_grants(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let grant_types = vec!["authorization_code", "refresh_token"];
    let spec =
        |id, name| ClientSpec { id, name, third_party: true, grant_types: grant_types.clone(), ..Default::default() };
    let shop = app.add_client(spec("shop", "Corner Shop")).await;
    let games = app.add_client(spec("games", "Arcade")).await;
    app.alice().await;
    app.add_user("bob", "builder", serde_json::json!({})).await;
    let mut browser = Browser::default();
    signed_in(&app, &mut browser).await;
    let shop_tokens = consented_tokens(&app, &mut browser, &shop).await;
    let games_tokens = consented_tokens(&app, &mut browser, &games).await;

    let (ok, out, err) = cli(&app, &["user", "consents", "alice"]);
    assert!(ok, "{err}");
    let lines: Vec<Vec<&str>> = out.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!((lines[0][0], lines[0][1]), ("games", "openid offline_access"), "{out}");
    assert_eq!((lines[1][0], lines[1][1]), ("shop", "openid offline_access"), "{out}");
    assert!(lines[0][2].starts_with("since 20"), "{out}");
    let (ok, out, err) = cli(&app, &["user", "consents", "bob"]);
    assert!(ok && out.is_empty(), "{out}{err}");
    assert!(err.contains("bob has consented to no third-party client"), "{err}");

    let (ok, out, err) = cli(&app, &["user", "revoke-consent", "alice", "shop"]);
    assert!(ok, "{err}");
    assert!(out.contains("withdrew alice's consent to shop: 1 grants revoked"), "{out}");

    // That client's refresh-token family has ended; the other client's has not.
    let refused = app.refresh(&shop, shop_tokens["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(refused.status(), 400);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let refreshed = app.refresh(&games, games_tokens["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(refreshed.status(), 200, "{}", refreshed.text().await.unwrap());
    let (_, out, _) = cli(&app, &["user", "consents", "alice"]);
    assert!(out.starts_with("games\t") && out.lines().count() == 1, "{out}");

    // Nothing left to withdraw, and the page asks again.
    let (ok, out, err) = cli(&app, &["user", "revoke-consent", "alice", "shop"]);
    assert!(!ok && out.is_empty(), "{out}");
    assert!(err.contains("alice has no consent to withdraw from client `shop`"), "{err}");
    let (ok, _, err) = cli(&app, &["user", "revoke-consent", "bob", "games"]);
    assert!(!ok && err.contains("bob has no consent to withdraw from client `games`"), "{err}");
    let again = browser.authorize(&app, &auth_params(&shop, "openid offline_access")).await;
    assert!(location(&again).starts_with("/consent?request="), "{}", location(&again));
}
