//! The userinfo endpoint's error paths (RFC 6750 §3, OIDC Core §5.3.3): missing,
//! forged, expired and revoked access tokens, and tokens without the `openid` scope.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use base64::Engine;
use gatehouse::clock::Clock;
use gatehouse::keys::Alg;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::{
    Backend, Browser, TestApp, TestClient, assert_rfc6749_description, auth_params, jwt_claims, jwt_header, query,
    server_key_der,
};

backend_tests!(
    without_a_token_the_challenge_names_only_the_realm,
    forged_tokens_are_invalid_token,
    expired_revoked_and_disabled_are_invalid_token,
    the_token_comes_one_way_and_a_form_body_is_one,
    without_openid_the_scope_is_insufficient,
    critical_headers_and_tokens_from_the_future_are_refused,
);

/// Logs alice in for `client` with `scope`; returns the token response.
async fn tokens(app: &TestApp, client: &TestClient, scope: &str) -> Value {
    let back = Browser::default().authorize_and_log_in(app, &auth_params(client, scope)).await;
    app.redeem(client, &query(&back, "code").expect("a code")).await
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS over `header` and `claims`, RS256-signed with the PKCS#1 DER key.
fn rs256(der: &[u8], header: &Value, claims: &Value) -> String {
    use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
    let pair = RsaKeyPair::from_der(der).unwrap();
    let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let mut sig = vec![0u8; pair.public_key().modulus_len()];
    pair.sign(&RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), input.as_bytes(), &mut sig).unwrap();
    format!("{input}.{}", b64(&sig))
}

/// An RFC 6750 §3 error: the status, the challenge with realm and error, and a JSON body.
async fn assert_bearer_error(app: &TestApp, response: reqwest::Response, status: u16, error: &str, case: &str) {
    assert_eq!(response.status(), status, "{case}");
    let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.starts_with(&format!("Bearer realm=\"{}\"", app.issuer)), "{case}: {challenge}");
    assert!(challenge.contains(&format!("error=\"{error}\"")), "{case}: {challenge}");
    assert_eq!(response.headers()["cache-control"], "no-store", "{case}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{case}");
    assert_rfc6749_description(body["error_description"].as_str().unwrap_or_default());
}

async fn without_a_token_the_challenge_names_only_the_realm(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let realm_only = format!("Bearer realm=\"{}\"", app.issuer);
    let userinfo = app.url("/userinfo");
    let requests = [
        ("GET", app.http.get(&userinfo)),
        ("POST without a body", app.http.post(&userinfo)),
        ("POST with an empty form", app.http.post(&userinfo).form(&[("other", "x")])),
        // RFC 6750 §2.3 (a token in the URL) is not supported: as if there were none.
        ("GET with access_token in the query", app.http.get(format!("{userinfo}?access_token=abc"))),
    ];
    for (case, request) in requests {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{case}");
        assert_eq!(response.headers()["www-authenticate"], realm_only.as_str(), "{case}: no error attribute");
        assert!(response.text().await.unwrap().is_empty(), "{case}");
    }
}

