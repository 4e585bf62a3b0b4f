//! The token endpoint's error paths (RFC 6749 §5.2, §4.1.3; RFC 7636 §4.6): client
//! authentication, malformed requests, bad codes, and code replay (RFC 6749 §4.1.2).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gatehouse::clock::Clock;
use serde_json::Value;

use crate::backend_tests;
use crate::common::{
    Backend, Browser, ClientSpec, TestApp, TestClient, VERIFIER, assert_rfc6749_description, auth_params, jwt_claims,
    query,
};

backend_tests!(
    failed_client_authentication_is_invalid_client,
    malformed_token_requests_are_invalid_request,
    grant_types_are_checked,
    bad_codes_are_invalid_grant_and_leave_the_code_usable,
    a_verifier_without_a_challenge_is_invalid_grant,
    expired_codes_and_disabled_users_are_invalid_grant,
    a_replayed_code_fails_and_revokes_the_first_tokens,
    of_twenty_concurrent_redemptions_one_wins_and_is_then_revoked,
);

/// A protocol error as RFC 6749 §5.2 shapes it, with `Cache-Control: no-store`.
async fn assert_token_error(response: reqwest::Response, error: &str, case: &str) -> Value {
    let status = if error == "invalid_client" { 401 } else { 400 };
    assert_eq!(response.status(), status, "{case}");
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/json", "{case}");
    assert_eq!(headers["cache-control"], "no-store", "{case}");
    if status == 401 {
        let challenge = headers["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Basic realm="), "{case}: {challenge}");
    }
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{case}: {body}");
    assert_rfc6749_description(body["error_description"].as_str().unwrap_or_default());
    body
}

/// A code for `client` issued to alice; `browser` logs in on first use and keeps the session.
async fn code_in(app: &TestApp, browser: &mut Browser, params: &[(&str, &str)]) -> String {
    let response = browser.authorize(app, params).await;
    let response = if crate::common::location(&response).contains("/login?") {
        browser.log_in(app, response, "alice", "wonderland").await
    } else {
        response
    };
    assert_eq!(response.status(), 303);
    query(&url::Url::parse(&crate::common::location(&response)).unwrap(), "code").expect("a code")
}

async fn code_for(app: &TestApp, browser: &mut Browser, client: &TestClient) -> String {
    code_in(app, browser, &auth_params(client, "openid")).await
}

fn redeem_form<'a>(client: &'a TestClient, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &client.redirect_uri),
        ("code_verifier", VERIFIER),
    ]
}

/// The code is unredeemed and has created no grant.
async fn assert_unredeemed(app: &TestApp, code: &str) {
    let row = app.store.find_code(&gatehouse::secret::hash(code)).await.unwrap().expect("the code is stored");
    assert_eq!(row.consumed_at, None, "the code is not used up");
    assert_eq!(app.store.find_grant(&row.grant_id).await.unwrap(), None, "no grant was created");
}

async fn failed_client_authentication_is_invalid_client(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    let public = app
        .add_client(ClientSpec {
            id: "spa",
            public: true,
            redirect_uris: vec!["http://localhost:5173/cb".into()],
            ..Default::default()
        })
        .await;
    app.alice().await;
    let code = code_for(&app, &mut Browser::default(), &client).await;
    let secret = client.secret.clone().unwrap();
    let form = redeem_form(&client, &code);
    let plus = |extra: &[(&'static str, &'static str)]| {
        let mut f = form.clone();
        f.extend_from_slice(extra);
        f
    };
    let wrong = format!("{secret}x");
    let post = |f: Vec<(&str, &str)>| app.http.post(app.url("/token")).form(&f);
    let cases: Vec<(&str, reqwest::RequestBuilder, &str)> = vec![
        ("no client authentication", post(form.clone()), "invalid_client"),
        ("basic, wrong secret", post(form.clone()).basic_auth("rp", Some(&wrong)), "invalid_client"),
        ("basic, empty secret", post(form.clone()).basic_auth("rp", Some("")), "invalid_client"),
        ("basic, unknown client", post(form.clone()).basic_auth("nobody", Some(&secret)), "invalid_client"),
        ("basic, malformed", post(form.clone()).header("authorization", "Basic !!!"), "invalid_client"),
        ("post, wrong secret", post(plus(&[("client_id", "rp"), ("client_secret", "nope")])), "invalid_client"),
        ("post, unknown client", post(plus(&[("client_id", "nobody"), ("client_secret", "nope")])), "invalid_client"),
        ("confidential client without its secret", post(plus(&[("client_id", "rp")])), "invalid_client"),
        ("public client with a secret", post(plus(&[("client_id", "spa"), ("client_secret", "x")])), "invalid_client"),
        ("public client with basic", post(form.clone()).basic_auth("spa", Some("x")), "invalid_client"),
        (
            "basic and client_secret at once",
            post(plus(&[("client_secret", "also")])).basic_auth("rp", Some(&secret)),
            "invalid_request",
        ),
        (
            "basic and another client_id in the body",
            post(plus(&[("client_id", "spa")])).basic_auth("rp", Some(&secret)),
            "invalid_request",
        ),
    ];
    for (case, request, error) in cases {
        assert_token_error(request.send().await.unwrap(), error, case).await;
    }
    // A public client authenticates by id alone, but this code is not its own.
    let response = app.token(&public, &form).await;
    assert_token_error(response, "invalid_grant", "another client's code").await;

    assert_unredeemed(&app, &code).await;
    app.redeem(&client, &code).await;
}

