//! The authorization code flow end to end, driven by a real relying-party library.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gatehouse::clock::Clock;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use serde_json::Value;

use crate::backend_tests;
use crate::common::{Backend, Browser, ClientSpec, TestApp, TestClient, jwt_claims, jwt_header, query};

backend_tests!(
    a_confidential_client_logs_in_with_openidconnect,
    a_public_client_logs_in_with_pkce_and_no_secret,
    a_second_authorization_reuses_the_session,
    prompt_login_and_max_age_force_a_new_login,
    prompt_none_without_a_session_is_login_required,
    id_token_hint_must_match_the_session,
    the_id_token_carries_only_what_was_asked_for,
    authorization_requests_may_be_posted,
    max_age_zero_and_a_hint_for_someone_else_need_the_right_login,
    a_posted_request_keeps_single_sign_on,
);

fn rp_http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn full_flow_with_openidconnect(app: &TestApp, client: &TestClient, sub: &str) {
    // The RP discovers the provider and configures itself from the metadata.
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.issuer.clone()).unwrap(), &rp_http()).await.unwrap();
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client.id.clone()),
        client.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(client.redirect_uri.clone()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, state, nonce) = rp
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();

    // The user's browser: /authorize → login page → back to the RP.
    let mut browser = Browser::default();
    let to_login = browser.get(app, auth_url.as_str()).await;
    let back = browser.log_in(app, to_login, "alice", "wonderland").await;
    assert_eq!(back.status(), 303);
    let back = url::Url::parse(back.headers()["location"].to_str().unwrap()).unwrap();
    assert!(back.as_str().starts_with(&client.redirect_uri));
    assert_eq!(query(&back, "state").as_deref(), Some(state.secret().as_str()));
    assert_eq!(query(&back, "iss").as_deref(), Some(app.issuer.as_str()), "RFC 9207");
    let code = query(&back, "code").unwrap();

    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&rp_http())
        .await
        .expect("the token endpoint answers");
    let id_token = tokens.id_token().expect("an ID token");
    let clock = app.clock.clone();
    let verifier =
        rp.id_token_verifier().set_time_fn(move || chrono::DateTime::from_timestamp(clock.now(), 0).unwrap());
    let claims = id_token.claims(&verifier, &nonce).expect("the ID token verifies");
    assert_eq!(claims.subject().as_str(), sub);
    let at_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&at_hash));
    assert_eq!(tokens.token_type(), &openidconnect::core::CoreTokenType::Bearer);

    let userinfo: CoreUserInfoClaims = rp
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&rp_http())
        .await
        .expect("userinfo answers");
    assert_eq!(userinfo.subject().as_str(), sub);
    assert_eq!(userinfo.email().map(|e| e.as_str()), Some("alice@example.com"));
    assert_eq!(userinfo.email_verified(), Some(true));
    assert!(userinfo.name().is_some());
    assert!(userinfo.updated_at().is_some());
}

async fn a_confidential_client_logs_in_with_openidconnect(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    let sub = app.alice().await;
    full_flow_with_openidconnect(&app, &client, &sub).await;
}

async fn a_public_client_logs_in_with_pkce_and_no_secret(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let spec = ClientSpec {
        id: "spa",
        public: true,
        redirect_uris: vec!["http://localhost:5173/cb".into()],
        ..Default::default()
    };
    let client = app.add_client(spec).await;
    let sub = app.alice().await;
    full_flow_with_openidconnect(&app, &client, &sub).await;
}