async fn forged_tokens_are_invalid_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let issued = tokens(&app, &client, "openid").await;
    let (access, id_token) = (issued["access_token"].as_str().unwrap(), issued["id_token"].as_str().unwrap());
    let claims = jwt_claims(access);
    let now = app.clock.now();
    let ours = app.server_keys().await;
    let rows = app.store.list_keys().await.unwrap();
    let our_key = ours.active(Alg::Rs256, now).unwrap();
    let our_kid = our_key.kid().to_owned();
    let our_der = rows.iter().find(|r| r.kid == our_kid).unwrap().private_der.clone();
    let foreign = crate::common::foreign_keys(now);
    let at_header = json!({"alg": "RS256", "typ": "at+jwt", "kid": our_kid});
    let segments: Vec<&str> = access.split('.').collect();
    let (header_b64, signature_b64) = (segments[0], segments[2]);
    let changed = |patch: Value| {
        let mut c = claims.clone();
        c.as_object_mut().unwrap().extend(patch.as_object().unwrap().clone());
        c
    };

    let hs256 = {
        use aws_lc_rs::hmac;
        let header = b64(json!({"alg": "HS256", "typ": "at+jwt", "kid": our_kid}).to_string().as_bytes());
        let input = format!("{header}.{}", b64(claims.to_string().as_bytes()));
        let tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, our_key.jwk().n.as_ref().unwrap().as_bytes()),
            input.as_bytes(),
        );
        format!("{input}.{}", b64(tag.as_ref()))
    };
    let cases: Vec<(&str, String)> = vec![
        ("not a JWT", "not-a-jwt".into()),
        ("three empty-ish parts", "a.b.c".into()),
        (
            "a changed payload",
            format!(
                "{header_b64}.{}.{signature_b64}",
                b64(changed(json!({"scope": "openid email"})).to_string().as_bytes())
            ),
        ),
        ("a truncated signature", access[..access.len() - 4].to_owned()),
        ("an ID token (typ JWT)", id_token.to_owned()),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(json!({"alg": "none", "typ": "at+jwt", "kid": our_kid}).to_string().as_bytes()),
                b64(claims.to_string().as_bytes())
            ),
        ),
        ("HS256 keyed with our public modulus", hs256),
        ("a foreign key with its own kid", foreign.active(Alg::Rs256, now).unwrap().sign("at+jwt", &claims).unwrap()),
        ("a foreign key claiming our kid", rs256(&crate::common::foreign_key_der(), &at_header, &claims)),
        ("our key without a kid", rs256(&our_der, &json!({"alg": "RS256", "typ": "at+jwt"}), &claims)),
        ("our key, another issuer", our_key.sign("at+jwt", &changed(json!({"iss": "https://evil.example"}))).unwrap()),
        (
            "our key, another audience",
            our_key.sign("at+jwt", &changed(json!({"aud": ["https://api.example"]}))).unwrap(),
        ),
        ("our key, no audience", our_key.sign("at+jwt", &changed(json!({"aud": null}))).unwrap()),
        ("our key, an unknown grant", our_key.sign("at+jwt", &changed(json!({"grant_id": "nope"}))).unwrap()),
        ("our key, no exp", our_key.sign("at+jwt", &changed(json!({"exp": null}))).unwrap()),
        ("our key, typ JWT", our_key.sign("JWT", &claims).unwrap()),
    ];
    for (case, token) in cases {
        assert_bearer_error(&app, app.userinfo(&token).await, 401, "invalid_token", case).await;
    }

    // Each case fails for its one fault: the same claims, signed properly, are accepted.
    for typ in ["at+jwt", "application/at+jwt"] {
        let genuine = rs256(&our_der, &json!({"alg": "RS256", "typ": typ, "kid": our_kid}), &claims);
        assert_eq!(app.userinfo(&genuine).await.status(), 200, "{typ}");
    }
    assert_eq!(app.userinfo(access).await.status(), 200);
}

async fn expired_revoked_and_disabled_are_invalid_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let access = tokens(&app, &client, "openid").await["access_token"].as_str().unwrap().to_owned();

    // Access tokens live an hour by gatehouse's clock.
    app.clock.advance(Duration::from_secs(3599));
    assert_eq!(app.userinfo(&access).await.status(), 200);
    app.clock.advance(Duration::from_secs(2));
    assert_bearer_error(&app, app.userinfo(&access).await, 401, "invalid_token", "expired").await;

    // Revoking the grant ends its access tokens at once.
    let access = tokens(&app, &client, "openid").await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.userinfo(&access).await.status(), 200);
    let grant_id = jwt_claims(&access)["grant_id"].as_str().unwrap().to_owned();
    assert!(app.store.revoke_grant(&grant_id, app.clock.now()).await.unwrap());
    assert_bearer_error(&app, app.userinfo(&access).await, 401, "invalid_token", "revoked grant").await;

    // A user disabled after the login gets nothing from userinfo.
    let access = tokens(&app, &client, "openid").await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.userinfo(&access).await.status(), 200);
    assert!(app.store.set_disabled("alice", true, app.clock.now()).await.unwrap());
    assert_bearer_error(&app, app.userinfo(&access).await, 401, "invalid_token", "disabled user").await;
}

