//! Refusals at the clients' endpoints (token, revocation, userinfo) say why in the
//! server's log, once, at `info`, and never with a secret, code or token of the
//! request; a revocation says what it ended. `gatehouse dev` prints them as they come.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine;
use serde_json::Value;

use crate::backend_tests;
use crate::common::{
    Backend, Browser, TestApp, TestClient, VERIFIER, auth_params, field, jwt_claims, login_tokens, query,
};

backend_tests!(
    a_refused_code_redemption_is_logged,
    a_replayed_code_is_logged_once_at_warn,
    a_bad_client_secret_is_logged_as_invalid_client,
    a_refused_refresh_is_logged,
    a_revocation_is_logged_with_its_grant,
    userinfo_refusals_are_logged,
);

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("no {key} in {v}")).to_owned()
}

/// A code for `client`, after alice logs in.
async fn code(app: &TestApp, client: &TestClient) -> String {
    let back = Browser::default().authorize_and_log_in(app, &auth_params(client, "openid")).await;
    query(&back, "code").unwrap()
}

fn redeem_form<'a>(client: &'a TestClient, code: &'a str, verifier: &'a str) -> [(&'a str, &'a str); 4] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &client.redirect_uri),
        ("code_verifier", verifier),
    ]
}

async fn a_refused_code_redemption_is_logged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let code = code(&app, &client).await;
    let wrong = "a-wrong-verifier-that-is-long-enough-for-the-rules-of-rfc-7636";

    let response = app.token(&client, &redeem_form(&client, &code, wrong)).await;

    assert_eq!(response.status(), 400);
    let line = app.log.one_refusal("/token", Some("rp"), Some("invalid_grant"));
    assert_eq!(line.message, "refused: code_verifier does not match the code_challenge");

    app.clock.advance(Duration::from_secs(3600));
    assert_eq!(app.token(&client, &redeem_form(&client, &code, VERIFIER)).await.status(), 400);
    let line = app.log.one_refusal("/token", Some("rp"), Some("invalid_grant"));
    assert_eq!(line.message, "refused: the authorization code has expired");
    app.log.assert_absent(&[&code, wrong, VERIFIER, client.secret.as_deref().unwrap()]);
}

async fn a_replayed_code_is_logged_once_at_warn(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let code = code(&app, &client).await;
    let tokens = app.redeem(&client, &code).await;
    assert!(app.log.new_lines().iter().all(|l| l.level != "INFO"), "a success is not a refusal");

    assert_eq!(app.token(&client, &redeem_form(&client, &code, VERIFIER)).await.status(), 400);

    // The replay's warning is the refusal's one line.
    let line = app.log.one_line();
    assert_eq!(line.level, "WARN", "{line:?}");
    assert!(line.message.contains("authorization code replayed"), "{line:?}");
    app.log.assert_absent(&[&code, VERIFIER, &s(&tokens, "access_token"), &s(&tokens, "id_token")]);
}

async fn a_bad_client_secret_is_logged_as_invalid_client(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    let wrong = "not-the-secret-but-looks-like-one";
    let form = [("grant_type", "authorization_code"), ("code", "bogus-code-value"), ("redirect_uri", "x")];

    let response = app.http.post(app.url("/token")).basic_auth("rp", Some(wrong)).form(&form).send().await.unwrap();

    assert_eq!(response.status(), 401);
    let line = app.log.one_refusal("/token", Some("rp"), Some("invalid_client"));
    assert_eq!(line.message, "refused: client authentication failed (the client secret is wrong)");

    // An unknown id may be a secret in the wrong field: not logged either.
    let pasted = "a-secret-pasted-as-the-id";
    let response = app.http.post(app.url("/revoke")).basic_auth(pasted, Some(wrong)).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let line = app.log.one_refusal("/revoke", None, Some("invalid_client"));
    assert_eq!(line.message, "refused: client authentication failed (no client is registered with that id)");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{pasted}:{wrong}"));
    app.log.assert_absent(&[wrong, pasted, "bogus-code-value", client.secret.as_deref().unwrap(), &basic]);
}

