//! Refresh-token families: rotation, reuse detection, concurrency, scope, expiry,
//! the reuse grace window, and code replay reaching the family.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gatehouse::clock::Clock;
use serde_json::Value;

use crate::backend_tests;
use crate::common::{
    Backend, Browser, Options, TestApp, TestClient, VERIFIER, auth_params, jwt_claims, login_tokens, query,
};

backend_tests!(
    every_refresh_rotates_and_keeps_the_login,
    a_real_rp_library_refreshes,
    reuse_of_a_spent_token_revokes_the_family,
    concurrent_refreshes_of_one_token_succeed_at_most_once,
    another_clients_refresh_token_is_invalid_grant,
    scope_may_narrow_but_never_widen,
    refresh_tokens_expire_idle_and_absolute,
    a_disabled_user_stops_refreshing,
    offline_access_needs_the_refresh_grant,
    the_grace_window_returns_the_same_successor,
    code_replay_revokes_the_refresh_token_too,
    concurrent_redemptions_revoke_the_winners_refresh_token,
);

async fn refreshed(app: &TestApp, client: &TestClient, token: &str) -> Value {
    let response = app.refresh(client, token, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (status, body["error"].as_str().unwrap().to_owned())
}

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("no {key} in {v}")).to_owned()
}

async fn every_refresh_rotates_and_keeps_the_login(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.offline_client("rp").await;
    app.alice().await;
    let first = login_tokens(&app, &client, "openid offline_access email").await;
    assert_eq!(s(&first, "scope"), "openid offline_access email");
    let original = jwt_claims(&s(&first, "id_token"));

    let mut current = first.clone();
    for _ in 0..3 {
        app.clock.advance(Duration::from_secs(1));
        let next = refreshed(&app, &client, &s(&current, "refresh_token")).await;
        assert_ne!(s(&next, "refresh_token"), s(&current, "refresh_token"), "every use rotates");
        assert_eq!(next["token_type"], "Bearer");
        let id = jwt_claims(&s(&next, "id_token"));
        for claim in ["iss", "sub", "aud", "azp", "auth_time", "sid"] {
            assert_eq!(id[claim], original[claim], "{claim} stays");
        }
        assert_eq!(id["iat"].as_i64().unwrap(), app.clock.now(), "a new iat");
        assert_eq!(app.userinfo_status(&s(&next, "access_token")).await, 200);
        current = next;
    }
}

async fn a_real_rp_library_refreshes(backend: Backend) {
    use openidconnect::core::{CoreClient, CoreProviderMetadata};
    use openidconnect::{ClientId, ClientSecret, IssuerUrl, OAuth2TokenResponse, RefreshToken};
    let app = TestApp::spawn(backend).await;
    let client = app.offline_client("rp").await;
    app.alice().await;
    let first = login_tokens(&app, &client, "openid offline_access").await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.issuer.clone()).unwrap(), &http).await.unwrap();
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client.id.clone()),
        client.secret.clone().map(ClientSecret::new),
    );

    let tokens = rp
        .exchange_refresh_token(&RefreshToken::new(s(&first, "refresh_token")))
        .unwrap()
        .request_async(&http)
        .await
        .expect("openidconnect accepts the refresh response");

    let next = tokens.refresh_token().expect("a rotated refresh token").secret().clone();
    assert_ne!(next, s(&first, "refresh_token"));
    assert_eq!(app.userinfo_status(tokens.access_token().secret()).await, 200);
}

async fn reuse_of_a_spent_token_revokes_the_family(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.offline_client("rp").await;
    app.alice().await;
    let first = login_tokens(&app, &client, "openid offline_access").await;
    let second = refreshed(&app, &client, &s(&first, "refresh_token")).await;

    let reuse = app.refresh(&client, &s(&first, "refresh_token"), None).await;

    assert_eq!(error_of(reuse).await, (400, "invalid_grant".into()));
    // The newest token of the family and its access token are dead too.
    assert_eq!(error_of(app.refresh(&client, &s(&second, "refresh_token"), None).await).await.1, "invalid_grant");
    assert_eq!(app.userinfo_status(&s(&second, "access_token")).await, 401);
    assert_eq!(app.userinfo_status(&s(&first, "access_token")).await, 401);
}