async fn a_second_authorization_reuses_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();
    let params = crate::common::auth_params(&client, "openid");
    let first = browser.authorize_and_log_in(&app, &params).await;
    let first = app.redeem(&client, &query(&first, "code").unwrap()).await;

    app.clock.advance(std::time::Duration::from_secs(30));
    let again = browser.authorize(&app, &params).await;

    assert_eq!(again.status(), 303);
    let back = url::Url::parse(&crate::common::location(&again)).unwrap();
    assert!(back.as_str().starts_with(&client.redirect_uri), "no login page: {back}");
    let second = app.redeem(&client, &query(&back, "code").unwrap()).await;
    let (a, b) = (jwt_claims(first["id_token"].as_str().unwrap()), jwt_claims(second["id_token"].as_str().unwrap()));
    assert_eq!(a["sub"], b["sub"]);
    assert_eq!(a["auth_time"], b["auth_time"], "no new authentication happened");
    assert_eq!(a["sid"], b["sid"]);
    assert_eq!(b["iat"].as_i64().unwrap(), app.clock.now());
}

async fn prompt_login_and_max_age_force_a_new_login(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();
    let params = crate::common::auth_params(&client, "openid");
    let first = browser.authorize_and_log_in(&app, &params).await;
    let first = jwt_claims(app.redeem(&client, &query(&first, "code").unwrap()).await["id_token"].as_str().unwrap());

    // prompt=login shows the form again although a session exists.
    app.clock.advance(std::time::Duration::from_secs(5));
    let mut with_prompt = params.clone();
    with_prompt.push(("prompt", "login"));
    let second = browser.authorize_and_log_in(&app, &with_prompt).await;
    let second = jwt_claims(app.redeem(&client, &query(&second, "code").unwrap()).await["id_token"].as_str().unwrap());
    assert!(second["auth_time"].as_i64() > first["auth_time"].as_i64());

    // max_age=10000 is satisfied by the session; max_age=1 after 2 seconds is not.
    let mut lenient = params.clone();
    lenient.push(("max_age", "10000"));
    let silent = browser.authorize(&app, &lenient).await;
    assert!(crate::common::location(&silent).starts_with(&client.redirect_uri));
    let silent = url::Url::parse(&crate::common::location(&silent)).unwrap();
    let silent = jwt_claims(app.redeem(&client, &query(&silent, "code").unwrap()).await["id_token"].as_str().unwrap());
    assert_eq!(silent["auth_time"], second["auth_time"]);

    app.clock.advance(std::time::Duration::from_secs(2));
    let mut strict = params.clone();
    strict.push(("max_age", "1"));
    let third = browser.authorize_and_log_in(&app, &strict).await;
    let third = jwt_claims(app.redeem(&client, &query(&third, "code").unwrap()).await["id_token"].as_str().unwrap());
    assert_eq!(third["auth_time"].as_i64().unwrap(), app.clock.now(), "auth_time is the new login");
}

async fn prompt_none_without_a_session_is_login_required(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut params = crate::common::auth_params(&client, "openid");
    params.push(("prompt", "none"));

    let response = Browser::default().authorize(&app, &params).await;

    assert_eq!(response.status(), 303);
    let back = url::Url::parse(&crate::common::location(&response)).unwrap();
    assert!(back.as_str().starts_with(&client.redirect_uri));
    assert_eq!(query(&back, "error").as_deref(), Some("login_required"));
    assert_eq!(query(&back, "state").as_deref(), Some("st-123"));
    assert_eq!(query(&back, "iss").as_deref(), Some(app.issuer.as_str()));
    assert_eq!(query(&back, "code"), None);

    // With a session, prompt=none issues a code without any page.
    let mut browser = Browser::default();
    browser.authorize_and_log_in(&app, &crate::common::auth_params(&client, "openid")).await;
    let silent = browser.authorize(&app, &params).await;
    let back = url::Url::parse(&crate::common::location(&silent)).unwrap();
    assert!(query(&back, "code").is_some());
}

