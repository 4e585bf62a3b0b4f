//! Brute force: failed logins are throttled per account and per client address with
//! 429 and Retry-After, and the block passes. (Parallel logins: `throttle_parallel`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::time::Duration;

use gatehouse::oauth::throttle::{account_key, address_key};

use crate::backend_tests;
use crate::common::{Backend, Browser, Form, Options, TestApp, open_form};

backend_tests!(
    an_account_is_slowed_after_five_failures_then_recovers,
    an_address_is_slowed_after_twenty_failures,
    a_trusted_proxy_header_names_the_address,
    without_a_usable_proxy_header_the_peer_address_is_throttled,
    a_long_username_gets_a_normal_answer_and_is_stored_hashed,
);

fn ip(address: &str) -> IpAddr {
    address.parse().unwrap()
}

async fn submit(app: &TestApp, browser: &mut Browser, form: &Form, user: &str, pw: &str) -> reqwest::Response {
    browser.post(app, &form.path, &form.with(user, pw)).await
}

async fn an_account_is_slowed_after_five_failures_then_recovers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();
    let form = open_form(&app, &mut browser, &client).await;

    for _ in 0..5 {
        assert_eq!(submit(&app, &mut browser, &form, "alice", "guess").await.status(), 401);
    }
    // Even the right password waits now, and the page says for how long.
    let blocked = submit(&app, &mut browser, &form, "Alice", "wonderland").await;
    assert_eq!(blocked.status(), 429);
    assert_eq!(blocked.headers()["retry-after"], "30");
    assert!(blocked.text().await.unwrap().contains("Try again in 30 seconds"));
    // Unknown accounts are throttled alike, so throttling reveals nothing.
    for _ in 0..5 {
        submit(&app, &mut browser, &form, "nobody", "guess").await;
    }
    assert_eq!(submit(&app, &mut browser, &form, "nobody", "guess").await.status(), 429);

    // One more failure after the block doubles it; then time passes and the user gets in.
    app.clock.advance(Duration::from_secs(31));
    assert_eq!(submit(&app, &mut browser, &form, "alice", "guess").await.status(), 401);
    assert_eq!(submit(&app, &mut browser, &form, "alice", "wonderland").await.headers()["retry-after"], "60");
    app.clock.advance(Duration::from_secs(61));
    let done = submit(&app, &mut browser, &form, "alice", "wonderland").await;
    assert_eq!(done.status(), 303, "the block passed");
    assert!(app.store.find_throttle(&account_key("alice")).await.unwrap().is_none(), "success clears the account");
}

async fn an_address_is_slowed_after_twenty_failures(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();
    let form = open_form(&app, &mut browser, &client).await;

    // Spraying many accounts from one address.
    for i in 0..20 {
        assert_eq!(submit(&app, &mut browser, &form, &format!("user{i}"), "guess").await.status(), 401);
    }

    assert_eq!(submit(&app, &mut browser, &form, "alice", "wonderland").await.status(), 429);
    assert!(app.store.find_throttle(&address_key(ip("127.0.0.1"))).await.unwrap().unwrap().blocked_until.is_some());
}

async fn a_trusted_proxy_header_names_the_address(backend: Backend) {
    let options = Options { extra_config: "client_ip_header = \"X-Forwarded-For\"\n".into(), ..Options::default() };
    let app = TestApp::spawn_with(backend, options).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();
    let form = open_form(&app, &mut browser, &client).await;
    let cookies = browser.cookie_header();
    let url = url::Url::parse(&app.issuer).unwrap().join(&form.path).unwrap().to_string();
    let post = |forwarded: &'static str, user: String| {
        let fields = [
            ("request", form.request.clone()),
            ("csrf", form.csrf.clone()),
            ("username", user),
            ("password", "guess".to_owned()),
        ];
        app.http.post(&url).header("cookie", &cookies).header("x-forwarded-for", forwarded).form(&fields).send()
    };

    for i in 0..20 {
        post("198.51.100.1, 203.0.113.5", format!("user{i}")).await.unwrap();
    }

    assert!(app.store.find_throttle(&address_key(ip("203.0.113.5"))).await.unwrap().unwrap().blocked_until.is_some());
    assert!(app.store.find_throttle(&address_key(ip("127.0.0.1"))).await.unwrap().is_none(), "the proxy is not blamed");
    assert_eq!(post("203.0.113.5", "x".into()).await.unwrap().status(), 429);
    assert_eq!(post("203.0.113.9", "y".into()).await.unwrap().status(), 401);
}

