//! The authorization endpoint's error paths (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6):
//! an error page before the client and its redirect URI are verified, a redirect with
//! `error`, `state` and `iss` after.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::backend_tests;
use crate::common::{
    Backend, Browser, CHALLENGE, ClientSpec, TestApp, TestClient, assert_rfc6749_description, auth_params, location,
    query,
};

backend_tests!(
    untrusted_clients_and_redirect_uris_get_a_page_never_a_redirect,
    malformed_requests_get_a_page_never_a_redirect,
    protocol_errors_go_back_to_the_client_with_state_and_iss,
    pkce_is_required_unless_a_confidential_client_opted_out,
    a_client_without_the_code_grant_is_unauthorized,
    only_a_native_app_that_opted_in_may_pick_its_loopback_port,
);

/// An error page: 400 HTML, never a `Location`, and no cookie (nothing was started).
async fn assert_error_page(response: reqwest::Response, case: &str) {
    assert_eq!(response.status(), 400, "{case}");
    assert!(response.headers().get("location").is_none(), "{case}: an error page never redirects");
    assert!(response.headers().get("set-cookie").is_none(), "{case}: no pending request was started");
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{case}: {content_type}");
    assert_eq!(response.headers()["x-frame-options"], "DENY", "{case}");
    let html = response.text().await.unwrap();
    assert!(html.contains("This request cannot be completed"), "{case}: {html}");
    assert!(!html.contains("code="), "{case}: no code anywhere on the page");
}

/// An error redirect to the client (RFC 6749 §4.1.2.1, RFC 9207) carrying only the
/// parameters the certification suite allows, and no code.
fn assert_error_redirect(app: &TestApp, client: &TestClient, response: &reqwest::Response, error: &str, case: &str) {
    assert_eq!(response.status(), 303, "{case}");
    assert!(response.headers().get("set-cookie").is_none(), "{case}: no pending request was started");
    let back = url::Url::parse(&location(response)).unwrap();
    let base = back.as_str().split('?').next().unwrap();
    assert_eq!(base, client.redirect_uri, "{case}: back to the registered redirect URI");
    assert_eq!(query(&back, "error").as_deref(), Some(error), "{case}: {back}");
    assert_rfc6749_description(&query(&back, "error_description").unwrap_or_default());
    assert_eq!(query(&back, "state").as_deref(), Some("st-123"), "{case}: state is echoed");
    assert_eq!(query(&back, "iss").as_deref(), Some(app.issuer.as_str()), "{case}: RFC 9207 iss");
    for (name, _) in back.query_pairs() {
        assert!(["error", "error_description", "state", "iss"].contains(&name.as_ref()), "{case}: unexpected {name}");
    }
}

/// Request parameters, in order.
type Pairs<'a> = Vec<(&'a str, &'a str)>;

/// `params` with the named parameters removed and others added (or replaced).
fn with<'a>(params: &[(&'a str, &'a str)], remove: &[&str], add: &[(&'a str, &'a str)]) -> Pairs<'a> {
    let mut out: Pairs =
        params.iter().filter(|(k, _)| !remove.contains(k) && !add.iter().any(|(a, _)| a == k)).copied().collect();
    out.extend_from_slice(add);
    out
}

