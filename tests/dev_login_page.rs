//! dev's login page: any username (a new one becomes a user), claims typed as JSON
//! for the login, the seed file's presets one click away, and a banner on every page;
//! under `serve` none of it, whatever the form sends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gatehouse::clock::Clock;
use gatehouse::oauth::dev::DevMode;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::{Backend, Browser, Options, TestApp, TestClient, auth_params, hidden, location, query};

backend_tests!(
    a_new_username_becomes_a_user_with_the_claims_typed,
    an_existing_user_needs_their_password_and_may_change_their_claims,
    bad_claims_are_refused_and_change_nothing,
    presets_fill_the_claims_field,
    serve_ignores_the_dev_fields_and_shows_no_banner,
);

const BANNER: &str = "Development mode";

async fn dev_app(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, Options { dev: Some(DevMode::default()), ..Default::default() }).await
}

/// Opens the login page for an `openid email` request in a fresh browser; returns
/// the browser, the form and its HTML.
async fn login_page(app: &TestApp, client: &TestClient) -> (Browser, crate::common::Form, String) {
    let mut browser = Browser::default();
    let to_login = browser.authorize(app, &auth_params(client, "openid email")).await;
    let login_url = location(&to_login);
    let html = browser.get(app, &login_url).await.text().await.unwrap();
    let form = crate::common::Form {
        path: login_url.split('?').next().unwrap().to_owned(),
        request: hidden(&html, "request"),
        csrf: hidden(&html, "csrf"),
    };
    (browser, form, html)
}

/// Submits the form with these fields added to its hidden ones.
async fn submit(
    app: &TestApp,
    browser: &mut Browser,
    form: &crate::common::Form,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut all = vec![("request", form.request.as_str()), ("csrf", form.csrf.as_str())];
    all.extend_from_slice(fields);
    browser.post(app, &form.path, &all).await
}

/// Redeems the code a successful login redirected with; returns userinfo.
async fn userinfo_after(app: &TestApp, client: &TestClient, done: &reqwest::Response) -> Value {
    assert_eq!(done.status(), 303, "logged in");
    let back = url::Url::parse(&location(done)).unwrap();
    let tokens = app.redeem(client, &query(&back, "code").unwrap()).await;
    app.userinfo(tokens["access_token"].as_str().unwrap()).await.json().await.unwrap()
}

/// The text of the claims field.
fn claims_field(html: &str) -> String {
    let start = html.find("name=\"claims\"").expect("a claims field");
    let body = &html[start..];
    let body = &body[body.find('>').unwrap() + 1..];
    body[..body.find("</textarea>").unwrap()].replace("&#34;", "\"").replace("&quot;", "\"")
}

async fn a_new_username_becomes_a_user_with_the_claims_typed(backend: Backend) {
    let app = dev_app(backend).await;
    let client = app.client().await;
    let (mut browser, form, html) = login_page(&app, &client).await;
    assert!(html.contains(BANNER), "{html}");
    assert_eq!(claims_field(&html).trim(), "", "no user named yet, no claims");

    let claims = r#"{"email": "newbie@example.com", "groups": ["testers"], "team": {"name": "QA"}}"#;
    let done =
        submit(&app, &mut browser, &form, &[("username", "newbie"), ("password", "pw1"), ("claims", claims)]).await;
    let info = userinfo_after(&app, &client, &done).await;
    assert_eq!(info["email"], "newbie@example.com");

    let user = app.store.find_user_by_username("newbie").await.unwrap().expect("created");
    assert_eq!(info["sub"], user.id.as_str());
    assert_eq!(
        Value::Object(user.claims),
        json!({"email": "newbie@example.com", "groups": ["testers"], "team": {"name": "QA"}})
    );
    assert!(gatehouse::password::verify("pw1".into(), Some(user.password_hash)).await, "with the password typed");
}