async fn a_refused_refresh_is_logged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.offline_client("rp").await;
    app.alice().await;
    let tokens = login_tokens(&app, &client, "openid offline_access").await;
    let refresh_token = s(&tokens, "refresh_token");
    // Past the consent page's info line (prompt=consent): only the refusals count here.
    app.log.new_lines();

    assert_eq!(app.refresh(&client, &refresh_token, Some("openid email")).await.status(), 400);
    let line = app.log.one_refusal("/token", Some("rp"), Some("invalid_scope"));
    assert_eq!(line.message, "refused: scope may not exceed what was granted");

    assert_eq!(app.refresh(&client, "no-such-refresh-token", None).await.status(), 400);
    let line = app.log.one_refusal("/token", Some("rp"), Some("invalid_grant"));
    assert_eq!(line.message, "refused: the refresh token is invalid");
    app.log.assert_absent(&[&refresh_token, "no-such-refresh-token", &s(&tokens, "access_token")]);
}

async fn a_revocation_is_logged_with_its_grant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.offline_client("rp").await;
    app.alice().await;
    let tokens = login_tokens(&app, &client, "openid offline_access").await;
    let (access, refresh_token) = (s(&tokens, "access_token"), s(&tokens, "refresh_token"));
    let grant = s(&jwt_claims(&access), "grant_id");
    app.log.new_lines();

    app.revoke(&client, &access).await;
    let line = app.log.one_line();
    assert_eq!((&*line.level, line.field("endpoint"), line.field("client")), ("INFO", Some("/revoke"), Some("rp")));
    assert_eq!((line.field("token"), line.field("grant")), (Some("access_token"), Some(grant.as_str())), "{line:?}");

    app.revoke(&client, &refresh_token).await;
    let line = app.log.one_line();
    assert_eq!((line.field("token"), line.field("grant")), (Some("refresh_token"), Some(grant.as_str())), "{line:?}");
    assert!(line.message.starts_with("revoked: "), "{line:?}");

    app.revoke(&client, &refresh_token).await;
    let line = app.log.one_line();
    assert_eq!(line.message, "revoked nothing: the refresh token's grant had already ended");
    app.log.assert_absent(&[&access, &refresh_token, &s(&tokens, "id_token"), client.secret.as_deref().unwrap()]);
}

async fn userinfo_refusals_are_logged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let tokens = login_tokens(&app, &client, "openid").await;
    let access = s(&tokens, "access_token");
    let bogus = "not-a-token-but-a-secret-looking-string";
    // Past the consent page's info line (prompt=consent): only the refusals count here.
    app.log.new_lines();

    assert_eq!(app.userinfo_status(bogus).await, 401);
    let line = app.log.one_refusal("/userinfo", None, Some("invalid_token"));
    assert_eq!(line.message, "refused: the access token is invalid");

    app.revoke(&client, &access).await;
    app.log.one_line();
    assert_eq!(app.userinfo_status(&access).await, 401);
    let line = app.log.one_refusal("/userinfo", None, Some("invalid_token"));
    assert_eq!(line.message, "refused: the access token has been revoked");

    assert_eq!(app.get("/userinfo").await.status(), 401);
    let line = app.log.one_refusal("/userinfo", None, None);
    assert_eq!(line.message, "refused: no access token was sent");

    // A good token without openid: the client is known.
    let without_openid = login_tokens(&app, &client, "profile").await;
    app.log.new_lines();
    assert_eq!(app.userinfo_status(&s(&without_openid, "access_token")).await, 403);
    let line = app.log.one_refusal("/userinfo", Some("rp"), Some("insufficient_scope"));
    assert_eq!(line.message, "refused: userinfo needs the openid scope");
    app.log.assert_absent(&[bogus, &access, &s(&without_openid, "access_token")]);
}

/// `gatehouse dev` with no `GATEHOUSE_LOG`: a refusal is printed on stderr as it
/// happens, on one plain line.
#[tokio::test]
async fn gatehouse_dev_prints_refusals_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["dev", "--ephemeral", "--port", "0"])
        .env_clear()
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut printed = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    while !printed.contains("headless login") {
        assert!(stdout.read_line(&mut printed).unwrap() > 0, "dev stopped: {printed}");
    }
    let (issuer, secret) = (field(&printed, "issuer").unwrap(), field(&printed, "client_secret").unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || stderr.lines().map_while(Result::ok).for_each(|l| drop(tx.send(l))));
    let wrong = format!("{secret}-but-wrong");

    let response = reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .basic_auth("demo", Some(&wrong))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 401);
    let line = loop {
        let line = rx.recv_timeout(Duration::from_secs(10)).expect("a refusal is printed");
        if line.contains("refused") {
            break line;
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.contains(" INFO "), "{line}");
    assert!(
        line.ends_with(
            "refused: client authentication failed (the client secret is wrong) endpoint=/token client=demo error=invalid_client"
        ),
        "{line}"
    );
    assert!(!line.contains('\x1b') && !line.contains(secret), "{line}");
}
