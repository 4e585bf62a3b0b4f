//! The login page's error paths: bad credentials, CSRF, the binding of a pending
//! request to its browser, its lifetime and single use, and the cookies it sets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use crate::backend_tests;
use crate::common::{Backend, Browser, Options, TestApp, auth_params, hidden, location, open_form, query};

backend_tests!(
    bad_credentials_get_one_generic_answer_and_no_session,
    the_form_needs_its_csrf_token,
    a_pending_request_belongs_to_the_browser_that_started_it,
    a_pending_request_expires_after_fifteen_minutes,
    a_login_form_is_used_once,
    logging_in_needs_the_browser_cookie,
    cookies_are_http_only_lax_and_scoped_to_the_issuer,
    behind_https_cookies_are_host_only_and_a_planted_one_is_ignored,
);

const FAILED: &str = "Incorrect username or password.";
const EXPIRED: &str = "This sign-in link has expired or was already used.";

fn session_cookies(browser: &Browser) -> Vec<&String> {
    browser.set_cookies.iter().filter(|c| c.starts_with("gatehouse_session=")).collect()
}

/// A refusal page: the status and message, no redirect, no session.
async fn assert_refused(response: reqwest::Response, status: u16, message: &str, case: &str) {
    assert_eq!(response.status(), status, "{case}");
    assert!(response.headers().get("location").is_none(), "{case}: no redirect");
    assert!(
        response.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("gatehouse_session")),
        "{case}: no session cookie"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains(message), "{case}: {html}");
}

async fn bad_credentials_get_one_generic_answer_and_no_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    app.add_user("bob", "builder", serde_json::json!({})).await;
    use gatehouse::clock::Clock;
    assert!(app.store.set_disabled("bob", true, app.clock.now()).await.unwrap());

    let cases = [
        ("wrong password", "alice", "looking-glass"),
        ("empty password", "alice", ""),
        ("unknown user", "mallory", "wonderland"),
        ("disabled user with the right password", "bob", "builder"),
    ];
    let mut pages = Vec::new();
    for (case, username, password) in cases {
        let mut browser = Browser::default();
        let form = open_form(&app, &mut browser, &client).await;
        let response = browser.post(&app, &form.path, &form.with(username, password)).await;

        assert_eq!(response.status(), 401, "{case}");
        assert!(response.headers().get("location").is_none(), "{case}");
        assert!(session_cookies(&browser).is_empty(), "{case}: no session");
        assert_eq!(response.headers()["x-frame-options"], "DENY");
        let html = response.text().await.unwrap();
        assert!(html.contains(FAILED), "{case}: {html}");
        // Still on the form, for the same request, with what was typed kept.
        assert_eq!(hidden(&html, "request"), form.request, "{case}");
        assert_eq!(hidden(&html, "csrf"), form.csrf, "{case}");
        assert!(html.contains(&format!(r#"name="username" value="{username}""#)), "{case}");
        pages.push((html.replace(&form.request, "").replace(&form.csrf, "").replace(username, ""), browser, form));
    }
    // Nothing on the page tells the cases apart.
    for (page, _, _) in &pages[1..] {
        assert_eq!(page, &pages[0].0);
    }

    // A failed attempt does not use up the request: the right password then succeeds.
    let (_, mut browser, form) = pages.remove(0);
    let done = browser.post(&app, &form.path, &form.with("alice", "wonderland")).await;
    assert_eq!(done.status(), 303);
    assert!(query(&url::Url::parse(&location(&done)).unwrap(), "code").is_some());
    assert_eq!(session_cookies(&browser).len(), 1);
}

async fn the_form_needs_its_csrf_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();
    let form = open_form(&app, &mut browser, &client).await;
    let other = open_form(&app, &mut browser, &client).await;
    assert_ne!(form.request, other.request);

    let forged = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let cases: [(&str, Vec<(&str, &str)>); 4] = [
        ("missing csrf", vec![("request", &form.request), ("username", "alice"), ("password", "wonderland")]),
        (
            "forged csrf",
            vec![("request", &form.request), ("csrf", forged), ("username", "alice"), ("password", "wonderland")],
        ),
        (
            "another request's csrf",
            vec![("request", &form.request), ("csrf", &other.csrf), ("username", "alice"), ("password", "wonderland")],
        ),
        (
            "empty csrf",
            vec![("request", &form.request), ("csrf", ""), ("username", "alice"), ("password", "wonderland")],
        ),
    ];
    for (case, fields) in cases {
        let response = browser.post(&app, &form.path, &fields).await;
        assert_refused(response, 403, "The form has expired", case).await;
    }
    assert!(session_cookies(&browser).is_empty());

    // The request survived the forgeries: with its own token the login goes through.
    let done = browser.post(&app, &form.path, &form.with("alice", "wonderland")).await;
    assert_eq!(done.status(), 303);
}

async fn a_pending_request_belongs_to_the_browser_that_started_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut victim = Browser::default();
    let form = open_form(&app, &mut victim, &client).await;
    // The attacker has a browser cookie of its own, from its own authorization request.
    let mut attacker = Browser::default();
    open_form(&app, &mut attacker, &client).await;
    assert_ne!(victim.cookies["gatehouse_browser"], attacker.cookies["gatehouse_browser"]);

    let page = attacker.get(&app, &format!("{}?request={}", form.path, form.request)).await;
    assert_refused(page, 400, EXPIRED, "GET with another browser").await;
    let response = attacker.post(&app, &form.path, &form.with("alice", "wonderland")).await;
    assert_refused(response, 400, EXPIRED, "POST with another browser").await;
    assert!(session_cookies(&attacker).is_empty());

    // The victim's own browser can still finish it.
    let done = victim.post(&app, &form.path, &form.with("alice", "wonderland")).await;
    assert_eq!(done.status(), 303);
    assert!(location(&done).starts_with(&client.redirect_uri));
}

