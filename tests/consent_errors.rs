//! The consent page's error paths: CSRF, single use, the binding of a pending request
//! to its browser and session, the two steps kept apart, and unknown answers. Each
//! leaves the store as it was: no consent recorded, the pending request still there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gatehouse::clock::Clock;
use gatehouse::oauth::session::{FormKind, csrf_token};

use crate::backend_tests;
use crate::common::{Backend, Browser, Options, TestApp, TestClient, auth_params, hidden, location, open_form};
use crate::consent::{signed_in, stored, third_party};

backend_tests!(
    the_consent_form_needs_its_csrf_token,
    a_consent_is_answered_once,
    a_consent_request_belongs_to_the_browser_that_made_it,
    login_and_consent_requests_are_kept_apart,
    a_consent_needs_the_session_it_began_in,
    an_unknown_decision_is_refused,
);

const EXPIRED: &str = "This sign-in link has expired or was already used.";
const ENDED: &str = "The sign-in has ended. Go back to the application and sign in again.";

/// A consent page alice's signed-in browser was sent to for a third-party client.
struct Pending {
    app: TestApp,
    alice: String,
    client: TestClient,
    browser: Browser,
    request: String,
    csrf: String,
}

async fn pending(backend: Backend, options: Options) -> Pending {
    let app = TestApp::spawn_with(backend, options).await;
    let client = third_party(&app, "Corner Shop").await;
    let alice = app.alice().await;
    let mut browser = Browser::default();
    signed_in(&app, &mut browser).await;
    let to_consent = browser.authorize(&app, &auth_params(&client, "openid email")).await;
    let html = browser.get(&app, &location(&to_consent)).await.text().await.unwrap();
    let (request, csrf) = (hidden(&html, "request"), hidden(&html, "csrf"));
    app.log.new_lines();
    Pending { app, alice, client, browser, request, csrf }
}

impl Pending {
    async fn post(&mut self, fields: &[(&str, &str)]) -> reqwest::Response {
        self.browser.post(&self.app, "/consent", fields).await
    }

    /// Nothing recorded, and the request still waits.
    async fn assert_unchanged(&self, case: &str) {
        assert_eq!(stored(&self.app, &self.alice, &self.client).await, None, "{case}: no consent");
        let row = self.app.store.find_pending_request(&self.request, self.app.clock.now()).await.unwrap();
        assert!(row.is_some(), "{case}: the request still waits");
    }

    /// The user allows with the right fields: a code.
    async fn allow(&mut self) {
        let (request, csrf) = (self.request.clone(), self.csrf.clone());
        let done = self.post(&[("request", &request), ("csrf", &csrf), ("decision", "allow")]).await;
        assert_eq!(done.status(), 303);
        assert!(location(&done).contains("code="), "{}", location(&done));
    }
}

/// A refusal page: status and message, no redirect.
async fn assert_refused(response: reqwest::Response, status: u16, message: &str, case: &str) {
    assert_eq!(response.status(), status, "{case}");
    assert!(response.headers().get("location").is_none(), "{case}: no redirect");
    let html = response.text().await.unwrap();
    assert!(html.contains(message), "{case}: {html}");
}