async fn untrusted_clients_and_redirect_uris_get_a_page_never_a_redirect(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.add_client(ClientSpec {
        id: "other",
        redirect_uris: vec!["https://other.example/cb".into()],
        ..Default::default()
    })
    .await;
    app.alice().await;
    let good = auth_params(&client, "openid");
    let cases: Vec<(&str, Pairs)> = vec![
        ("missing client_id", with(&good, &["client_id"], &[])),
        ("unknown client_id", with(&good, &[], &[("client_id", "nobody")])),
        ("client_id differing in case", with(&good, &[], &[("client_id", "RP")])),
        ("missing redirect_uri", with(&good, &["redirect_uri"], &[])),
        ("text appended to the path", with(&good, &[], &[("redirect_uri", "https://rp.example/cb/evil")])),
        ("text appended to the name", with(&good, &[], &[("redirect_uri", "https://rp.example/cbx")])),
        ("a query appended", with(&good, &[], &[("redirect_uri", "https://rp.example/cb?next=evil")])),
        ("a trailing slash", with(&good, &[], &[("redirect_uri", "https://rp.example/cb/")])),
        ("path in another case", with(&good, &[], &[("redirect_uri", "https://rp.example/CB")])),
        ("host in another case", with(&good, &[], &[("redirect_uri", "https://RP.example/cb")])),
        ("http instead of https", with(&good, &[], &[("redirect_uri", "http://rp.example/cb")])),
        ("another client's redirect_uri", with(&good, &[], &[("redirect_uri", "https://other.example/cb")])),
        (
            "an unregistered redirect_uri wins over a redirectable error",
            with(&good, &["scope"], &[("redirect_uri", "https://evil.example/cb"), ("response_type", "token")]),
        ),
    ];
    for (case, params) in cases {
        let response = Browser::default().authorize(&app, &params).await;
        assert_error_page(response, case).await;
    }
    // The same request with the registered redirect URI is fine: the cases fail for their one fault.
    let response = Browser::default().authorize(&app, &good).await;
    assert_eq!(response.status(), 303);
    assert!(location(&response).contains("/login?request="));
}

async fn malformed_requests_get_a_page_never_a_redirect(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    let good =
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(auth_params(&client, "openid")).finish();
    let authorize = app.url("/authorize");
    let cases = [
        ("duplicated state", format!("{authorize}?{good}&state=other")),
        ("duplicated client_id", format!("{authorize}?{good}&client_id=rp")),
        ("duplicated redirect_uri", format!("{authorize}?{good}&redirect_uri=https%3A%2F%2Frp.example%2Fcb")),
        ("invalid UTF-8 in a value", format!("{authorize}?{good}&login_hint=%FF")),
        ("invalid UTF-8 in a name", format!("{authorize}?{good}&%C3=1")),
    ];
    for (case, url) in cases {
        let response = app.http.get(url).send().await.unwrap();
        assert_error_page(response, case).await;
    }

    // A POST must be a form: any other body is refused, even with the right content.
    for content_type in ["application/json", "text/plain", "multipart/form-data; boundary=x"] {
        let response =
            app.http.post(&authorize).header("content-type", content_type).body(good.clone()).send().await.unwrap();
        assert_error_page(response, content_type).await;
    }
    let response = app.http.post(&authorize).body(good.clone()).send().await.unwrap();
    assert_error_page(response, "a POST without a content type").await;
    // The same body as a form is accepted.
    let response = app
        .http
        .post(&authorize)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(good)
        .send()
        .await
        .unwrap();
    // It becomes the same request as a top-level GET, which carries the browser's
    // SameSite=Lax cookies; that GET then leads to the login page.
    assert_eq!(response.status(), 303);
    let again = location(&response);
    assert!(again.contains("/authorize?"), "{again}");
    let response = app.http.get(url::Url::parse(&app.issuer).unwrap().join(&again).unwrap()).send().await.unwrap();
    assert!(location(&response).contains("/login?request="));
}