async fn an_existing_user_needs_their_password_and_may_change_their_claims(backend: Backend) {
    let app = dev_app(backend).await;
    let client = app.client().await;
    app.alice().await;
    let before = app.store.find_user_by_username("alice").await.unwrap().unwrap();

    // The page for a hinted user is prefilled with their stored claims.
    let mut browser = Browser::default();
    let mut params = auth_params(&client, "openid email");
    params.extend([("login_hint", "alice"), ("prompt", "login")]);
    let to_login = browser.authorize(&app, &params).await;
    let page = browser.get(&app, &location(&to_login)).await.text().await.unwrap();
    let prefilled: Value = serde_json::from_str(&claims_field(&page)).unwrap();
    assert_eq!(prefilled, Value::Object(before.claims.clone()));
    let form = crate::common::Form {
        path: location(&to_login).split('?').next().unwrap().to_owned(),
        request: hidden(&page, "request"),
        csrf: hidden(&page, "csrf"),
    };

    // Claims prefilled for alice are not saved as someone else's by mistake.
    let bob = app.add_user("bob", "builder", json!({"name": "Bob"})).await;
    let prefilled_text = serde_json::to_string(&prefilled).unwrap();
    let fields = [("username", "bob"), ("password", "builder"), ("claims", &prefilled_text), ("claims_for", "alice")];
    let mismatch = submit(&app, &mut browser, &form, &fields).await;
    assert_eq!(mismatch.status(), 400);
    let html = mismatch.text().await.unwrap();
    assert!(
        html.contains("The claims shown were alice&#39;s; these are bob&#39;s") || html.contains("were alice's"),
        "{html}"
    );
    let shown: Value = serde_json::from_str(&claims_field(&html)).unwrap();
    assert_eq!(shown, json!({"name": "Bob"}), "bob's own claims are shown");
    assert_eq!(app.store.find_user(&bob).await.unwrap().unwrap().claims["name"], "Bob");

    let changed = r#"{"email": "alice@wonderland.example", "roles": ["queen"]}"#;
    let wrong =
        submit(&app, &mut browser, &form, &[("username", "alice"), ("password", "nope"), ("claims", changed)]).await;
    assert_eq!(wrong.status(), 401, "the wrong-password path stays testable");
    assert!(wrong.text().await.unwrap().contains("Incorrect username or password."));
    assert_eq!(app.store.find_user_by_username("alice").await.unwrap().unwrap(), before, "nothing changed");

    let fields = [("username", "alice"), ("password", "wonderland"), ("claims", changed), ("claims_for", "alice")];
    let done = submit(&app, &mut browser, &form, &fields).await;
    let info = userinfo_after(&app, &client, &done).await;
    assert_eq!(info["email"], "alice@wonderland.example");
    let after = app.store.find_user_by_username("alice").await.unwrap().unwrap();
    assert_eq!(Value::Object(after.claims), json!({"email": "alice@wonderland.example", "roles": ["queen"]}));
    assert_eq!(after.id, before.id);
    assert_eq!(after.updated_at, app.clock.now());
}