async fn a_pending_request_expires_after_fifteen_minutes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();
    let form = open_form(&app, &mut browser, &client).await;
    let fresh = open_form(&app, &mut browser, &client).await;

    // Just inside its lifetime the form still works.
    app.clock.advance(Duration::from_secs(14 * 60));
    let page = browser.get(&app, &format!("{}?request={}", fresh.path, fresh.request)).await;
    assert_eq!(page.status(), 200);

    app.clock.advance(Duration::from_secs(2 * 60));
    let page = browser.get(&app, &format!("{}?request={}", form.path, form.request)).await;
    assert_refused(page, 400, EXPIRED, "GET after 16 minutes").await;
    let response = browser.post(&app, &form.path, &form.with("alice", "wonderland")).await;
    assert_refused(response, 400, EXPIRED, "POST after 16 minutes").await;
    assert!(session_cookies(&browser).is_empty());
}

async fn a_login_form_is_used_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();
    let form = open_form(&app, &mut browser, &client).await;

    let first = browser.post(&app, &form.path, &form.with("alice", "wonderland")).await;
    assert_eq!(first.status(), 303);
    assert!(query(&url::Url::parse(&location(&first)).unwrap(), "code").is_some());

    let second = browser.post(&app, &form.path, &form.with("alice", "wonderland")).await;
    assert_refused(second, 400, EXPIRED, "the same form again").await;
    let page = browser.get(&app, &format!("{}?request={}", form.path, form.request)).await;
    assert_refused(page, 400, EXPIRED, "the used form's page").await;
    assert_eq!(session_cookies(&browser).len(), 1, "one login, one session");
}

async fn logging_in_needs_the_browser_cookie(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();
    let form = open_form(&app, &mut browser, &client).await;
    let login = app.url("/login");

    let page = app.http.get(format!("{login}?request={}", form.request)).send().await.unwrap();
    assert_refused(page, 400, "Cookies must be enabled", "GET without cookies").await;
    let response = app.http.post(&login).form(&form.with("alice", "wonderland")).send().await.unwrap();
    assert_refused(response, 400, "Cookies must be enabled", "POST without cookies").await;
    let response = app
        .http
        .post(&login)
        .header("cookie", "gatehouse_browser=")
        .form(&form.with("alice", "wonderland"))
        .send()
        .await
        .unwrap();
    assert_refused(response, 400, "Cookies must be enabled", "POST with an empty cookie").await;
    // And the request id itself is required.
    let page = browser.get(&app, &login).await;
    assert_refused(page, 400, "The sign-in request is missing.", "GET without a request").await;
    let page = browser.get(&app, &format!("{login}?request=unknown")).await;
    assert_refused(page, 400, EXPIRED, "GET with an unknown request").await;
}