async fn protocol_errors_go_back_to_the_client_with_state_and_iss(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let good = auth_params(&client, "openid");
    let long_nonce = "n".repeat(1025);
    let cases: Vec<(&str, Pairs, &str)> = vec![
        ("missing response_type", with(&good, &["response_type"], &[]), "invalid_request"),
        ("response_type=token", with(&good, &[], &[("response_type", "token")]), "unsupported_response_type"),
        ("response_type=id_token", with(&good, &[], &[("response_type", "id_token")]), "unsupported_response_type"),
        ("hybrid", with(&good, &[], &[("response_type", "code id_token")]), "unsupported_response_type"),
        ("request object", with(&good, &[], &[("request", "eyJhbGciOiJub25lIn0.e30.")]), "request_not_supported"),
        (
            "request_uri",
            with(&good, &[], &[("request_uri", "https://rp.example/request.jwt")]),
            "request_uri_not_supported",
        ),
        ("missing scope", with(&good, &["scope"], &[]), "invalid_scope"),
        ("a quote in scope", with(&good, &[], &[("scope", "openid \"profile\"")]), "invalid_scope"),
        ("no supported scope", with(&good, &[], &[("scope", "custom:read")]), "invalid_scope"),
        ("prompt=none login", with(&good, &[], &[("prompt", "none login")]), "invalid_request"),
        ("prompt=login none", with(&good, &[], &[("prompt", "login none")]), "invalid_request"),
        ("max_age=-1", with(&good, &[], &[("max_age", "-1")]), "invalid_request"),
        ("max_age=abc", with(&good, &[], &[("max_age", "abc")]), "invalid_request"),
        ("max_age=1.5", with(&good, &[], &[("max_age", "1.5")]), "invalid_request"),
        ("claims not JSON", with(&good, &[], &[("claims", "not-json")]), "invalid_request"),
        ("claims not an object", with(&good, &[], &[("claims", "[1]")]), "invalid_request"),
        ("response_mode=fragment", with(&good, &[], &[("response_mode", "fragment")]), "invalid_request"),
        ("response_mode=form_post", with(&good, &[], &[("response_mode", "form_post")]), "invalid_request"),
        ("a nonce over 1024 bytes", with(&good, &[], &[("nonce", &long_nonce)]), "invalid_request"),
        ("id_token_hint not a JWT", with(&good, &[], &[("id_token_hint", "garbage")]), "invalid_request"),
    ];
    let path = url::Url::parse(&app.url("/authorize")).unwrap().path().to_owned();
    // A browser with a live session: a bad request must not be answered with a code.
    let mut logged_in = Browser::default();
    logged_in.authorize_and_log_in(&app, &good).await;
    for (case, params, error) in cases {
        let response = Browser::default().authorize(&app, &params).await;
        assert_error_redirect(&app, &client, &response, error, case);
        // The same error for a form POST of the same request.
        let mut browser = Browser::default();
        let response = browser.post(&app, &path, &params).await;
        let response = browser.get(&app, &location(&response)).await;
        assert_error_redirect(&app, &client, &response, error, &format!("{case} (POST)"));
        let response = logged_in.authorize(&app, &params).await;
        assert_error_redirect(&app, &client, &response, error, &format!("{case} (with a session)"));
    }
    // state comes back exactly, whatever its characters.
    let odd_state = "a b+c/d?e=f&g#h%25\u{e9}";
    let params = with(&good, &[], &[("response_type", "token"), ("state", odd_state)]);
    let back = url::Url::parse(&location(&Browser::default().authorize(&app, &params).await)).unwrap();
    assert_eq!(query(&back, "state").as_deref(), Some(odd_state));

    // Without state, the error redirect has none; a registered query is kept.
    let tenant = app
        .add_client(ClientSpec {
            id: "tenant",
            redirect_uris: vec!["https://rp.example/cb?tenant=a".into()],
            ..Default::default()
        })
        .await;
    let params = with(&auth_params(&tenant, "openid"), &["state"], &[("response_type", "token")]);
    let response = Browser::default().authorize(&app, &params).await;
    assert_eq!(response.status(), 303);
    let back = url::Url::parse(&location(&response)).unwrap();
    assert_eq!(query(&back, "tenant").as_deref(), Some("a"));
    assert_eq!(query(&back, "error").as_deref(), Some("unsupported_response_type"));
    assert_eq!(query(&back, "state"), None);
    assert_eq!(query(&back, "iss").as_deref(), Some(app.issuer.as_str()));
    assert_eq!(query(&back, "code"), None);
}