async fn malformed_token_requests_are_invalid_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let code = code_for(&app, &mut Browser::default(), &client).await;
    let form = redeem_form(&client, &code);
    let without = |name: &str| form.iter().filter(|(k, _)| *k != name).copied().collect::<Vec<_>>();

    let cases = [
        ("missing grant_type", without("grant_type"), "invalid_request"),
        ("missing code", without("code"), "invalid_request"),
        ("missing redirect_uri", without("redirect_uri"), "invalid_request"),
    ];
    for (case, fields, error) in cases {
        assert_token_error(app.token(&client, &fields).await, error, case).await;
    }

    // Bodies that are not one clean form.
    let encoded = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&form).finish();
    let secret = client.secret.clone().unwrap();
    let raw = |content_type: &str, body: String| {
        app.http.post(app.url("/token")).basic_auth("rp", Some(&secret)).header("content-type", content_type).body(body)
    };
    let form_type = "application/x-www-form-urlencoded";
    let json = serde_json::to_string(&form.iter().copied().collect::<std::collections::BTreeMap<_, _>>()).unwrap();
    let cases = [
        ("duplicated code", raw(form_type, format!("{encoded}&code={code}"))),
        ("duplicated grant_type", raw(form_type, format!("{encoded}&grant_type=authorization_code"))),
        ("invalid UTF-8", raw(form_type, format!("{encoded}&extra=%FF"))),
        ("a JSON body", raw("application/json", json)),
        ("a text body", raw("text/plain", encoded.clone())),
    ];
    for (case, request) in cases {
        assert_token_error(request.send().await.unwrap(), "invalid_request", case).await;
    }

    assert_unredeemed(&app, &code).await;
    // The same body with the right content type, and unknown parameters, is fine.
    let ok = raw(&format!("{form_type}; charset=UTF-8"), format!("{encoded}&extra=ignored")).send().await.unwrap();
    assert_eq!(ok.status(), 200);
}

async fn grant_types_are_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    let machine = app
        .add_client(ClientSpec { id: "machine", grant_types: vec!["client_credentials"], ..Default::default() })
        .await;
    app.alice().await;
    let code = code_for(&app, &mut Browser::default(), &client).await;
    let mut form = redeem_form(&client, &code);

    for grant_type in ["password", "implicit", "urn:ietf:params:oauth:grant-type:device_code", "AUTHORIZATION_CODE"] {
        form[0] = ("grant_type", grant_type);
        assert_token_error(app.token(&client, &form).await, "unsupported_grant_type", grant_type).await;
    }
    // A client registered for client_credentials only may not redeem codes, even a real one.
    form[0] = ("grant_type", "authorization_code");
    assert_token_error(app.token(&machine, &form).await, "unauthorized_client", "client_credentials only").await;

    assert_unredeemed(&app, &code).await;
    app.redeem(&client, &code).await;
}

async fn bad_codes_are_invalid_grant_and_leave_the_code_usable(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    // A second confidential client with the same redirect URI: only the binding differs.
    let other = app.add_client(ClientSpec { id: "rp2", ..Default::default() }).await;
    app.alice().await;
    let code = code_for(&app, &mut Browser::default(), &client).await;
    let form = redeem_form(&client, &code);
    let replace = |name: &str, value: &'static str| {
        form.iter().map(|&(k, v)| if k == name { (k, value) } else { (k, v) }).collect::<Vec<_>>()
    };
    let without = |name: &str| form.iter().filter(|(k, _)| *k != name).copied().collect::<Vec<_>>();
    let other_verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx";
    let wrong_code = gatehouse::secret::random_token();
    let mut wrong_code_form = form.clone();
    wrong_code_form[1] = ("code", &wrong_code);

    let cases = [
        ("an unknown code", wrong_code_form),
        ("redirect_uri with a trailing slash", replace("redirect_uri", "https://rp.example/cb/")),
        ("another redirect_uri", replace("redirect_uri", "https://rp.example/other")),
        ("a wrong code_verifier", replace("code_verifier", other_verifier)),
        ("the challenge as verifier", replace("code_verifier", crate::common::CHALLENGE)),
        ("a too short code_verifier", replace("code_verifier", "short")),
        ("a missing code_verifier", without("code_verifier")),
    ];
    for (case, fields) in cases {
        assert_token_error(app.token(&client, &fields).await, "invalid_grant", case).await;
    }
    // The code issued to rp, presented by rp2 with its own valid credentials.
    assert_token_error(app.token(&other, &form).await, "invalid_grant", "another client's code").await;

    assert_unredeemed(&app, &code).await;
    let tokens = app.redeem(&client, &code).await;
    assert_eq!(jwt_claims(tokens["id_token"].as_str().unwrap())["aud"], "rp");
}

