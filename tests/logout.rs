//! RP-Initiated Logout 1.0 at `/logout`: the browser's session ends at once when the
//! `id_token_hint` names its user, after a confirmation otherwise; a registered
//! `post_logout_redirect_uri` gets the browser back with `state`, anything else gets
//! gatehouse's own page; a bad hint is refused and changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gatehouse::clock::Clock;
use gatehouse::keys::{Alg, KeySet};

use crate::backend_tests;
use crate::common::{Backend, Browser, ClientSpec, TestApp, TestClient, auth_params, hidden, location, query};

backend_tests!(
    a_tied_hint_logs_out_and_redirects_with_state,
    without_state_the_redirect_is_the_registered_uri,
    an_expired_hint_still_logs_out,
    bad_hints_are_refused_and_change_nothing,
    unrecognised_redirects_log_out_without_redirecting,
    without_a_session_nothing_ends,
    duplicated_parameters_are_refused,
);

pub(crate) const BYE: &str = "https://rp.example/bye";

/// A request's parameters, as pairs.
type Params<'a> = Vec<(&'a str, &'a str)>;

/// A client `rp` that may refresh, with `BYE` and a URI with its own query registered.
pub(crate) async fn rp(app: &TestApp) -> TestClient {
    app.add_client(ClientSpec {
        grant_types: vec!["authorization_code", "refresh_token"],
        post_logout_redirect_uris: vec![BYE.into(), "https://rp.example/bye?from=gh".into()],
        ..ClientSpec::default()
    })
    .await
}

/// What a logged-in browser holds: its tokens from one login.
pub(crate) struct Session {
    pub(crate) browser: Browser,
    pub(crate) id_token: String,
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
}

/// Alice logs in for `client` with `offline_access`, then the same session answers a
/// second request with `openid` only: two grants under one `sid`, one of them offline.
pub(crate) async fn logged_in(app: &TestApp, client: &TestClient) -> Session {
    let mut browser = Browser::default();
    let mut offline = auth_params(client, "openid offline_access");
    offline.push(("prompt", "consent"));
    let back = browser.authorize_and_log_in(app, &offline).await;
    let offline = app.redeem(client, &query(&back, "code").unwrap()).await;
    let online = silent_code(app, &mut browser, client).await.expect("the session answers");
    let online = app.redeem(client, &online).await;
    Session {
        browser,
        id_token: online["id_token"].as_str().unwrap().to_owned(),
        access_token: online["access_token"].as_str().unwrap().to_owned(),
        refresh_token: offline["refresh_token"].as_str().unwrap().to_owned(),
    }
}

/// A code from `prompt=none`, or `None` when it answers `login_required`.
pub(crate) async fn silent_code(app: &TestApp, browser: &mut Browser, client: &TestClient) -> Option<String> {
    let mut params = auth_params(client, "openid");
    params.push(("prompt", "none"));
    let response = browser.authorize(app, &params).await;
    assert_eq!(response.status(), 303);
    let back = url::Url::parse(&location(&response)).unwrap();
    if query(&back, "error").is_some() {
        assert_eq!(query(&back, "error").as_deref(), Some("login_required"));
        return None;
    }
    query(&back, "code")
}

/// GET /logout in `browser` with these parameters.
pub(crate) async fn logout(app: &TestApp, browser: &mut Browser, params: &[(&str, &str)]) -> reqwest::Response {
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    browser.get(app, &format!("{}?{query}", app.url("/logout"))).await
}

/// How many live sessions alice has.
pub(crate) async fn sessions(app: &TestApp, user: &str) -> usize {
    app.store.list_user_sessions(user, app.clock.now()).await.unwrap().len()
}

/// The session cookie's removal among the response's headers.
pub(crate) fn clears_cookie(response: &reqwest::Response) -> bool {
    response.headers().get_all("set-cookie").iter().any(|v| {
        let v = v.to_str().unwrap();
        v.starts_with("gatehouse_session=;") && v.contains("Max-Age=0") && v.contains("HttpOnly")
    })
}

/// A hint signed by `keys` with these claims.
pub(crate) fn signed(keys: &KeySet, now: i64, claims: serde_json::Value) -> String {
    keys.active(Alg::Rs256, now).unwrap().sign("JWT", &claims).unwrap()
}