async fn pkce_is_required_unless_a_confidential_client_opted_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let confidential = app.client().await;
    let public = app
        .add_client(ClientSpec {
            id: "spa",
            public: true,
            redirect_uris: vec!["http://localhost:5173/cb".into()],
            ..Default::default()
        })
        .await;
    let optional = app
        .add_client(ClientSpec {
            id: "legacy",
            require_pkce: false,
            redirect_uris: vec!["https://legacy.example/cb".into()],
            ..Default::default()
        })
        .await;
    app.alice().await;

    let no_pkce = ["code_challenge", "code_challenge_method"];
    let bad_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"; // '+' is not base64url
    let cases: Vec<(&str, &TestClient, Vec<&str>, Pairs)> = vec![
        ("public client without PKCE", &public, no_pkce.to_vec(), vec![]),
        ("confidential client without PKCE", &confidential, no_pkce.to_vec(), vec![]),
        ("plain", &confidential, vec![], vec![("code_challenge_method", "plain")]),
        ("plain for an opted-out client", &optional, vec![], vec![("code_challenge_method", "plain")]),
        ("challenge without a method (plain by default)", &confidential, vec!["code_challenge_method"], vec![]),
        ("method without a challenge", &optional, vec!["code_challenge"], vec![]),
        ("lower-case s256", &confidential, vec![], vec![("code_challenge_method", "s256")]),
        ("a challenge of 42 characters", &confidential, vec![], vec![("code_challenge", &CHALLENGE[..42])]),
        ("a challenge that is not base64url", &public, vec![], vec![("code_challenge", bad_challenge)]),
    ];
    for (case, client, remove, add) in cases {
        let params = with(&auth_params(client, "openid"), &remove, &add);
        let response = Browser::default().authorize(&app, &params).await;
        assert_error_redirect(&app, client, &response, "invalid_request", case);
    }

    // A confidential client registered with require_pkce=false may leave PKCE out.
    let params = with(&auth_params(&optional, "openid"), &no_pkce, &[]);
    let back = Browser::default().authorize_and_log_in(&app, &params).await;
    assert_eq!(query(&back, "error"), None);
    let code = query(&back, "code").expect("a code without PKCE");
    let response = app
        .token(
            &optional,
            &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &optional.redirect_uri)],
        )
        .await;
    assert_eq!(response.status(), 200);
}

async fn a_client_without_the_code_grant_is_unauthorized(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let machine = app
        .add_client(ClientSpec {
            id: "machine",
            grant_types: vec!["client_credentials"],
            redirect_uris: vec!["https://machine.example/cb".into()],
            ..Default::default()
        })
        .await;
    app.alice().await;

    let response = Browser::default().authorize(&app, &auth_params(&machine, "openid")).await;

    assert_error_redirect(&app, &machine, &response, "unauthorized_client", "client_credentials only");
}

/// RFC 8252 §7.3: a client registered with `loopback_any_port` may send a redirect URI
/// on `127.0.0.1` or `[::1]` with any port, path and query exact; nothing else varies,
/// and a client that did not opt in gets exact matching only. The code is bound to the
/// URI as sent, so the token request must repeat it.
async fn only_a_native_app_that_opted_in_may_pick_its_loopback_port(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let registered = vec!["http://127.0.0.1/cb?app=1".to_owned(), "http://[::1]:8000/cb".to_owned()];
    let native = app
        .add_client(ClientSpec {
            id: "native",
            public: true,
            loopback_any_port: true,
            redirect_uris: registered.clone(),
            ..Default::default()
        })
        .await;
    let exact =
        app.add_client(ClientSpec { id: "exact", public: true, redirect_uris: registered, ..Default::default() }).await;
    app.alice().await;
    fn request<'a>(client: &'a TestClient, uri: &'a str) -> Pairs<'a> {
        let mut params = auth_params(client, "openid");
        params.retain(|(k, _)| *k != "redirect_uri");
        params.push(("redirect_uri", uri));
        params
    }

    for uri in ["http://127.0.0.1:53127/cb?app=1", "http://[::1]:9/cb", "http://127.0.0.1/cb?app=1"] {
        let back = Browser::default().authorize_and_log_in(&app, &request(&native, uri)).await;
        assert!(back.as_str().starts_with(uri), "{uri}: back to the port the app listens on: {back}");
        let code = query(&back, "code").unwrap();
        let form = [("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", uri)];
        let form = [&form[..], &[("code_verifier", crate::common::VERIFIER)]].concat();
        assert_eq!(app.token(&native, &form).await.status(), 200, "{uri}");
    }
    for uri in [
        "http://127.0.0.1:53127/cb",
        "http://127.0.0.1:53127/cb?app=2",
        "http://127.0.0.1:53127/other?app=1",
        "http://localhost:53127/cb?app=1",
        "https://127.0.0.1:53127/cb?app=1",
    ] {
        let response = Browser::default().authorize(&app, &request(&native, uri)).await;
        assert_error_page(response, uri).await;
    }
    let response = Browser::default().authorize(&app, &request(&exact, "http://127.0.0.1:53127/cb?app=1")).await;
    assert_error_page(response, "a client that did not opt in").await;
}