async fn id_token_hint_must_match_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();
    let params = crate::common::auth_params(&client, "openid");
    let first = browser.authorize_and_log_in(&app, &params).await;
    let id_token = app.redeem(&client, &query(&first, "code").unwrap()).await["id_token"].as_str().unwrap().to_owned();

    // The previous ID token as a hint, even after it expired: silent success.
    app.clock.advance(std::time::Duration::from_secs(3600));
    let mut hinted = params.clone();
    hinted.push(("prompt", "none"));
    hinted.push(("id_token_hint", &id_token));
    let silent = browser.authorize(&app, &hinted).await;
    let back = url::Url::parse(&crate::common::location(&silent)).unwrap();
    let again = app.redeem(&client, &query(&back, "code").unwrap()).await;
    assert_eq!(jwt_claims(again["id_token"].as_str().unwrap())["sub"], jwt_claims(&id_token)["sub"]);

    // A hint that is not our ID token is refused with invalid_request.
    let mut forged = hinted.clone();
    let tampered = format!("{}x", id_token);
    forged.retain(|(k, _)| *k != "id_token_hint");
    forged.push(("id_token_hint", &tampered));
    let refused = browser.authorize(&app, &forged).await;
    let back = url::Url::parse(&crate::common::location(&refused)).unwrap();
    assert_eq!(query(&back, "error").as_deref(), Some("invalid_request"));

    // A hint for another user than the session's: login_required under prompt=none.
    let bob = app.add_user("bob", "builder", serde_json::json!({})).await;
    let keys = app.server_keys().await;
    let now = app.clock.now();
    let bobs = keys
        .active(gatehouse::keys::Alg::Rs256, now)
        .unwrap()
        .sign("JWT", &serde_json::json!({"iss": app.issuer, "sub": bob, "aud": client.id, "exp": now + 60, "iat": now}))
        .unwrap();
    let mut other = hinted.clone();
    other.retain(|(k, _)| *k != "id_token_hint");
    other.push(("id_token_hint", &bobs));
    let response = browser.authorize(&app, &other).await;
    let back = url::Url::parse(&crate::common::location(&response)).unwrap();
    assert_eq!(query(&back, "error").as_deref(), Some("login_required"));
}

