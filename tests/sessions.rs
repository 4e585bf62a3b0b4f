//! Browser sessions' two lifetimes: a session ends when it has not been used for the
//! idle lifetime (default 8 h), and at the latest the absolute lifetime (default 1 day)
//! after the login, however much it is used. Using it is single sign-on: an
//! authorization request answered from the session.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gatehouse::clock::Clock;

use crate::backend_tests;
use crate::common::{Backend, Browser, Options, TestApp, TestClient, auth_params, location};

backend_tests!(
    a_session_unused_for_the_idle_lifetime_ends,
    each_use_moves_the_idle_end_forward,
    the_absolute_lifetime_ends_a_session_in_use,
    session_lifetimes_are_configurable,
    a_short_idle_lifetime_moves_with_each_use,
);

const HOUR: u64 = 60 * 60;

/// Whether `browser`'s session answers an authorization request for `client` without
/// a login page.
async fn signs_in_silently(app: &TestApp, browser: &mut Browser, client: &TestClient) -> bool {
    let response = browser.authorize(app, &auth_params(client, "openid")).await;
    assert_eq!(response.status(), 303);
    let to = location(&response);
    let silent = to.starts_with(&client.redirect_uri);
    assert!(silent || to.contains("/login?request="), "neither the client nor the login page: {to}");
    silent
}

/// A browser in which alice (already a user) has just logged in for `client`.
async fn logged_in(app: &TestApp, client: &TestClient) -> Browser {
    let mut browser = Browser::default();
    let back = browser.authorize_and_log_in(app, &auth_params(client, "openid")).await;
    assert!(back.as_str().starts_with(&client.redirect_uri));
    browser
}

async fn a_session_unused_for_the_idle_lifetime_ends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = logged_in(&app, &client).await;

    app.clock.advance(Duration::from_secs(8 * HOUR - 1));
    let mut other = Browser { cookies: browser.cookies.clone(), ..Browser::default() };
    assert!(signs_in_silently(&app, &mut other, &client).await, "a second before the idle end");

    let mut fresh = logged_in(&app, &client).await;
    app.clock.advance(Duration::from_secs(8 * HOUR));
    assert!(!signs_in_silently(&app, &mut fresh, &client).await, "unused for 8 h: the session has ended");
    // The first browser's session was used 8 h ago: it has ended too.
    assert!(!signs_in_silently(&app, &mut browser, &client).await);
}

async fn each_use_moves_the_idle_end_forward(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = logged_in(&app, &client).await;

    // Used every 7 hours, the session outlives two idle lifetimes...
    for _ in 0..2 {
        app.clock.advance(Duration::from_secs(7 * HOUR));
        assert!(signs_in_silently(&app, &mut browser, &client).await);
    }
    // ...and ends 8 hours after its last use.
    app.clock.advance(Duration::from_secs(8 * HOUR));
    assert!(!signs_in_silently(&app, &mut browser, &client).await);
}

async fn the_absolute_lifetime_ends_a_session_in_use(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    let alice = app.alice().await;
    let mut browser = logged_in(&app, &client).await;

    for _ in 0..3 {
        app.clock.advance(Duration::from_secs(7 * HOUR));
        assert!(signs_in_silently(&app, &mut browser, &client).await);
    }
    // 21 h after the login it was used; a day after the login it ends all the same.
    app.clock.advance(Duration::from_secs(3 * HOUR - 1));
    assert!(signs_in_silently(&app, &mut browser, &client).await, "a second before the absolute end");
    app.clock.advance(Duration::from_secs(1));
    assert!(!signs_in_silently(&app, &mut browser, &client).await, "a day after the login");
    let sessions = app.store.list_user_sessions(&alice, app.clock.now()).await.unwrap();
    assert!(sessions.is_empty(), "{sessions:?}");
}

async fn session_lifetimes_are_configurable(backend: Backend) {
    let extra_config = "[lifetimes]\nsession = \"10m\"\nsession_idle = \"2m\"\n".to_owned();
    let app = TestApp::spawn_with(backend, Options { extra_config, ..Options::default() }).await;
    let client = app.client().await;
    let alice = app.alice().await;
    let mut browser = logged_in(&app, &client).await;
    let sessions = app.store.list_user_sessions(&alice, app.clock.now()).await.unwrap();
    let [session] = sessions.as_slice() else { panic!("one session: {sessions:?}") };
    assert_eq!(session.expires_at - session.auth_time, 600);
    assert_eq!(session.idle_expires_at - session.auth_time, 120);

    // Used every 100 s, it lives until the absolute end at 10 minutes.
    for _ in 0..5 {
        app.clock.advance(Duration::from_secs(100));
        assert!(signs_in_silently(&app, &mut browser, &client).await);
    }
    app.clock.advance(Duration::from_secs(100));
    assert!(!signs_in_silently(&app, &mut browser, &client).await, "600 s after the login");

    let mut idle = logged_in(&app, &client).await;
    app.clock.advance(Duration::from_secs(120));
    assert!(!signs_in_silently(&app, &mut idle, &client).await, "unused for 2 minutes");
}

/// An idle lifetime shorter than the usual one-minute write interval still moves with
/// each use: a session used every 20 s of a 30 s idle lifetime lives on.
async fn a_short_idle_lifetime_moves_with_each_use(backend: Backend) {
    let extra_config = "[lifetimes]\nsession_idle = \"30s\"\n".to_owned();
    let app = TestApp::spawn_with(backend, Options { extra_config, ..Options::default() }).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = logged_in(&app, &client).await;

    for _ in 0..4 {
        app.clock.advance(Duration::from_secs(20));
        assert!(signs_in_silently(&app, &mut browser, &client).await);
    }
    app.clock.advance(Duration::from_secs(30));
    assert!(!signs_in_silently(&app, &mut browser, &client).await, "30 s unused");
}
