//! The logout confirmation: a request not tied to the browser's session (no
//! `id_token_hint`, or another user's) is confirmed by the user on a CSRF-protected
//! form, or refused with "Stay signed in"; and a relying party's cross-site POST.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gatehouse::clock::Clock;

use crate::backend_tests;
use crate::common::{Backend, Browser, TestApp, hidden, location, query};
use crate::logout::{BYE, clears_cookie, logged_in, logout, rp, sessions, signed, silent_code};

backend_tests!(
    an_untied_request_asks_for_confirmation,
    the_confirmation_needs_its_csrf_token,
    staying_signed_in_changes_nothing,
    a_cross_site_post_becomes_a_get,
    pages_escape_what_the_request_and_client_say,
);

async fn an_untied_request_asks_for_confirmation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = rp(&app).await;
    let alice = app.alice().await;
    let bob = app.add_user("bob", "builder", serde_json::json!({})).await;
    let mut s = logged_in(&app, &client).await;
    let now = app.clock.now();
    let bobs = signed(
        &app.server_keys().await,
        now,
        serde_json::json!({"iss": app.issuer, "sub": bob, "aud": "rp", "iat": now}),
    );
    // Alice's own ID token from another session (another browser) is not this one's.
    let elsewhere = logged_in(&app, &client).await;
    for hint in [None, Some(bobs.as_str()), Some(elsewhere.id_token.as_str())] {
        let mut params = vec![("client_id", "rp"), ("post_logout_redirect_uri", BYE), ("state", "st")];
        params.extend(hint.map(|h| ("id_token_hint", h)));
        let page = logout(&app, &mut s.browser, &params).await;
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["x-frame-options"], "DENY");
        assert_eq!(page.headers()["cache-control"], "no-store");
        assert!(!clears_cookie(&page));
        let html = page.text().await.unwrap();
        assert!(
            html.contains("Sign out of gatehouse?") && html.contains("Signed in as <strong>alice</strong>"),
            "{html}"
        );
        assert!(html.contains("class=\"secondary\"") && html.contains("Stay signed in"), "{html}");
        assert_eq!(hidden(&html, "post_logout_redirect_uri"), BYE);
        assert_eq!(sessions(&app, &alice).await, 2, "nothing ends before the user confirms");
    }

    let html = logout(&app, &mut s.browser, &[("client_id", "rp"), ("post_logout_redirect_uri", BYE), ("state", "st")])
        .await
        .text()
        .await
        .unwrap();
    let form: Vec<(&str, String)> =
        ["csrf", "client_id", "post_logout_redirect_uri", "state"].iter().map(|n| (*n, hidden(&html, n))).collect();
    let mut fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fields.push(("action", "logout"));
    let done = s.browser.post(&app, "/logout", &fields).await;
    assert_eq!(done.status(), 303);
    assert_eq!(location(&done), "https://rp.example/bye?state=st");
    assert!(clears_cookie(&done));
    assert_eq!(sessions(&app, &alice).await, 1, "the other browser's session lives on");
    assert_eq!(app.userinfo_status(&s.access_token).await, 401);
    assert_eq!(app.userinfo_status(&elsewhere.access_token).await, 200);
}

async fn the_confirmation_needs_its_csrf_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = rp(&app).await;
    let alice = app.alice().await;
    let mut s = logged_in(&app, &client).await;
    let other = logged_in(&app, &client).await;
    let theirs = gatehouse::oauth::logout::csrf_token(&other.browser.cookies["gatehouse_session"]);
    for (case, csrf) in [("a wrong token", "x"), ("another session's token", theirs.as_str())] {
        app.log.new_lines();
        let response = s.browser.post(&app, "/logout", &[("csrf", csrf), ("action", "logout")]).await;
        assert_eq!(response.status(), 403, "{case}");
        let line = app.log.one_refusal("/logout", None, Some("invalid_request"));
        assert!(line.message.contains("CSRF token"), "{case}: {line:#?}");
        assert!(response.headers().get("location").is_none());
        assert!(response.text().await.unwrap().contains("The form has expired"), "{case}");
    }
    // The right token without the cookie it was derived from.
    let mine = gatehouse::oauth::logout::csrf_token(&s.browser.cookies["gatehouse_session"]);
    let response = Browser::default().post(&app, "/logout", &[("csrf", &mine), ("action", "logout")]).await;
    assert_eq!(response.status(), 403, "no session cookie");
    // Without a csrf field it is no confirmation but a relying party's POST: a GET.
    let response = s.browser.post(&app, "/logout", &[("action", "logout")]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(sessions(&app, &alice).await, 2, "both still signed in");
    assert!(silent_code(&app, &mut s.browser, &client).await.is_some());
}

async fn staying_signed_in_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = rp(&app).await;
    let alice = app.alice().await;
    let mut s = logged_in(&app, &client).await;
    let html = logout(&app, &mut s.browser, &[("client_id", "rp"), ("post_logout_redirect_uri", BYE)])
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf");
    let fields = [("csrf", csrf.as_str()), ("client_id", "rp"), ("post_logout_redirect_uri", BYE), ("action", "stay")];
    let response = s.browser.post(&app, "/logout", &fields).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("location").is_none());
    assert!(!clears_cookie(&response));
    assert!(response.text().await.unwrap().contains("You are still signed in"));
    assert_eq!(sessions(&app, &alice).await, 1);
    assert!(silent_code(&app, &mut s.browser, &client).await.is_some());
    assert_eq!(app.userinfo_status(&s.access_token).await, 200);
}

async fn a_cross_site_post_becomes_a_get(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    rp(&app).await;
    let form = [("client_id", "rp"), ("post_logout_redirect_uri", BYE), ("state", "a&b")];
    let response = app.http.post(app.url("/logout")).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let to = url::Url::parse(&format!("http://x{}", location(&response))).unwrap();
    assert_eq!(to.path(), "/logout");
    assert_eq!(query(&to, "state").as_deref(), Some("a&b"));
    assert_eq!(query(&to, "post_logout_redirect_uri").as_deref(), Some(BYE));
    assert_eq!(query(&to, "client_id").as_deref(), Some("rp"));
}

async fn pages_escape_what_the_request_and_client_say(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = rp(&app).await;
    let mut evil = app.store.find_client("rp").await.unwrap().unwrap();
    evil.id = "evil".into();
    evil.name = "<b>Evil & Co</b>".into();
    app.store.insert_client(&evil).await.unwrap();
    app.alice().await;
    let mut s = logged_in(&app, &client).await;
    let state = "\"><script>alert(1)</script>";
    let html = logout(&app, &mut s.browser, &[("client_id", "evil"), ("state", state)]).await.text().await.unwrap();
    assert!(html.contains("&#60;b&#62;Evil &#38; Co&#60;/b&#62;") || html.contains("&lt;b&gt;Evil &amp; Co"), "{html}");
    assert!(!html.contains("<b>Evil") && !html.contains("<script>"), "{html}");
    assert!(html.contains("alert(1)"));
}