async fn the_token_comes_one_way_and_a_form_body_is_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    let sub = app.alice().await;
    let access = tokens(&app, &client, "openid").await["access_token"].as_str().unwrap().to_owned();
    let userinfo = app.url("/userinfo");

    // OIDC Core §5.3.1: POST with the token in a form body (RFC 6750 §2.2), or in the header.
    for (case, request) in [
        ("form body", app.http.post(&userinfo).form(&[("access_token", access.as_str())])),
        ("POST with the header", app.http.post(&userinfo).bearer_auth(&access)),
        ("lower-case scheme", app.http.get(&userinfo).header("authorization", format!("bearer {access}"))),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{case}");
        assert_eq!(response.json::<Value>().await.unwrap()["sub"], sub.as_str(), "{case}");
    }

    // RFC 6750 §2: more than one method is invalid_request; so is a body that is not a form.
    let both = app.http.post(&userinfo).bearer_auth(&access).form(&[("access_token", access.as_str())]);
    assert_bearer_error(&app, both.send().await.unwrap(), 400, "invalid_request", "header and body").await;
    let json = app
        .http
        .post(&userinfo)
        .header("content-type", "application/json")
        .body(json!({"access_token": access}).to_string());
    assert_bearer_error(&app, json.send().await.unwrap(), 400, "invalid_request", "JSON body").await;
    let twice = app
        .http
        .post(&userinfo)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("access_token={access}&access_token={access}"));
    assert_bearer_error(&app, twice.send().await.unwrap(), 400, "invalid_request", "duplicated").await;
}

async fn without_openid_the_scope_is_insufficient(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let issued = tokens(&app, &client, "profile email").await;
    assert_eq!(issued["scope"], "profile email");
    assert!(issued.get("id_token").is_none(), "no ID token without openid");

    let response = app.userinfo(issued["access_token"].as_str().unwrap()).await;

    assert_bearer_error(&app, response, 403, "insufficient_scope", "scope without openid").await;
}

/// Signed with the server's own key, a token is still refused when its header has
/// `crit` (RFC 7515 §4.1.11: gatehouse understands no extension) or its `nbf` or `iat`
/// lies in the future beyond the clock skew allowed between instances (30 s).
async fn critical_headers_and_tokens_from_the_future_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let access_token = tokens(&app, &client, "openid").await["access_token"].as_str().unwrap().to_owned();
    let (header, claims) = (jwt_header(&access_token), jwt_claims(&access_token));
    let der = server_key_der();
    let now = app.clock.now();
    let with = |name: &str, value: Value| {
        let mut changed = claims.clone();
        changed[name] = value;
        changed
    };

    // Re-signed unchanged, or stamped within the skew, the token is good: the signing works.
    assert_eq!(app.userinfo_status(&rs256(&der, &header, &claims)).await, 200);
    assert_eq!(app.userinfo_status(&rs256(&der, &header, &with("iat", json!(now + 30)))).await, 200);

    let mut critical = header.clone();
    critical["crit"] = json!(["exp"]);
    let cases = [
        ("crit", rs256(&der, &critical, &claims)),
        ("iat in the future", rs256(&der, &header, &with("iat", json!(now + 31)))),
        ("nbf in the future", rs256(&der, &header, &with("nbf", json!(now + 3600)))),
    ];
    for (case, token) in cases {
        let response = app.userinfo(&token).await;
        assert_bearer_error(&app, response, 401, "invalid_token", case).await;
    }
}