async fn the_id_token_carries_only_what_was_asked_for(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    let sub = app.alice().await;
    let mut browser = Browser::default();

    // scope=openid profile email without a nonce: claims go to userinfo, not the ID token.
    let mut params = crate::common::auth_params(&client, "openid profile email");
    params.retain(|(k, _)| *k != "nonce");
    let back = browser.authorize_and_log_in(&app, &params).await;
    let tokens = app.redeem(&client, &query(&back, "code").unwrap()).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let claims = jwt_claims(id_token);
    let header = jwt_header(id_token);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    assert!(header["kid"].is_string());
    let mut names: Vec<&String> = claims.as_object().unwrap().keys().collect();
    names.sort();
    assert_eq!(names, ["at_hash", "aud", "auth_time", "azp", "exp", "iat", "iss", "sid", "sub"]);
    assert_eq!(claims["sub"], sub.as_str());
    assert_eq!(claims["aud"], "rp");
    assert_eq!(claims["azp"], "rp");
    assert_eq!(claims["iss"], app.issuer.as_str());
    assert_eq!(claims["exp"].as_i64().unwrap(), app.clock.now() + 600);
    assert_eq!(tokens["scope"], "openid profile email");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);

    // The access token is an RFC 9068 JWT about the same subject, for the issuer.
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(jwt_header(access)["typ"], "at+jwt");
    let at = jwt_claims(access);
    assert_eq!(at["sub"], sub.as_str());
    assert_eq!(at["aud"], serde_json::json!([app.issuer]));
    assert_eq!(at["client_id"], "rp");
    assert_eq!(at["scope"], "openid profile email");
    assert!(at["jti"].is_string() && at["grant_id"].is_string());
    assert_eq!(at["exp"].as_i64().unwrap(), app.clock.now() + 3600);

    // The claims parameter puts a named claim into the ID token and userinfo.
    let mut asked = crate::common::auth_params(&client, "openid");
    asked.push(("claims", r#"{"id_token":{"email":{"essential":true}},"userinfo":{"name":null}}"#));
    let back = Browser::default().authorize_and_log_in(&app, &asked).await;
    let tokens = app.redeem(&client, &query(&back, "code").unwrap()).await;
    let claims = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["email"], "alice@example.com");
    assert!(claims.get("name").is_none());
    assert_eq!(claims["nonce"], "n-456");
    let userinfo: Value = app.userinfo(tokens["access_token"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(userinfo, serde_json::json!({"sub": sub, "name": "Alice Liddell"}));
}

async fn authorization_requests_may_be_posted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();
    let mut params = crate::common::auth_params(&client, "profile openid");
    params.push(("extra", "foobar"));
    params.push(("display", "popup"));
    params.push(("ui_locales", "se"));
    params.push(("claims_locales", "se"));
    params.push(("acr_values", "1 2"));
    params.push(("login_hint", "alice"));
    let path = url::Url::parse(&app.url("/authorize")).unwrap().path().to_owned();

    let as_get = browser.post(&app, &path, &params).await;
    assert_eq!(as_get.status(), 303);
    let to_login = browser.get(&app, &crate::common::location(&as_get)).await;

    assert_eq!(to_login.status(), 303);
    let login_url = crate::common::location(&to_login);
    let page = browser.get(&app, &login_url).await;
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"name="username" value="alice""#), "login_hint prefills the username");
    let login_path = login_url.split('?').next().unwrap().to_owned();
    let (request, csrf) = (crate::common::hidden(&html, "request"), crate::common::hidden(&html, "csrf"));
    let form = [("request", request.as_str()), ("csrf", &csrf), ("username", "alice"), ("password", "wonderland")];
    let done = browser.post(&app, &login_path, &form).await;
    let back = url::Url::parse(&crate::common::location(&done)).unwrap();
    assert_eq!(query(&back, "state").as_deref(), Some("st-123"));
    app.redeem(&client, &query(&back, "code").unwrap()).await;
}

async fn max_age_zero_and_a_hint_for_someone_else_need_the_right_login(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    app.add_user("bob", "builder", serde_json::json!({})).await;
    let mut browser = Browser::default();
    let params = crate::common::auth_params(&client, "openid");
    let first = browser.authorize_and_log_in(&app, &params).await;
    let alice_token =
        app.redeem(&client, &query(&first, "code").unwrap()).await["id_token"].as_str().unwrap().to_owned();

    // max_age=0 is prompt=login, even within the same second.
    let mut zero = params.clone();
    zero.push(("max_age", "0"));
    let response = browser.authorize(&app, &zero).await;
    assert!(crate::common::location(&response).contains("/login?request="), "max_age=0 shows the form");

    // A hint naming alice, but bob signs in: login_required, no code.
    let mut hinted = params.clone();
    hinted.push(("prompt", "login"));
    hinted.push(("id_token_hint", &alice_token));
    let response = browser.authorize(&app, &hinted).await;
    let done = browser.log_in(&app, response, "bob", "builder").await;
    let back = url::Url::parse(&crate::common::location(&done)).unwrap();
    assert_eq!(query(&back, "error").as_deref(), Some("login_required"));
    assert_eq!(query(&back, "state").as_deref(), Some("st-123"));
    assert_eq!(query(&back, "code"), None);
}

async fn a_posted_request_keeps_single_sign_on(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let mut browser = Browser::default();
    let params = crate::common::auth_params(&client, "openid");
    browser.authorize_and_log_in(&app, &params).await;
    let mut silent = params.clone();
    silent.push(("prompt", "none"));

    // A browser does not send SameSite=Lax cookies on a cross-site POST...
    let posted = app.http.post(app.url("/authorize")).form(&silent).send().await.unwrap();
    assert_eq!(posted.status(), 303);
    assert!(posted.headers().get("set-cookie").is_none(), "no new browser cookie replaces the old one");
    // ...but does on the top-level GET it is sent to, where the session is found.
    let again = browser.get(&app, &crate::common::location(&posted)).await;
    let back = url::Url::parse(&crate::common::location(&again)).unwrap();
    assert!(back.as_str().starts_with(&client.redirect_uri));
    assert!(query(&back, "code").is_some(), "{back}");
}