async fn a_tied_hint_logs_out_and_redirects_with_state(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = rp(&app).await;
    let alice = app.alice().await;
    let mut s = logged_in(&app, &client).await;
    assert_eq!(app.userinfo_status(&s.access_token).await, 200);
    let cookies = s.browser.cookies.clone();

    let params = [("id_token_hint", s.id_token.as_str()), ("post_logout_redirect_uri", BYE), ("state", "st 1")];
    app.log.new_lines();
    let response = logout(&app, &mut s.browser, &params).await;

    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "https://rp.example/bye?state=st+1");
    assert!(clears_cookie(&response), "{:?}", response.headers());
    assert_eq!(sessions(&app, &alice).await, 0);
    let line = app.log.one_line();
    assert_eq!((&*line.level, &*line.target, &*line.message), ("INFO", "gatehouse::oauth::logout", "logged out"));
    let sid = crate::common::jwt_claims(&s.id_token)["sid"].as_str().unwrap().to_owned();
    assert_eq!(line.field("user"), Some(alice.as_str()), "{line:#?}");
    assert_eq!(line.field("sid"), Some(sid.as_str()), "{line:#?}");
    assert_eq!(line.field("client"), Some("rp"), "{line:#?}");
    assert_eq!(line.field("grants_revoked"), Some("1"), "the online grant, not the offline one: {line:#?}");
    assert_eq!(s.browser.cookies["gatehouse_session"], "", "the browser dropped its cookie");
    // A browser that kept the old cookie: the session is gone all the same.
    let mut old = Browser { cookies, ..Browser::default() };
    assert_eq!(silent_code(&app, &mut old, &client).await, None, "prompt=none: login_required");
    let userinfo = app.userinfo(&s.access_token).await;
    assert_eq!(userinfo.status(), 401, "the session's grant is revoked");
    assert!(userinfo.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    assert_eq!(app.refresh(&client, &s.refresh_token, None).await.status(), 200, "offline access survives");
}

async fn without_state_the_redirect_is_the_registered_uri(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = rp(&app).await;
    app.alice().await;
    let mut s = logged_in(&app, &client).await;
    let response =
        logout(&app, &mut s.browser, &[("id_token_hint", &s.id_token), ("post_logout_redirect_uri", BYE)]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), BYE);

    // A registered URI's own query is kept, and state added after it.
    let mut s = logged_in(&app, &client).await;
    let own = "https://rp.example/bye?from=gh";
    let params = [("id_token_hint", s.id_token.as_str()), ("post_logout_redirect_uri", own), ("state", "x")];
    let response = logout(&app, &mut s.browser, &params).await;
    assert_eq!(location(&response), "https://rp.example/bye?from=gh&state=x");
    assert_eq!(silent_code(&app, &mut s.browser, &client).await, None);
}

async fn an_expired_hint_still_logs_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = rp(&app).await;
    let alice = app.alice().await;
    let mut s = logged_in(&app, &client).await;
    let exp = gatehouse_exp(&s.id_token);
    app.clock.advance(Duration::from_secs((exp - app.clock.now() + 60) as u64));

    let params = [("id_token_hint", s.id_token.as_str()), ("post_logout_redirect_uri", BYE), ("client_id", "rp")];
    let response = logout(&app, &mut s.browser, &params).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), BYE);
    assert_eq!(sessions(&app, &alice).await, 0);
}

fn gatehouse_exp(id_token: &str) -> i64 {
    crate::common::jwt_claims(id_token)["exp"].as_i64().unwrap()
}

async fn bad_hints_are_refused_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = rp(&app).await;
    let other = app.add_client(ClientSpec { id: "other", ..ClientSpec::default() }).await;
    let alice = app.alice().await;
    let mut s = logged_in(&app, &client).await;
    let now = app.clock.now();
    let claims = serde_json::json!({"iss": app.issuer, "sub": alice, "aud": "rp", "exp": now + 600, "iat": now});
    let forged = signed(&crate::common::foreign_keys(now), now, claims.clone());
    let mut wrong_iss = claims.clone();
    wrong_iss["iss"] = "https://wrong-issuer.invalid".into();
    let wrong_iss = signed(&app.server_keys().await, now, wrong_iss);
    let kid = crate::common::jwt_header(&s.id_token)["kid"].as_str().unwrap().to_owned();
    let b64 = |v: serde_json::Value| gatehouse::secret::b64url(v.to_string().as_bytes());
    let none = format!("{}.{}.", b64(serde_json::json!({"alg": "none", "typ": "JWT", "kid": kid})), b64(claims));
    let cases: [(&str, Params, &str); 5] = [
        ("a foreign key", vec![("id_token_hint", &forged)], "not a valid ID token"),
        ("alg none", vec![("id_token_hint", &none)], "not a valid ID token"),
        ("garbage", vec![("id_token_hint", "garbage")], "not a valid ID token"),
        ("a wrong iss", vec![("id_token_hint", &wrong_iss)], "not a valid ID token"),
        (
            "client_id not in aud",
            vec![("id_token_hint", &s.id_token), ("client_id", &other.id)],
            "not issued to client_id",
        ),
    ];
    for (case, mut params, text) in cases {
        params.extend([("post_logout_redirect_uri", BYE), ("state", "s")]);
        app.log.new_lines();
        let response = logout(&app, &mut s.browser, &params).await;
        assert_eq!(response.status(), 400, "{case}");
        let named = (case == "client_id not in aud").then_some("other");
        let line = app.log.one_refusal("/logout", named, Some("invalid_request"));
        assert!(line.message.contains(text), "{case}: {line:#?}");
        assert!(response.headers().get("location").is_none(), "{case}");
        assert!(!clears_cookie(&response), "{case}");
        let html = response.text().await.unwrap();
        assert!(html.contains(text), "{case}: {html}");
        assert_eq!(sessions(&app, &alice).await, 1, "{case}");
        assert!(silent_code(&app, &mut s.browser, &client).await.is_some(), "{case}: still signed in");
    }
    assert_eq!(app.userinfo_status(&s.access_token).await, 200);
}

