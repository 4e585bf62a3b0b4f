//! Input of the kinds an attacker tries first: NUL characters, which PostgreSQL
//! cannot store or compare, and values too long to keep or echo. Each gets a clear
//! 4xx on both engines, never a 500, and nothing of it is kept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use serde_json::Value;

use crate::backend_tests;
use crate::common::{Backend, Browser, ClientSpec, TestApp, auth_params, location, open_form, query};

backend_tests!(nul_characters_get_a_4xx_everywhere, values_too_long_to_keep_are_refused);

/// An OAuth JSON error with this status and code.
async fn assert_json_error(response: reqwest::Response, status: u16, error: &str, case: &str) {
    assert_eq!(response.status(), status, "{case}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{case}");
}

async fn nul_characters_get_a_4xx_everywhere(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.add_client(ClientSpec { id: "spa", public: true, ..Default::default() }).await;
    app.alice().await;
    let secret = client.secret.clone().unwrap();
    let basic = |credentials: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials));

    for path in ["/token", "/revoke", "/introspect"] {
        let form = [("grant_type", "client_credentials"), ("token", "t")];
        // client_secret_post, and a public client's id alone.
        let post = [&form[..], &[("client_id", "rp\0"), ("client_secret", &secret)]].concat();
        let response = app.http.post(app.url(path)).form(&post).send().await.unwrap();
        assert_json_error(response, 400, "invalid_request", &format!("{path}: NUL in client_secret_post")).await;
        let public = [&form[..], &[("client_id", "spa\0")]].concat();
        let response = app.http.post(app.url(path)).form(&public).send().await.unwrap();
        assert_json_error(response, 400, "invalid_request", &format!("{path}: NUL in a public client_id")).await;
        // client_secret_basic: form-encoded (%00) and raw.
        for credentials in [format!("rp%00:{secret}"), format!("rp\0:{secret}")] {
            let response = app
                .http
                .post(app.url(path))
                .header("authorization", basic(&credentials))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_json_error(response, 401, "invalid_client", &format!("{path}: NUL in Basic credentials")).await;
        }
    }

    // The authorization endpoint shows an error page: the client cannot be trusted.
    let mut params = auth_params(&client, "openid");
    params.retain(|(name, _)| *name != "client_id");
    params.push(("client_id", "rp\0"));
    let response = Browser::default().authorize(&app, &params).await;
    assert_eq!(response.status(), 400, "/authorize: NUL in client_id");
    assert!(response.text().await.unwrap().contains("NUL"));

    // The login page: in the request id, and in a typed username.
    let mut browser = Browser::default();
    let form = open_form(&app, &mut browser, &client).await;
    let response = browser.get(&app, &format!("{}?request=a%00b", form.path)).await;
    assert_eq!(response.status(), 400, "/login: NUL in the request id");
    let response = browser.post(&app, &form.path, &form.with("alice\0", "wonderland")).await;
    assert_eq!(response.status(), 400, "/login: NUL in the username");
    // Nothing was used up: the same form still logs alice in.
    let response = browser.post(&app, &form.path, &form.with("alice", "wonderland")).await;
    assert_eq!(response.status(), 303);
    assert!(location(&response).starts_with(&client.redirect_uri));
}

async fn values_too_long_to_keep_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let with = |name: &'static str, value: &str| {
        let mut params: Vec<(&str, String)> =
            auth_params(&client, "openid").into_iter().map(|(k, v)| (k, v.to_owned())).collect();
        params.retain(|(k, _)| *k != name);
        params.push((name, value.to_owned()));
        params
    };
    let authorize = async |params: Vec<(&str, String)>| {
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let response = Browser::default().authorize(&app, &pairs).await;
        assert_eq!(response.status(), 303);
        // An error redirect starts no pending request (and sets no browser cookie).
        let started = response.headers().get("set-cookie").is_some();
        (url::Url::parse(&app.issuer).unwrap().join(&location(&response)).unwrap(), started)
    };

    // state: up to 4 KiB is kept and echoed; longer is refused and not echoed.
    let (to_login, started) = authorize(with("state", &"s".repeat(4096))).await;
    assert!(to_login.path().ends_with("/login") && started, "a 4096-byte state is fine: {to_login}");
    let (back, started) = authorize(with("state", &"s".repeat(4097))).await;
    assert!(!started);
    assert_eq!(query(&back, "error").as_deref(), Some("invalid_request"));
    assert!(query(&back, "error_description").unwrap().contains("state is longer than 4096 bytes"));
    assert_eq!(query(&back, "state"), None, "a state too long is not echoed");

    // ui_locales, like nonce and login_hint: 1 KiB.
    let (back, started) = authorize(with("ui_locales", &"en ".repeat(342))).await;
    assert!(!started);
    assert_eq!(query(&back, "error").as_deref(), Some("invalid_request"));
    assert_eq!(query(&back, "state").as_deref(), Some("st-123"));

    // The claims parameter: at most 64 names, each at most 64 bytes.
    let names: Vec<String> = (0..65).map(|i| format!(r#""claim_{i}":null"#)).collect();
    let many = format!(r#"{{"userinfo":{{{}}}}}"#, names.join(","));
    let long = format!(r#"{{"id_token":{{"{}":null}}}}"#, "c".repeat(65));
    for claims in [many, long] {
        let (back, started) = authorize(with("claims", &claims)).await;
        assert!(!started);
        assert_eq!(query(&back, "error").as_deref(), Some("invalid_request"), "{claims}");
    }
}
