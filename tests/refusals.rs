//! Refusals at the browser's endpoints say why in the server's log: one `info` line
//! each, with the endpoint, the client, the user's id and the error, and nothing
//! typed into a form or carried by a cookie. (Clients' endpoints: `refusals_token`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gatehouse::clock::Clock;

use crate::backend_tests;
use crate::common::{Backend, Browser, TestApp, auth_params, location, open_form, query};

backend_tests!(
    an_error_redirect_to_the_client_is_logged,
    an_error_page_is_logged_without_an_unregistered_client_id,
    a_wrong_password_is_logged_with_the_users_id,
    an_unknown_username_is_logged_nowhere,
    disabled_throttled_and_expired_logins_are_logged,
);

/// Every cookie the browser holds: none of their values may be logged.
fn cookie_values(browser: &Browser) -> Vec<&str> {
    browser.cookies.values().map(String::as_str).collect()
}

async fn an_error_redirect_to_the_client_is_logged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    let mut params = auth_params(&client, "openid");
    params.push(("prompt", "none"));

    let response = Browser::default().authorize(&app, &params).await;

    // The client sees what it always saw...
    assert_eq!(response.status(), 303);
    let back = url::Url::parse(&location(&response)).unwrap();
    assert_eq!(query(&back, "error").as_deref(), Some("login_required"));
    // ...and the log says the same, once.
    let line = app.log.one_refusal("/authorize", Some("rp"), Some("login_required"));
    assert_eq!(line.message, "refused: the user must log in");

    // A request error after the redirect URI is verified goes the same way.
    let without_pkce: Vec<_> =
        auth_params(&client, "openid").into_iter().filter(|(k, _)| k != &"code_challenge").collect();
    let response = Browser::default().authorize(&app, &without_pkce).await;
    assert_eq!(response.status(), 303);
    let line = app.log.one_refusal("/authorize", Some("rp"), Some("invalid_request"));
    assert_eq!(line.message, "refused: code_challenge_method without code_challenge");
}

async fn an_error_page_is_logged_without_an_unregistered_client_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;

    // A registered client with a redirect URI it did not register: a page, never a redirect.
    let mut params = auth_params(&client, "openid");
    params.retain(|(k, _)| *k != "redirect_uri");
    params.push(("redirect_uri", "https://attacker.example/cb"));
    let response = Browser::default().authorize(&app, &params).await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("The redirect_uri is not registered for this application."));
    let line = app.log.one_refusal("/authorize", Some("rp"), Some("invalid_request"));
    assert_eq!(line.message, "refused: redirect_uri is not one registered for the client");

    // An unregistered client id may be anything pasted into the wrong field: not logged.
    let pasted = "s3cret-pasted-as-client-id";
    let mut params = auth_params(&client, "openid");
    params.retain(|(k, _)| *k != "client_id");
    params.push(("client_id", pasted));
    let response = Browser::default().authorize(&app, &params).await;
    assert_eq!(response.status(), 400);
    let line = app.log.one_refusal("/authorize", None, Some("invalid_client"));
    assert_eq!(line.message, "refused: no client is registered with that client_id");

    // Malformed parameters are refused by the page's extractor, and logged alike.
    let response = app.get("/authorize?client_id=rp&client_id=rp").await;
    assert_eq!(response.status(), 400);
    let line = app.log.one_refusal("/authorize", None, Some("invalid_request"));
    assert_eq!(line.message, "refused: parameter client_id is given more than once");
    app.log.assert_absent(&[pasted]);
}

async fn a_wrong_password_is_logged_with_the_users_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    let alice = app.alice().await;
    let mut browser = Browser::default();
    let form = open_form(&app, &mut browser, &client).await;
    let password = "looking-glass-typed-by-mistake";

    let response = browser.post(&app, &form.path, &form.with("alice", password)).await;

    assert_eq!(response.status(), 401);
    let line = app.log.one_refusal("/login", Some("rp"), Some("access_denied"));
    assert_eq!(line.field("user"), Some(alice.as_str()), "the user's id, not the name typed");
    assert_eq!(line.message, "refused: the password is wrong");
    let mut secrets = vec![password, "wonderland", form.csrf.as_str(), form.request.as_str()];
    secrets.extend(cookie_values(&browser));
    app.log.assert_absent(&secrets);
    assert!(!line.raw.contains("alice"), "{line:?}");
}

async fn an_unknown_username_is_logged_nowhere(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();
    let form = open_form(&app, &mut browser, &client).await;
    // A password typed into the username field.
    let typed = "wonderland-in-the-wrong-field";

    let response = browser.post(&app, &form.path, &form.with(typed, "")).await;

    assert_eq!(response.status(), 401);
    let line = app.log.one_refusal("/login", Some("rp"), Some("access_denied"));
    assert_eq!(line.field("user"), None);
    assert_eq!(line.message, "refused: no user has that username");
    app.log.assert_absent(&[typed]);
}

async fn disabled_throttled_and_expired_logins_are_logged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    let alice = app.alice().await;
    let bob = app.add_user("bob", "bob-the-builder-pw", serde_json::json!({})).await;
    assert!(app.store.set_disabled("bob", true, app.clock.now()).await.unwrap());
    let mut browser = Browser::default();
    let form = open_form(&app, &mut browser, &client).await;

    // A disabled user, even with the right password.
    assert_eq!(browser.post(&app, &form.path, &form.with("bob", "bob-the-builder-pw")).await.status(), 401);
    let line = app.log.one_refusal("/login", Some("rp"), Some("access_denied"));
    assert_eq!((line.field("user"), &*line.message), (Some(bob.as_str()), "refused: the user is disabled"));

    // Throttled: five failures, then even the right password waits; each is one line.
    for _ in 0..5 {
        assert_eq!(browser.post(&app, &form.path, &form.with("alice", "guess")).await.status(), 401);
        app.log.one_refusal("/login", Some("rp"), Some("access_denied"));
    }
    assert_eq!(browser.post(&app, &form.path, &form.with("alice", "wonderland")).await.status(), 429);
    let line = app.log.one_refusal("/login", Some("rp"), Some("access_denied"));
    assert_eq!(line.field("user"), Some(alice.as_str()));
    assert_eq!(line.message, "refused: too many failed attempts: blocked for 30 s more");

    // A form without its CSRF token: the login cannot go on.
    let forged = [("request", form.request.as_str()), ("username", "alice"), ("password", "wonderland")];
    assert_eq!(browser.post(&app, &form.path, &forged).await.status(), 403);
    let line = app.log.one_refusal("/login", None, Some("invalid_request"));
    assert_eq!(line.message, "refused: the form's CSRF token is not this browser's for this request");

    let mut secrets = vec!["wonderland", "bob-the-builder-pw", "guess", form.csrf.as_str(), form.request.as_str()];
    secrets.extend(cookie_values(&browser));
    app.log.assert_absent(&secrets);
}