async fn the_consent_form_needs_its_csrf_token(backend: Backend) {
    let mut p = pending(backend, Options::default()).await;
    let login_token = csrf_token(FormKind::Login, &p.browser.cookies["gatehouse_browser"], &p.request);
    let request = p.request.clone();
    let cases: [(&str, Vec<(&str, &str)>); 4] = [
        ("missing csrf", vec![("request", &request), ("decision", "allow")]),
        ("empty csrf", vec![("request", &request), ("csrf", ""), ("decision", "allow")]),
        (
            "forged csrf",
            vec![("request", &request), ("csrf", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"), ("decision", "allow")],
        ),
        ("the login form's token", vec![("request", &request), ("csrf", &login_token), ("decision", "allow")]),
    ];
    for (case, fields) in cases {
        let response = p.post(&fields).await;
        assert_refused(response, 403, "The form has expired", case).await;
        let line = p.app.log.one_refusal("/consent", Some("shop"), Some("invalid_request"));
        assert!(line.message.contains("CSRF"), "{line:#?}");
        p.assert_unchanged(case).await;
    }
    p.allow().await;
}

async fn a_consent_is_answered_once(backend: Backend) {
    let mut p = pending(backend, Options::default()).await;
    p.allow().await;
    let (request, csrf) = (p.request.clone(), p.csrf.clone());
    for decision in ["allow", "deny"] {
        let replay = p.post(&[("request", &request), ("csrf", &csrf), ("decision", decision)]).await;
        assert_refused(replay, 400, EXPIRED, decision).await;
    }
    let page = p.browser.get(&p.app, &format!("/consent?request={request}")).await;
    assert_refused(page, 400, EXPIRED, "the page again").await;
    assert_eq!(stored(&p.app, &p.alice, &p.client).await.as_deref(), Some("openid email"));
}

async fn a_consent_request_belongs_to_the_browser_that_made_it(backend: Backend) {
    let mut p = pending(backend, Options::default()).await;
    // Another browser, with its own browser cookie and its own session of alice.
    let mut other = Browser::default();
    signed_in(&p.app, &mut other).await;
    let page = other.get(&p.app, &format!("/consent?request={}", p.request)).await;
    assert_refused(page, 400, EXPIRED, "GET with another browser").await;
    let fields = [("request", p.request.as_str()), ("csrf", p.csrf.as_str()), ("decision", "allow")];
    let response = other.post(&p.app, "/consent", &fields).await;
    assert_refused(response, 400, EXPIRED, "POST with another browser").await;
    p.assert_unchanged("another browser").await;

    let cookieless = p.app.http.get(p.app.url(&format!("/consent?request={}", p.request))).send().await.unwrap();
    assert_refused(cookieless, 400, "Cookies must be enabled to sign in.", "no cookies").await;
    let missing = p.browser.get(&p.app, "/consent").await;
    assert_refused(missing, 400, "The sign-in request is missing.", "no request").await;
    p.assert_unchanged("no cookies").await;
    p.allow().await;
}

async fn login_and_consent_requests_are_kept_apart(backend: Backend) {
    let mut p = pending(backend, Options::default()).await;
    // A request waiting for its login, in the same browser, is not for the consent page...
    let mut fresh = Browser::default();
    let form = open_form(&p.app, &mut fresh, &p.client).await;
    let page = fresh.get(&p.app, &format!("/consent?request={}", form.request)).await;
    assert_refused(page, 400, EXPIRED, "a login-step request at /consent").await;
    // ...and one waiting for consent is not for the login page.
    let page = p.browser.get(&p.app, &format!("/login?request={}", p.request)).await;
    assert_refused(page, 400, EXPIRED, "a consent-step request at /login").await;
    let csrf = csrf_token(FormKind::Login, &p.browser.cookies["gatehouse_browser"], &p.request);
    let fields =
        [("request", p.request.as_str()), ("csrf", csrf.as_str()), ("username", "alice"), ("password", "wonderland")];
    let response = p.browser.post(&p.app, "/login", &fields).await;
    assert_refused(response, 400, EXPIRED, "a consent-step request posted to /login").await;
    p.assert_unchanged("kept apart").await;
    p.allow().await;
}

async fn a_consent_needs_the_session_it_began_in(backend: Backend) {
    let extra_config = "[lifetimes]\nsession = \"1h\"\nsession_idle = \"2m\"\n".to_owned();
    let mut p = pending(backend, Options { extra_config, ..Options::default() }).await;
    // Idle past the session's idle end: the session is gone, the request is not.
    p.app.clock.advance(Duration::from_secs(121));
    let page = p.browser.get(&p.app, &format!("/consent?request={}", p.request)).await;
    assert_refused(page, 400, ENDED, "an idle-expired session").await;
    let line = p.app.log.one_refusal("/consent", Some("shop"), Some("invalid_request"));
    assert!(line.message.contains("session"), "{line:#?}");
    p.assert_unchanged("an idle-expired session").await;

    // Logged out (every session of alice ended) between the page and the answer.
    let mut p = pending(backend, Options::default()).await;
    p.app.store.end_user_sessions(&p.alice, p.app.clock.now()).await.unwrap();
    let (request, csrf) = (p.request.clone(), p.csrf.clone());
    let response = p.post(&[("request", &request), ("csrf", &csrf), ("decision", "allow")]).await;
    assert_refused(response, 400, ENDED, "logged out").await;
    p.assert_unchanged("logged out").await;

    // A new login in the same browser replaces the session the request waits in.
    let mut p = pending(backend, Options::default()).await;
    let first = TestClient { id: "rp".into(), secret: None, redirect_uri: "https://rp.example/cb".into() };
    let mut params = auth_params(&first, "openid");
    params.push(("prompt", "login"));
    let back = p.browser.authorize_and_log_in(&p.app, &params).await;
    assert!(back.as_str().contains("code="), "{back}");
    let (request, csrf) = (p.request.clone(), p.csrf.clone());
    let response = p.post(&[("request", &request), ("csrf", &csrf), ("decision", "allow")]).await;
    assert_refused(response, 400, ENDED, "another session").await;
    p.assert_unchanged("another session").await;
}

async fn an_unknown_decision_is_refused(backend: Backend) {
    let mut p = pending(backend, Options::default()).await;
    let (request, csrf) = (p.request.clone(), p.csrf.clone());
    for (case, decision) in [("unknown", Some("maybe")), ("empty", Some("")), ("missing", None)] {
        let mut fields = vec![("request", request.as_str()), ("csrf", csrf.as_str())];
        fields.extend(decision.map(|d| ("decision", d)));
        let response = p.post(&fields).await;
        assert_refused(response, 400, "Choose Allow or Deny.", case).await;
        p.app.log.one_refusal("/consent", Some("shop"), Some("invalid_request"));
        p.assert_unchanged(case).await;
    }
    p.allow().await;
}
