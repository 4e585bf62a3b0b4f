//! Consent for third-party clients and `prompt=consent` (OIDC Core §3.1.2.4): when
//! the page shows, what it says, and what allowing or denying leaves in the store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gatehouse::clock::Clock;

use crate::backend_tests;
use crate::common::{Backend, Browser, ClientSpec, TestApp, TestClient, auth_params, location, query};

backend_tests!(
    first_party_clients_get_a_code_without_a_page,
    login_then_consent_then_a_code_that_redeems,
    consent_is_remembered_and_a_new_scope_asks_again,
    prompt_consent_asks_every_time_for_any_client,
    prompt_none_answers_consent_required_until_consented,
    deny_answers_access_denied_and_records_nothing,
    client_names_are_escaped_on_the_consent_page,
    a_relying_party_library_logs_in_through_the_consent_page,
    a_third_party_claims_request_stays_within_the_consented_scope,
);

/// A third-party client `shop` named `name`, which may refresh.
pub(crate) async fn third_party(app: &TestApp, name: &'static str) -> TestClient {
    let grant_types = vec!["authorization_code", "refresh_token"];
    app.add_client(ClientSpec { id: "shop", name, third_party: true, grant_types, ..Default::default() }).await
}

/// The scope alice approved for `client`, if any.
pub(crate) async fn stored(app: &TestApp, alice: &str, client: &TestClient) -> Option<String> {
    app.store.find_consent(alice, &client.id).await.unwrap().map(|c| c.scope)
}

/// Logs alice in, in `browser`, for the first-party client `rp` (registered on first use).
pub(crate) async fn signed_in(app: &TestApp, browser: &mut Browser) {
    if app.store.find_client("rp").await.unwrap().is_none() {
        app.client().await;
    }
    let first = TestClient { id: "rp".into(), secret: None, redirect_uri: "https://rp.example/cb".into() };
    let back = browser.authorize_and_log_in(app, &auth_params(&first, "openid")).await;
    assert!(query(&back, "code").is_some());
}

/// The URL the response redirects to, parsed.
pub(crate) fn redirect(response: &reqwest::Response) -> url::Url {
    assert_eq!(response.status(), 303);
    url::Url::parse(&location(response)).unwrap()
}

async fn first_party_clients_get_a_code_without_a_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    let alice = app.alice().await;
    let mut browser = Browser::default();
    let response = browser.authorize(&app, &auth_params(&client, "openid email")).await;
    let done = browser.log_in(&app, response, "alice", "wonderland").await;
    let back = redirect(&done);
    assert!(back.as_str().starts_with(&client.redirect_uri), "{back}");
    assert!(query(&back, "code").is_some());
    assert_eq!(stored(&app, &alice, &client).await, None, "nothing asked, nothing recorded");
}

async fn login_then_consent_then_a_code_that_redeems(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = third_party(&app, "Corner Shop").await;
    let alice = app.alice().await;
    let mut browser = Browser::default();
    let response = browser.authorize(&app, &auth_params(&client, "openid profile email offline_access")).await;
    let to_consent = browser.log_in(&app, response, "alice", "wonderland").await;

    assert_eq!(to_consent.status(), 303);
    assert!(location(&to_consent).starts_with("/consent?request="), "{}", location(&to_consent));
    let set: Vec<&String> = browser.set_cookies.iter().filter(|c| c.starts_with("gatehouse_session=")).collect();
    assert_eq!(set.len(), 1, "the login set the session cookie");
    let page = browser.get(&app, &location(&to_consent)).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    for text in [
        "Corner Shop",
        r#"<p class="who">Signed in as alice</p>"#,
        "asks to use your gatehouse account to:",
        "Know who you are (your account&#39;s identifier)",
        "See your name, username, picture and other profile details",
        "See your email address",
        "Keep access when you are not using it",
        r#"name="decision" value="allow""#,
        r#"name="decision" value="deny" class="secondary""#,
    ] {
        assert!(html.contains(text), "{text} in {html}");
    }
    assert_eq!(stored(&app, &alice, &client).await, None, "not before the answer");

    app.log.new_lines();
    let done = browser.consent(&app, to_consent, "allow").await;
    let back = redirect(&done);
    assert!(back.as_str().starts_with(&client.redirect_uri), "{back}");
    let said = format!("user {alice} consented to client shop for scope openid profile email offline_access");
    let line = app.log.one_line();
    assert!(line.level == "INFO" && line.message.starts_with(&said), "{line:#?}");
    assert_eq!(query(&back, "state").as_deref(), Some("st-123"));
    assert_eq!(query(&back, "iss").as_deref(), Some(app.issuer.as_str()));
    let tokens = app.redeem(&client, &query(&back, "code").unwrap()).await;
    assert!(tokens["id_token"].is_string(), "{tokens}");
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    let all = "openid profile email offline_access";
    assert_eq!(stored(&app, &alice, &client).await.as_deref(), Some(all));
}