async fn a_verifier_without_a_challenge_is_invalid_grant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let legacy = app
        .add_client(ClientSpec {
            id: "legacy",
            require_pkce: false,
            redirect_uris: vec!["https://legacy.example/cb".into()],
            ..Default::default()
        })
        .await;
    app.alice().await;
    let mut params = auth_params(&legacy, "openid");
    params.retain(|(k, _)| !k.starts_with("code_challenge"));
    let code = code_in(&app, &mut Browser::default(), &params).await;

    let with_verifier = redeem_form(&legacy, &code);
    assert_token_error(app.token(&legacy, &with_verifier).await, "invalid_grant", "verifier, no challenge").await;

    assert_unredeemed(&app, &code).await;
    let response = app.token(&legacy, &with_verifier[..3]).await;
    assert_eq!(response.status(), 200, "without a verifier it is redeemed");
}

async fn expired_codes_and_disabled_users_are_invalid_grant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();

    // Codes live 60 seconds.
    let fresh = code_for(&app, &mut browser, &client).await;
    app.clock.advance(Duration::from_secs(59));
    app.redeem(&client, &fresh).await;
    let code = code_for(&app, &mut browser, &client).await;
    app.clock.advance(Duration::from_secs(61));
    assert_token_error(app.token(&client, &redeem_form(&client, &code)).await, "invalid_grant", "expired").await;
    assert_unredeemed(&app, &code).await;

    // A user disabled between login and redemption gets no tokens.
    let code = code_for(&app, &mut Browser::default(), &client).await;
    assert!(app.store.set_disabled("alice", true, app.clock.now()).await.unwrap());
    assert_token_error(app.token(&client, &redeem_form(&client, &code)).await, "invalid_grant", "disabled").await;
    assert_unredeemed(&app, &code).await;
}

async fn a_replayed_code_fails_and_revokes_the_first_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let code = code_for(&app, &mut Browser::default(), &client).await;
    let first = app.redeem(&client, &code).await;
    let access_token = first["access_token"].as_str().unwrap();
    assert_eq!(app.userinfo_status(access_token).await, 200);
    let grant_id = jwt_claims(access_token)["grant_id"].as_str().unwrap().to_owned();

    // Immediately (oidcc-codereuse) and 30 s later (oidcc-codereuse-30seconds).
    let replay = app.token(&client, &redeem_form(&client, &code)).await;
    assert_token_error(replay, "invalid_grant", "immediate replay").await;
    let revoked_at = app.clock.now();
    app.clock.advance(Duration::from_secs(30));
    let replay = app.token(&client, &redeem_form(&client, &code)).await;
    assert_token_error(replay, "invalid_grant", "replay after 30 s").await;

    let response = app.userinfo(access_token).await;
    assert_eq!(response.status(), 401, "the first redemption's access token is revoked");
    let challenge =
        response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert!(challenge.contains(r#"error="invalid_token""#), "{challenge}");
    let grant = app.store.find_grant(&grant_id).await.unwrap().expect("the grant exists");
    assert_eq!(grant.revoked_at, Some(revoked_at), "revoked at the first replay");
}

async fn of_twenty_concurrent_redemptions_one_wins_and_is_then_revoked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let code = code_for(&app, &mut Browser::default(), &client).await;
    let form = redeem_form(&client, &code);

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let request = app.request_as("/token", &client, &form);
        tasks.spawn(async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        });
    }
    let results = tasks.join_all().await;

    let winners: Vec<&Value> = results.iter().filter(|(s, _)| *s == 200).map(|(_, body)| body).collect();
    let outcomes: Vec<(u16, Value)> = results.iter().map(|(s, body)| (*s, body["error"].clone())).collect();
    assert_eq!(winners.len(), 1, "exactly one redemption wins: {outcomes:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != 200) {
        assert_eq!((*status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    }
    let access_token = winners[0]["access_token"].as_str().unwrap();
    assert_eq!(app.userinfo_status(access_token).await, 401, "the replays revoked the winner's grant");
    let grant_id = jwt_claims(access_token)["grant_id"].as_str().unwrap().to_owned();
    assert!(app.store.find_grant(&grant_id).await.unwrap().unwrap().revoked_at.is_some());
}