async fn cookies_are_http_only_lax_and_scoped_to_the_issuer(backend: Backend) {
    for issuer_path in ["", "/tenant"] {
        let options = Options { issuer_path: issuer_path.into(), ..Default::default() };
        let app = TestApp::spawn_with(backend, options).await;
        let client = app.client().await;
        app.alice().await;
        let mut browser = Browser::default();
        browser.authorize_and_log_in(&app, &auth_params(&client, "openid")).await;

        let path = if issuer_path.is_empty() { "/" } else { issuer_path };
        for name in ["gatehouse_browser", "gatehouse_session"] {
            let raw: Vec<&String> = browser.set_cookies.iter().filter(|c| c.starts_with(&format!("{name}="))).collect();
            assert_eq!(raw.len(), 1, "{name} is set once: {raw:?}");
            let attributes: Vec<String> = raw[0].split(';').skip(1).map(|a| a.trim().to_ascii_lowercase()).collect();
            assert!(attributes.contains(&"httponly".to_owned()), "{name}: {raw:?}");
            assert!(attributes.contains(&"samesite=lax".to_owned()), "{name}: {raw:?}");
            assert!(attributes.contains(&format!("path={path}")), "{name}: {raw:?}");
            assert!(!attributes.contains(&"secure".to_owned()), "{name}: no Secure for an http issuer: {raw:?}");
            assert!(!attributes.iter().any(|a| a.starts_with("domain")), "{name}: host-only: {raw:?}");
            let value = raw[0].split(';').next().unwrap().split_once('=').unwrap().1;
            assert!(value.len() >= 43, "{name}: at least 256 bits: {raw:?}");
        }
    }
}

/// Behind an https issuer the cookies carry the `__Host-` prefix (Secure, Path=/, no
/// Domain), so a cookie planted from a sibling domain under the plain name is ignored.
async fn behind_https_cookies_are_host_only_and_a_planted_one_is_ignored(backend: Backend) {
    for issuer_path in ["", "/tenant"] {
        let options = Options { issuer_path: issuer_path.into(), https_issuer: true, ..Default::default() };
        let app = TestApp::spawn_with(backend, options).await;
        let client = app.client().await;
        app.alice().await;
        let mut browser = Browser::default();
        browser.authorize_and_log_in(&app, &auth_params(&client, "openid")).await;

        for name in ["gatehouse_browser", "gatehouse_session"] {
            let prefix = format!("__Host-{name}");
            let raw: Vec<&String> = browser.set_cookies.iter().filter(|c| c.starts_with(&prefix)).collect();
            assert_eq!(raw.len(), 1, "{name} is set once, prefixed: {:?}", browser.set_cookies);
            let attributes: Vec<String> = raw[0].split(';').skip(1).map(|a| a.trim().to_ascii_lowercase()).collect();
            for required in ["secure", "path=/", "httponly", "samesite=lax"] {
                assert!(attributes.contains(&required.to_owned()), "{name}: {required}: {raw:?}");
            }
            assert!(!attributes.iter().any(|a| a.starts_with("domain")), "{name}: host-only: {raw:?}");
        }

        // The session, replayed under the plain name (as a sibling domain could plant
        // it), is not a session; under its own name it is.
        let (name, value) =
            browser.cookies.iter().find(|(name, _)| name.starts_with("__Host-gatehouse_session")).unwrap();
        let mut params = auth_params(&client, "openid");
        params.push(("prompt", "none"));
        for (cookie, answer) in [(format!("gatehouse_session={value}"), "error"), (format!("{name}={value}"), "code")] {
            let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&params).finish();
            let plain = app.url("/authorize").replacen("https://", "http://", 1);
            let response = app.http.get(format!("{plain}?{query}")).header("cookie", &cookie).send().await.unwrap();
            let back = url::Url::parse(&location(&response)).unwrap();
            assert!(query_has(&back, answer), "{cookie}: expected {answer} in {back}");
        }
    }
}

fn query_has(url: &url::Url, name: &str) -> bool {
    query(url, name).is_some()
}