async fn concurrent_refreshes_of_one_token_succeed_at_most_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.offline_client("rp").await;
    app.alice().await;
    let first = login_tokens(&app, &client, "openid offline_access").await;
    let token = s(&first, "refresh_token");

    let attempts = (0..20).map(|_| {
        let request =
            app.request_as("/token", &client, &[("grant_type", "refresh_token"), ("refresh_token", token.as_str())]);
        tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
    });
    let mut statuses = Vec::new();
    for attempt in attempts.collect::<Vec<_>>() {
        statuses.push(attempt.await.unwrap());
    }

    // The first rotation wins; every other attempt presents a spent token, which is
    // reuse: the family, including the winner's new token, is revoked.
    let successes = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(successes, 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 400), "{statuses:?}");
    let grant_id = jwt_claims(&s(&first, "access_token"))["grant_id"].as_str().unwrap().to_owned();
    assert!(app.store.find_grant(&grant_id).await.unwrap().unwrap().revoked_at.is_some());
}

async fn another_clients_refresh_token_is_invalid_grant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.offline_client("rp").await;
    let other = app.offline_client("rp2").await;
    app.alice().await;
    let first = login_tokens(&app, &client, "openid offline_access").await;

    let stolen = app.refresh(&other, &s(&first, "refresh_token"), None).await;

    assert_eq!(error_of(stolen).await, (400, "invalid_grant".into()), "not 401: rp2 authenticated fine");
    refreshed(&app, &client, &s(&first, "refresh_token")).await;
}

async fn scope_may_narrow_but_never_widen(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.offline_client("rp").await;
    app.alice().await;
    let first = login_tokens(&app, &client, "openid offline_access email").await;

    let wider = app.refresh(&client, &s(&first, "refresh_token"), Some("openid offline_access email phone")).await;
    assert_eq!(error_of(wider).await, (400, "invalid_scope".into()));

    let narrow = app.refresh(&client, &s(&first, "refresh_token"), Some("openid")).await;
    assert_eq!(narrow.status(), 200);
    let narrow: Value = narrow.json().await.unwrap();
    assert_eq!(narrow["scope"], "openid");
    assert_eq!(jwt_claims(&s(&narrow, "access_token"))["scope"], "openid");
    // The family keeps the grant's scope: the next refresh may have it all again.
    let full = refreshed(&app, &client, &s(&narrow, "refresh_token")).await;
    assert_eq!(full["scope"], "openid offline_access email");
}

async fn refresh_tokens_expire_idle_and_absolute(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.offline_client("rp").await;
    app.alice().await;
    let day = Duration::from_secs(24 * 3600);

    // Idle: unused for 30 days.
    let idle = login_tokens(&app, &client, "openid offline_access").await;
    app.clock.advance(day * 30);
    assert_eq!(error_of(app.refresh(&client, &s(&idle, "refresh_token"), None).await).await.1, "invalid_grant");

    // Absolute: used every 29 days, the family still ends 90 days after the login.
    let mut current = login_tokens(&app, &client, "openid offline_access").await;
    for _ in 0..3 {
        app.clock.advance(day * 29);
        current = refreshed(&app, &client, &s(&current, "refresh_token")).await;
    }
    app.clock.advance(day * 3);
    assert_eq!(error_of(app.refresh(&client, &s(&current, "refresh_token"), None).await).await.1, "invalid_grant");
}

async fn a_disabled_user_stops_refreshing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.offline_client("rp").await;
    app.alice().await;
    let first = login_tokens(&app, &client, "openid offline_access").await;

    app.store.set_disabled("alice", true, app.clock.now()).await.unwrap();

    assert_eq!(error_of(app.refresh(&client, &s(&first, "refresh_token"), None).await).await.1, "invalid_grant");
    assert_eq!(app.userinfo_status(&s(&first, "access_token")).await, 401);
}

async fn offline_access_needs_the_refresh_grant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await; // authorization_code only
    app.alice().await;

    let tokens = login_tokens(&app, &client, "openid offline_access").await;

    assert!(tokens.get("refresh_token").is_none());
    assert_eq!(tokens["scope"], "openid");
    let response = app.refresh(&client, "anything", None).await;
    assert_eq!(error_of(response).await, (400, "unauthorized_client".into()));
}