async fn consent_is_remembered_and_a_new_scope_asks_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = third_party(&app, "").await;
    let alice = app.alice().await;
    let mut browser = Browser::default();
    signed_in(&app, &mut browser).await;

    let to_consent = browser.authorize(&app, &auth_params(&client, "openid email")).await;
    let page = browser.get(&app, &location(&to_consent)).await.text().await.unwrap();
    assert!(page.contains("Allow shop?"), "the id stands in for a missing name: {page}");
    assert!(!page.contains("allowed before"), "{page}");
    let back = redirect(&browser.consent(&app, to_consent, "allow").await);
    assert!(query(&back, "code").is_some());

    // The same scopes, or fewer: a code at once.
    for scope in ["openid email", "email openid", "openid"] {
        let back = redirect(&browser.authorize(&app, &auth_params(&client, scope)).await);
        assert!(query(&back, "code").is_some(), "{scope}: {back}");
    }

    // A new scope: asked again, and the old ones are listed as allowed before.
    let to_consent = browser.authorize(&app, &auth_params(&client, "openid phone")).await;
    assert!(location(&to_consent).starts_with("/consent?request="), "{}", location(&to_consent));
    let page = browser.get(&app, &location(&to_consent)).await.text().await.unwrap();
    assert!(page.contains("See your phone number"), "{page}");
    assert_eq!(page.matches("allowed before").count(), 1, "openid only: {page}");
    let back = redirect(&browser.consent(&app, to_consent, "allow").await);
    assert!(query(&back, "code").is_some());
    assert_eq!(stored(&app, &alice, &client).await.as_deref(), Some("openid email phone"), "the union");
    let back = redirect(&browser.authorize(&app, &auth_params(&client, "openid email phone")).await);
    assert!(query(&back, "code").is_some(), "{back}");
}

async fn prompt_consent_asks_every_time_for_any_client(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = third_party(&app, "Corner Shop").await;
    let first = app.offline_client("web").await;
    let alice = app.alice().await;
    let mut browser = Browser::default();
    signed_in(&app, &mut browser).await;
    let to_consent = browser.authorize(&app, &auth_params(&shop, "openid")).await;
    let back = redirect(&browser.consent(&app, to_consent, "allow").await);
    assert!(query(&back, "code").is_some());

    for client in [&shop, &first] {
        let mut params = auth_params(client, "openid offline_access");
        params.push(("prompt", "consent"));
        let to_consent = browser.authorize(&app, &params).await;
        assert!(location(&to_consent).starts_with("/consent?request="), "{}: {}", client.id, location(&to_consent));
        let back = redirect(&browser.consent(&app, to_consent, "allow").await);
        let tokens = app.redeem(client, &query(&back, "code").unwrap()).await;
        assert!(tokens["id_token"].is_string(), "{tokens}");
    }
    let first_tokens = crate::common::login_tokens(&app, &first, "openid offline_access").await;
    assert!(first_tokens["refresh_token"].is_string(), "offline_access honoured: {first_tokens}");
    assert_eq!(stored(&app, &alice, &shop).await.as_deref(), Some("openid offline_access"));
    assert_eq!(stored(&app, &alice, &first).await.as_deref(), Some("openid offline_access"), "recorded too");
}

async fn prompt_none_answers_consent_required_until_consented(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = third_party(&app, "Corner Shop").await;
    let alice = app.alice().await;
    let mut browser = Browser::default();
    signed_in(&app, &mut browser).await;
    let mut params = auth_params(&client, "openid email");
    params.push(("prompt", "none"));

    let back = redirect(&browser.authorize(&app, &params).await);
    assert!(back.as_str().starts_with(&client.redirect_uri), "{back}");
    assert_eq!(query(&back, "error").as_deref(), Some("consent_required"));
    assert!(query(&back, "error_description").is_some_and(|d| d.contains("consent")), "{back}");
    assert_eq!(query(&back, "state").as_deref(), Some("st-123"));
    assert_eq!(query(&back, "iss").as_deref(), Some(app.issuer.as_str()));
    assert_eq!(query(&back, "code"), None);
    assert_eq!(stored(&app, &alice, &client).await, None);

    let consented = browser.authorize(&app, &auth_params(&client, "openid email")).await;
    redirect(&browser.consent(&app, consented, "allow").await);
    let back = redirect(&browser.authorize(&app, &params).await);
    assert!(query(&back, "code").is_some(), "{back}");
}

