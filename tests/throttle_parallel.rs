//! Brute force under concurrency: per account, no more guesses are checked at once
//! than may still fail before the block, while parallel correct logins all get in;
//! an attempt that must wait does so for a bounded time, also for attempts another
//! instance has in flight (held here through the store, as that instance would).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::time::{Duration, Instant};

use gatehouse::clock::Clock;
use gatehouse::oauth::throttle::{self, Keys, LEASE, WAIT, account_key, address_key};

use crate::backend_tests;
use crate::common::{Backend, Browser, Form, TestApp, TestClient, location, open_form, query};

backend_tests!(
    ten_parallel_correct_logins_of_one_account_all_get_their_code,
    forty_parallel_guesses_get_five_checked_and_the_rest_refused,
    a_waiting_login_goes_ahead_once_the_attempts_in_flight_succeed,
    a_waiting_login_is_refused_once_the_attempts_in_flight_fail,
    attempts_a_dead_instance_left_in_flight_hold_for_their_lease_only,
);

/// A login form opened in its own browser, ready to be posted from another task.
struct Opened {
    url: String,
    cookies: String,
    form: Form,
}

async fn open(app: &TestApp, client: &TestClient) -> Opened {
    let mut browser = Browser::default();
    let form = open_form(app, &mut browser, client).await;
    let url = url::Url::parse(&app.issuer).unwrap().join(&form.path).unwrap().to_string();
    Opened { url, cookies: browser.cookie_header(), form }
}

/// Posts the form with these credentials in a task of its own.
fn post(app: &TestApp, opened: &Opened, user: &str, pw: &str) -> tokio::task::JoinHandle<reqwest::Response> {
    let request = app.http.post(&opened.url).header("cookie", &opened.cookies).form(&opened.form.with(user, pw));
    tokio::spawn(async move { request.send().await.unwrap() })
}

fn localhost() -> IpAddr {
    "127.0.0.1".parse().unwrap()
}

/// Waits until the login has tried to get in (it took and gave back a slot under its
/// address) and so is waiting for the account's attempts in flight.
async fn until_it_waits(app: &TestApp) {
    let deadline = Instant::now() + WAIT;
    while app.store.find_throttle(&address_key(localhost())).await.unwrap().is_none() {
        assert!(Instant::now() < deadline, "the login never tried");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn ten_parallel_correct_logins_of_one_account_all_get_their_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut forms = Vec::new();
    for _ in 0..10 {
        forms.push(open(&app, &client).await);
    }

    let logins: Vec<_> = forms.iter().map(|opened| post(&app, opened, "alice", "wonderland")).collect();

    for login in logins {
        let response = login.await.unwrap();
        assert_eq!(response.status(), 303, "{:?}", response.headers().get("retry-after"));
        assert!(query(&url::Url::parse(&location(&response)).unwrap(), "code").is_some());
    }
    assert!(app.store.find_throttle(&account_key("alice")).await.unwrap().is_none(), "nothing counted");
    let address = app.store.find_throttle(&address_key(localhost())).await.unwrap().unwrap();
    assert_eq!((address.failures, address.in_flight), (0, 0));
}

async fn forty_parallel_guesses_get_five_checked_and_the_rest_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let opened = open(&app, &client).await;

    let guesses: Vec<_> = (0..40).map(|i| post(&app, &opened, "alice", &format!("guess{i}"))).collect();

    let mut checked = 0;
    for guess in guesses {
        let response = guess.await.unwrap();
        match response.status().as_u16() {
            401 => checked += 1,
            429 => assert_eq!(response.headers()["retry-after"], "30"),
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(checked, 5, "only as many guesses as may fail before the block reach the password check");
    let account = app.store.find_throttle(&account_key("alice")).await.unwrap().unwrap();
    assert_eq!((account.failures, account.in_flight), (5, 0));
    assert_eq!(account.blocked_until, Some(app.clock.now() + 30));
}

/// Five attempts under `keys` being checked by another instance: as many as may
/// still fail on an account before a block.
async fn five_in_flight<'k>(app: &TestApp, keys: &'k Keys) -> Vec<throttle::Attempt<'k>> {
    let mut in_flight = Vec::new();
    for _ in 0..5 {
        in_flight.push(throttle::admit(app.store.as_ref(), keys, app.clock.now()).await.unwrap().unwrap());
    }
    in_flight
}

async fn a_waiting_login_goes_ahead_once_the_attempts_in_flight_succeed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let opened = open(&app, &client).await;
    // Another instance checks five attempts on alice's account (from elsewhere).
    let elsewhere = Keys::new("alice", None);
    let mut in_flight = five_in_flight(&app, &elsewhere).await;

    let login = post(&app, &opened, "alice", "wonderland");
    until_it_waits(&app).await;
    // One of them succeeds: the account's count is cleared and there is room again.
    in_flight.pop().unwrap().succeeded(app.store.as_ref()).await.unwrap();

    assert_eq!(login.await.unwrap().status(), 303);
    for attempt in in_flight {
        attempt.failed(app.store.as_ref()).await.unwrap();
    }
    let account = app.store.find_throttle(&account_key("alice")).await.unwrap().unwrap();
    assert_eq!((account.failures, account.in_flight, account.blocked_until), (4, 0, None));
}

async fn a_waiting_login_is_refused_once_the_attempts_in_flight_fail(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let opened = open(&app, &client).await;
    let elsewhere = Keys::new("alice", None);
    let in_flight = five_in_flight(&app, &elsewhere).await;

    let login = post(&app, &opened, "alice", "wonderland");
    until_it_waits(&app).await;
    for attempt in in_flight {
        attempt.failed(app.store.as_ref()).await.unwrap();
    }

    // The five failures began the block: even the right password waits it out.
    let response = login.await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "30");
    app.clock.advance(Duration::from_secs(30));
    assert_eq!(post(&app, &opened, "alice", "wonderland").await.unwrap().status(), 303);
}

async fn attempts_a_dead_instance_left_in_flight_hold_for_their_lease_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let opened = open(&app, &client).await;
    // An instance admits five attempts on alice's account and dies before they end.
    let elsewhere = Keys::new("alice", None);
    for _ in 0..5 {
        let _lost = throttle::admit(app.store.as_ref(), &elsewhere, app.clock.now()).await.unwrap().unwrap();
    }

    // A login waits for them, a bounded time, and is then refused until the lease lapses.
    let started = Instant::now();
    let response = post(&app, &opened, "alice", "wonderland").await.unwrap();
    let waited = started.elapsed();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], LEASE.to_string());
    assert!(waited >= WAIT - Duration::from_millis(200) && waited < WAIT * 2, "waited {waited:?}");

    app.clock.advance(Duration::from_secs(LEASE.unsigned_abs()));
    assert_eq!(post(&app, &opened, "alice", "wonderland").await.unwrap().status(), 303);
}