async fn unrecognised_redirects_log_out_without_redirecting(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = rp(&app).await;
    let alice = app.alice().await;
    let cases: [(&str, &[(&str, &str)]); 3] = [
        ("an unregistered URI", &[("post_logout_redirect_uri", "https://evil.example/bye")]),
        ("a query added", &[("post_logout_redirect_uri", "https://rp.example/bye?x=1")]),
        ("an unknown client", &[("post_logout_redirect_uri", BYE), ("client_id", "nobody")]),
    ];
    for (case, extra) in cases {
        let mut s = logged_in(&app, &client).await;
        let mut params = vec![("id_token_hint", s.id_token.as_str()), ("state", "s")];
        params.extend_from_slice(extra);
        if case == "an unknown client" {
            // The hint names alice's session; the unknown client_id is not in its aud.
            params.retain(|(k, _)| *k != "id_token_hint");
        }
        let response = logout(&app, &mut s.browser, &params).await;
        if case == "an unknown client" {
            // Untied (no hint): the confirmation, then the same answer.
            let html = response.text().await.unwrap();
            let form = [("csrf", hidden(&html, "csrf")), ("action", "logout".into())];
            let mut fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            fields.extend_from_slice(extra);
            let response = s.browser.post(&app, "/logout", &fields).await;
            assert_own_page(response, case).await;
        } else {
            assert_own_page(response, case).await;
        }
        assert_eq!(sessions(&app, &alice).await, 0, "{case}: logged out");
        assert_eq!(silent_code(&app, &mut s.browser, &client).await, None, "{case}");
    }
}

async fn assert_own_page(response: reqwest::Response, case: &str) {
    assert_eq!(response.status(), 200, "{case}");
    assert!(response.headers().get("location").is_none(), "{case}");
    assert!(clears_cookie(&response), "{case}");
    let html = response.text().await.unwrap();
    assert!(html.contains("You are signed out"), "{case}: {html}");
    assert!(html.contains("address was not recognised"), "{case}: {html}");
}

async fn without_a_session_nothing_ends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = rp(&app).await;
    app.alice().await;
    let s = logged_in(&app, &client).await;
    // The certification plan's no-params, only-state and hint-only cases.
    for params in [vec![], vec![("state", "s")], vec![("id_token_hint", s.id_token.as_str())]] {
        let response = logout(&app, &mut Browser::default(), &params).await;
        assert_eq!(response.status(), 200);
        assert!(response.headers().get("location").is_none());
        let html = response.text().await.unwrap();
        assert!(html.contains("You are signed out") && !html.contains("not recognised"), "{html}");
    }
    let params = [("id_token_hint", s.id_token.as_str()), ("post_logout_redirect_uri", BYE), ("state", "s")];
    let response = logout(&app, &mut Browser::default(), &params).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "https://rp.example/bye?state=s");
    // The other browser's session was no one's business.
    assert_eq!(app.userinfo_status(&s.access_token).await, 200);

    // A browser whose session has ended by itself (unused for the idle lifetime).
    let mut idle = s.browser;
    app.clock.advance(Duration::from_secs(9 * 60 * 60));
    let response = logout(&app, &mut idle, &[("id_token_hint", s.id_token.as_str())]).await;
    assert_eq!(response.status(), 200);
    assert!(clears_cookie(&response), "the dead cookie is removed");
    assert!(response.text().await.unwrap().contains("You are signed out"));
}

async fn duplicated_parameters_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = rp(&app).await;
    let alice = app.alice().await;
    let mut s = logged_in(&app, &client).await;
    let hint = s.id_token.clone();
    let response = logout(&app, &mut s.browser, &[("id_token_hint", &hint), ("state", "a"), ("state", "b")]).await;
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    assert!(response.text().await.unwrap().contains("state is given more than once"));
    assert_eq!(sessions(&app, &alice).await, 1);
}