async fn deny_answers_access_denied_and_records_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = third_party(&app, "Corner Shop").await;
    let alice = app.alice().await;
    let mut browser = Browser::default();
    signed_in(&app, &mut browser).await;
    let to_consent = browser.authorize(&app, &auth_params(&client, "openid email")).await;
    let request = location(&to_consent).split("request=").nth(1).unwrap().to_owned();

    app.log.new_lines();
    let back = redirect(&browser.consent(&app, to_consent, "deny").await);
    let line = app.log.one_refusal("/consent", Some("shop"), Some("access_denied"));
    assert_eq!(line.message, "refused: the user denied the request");
    assert!(back.as_str().starts_with(&client.redirect_uri), "{back}");
    assert_eq!(query(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&back, "error_description").as_deref(), Some("the user denied the request"));
    assert_eq!(query(&back, "state").as_deref(), Some("st-123"));
    assert_eq!(query(&back, "iss").as_deref(), Some(app.issuer.as_str()));
    assert_eq!(query(&back, "code"), None);
    assert_eq!(stored(&app, &alice, &client).await, None);
    assert!(app.store.find_pending_request(&request, app.clock.now()).await.unwrap().is_none(), "used up");
    // Asked again next time.
    let again = browser.authorize(&app, &auth_params(&client, "openid email")).await;
    assert!(location(&again).starts_with("/consent?request="), "{}", location(&again));
}

async fn client_names_are_escaped_on_the_consent_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = third_party(&app, "<script>alert(1)</script> & co").await;
    app.alice().await;
    let mut browser = Browser::default();
    signed_in(&app, &mut browser).await;
    let to_consent = browser.authorize(&app, &auth_params(&client, "openid")).await;
    let html = browser.get(&app, &location(&to_consent)).await.text().await.unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#38; co"), "{html}");
}

async fn a_relying_party_library_logs_in_through_the_consent_page(backend: Backend) {
    use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
    use openidconnect::{
        AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, RedirectUrl,
        TokenResponse,
    };
    let app = TestApp::spawn(backend).await;
    let client = third_party(&app, "Corner Shop").await;
    let sub = app.alice().await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.issuer.clone()).unwrap(), &http).await;
    let rp = CoreClient::from_provider_metadata(
        metadata.unwrap(),
        ClientId::new(client.id.clone()),
        client.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(client.redirect_uri.clone()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, state, nonce) = rp
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(openidconnect::Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();

    let mut browser = Browser::default();
    let to_login = browser.get(&app, auth_url.as_str()).await;
    let to_consent = browser.log_in(&app, to_login, "alice", "wonderland").await;
    let back = redirect(&browser.consent(&app, to_consent, "allow").await);
    assert_eq!(query(&back, "state").as_deref(), Some(state.secret().as_str()));

    let tokens = rp
        .exchange_code(AuthorizationCode::new(query(&back, "code").unwrap()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the token endpoint answers");
    let clock = app.clock.clone();
    let id_verifier =
        rp.id_token_verifier().set_time_fn(move || chrono::DateTime::from_timestamp(clock.now(), 0).unwrap());
    let claims = tokens.id_token().expect("an ID token").claims(&id_verifier, &nonce).expect("it verifies");
    assert_eq!(claims.subject().as_str(), sub);
}

/// The `claims` parameter cannot reach past the consent: a third-party client that the
/// user allowed `openid` only gets no email, phone or address by naming them (OIDC
/// Core §3.1.2.4, §5.5), while a claim its consented scope releases may still be moved
/// into the ID token.
async fn a_third_party_claims_request_stays_within_the_consented_scope(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = third_party(&app, "Corner Shop").await;
    app.alice().await;
    let mut browser = Browser::default();
    signed_in(&app, &mut browser).await;
    let to_consent = browser.authorize(&app, &auth_params(&client, "openid")).await;
    assert!(query(&redirect(&browser.consent(&app, to_consent, "allow").await), "code").is_some());
    let claims = r#"{"userinfo": {"email": null, "phone_number": null, "address": null}, "id_token": {"email": null}}"#;
    let mut params = auth_params(&client, "openid");
    params.push(("claims", claims));

    let back = redirect(&browser.authorize(&app, &params).await);

    let tokens = app.redeem(&client, &query(&back, "code").unwrap()).await;
    let id_token = crate::common::jwt_claims(tokens["id_token"].as_str().unwrap());
    assert!(id_token.get("email").is_none(), "{id_token}");
    let userinfo: serde_json::Value =
        app.userinfo(tokens["access_token"].as_str().unwrap()).await.json().await.unwrap();
    let names: Vec<&String> = userinfo.as_object().unwrap().keys().collect();
    assert_eq!(names, ["sub"], "nothing past the consented scope: {userinfo}");

    // With email consented, the same request puts it in the ID token as well.
    let to_consent = browser.authorize(&app, &auth_params(&client, "openid email")).await;
    assert!(query(&redirect(&browser.consent(&app, to_consent, "allow").await), "code").is_some());
    let mut params = auth_params(&client, "openid email");
    params.push(("claims", claims));
    let back = redirect(&browser.authorize(&app, &params).await);
    let tokens = app.redeem(&client, &query(&back, "code").unwrap()).await;
    let id_token = crate::common::jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["email"], "alice@example.com", "{id_token}");
    let userinfo: serde_json::Value =
        app.userinfo(tokens["access_token"].as_str().unwrap()).await.json().await.unwrap();
    assert!(userinfo.get("phone_number").is_none() && userinfo.get("address").is_none(), "{userinfo}");
}
