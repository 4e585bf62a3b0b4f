//! Headless login: under `gatehouse dev`, an authorization request whose
//! `login_hint` names an enabled user gets a code without a page; under `serve`,
//! never, whatever the request says.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gatehouse::clock::Clock;
use gatehouse::oauth::dev::DevMode;

use crate::backend_tests;
use crate::common::{Backend, Browser, Options, TestApp, auth_params, location, query};

backend_tests!(
    dev_login_hint_gets_a_code_at_once,
    dev_login_page_when_the_request_asks_for_it,
    dev_login_page_for_an_unknown_or_disabled_hint,
    dev_auto_login_logs_in_without_a_hint,
    serve_never_logs_in_without_a_page,
);

async fn dev_app(backend: Backend, auto_login: Option<&str>) -> TestApp {
    let dev = DevMode { auto_login: auto_login.map(str::to_owned) };
    TestApp::spawn_with(backend, Options { dev: Some(dev), ..Default::default() }).await
}

/// Whether `response` sends the browser to the login page (no code yet).
fn to_login_page(app: &TestApp, response: &reqwest::Response) -> bool {
    response.status() == 303 && location(response).starts_with(&format!("{}/login?", url_path(app)))
}

fn url_path(app: &TestApp) -> String {
    url::Url::parse(&app.issuer).unwrap().path().trim_end_matches('/').to_owned()
}

async fn dev_login_hint_gets_a_code_at_once(backend: Backend) {
    let app = dev_app(backend, None).await;
    let client = app.client().await;
    let sub = app.alice().await;
    let mut browser = Browser::default();
    let mut params = auth_params(&client, "openid email");
    params.push(("login_hint", "alice"));

    let response = browser.authorize(&app, &params).await;

    assert_eq!(response.status(), 303);
    let back = url::Url::parse(&location(&response)).unwrap();
    assert!(back.as_str().starts_with(&client.redirect_uri), "{back}");
    assert_eq!(query(&back, "state").as_deref(), Some("st-123"));
    assert_eq!(browser.set_cookies.len(), 1, "a session cookie, and nothing else: {:?}", browser.set_cookies);
    let tokens = app.redeem(&client, &query(&back, "code").unwrap()).await;
    let id_token = crate::common::jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["sub"], sub.as_str());
    assert_eq!(id_token["nonce"], "n-456");

    // The session is a real one: the next request is answered from it, and a second
    // headless login replaces it rather than leaving it behind.
    let old = browser.cookie_header();
    let again = browser.authorize(&app, &auth_params(&client, "openid")).await;
    assert!(location(&again).starts_with(&client.redirect_uri), "single sign-on from the headless session");
    let mut forced = auth_params(&client, "openid");
    forced.push(("login_hint", "alice"));
    forced.push(("max_age", "1"));
    app.clock.advance(std::time::Duration::from_secs(5));
    let replaced = browser.authorize(&app, &forced).await;
    assert!(location(&replaced).starts_with(&client.redirect_uri));
    assert_ne!(browser.cookie_header(), old, "a new session cookie");
    let stale = app.http.get(app.url("/authorize")).header("cookie", old);
    let stale = stale.query(&auth_params(&client, "openid")).send().await.unwrap();
    assert!(to_login_page(&app, &stale), "the old session is gone");
}

async fn dev_login_page_when_the_request_asks_for_it(backend: Backend) {
    let app = dev_app(backend, None).await;
    let client = app.client().await;
    app.alice().await;
    for extra in [("prompt", "login"), ("prompt", "consent"), ("prompt", "login consent"), ("max_age", "0")] {
        let mut params = auth_params(&client, "openid");
        params.push(("login_hint", "alice"));
        params.push(extra);
        let response = Browser::default().authorize(&app, &params).await;
        assert!(to_login_page(&app, &response), "{extra:?}: {}", location(&response));
    }
}

async fn dev_login_page_for_an_unknown_or_disabled_hint(backend: Backend) {
    let app = dev_app(backend, None).await;
    let client = app.client().await;
    app.alice().await;
    app.add_user("bob", "builder-password", serde_json::json!({})).await;
    assert!(app.store.set_disabled("bob", true, app.clock.now()).await.unwrap());
    for hint in [None, Some("nobody"), Some("bob")] {
        let mut params = auth_params(&client, "openid");
        params.extend(hint.map(|h| ("login_hint", h)));
        let response = Browser::default().authorize(&app, &params).await;
        assert!(to_login_page(&app, &response), "{hint:?}: {}", location(&response));
    }
}

async fn dev_auto_login_logs_in_without_a_hint(backend: Backend) {
    let app = dev_app(backend, Some("alice")).await;
    let client = app.client().await;
    let sub = app.alice().await;
    app.add_user("bob", "builder-password", serde_json::json!({})).await;
    let mut params = auth_params(&client, "openid");
    params.push(("login_hint", "bob"));

    let response = Browser::default().authorize(&app, &params).await;

    let back = url::Url::parse(&location(&response)).unwrap();
    let tokens = app.redeem(&client, &query(&back, "code").unwrap()).await;
    let id_token = crate::common::jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["sub"], sub.as_str(), "the --auto-login user, whatever the hint");
    params.push(("prompt", "login"));
    assert!(to_login_page(&app, &Browser::default().authorize(&app, &params).await));
}

async fn serve_never_logs_in_without_a_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    for extra in [None, Some(("prompt", "select_account")), Some(("max_age", "3600"))] {
        let mut params = auth_params(&client, "openid");
        params.push(("login_hint", "alice"));
        params.extend(extra);
        let response = Browser::default().authorize(&app, &params).await;
        assert!(to_login_page(&app, &response), "{extra:?}: {}", location(&response));
    }
    let none = [auth_params(&client, "openid"), vec![("login_hint", "alice"), ("prompt", "none")]].concat();
    let response = Browser::default().authorize(&app, &none).await;
    let back = url::Url::parse(&location(&response)).unwrap();
    assert_eq!(query(&back, "error").as_deref(), Some("login_required"));
}