async fn bad_claims_are_refused_and_change_nothing(backend: Backend) {
    let app = dev_app(backend).await;
    let client = app.client().await;
    app.alice().await;
    let users = app.store.list_users().await.unwrap();
    let cases = [
        ("{not json", "not a JSON object"),
        ("[1, 2]", "not a JSON object"),
        (r#"{"sub": "someone-else"}"#, "`sub` is a registered claim"),
        (r#"{"email_verified": "yes"}"#, "`email_verified` must be true or false"),
    ];
    for user in ["alice", "brand-new"] {
        for (claims, message) in cases {
            let (mut browser, form, _) = login_page(&app, &client).await;
            let password = if user == "alice" { "wonderland" } else { "pw" };
            let fields = [("username", user), ("password", password), ("claims", claims)];
            let response = submit(&app, &mut browser, &form, &fields).await;
            assert_eq!(response.status(), 400, "{user} {claims}");
            let html = response.text().await.unwrap();
            assert!(html.contains(message), "{user} {claims}: {html}");
            assert!(html.contains(BANNER));
            assert_eq!(app.store.list_users().await.unwrap(), users, "{user} {claims}: nothing changed");
        }
    }
    // A username no one can read reliably is refused before it becomes a user.
    let (mut browser, form, _) = login_page(&app, &client).await;
    let response = submit(&app, &mut browser, &form, &[("username", "bad\u{200b}name"), ("password", "pw")]).await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("invisible"));
    assert_eq!(app.store.list_users().await.unwrap(), users);
}

async fn presets_fill_the_claims_field(backend: Backend) {
    let app = dev_app(backend).await;
    let client = app.client().await;
    let seed =
        "[presets.admin]\ngroups = [\"admins\"]\nroles = [\"owner\"]\n\n[presets.viewer]\nroles = [\"viewer\"]\n";
    gatehouse::seed::apply(app.store.as_ref(), "seed.toml", seed, gatehouse::seed::Rules::Dev, app.clock.now())
        .await
        .unwrap();
    let (mut browser, form, html) = login_page(&app, &client).await;
    for preset in ["admin", "viewer"] {
        assert!(html.contains(&format!("name=\"preset\" value=\"{preset}\"")), "{html}");
    }

    let filled = submit(&app, &mut browser, &form, &[("username", "eve"), ("password", ""), ("preset", "admin")]).await;
    assert_eq!(filled.status(), 200, "a preset only fills the form");
    let html = filled.text().await.unwrap();
    let claims: Value = serde_json::from_str(&claims_field(&html)).unwrap();
    assert_eq!(claims, json!({"groups": ["admins"], "roles": ["owner"]}));
    assert!(html.contains("value=\"eve\""), "the username typed stays");
    assert!(app.store.find_user_by_username("eve").await.unwrap().is_none(), "no login was attempted");

    let fields = [("username", "eve"), ("password", "pw"), ("claims", &claims.to_string())];
    let done = submit(&app, &mut browser, &form, &fields).await;
    assert_eq!(done.status(), 303);
    let eve = app.store.find_user_by_username("eve").await.unwrap().unwrap();
    assert_eq!(Value::Object(eve.claims), claims);
}

async fn serve_ignores_the_dev_fields_and_shows_no_banner(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    app.alice().await;
    let seed = "[presets.admin]\ngroups = [\"admins\"]\n";
    gatehouse::seed::apply(app.store.as_ref(), "seed.toml", seed, gatehouse::seed::Rules::Serve, app.clock.now())
        .await
        .unwrap();
    let users = app.store.list_users().await.unwrap();
    let (mut browser, form, html) = login_page(&app, &client).await;
    for dev_only in [BANNER, "name=\"claims\"", "name=\"preset\""] {
        assert!(!html.contains(dev_only), "{dev_only} under serve: {html}");
    }

    let claims = r#"{"groups": ["admins"]}"#;
    let unknown =
        submit(&app, &mut browser, &form, &[("username", "mallory"), ("password", "pw"), ("claims", claims)]).await;
    assert_eq!(unknown.status(), 401, "an unknown username is a failed login");
    assert_eq!(app.store.list_users().await.unwrap(), users, "and creates no one");
    let preset =
        submit(&app, &mut browser, &form, &[("username", "alice"), ("password", "wonderland"), ("preset", "admin")])
            .await;
    assert_eq!(preset.status(), 303, "preset means nothing: the login goes ahead");
    let (mut browser, form, _) = login_page(&app, &client).await;
    let done =
        submit(&app, &mut browser, &form, &[("username", "alice"), ("password", "wonderland"), ("claims", claims)])
            .await;
    assert_eq!(done.status(), 303);
    assert_eq!(app.store.list_users().await.unwrap(), users, "the claims field is ignored");

    let error_page = browser.get(&app, &app.url("/authorize?client_id=nobody")).await.text().await.unwrap();
    assert!(!error_page.contains(BANNER));
    let dev = dev_app(Backend::Sqlite).await;
    let error_page = Browser::default().get(&dev, &dev.url("/authorize?client_id=nobody")).await.text().await.unwrap();
    assert!(error_page.contains(BANNER), "every dev page has the banner: {error_page}");
}