async fn the_grace_window_returns_the_same_successor(backend: Backend) {
    let options = Options { extra_config: "[lifetimes]\nrefresh_reuse_grace = \"10s\"\n".into(), ..Options::default() };
    let app = TestApp::spawn_with(backend, options).await;
    let client = app.offline_client("rp").await;
    app.alice().await;
    let first = login_tokens(&app, &client, "openid offline_access").await;
    let token = s(&first, "refresh_token");

    // Several tabs refresh at once: every success is the same successor, no new branch.
    let attempts = (0..10).map(|_| {
        let request =
            app.request_as("/token", &client, &[("grant_type", "refresh_token"), ("refresh_token", token.as_str())]);
        tokio::spawn(async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        })
    });
    let mut successors = Vec::new();
    for attempt in attempts.collect::<Vec<_>>() {
        let (status, body) = attempt.await.unwrap();
        assert_eq!(status, 200, "{body}");
        successors.push(s(&body, "refresh_token"));
    }
    successors.dedup();
    assert_eq!(successors.len(), 1, "one successor: {successors:?}");
    let successor = successors.remove(0);

    // A retry within the window still gets it, with fresh access and ID tokens.
    app.clock.advance(Duration::from_secs(5));
    let retry = refreshed(&app, &client, &token).await;
    assert_eq!(s(&retry, "refresh_token"), successor);
    assert_eq!(jwt_claims(&s(&retry, "id_token"))["iat"].as_i64().unwrap(), app.clock.now());

    // Once the successor is itself rotated, the old token is an ancestor: reuse.
    let third = refreshed(&app, &client, &successor).await;
    let ancestor = app.refresh(&client, &token, None).await;
    assert_eq!(error_of(ancestor).await.1, "invalid_grant");
    assert_eq!(error_of(app.refresh(&client, &s(&third, "refresh_token"), None).await).await.1, "invalid_grant");

    // Outside the window, reuse of the just-spent token revokes too.
    let fresh = login_tokens(&app, &client, "openid offline_access").await;
    let next = refreshed(&app, &client, &s(&fresh, "refresh_token")).await;
    app.clock.advance(Duration::from_secs(11));
    assert_eq!(error_of(app.refresh(&client, &s(&fresh, "refresh_token"), None).await).await.1, "invalid_grant");
    assert_eq!(error_of(app.refresh(&client, &s(&next, "refresh_token"), None).await).await.1, "invalid_grant");

    // The store keeps no successor in clear, and keeps the seal only while the window
    // can need it.
    let hash = gatehouse::secret::hash(&token);
    let stored = app.store.find_refresh_token(&hash).await.unwrap().unwrap();
    let sealed = stored.successor_sealed.unwrap();
    assert!(!sealed.windows(successor.len()).any(|w| w == successor.as_bytes()));
    app.clock.advance(Duration::from_secs(61));
    app.store.sweep(&gatehouse::upkeep::sweep_cutoffs(app.clock.now())).await.unwrap();
    assert_eq!(app.store.find_refresh_token(&hash).await.unwrap().unwrap().successor_sealed, None);

    // Inside the window, another client or a disabled user gets nothing.
    let other = app.offline_client("rp2").await;
    let fresh = login_tokens(&app, &client, "openid offline_access").await;
    refreshed(&app, &client, &s(&fresh, "refresh_token")).await;
    assert_eq!(error_of(app.refresh(&other, &s(&fresh, "refresh_token"), None).await).await.1, "invalid_grant");
    app.store.set_disabled("alice", true, app.clock.now()).await.unwrap();
    assert_eq!(error_of(app.refresh(&client, &s(&fresh, "refresh_token"), None).await).await.1, "invalid_grant");
}

async fn code_replay_revokes_the_refresh_token_too(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.offline_client("rp").await;
    app.alice().await;
    let mut params = auth_params(&client, "openid offline_access");
    params.push(("prompt", "consent"));
    let back = Browser::default().authorize_and_log_in(&app, &params).await;
    let code = query(&back, "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("code_verifier", VERIFIER),
    ];
    let first: Value = app.token(&client, &form).await.json().await.unwrap();

    app.clock.advance(Duration::from_secs(30));
    let replay = app.token(&client, &form).await;

    assert_eq!(error_of(replay).await, (400, "invalid_grant".into()));
    assert_eq!(error_of(app.refresh(&client, &s(&first, "refresh_token"), None).await).await.1, "invalid_grant");
    assert_eq!(app.userinfo_status(&s(&first, "access_token")).await, 401);
}

async fn concurrent_redemptions_revoke_the_winners_refresh_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.offline_client("rp").await;
    app.alice().await;
    let mut params = auth_params(&client, "openid offline_access");
    params.push(("prompt", "consent"));
    let back = Browser::default().authorize_and_log_in(&app, &params).await;
    let code = query(&back, "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("code_verifier", VERIFIER),
    ];

    let attempts = (0..20).map(|_| {
        let request = app.request_as("/token", &client, &form);
        tokio::spawn(async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        })
    });
    let mut winners = Vec::new();
    for attempt in attempts.collect::<Vec<_>>() {
        let (status, body) = attempt.await.unwrap();
        match status {
            200 => winners.push(body),
            _ => assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}"),
        }
    }

    assert_eq!(winners.len(), 1, "exactly one redemption wins");
    let winner = &winners[0];
    assert_eq!(error_of(app.refresh(&client, &s(winner, "refresh_token"), None).await).await.1, "invalid_grant");
    assert_eq!(app.userinfo_status(&s(winner, "access_token")).await, 401);
}