async fn without_a_usable_proxy_header_the_peer_address_is_throttled(backend: Backend) {
    let options = Options { extra_config: "client_ip_header = \"X-Forwarded-For\"\n".into(), ..Options::default() };
    let app = TestApp::spawn_with(backend, options).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();
    let form = open_form(&app, &mut browser, &client).await;
    let cookies = browser.cookie_header();
    let url = url::Url::parse(&app.issuer).unwrap().join(&form.path).unwrap().to_string();
    let post = |forwarded: Option<&'static str>, user: String| {
        let fields = [
            ("request", form.request.clone()),
            ("csrf", form.csrf.clone()),
            ("username", user),
            ("password", "guess".to_owned()),
        ];
        let request = app.http.post(&url).header("cookie", &cookies).form(&fields);
        match forwarded {
            Some(forwarded) => request.header("x-forwarded-for", forwarded),
            None => request,
        }
        .send()
    };

    // Requests that bypass the proxy, or carry a last entry that is no address, count
    // against the address they come from (here the peer, 127.0.0.1).
    for i in 0..20 {
        let forwarded = [None, Some("not-an-address"), Some("203.0.113.5, "), Some("203.0.113.5, 198.51.100.7:443")];
        let response = post(forwarded[i % 4], format!("user{i}")).await.unwrap();
        assert_eq!(response.status(), 401, "attempt {i}");
    }

    let peer = app.store.find_throttle(&address_key(ip("127.0.0.1"))).await.unwrap().unwrap();
    assert_eq!(peer.failures, 20);
    assert!(peer.blocked_until.is_some());
    assert!(app.store.find_throttle(&address_key(ip("203.0.113.5"))).await.unwrap().is_none());
    assert_eq!(post(None, "x".into()).await.unwrap().status(), 429);
    assert_eq!(post(Some("garbage"), "y".into()).await.unwrap().status(), 429);
    assert_eq!(post(Some("203.0.113.9"), "z".into()).await.unwrap().status(), 401, "a proxied client is itself");
}

async fn a_long_username_gets_a_normal_answer_and_is_stored_hashed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();
    let form = open_form(&app, &mut browser, &client).await;
    // 3.2 KB that do not compress: over PostgreSQL's limit for an index row (2704 bytes).
    let long: String = (0..100).map(|_| uuid::Uuid::new_v4().simple().to_string()).collect();

    let response = submit(&app, &mut browser, &form, &long, "guess").await;

    assert_eq!(response.status(), 401, "not a server error");
    let row = app.store.find_throttle(&account_key(&long)).await.unwrap().unwrap();
    assert_eq!((row.key.len(), row.failures), (32, 1));
    // Every stored key is a 32-byte hash: nothing typed is kept.
    let lengths = stored_key_lengths(&app).await;
    assert_eq!(lengths, vec![32, 32], "the account's key and the address's");
}

/// The length in bytes of every key in the throttle table, read with SQL.
async fn stored_key_lengths(app: &TestApp) -> Vec<i64> {
    use sqlx::Connection;
    let sql = "select length(key) from login_throttle order by 1";
    let lengths: Vec<(i32,)> = if app.db_url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&app.db_url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(&app.db_url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap()
    };
    lengths.into_iter().map(|(n,)| i64::from(n)).collect()
}
