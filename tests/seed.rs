//! Seed files: what they declare reaches the store, the tokens and discovery;
//! re-applying changes only what they declare; a bad one changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gatehouse::clock::Clock;
use gatehouse::seed::{Rules, SeedError};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::{Backend, Browser, TestApp, TestClient, jwt_claims, query};

backend_tests!(
    custom_claims_reach_userinfo_and_the_id_token_by_scope,
    the_claims_parameter_and_id_token_claims_put_custom_claims_in_the_id_token,
    reapplying_changes_only_what_the_file_declares,
    a_bad_seed_file_changes_nothing,
);

/// A client secret long enough for `serve`.
const SECRET: &str = "0123456789abcdef0123456789abcdef-web";

fn seed(extra: &str) -> String {
    format!(
        r#"
[[clients]]
id = "web"
name = "Web app"
secret = "{SECRET}"
redirect_uris = ["https://web.example/cb"]

[[users]]
username = "ada"
password = "lovelace"
[users.claims]
email = "ada@example.com"
email_verified = true
groups = ["admins", "analysts"]
roles = ["owner"]
department = {{ name = "Engines", floor = 2 }}
birthdate = 1815-12-10

[scopes.groups]
claims = ["groups"]
id_token = true

[scopes.org]
claims = ["roles", "department"]

[presets.admin]
groups = ["admins"]
{extra}"#
    )
}

async fn apply(app: &TestApp, text: &str, rules: Rules) -> Result<gatehouse::seed::Applied, SeedError> {
    gatehouse::seed::apply(app.store.as_ref(), "seed.toml", text, rules, app.clock.now()).await
}

fn web() -> TestClient {
    TestClient { id: "web".into(), secret: Some(SECRET.into()), redirect_uri: "https://web.example/cb".into() }
}

/// Logs ada in for `client` with `params` added; returns the token response.
async fn log_in(app: &TestApp, client: &TestClient, scope: &str, extra: &[(&str, &str)]) -> Value {
    let mut params = crate::common::auth_params(client, scope);
    params.extend_from_slice(extra);
    let mut browser = Browser::default();
    let to_login = browser.authorize(app, &params).await;
    let back = browser.log_in(app, to_login, "ada", "lovelace").await;
    assert_eq!(back.status(), 303);
    let back = url::Url::parse(back.headers()["location"].to_str().unwrap()).unwrap();
    app.redeem(client, &query(&back, "code").expect("a code")).await
}

async fn userinfo(app: &TestApp, tokens: &Value) -> Value {
    app.userinfo(tokens["access_token"].as_str().unwrap()).await.json().await.unwrap()
}

async fn custom_claims_reach_userinfo_and_the_id_token_by_scope(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let applied = apply(&app, &seed(""), Rules::Serve).await.unwrap();
    assert_eq!(applied.to_string(), "1 clients, 1 users, 2 scopes, 1 claim presets");

    let tokens = log_in(&app, &web(), "openid email groups org unknown", &[]).await;
    assert_eq!(tokens["scope"], "openid email groups org", "unknown scopes are still dropped");
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["groups"], json!(["admins", "analysts"]), "groups is declared for the ID token");
    for absent in ["roles", "department", "email"] {
        assert!(id_token.get(absent).is_none(), "{absent} goes to userinfo only: {id_token}");
    }
    let info = userinfo(&app, &tokens).await;
    assert_eq!(info["groups"], json!(["admins", "analysts"]));
    assert_eq!(info["roles"], json!(["owner"]));
    assert_eq!(info["department"], json!({"name": "Engines", "floor": 2}), "nested objects stay objects");
    assert_eq!(info["email"], "ada@example.com");
    let profile = userinfo(&app, &log_in(&app, &web(), "openid profile", &[]).await).await;
    assert_eq!(profile["birthdate"], "1815-12-10", "a TOML date is its text, as §5.1 writes it");

    // A scope not granted releases nothing.
    let tokens = log_in(&app, &web(), "openid email", &[]).await;
    let info = userinfo(&app, &tokens).await;
    assert!(info.get("groups").is_none() && info.get("roles").is_none(), "{info}");
    assert!(jwt_claims(tokens["id_token"].as_str().unwrap()).get("groups").is_none());

    let discovery = app.discovery().await;
    let scopes = discovery["scopes_supported"].as_array().unwrap();
    for scope in ["openid", "groups", "org"] {
        assert!(scopes.contains(&json!(scope)), "{scope} in {scopes:?}");
    }
    let claims = discovery["claims_supported"].as_array().unwrap();
    for claim in ["sub", "email", "groups", "roles", "department"] {
        assert!(claims.contains(&json!(claim)), "{claim} in {claims:?}");
    }
}

async fn the_claims_parameter_and_id_token_claims_put_custom_claims_in_the_id_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    apply(&app, &seed(""), Rules::Serve).await.unwrap();

    let asked = r#"{"id_token":{"roles":null}}"#;
    let tokens = log_in(&app, &web(), "openid", &[("claims", asked)]).await;
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["roles"], json!(["owner"]), "asked for by name: {id_token}");
    assert!(id_token.get("groups").is_none(), "{id_token}");

    // Registered with id_token_claims, the client gets all the scope releases there.
    let with_claims = seed("").replace("name = \"Web app\"", "name = \"Web app\"\nid_token_claims = true");
    apply(&app, &with_claims, Rules::Serve).await.unwrap();
    assert!(app.store.find_client("web").await.unwrap().unwrap().id_token_claims);
    let tokens = log_in(&app, &web(), "openid email org", &[]).await;
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["email"], "ada@example.com");
    assert_eq!(id_token["email_verified"], true);
    assert_eq!(id_token["roles"], json!(["owner"]));
    assert_eq!(id_token["department"]["floor"], 2);
    assert!(id_token.get("groups").is_none(), "the groups scope was not granted: {id_token}");
}

/// Everything the store holds that a seed file can touch.
async fn snapshot(app: &TestApp) -> String {
    let s = &app.store;
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}",
        s.list_clients().await.unwrap().iter().map(|c| (c, &c.redirect_uris, c.id_token_claims)).collect::<Vec<_>>(),
        s.list_users()
            .await
            .unwrap()
            .iter()
            .map(|u| (u, &u.claims, u.updated_at, &u.password_hash))
            .collect::<Vec<_>>(),
        s.list_scopes().await.unwrap(),
        s.list_presets().await.unwrap(),
    )
}

async fn reapplying_changes_only_what_the_file_declares(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let other = app.client().await;
    apply(&app, &seed(""), Rules::Serve).await.unwrap();
    let ada = app.store.find_user_by_username("ada").await.unwrap().unwrap();
    assert!(gatehouse::password::verify("lovelace".into(), Some(ada.password_hash.clone())).await);
    assert!(ada.password_hash.starts_with("$argon2id$"), "stored hashed");
    app.store.set_disabled("ada", true, app.clock.now()).await.unwrap();

    let before = snapshot(&app).await;
    app.clock.advance(std::time::Duration::from_secs(60));
    apply(&app, &seed(""), Rules::Serve).await.unwrap();
    assert_eq!(snapshot(&app).await, before, "applying the same file again changes nothing");

    let changed = seed("")
        .replace("https://web.example/cb", "https://web.example/new")
        .replace(SECRET, "a-new-secret-of-at-least-thirty-two-characters")
        .replace("lovelace", "babbage")
        .replace("roles = [\"owner\"]", "roles = [\"reader\"]");
    apply(&app, &changed, Rules::Serve).await.unwrap();
    let client = app.store.find_client("web").await.unwrap().unwrap();
    assert_eq!(client.redirect_uris, ["https://web.example/new"]);
    assert!(gatehouse::secret::verify(
        "a-new-secret-of-at-least-thirty-two-characters",
        client.secret_hash.as_ref().unwrap()
    ));
    assert!(!gatehouse::secret::verify(SECRET, client.secret_hash.as_ref().unwrap()));
    let user = app.store.find_user_by_username("ada").await.unwrap().unwrap();
    assert_eq!(user.id, ada.id, "the subject never changes");
    assert!(user.disabled, "a user disabled through the CLI stays disabled");
    assert!(gatehouse::password::verify("babbage".into(), Some(user.password_hash.clone())).await);
    assert_eq!(user.claims["roles"], json!(["reader"]));
    assert_eq!(user.updated_at, app.clock.now());
    let untouched = app.store.find_client(&other.id).await.unwrap().unwrap();
    assert_eq!(untouched.redirect_uris, ["https://rp.example/cb"], "what the file does not mention stays");

    // A field left out keeps its value; a password_hash is taken as it is.
    let hash = gatehouse::password::hash("from-elsewhere".into()).await.unwrap();
    let sparse = format!(
        "[[clients]]\nid = \"web\"\nsecret = \"{SECRET}\"\n\n[[users]]\nusername = \"ADA\"\npassword_hash = \"{hash}\"\n"
    );
    apply(&app, &sparse, Rules::Serve).await.unwrap();
    let client = app.store.find_client("web").await.unwrap().unwrap();
    assert_eq!(client.redirect_uris, ["https://web.example/new"]);
    assert_eq!(client.name, "Web app");
    let user = app.store.find_user_by_username("ada").await.unwrap().unwrap();
    assert_eq!(user.password_hash, hash);
    assert_eq!(user.claims["roles"], json!(["reader"]), "claims left out are kept");
    assert_eq!(app.store.list_users().await.unwrap().len(), 1, "ADA is ada");

    // A client's kind is not changed by a file: its tokens and apps depend on it.
    let before = snapshot(&app).await;
    let public = seed("").replace(&format!("secret = \"{SECRET}\""), "public = true");
    let err = apply(&app, &public, Rules::Serve).await.unwrap_err().to_string();
    assert!(err.contains("line 2: client `web`: is confidential; a seed file cannot make it public"), "{err}");
    assert_eq!(snapshot(&app).await, before);
}

async fn a_bad_seed_file_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.client().await;
    app.alice().await;
    let before = snapshot(&app).await;
    let good = seed("");
    let cases: &[(String, usize, &str)] = &[
        ("[[clients]\nid = \"x\"".into(), 1, "expected"),
        (good.clone() + "\n[[users]]\nusername = \"bob\"\npasword = \"typo\"\n", 31, "unknown field `pasword`"),
        (good.replace("[presets.admin]", "[[clients]]\nid = \"web\"\npublic = true\nredirect_uris = [\"https://a.example/cb\"]\n\n[presets.admin]"), 26, "client `web` is declared twice (first on line 2)"),
        (good.replace("https://web.example/cb", "http://web.example/cb"), 2, "plain http is allowed only for loopback hosts"),
        (good.replace(SECRET, "short"), 2, "the secret has 5 characters; `serve` needs at least 32"),
        (good.replace("roles = [\"owner\"]", "sub = \"admin\""), 8, "`sub` is a registered claim"),
        (good.replace("claims = [\"groups\"]", "claims = [\"iss\"]"), 19, "scope `groups`: `iss` is a registered claim"),
        (good.replace("[scopes.org]", "[scopes.profile]"), 23, "scope `profile`: this is one of OpenID Connect's own scopes"),
        (good + "\n[[users]]\nusername = \"carol\"\n", 29, "user `carol`: a new user needs a `password` or a `password_hash`"),
        (seed("\n[[users]]\nusername = \"\u{430}lice\"\npassword = \"x\"\n"), 29, "mixes scripts"),
        (seed("\n[[users]]\nusername = \"ALICE\"\npassword = \"x\"\npassword_hash = \"y\"\n"), 29, "not both"),
        (seed("\n[[users]]\nusername = \"dora\"\npassword_hash = \"plain\"\n"), 29, "argon2 PHC string"),
        (seed("\n[[users]]\nusername = \"dora\"\npassword = \"x\"\n[users.claims]\nemail_verified = \"yes\"\n"), 29, "`email_verified` must be true or false"),
        (seed("\n[[clients]]\nid = \"spa\"\npublic = true\nsecret = \"x\"\nredirect_uris = [\"https://a.example/cb\"]\n"), 29, "client `spa`: a public client has no secret"),
        (seed("\n[[clients]]\nid = \"api\"\nredirect_uris = [\"https://a.example/cb\"]\n"), 29, "client `api`: a confidential client needs a `secret`"),
        (seed("").replace(SECRET, ""), 2, "client `web`: the secret is empty"),
        (seed("\n[[clients]]\nid = \"spa\"\npublic = true\nrequire_pkce = false\nredirect_uris = [\"https://a.example/cb\"]\n"), 29, "client `spa`: a public client always needs PKCE"),
        (seed(&format!("\n[[clients]]\nid = \"api\"\nsecret = \"{SECRET}\"\ngrant_types = [\"implicit\"]\n")), 29, "client `api`: unknown grant type `implicit`"),
        (seed("\n[scopes.\"bad scope\"]\nclaims = []\n"), 29, "scope `bad scope`: a scope name is 1 to 64 printable ASCII characters"),
        (seed(&format!("\n[presets.{}]\nx = 1\n", "p".repeat(65))), 29, "its name must be 1 to 64 bytes"),
        (seed("\n[[users]]\nusername = \"ADA\"\npassword = \"x\"\n"), 29, "user `ADA`: declared twice (first on line 8)"),
        (seed("\n[[users]]\nusername = \"\u{430}\u{4cf}\u{456}\u{441}\u{435}\"\npassword = \"x\"\n"), 29, "looks like the existing user `alice`"),
    ];
    for (text, line, message) in cases {
        let err = apply(&app, text, Rules::Serve).await.expect_err(message).to_string();
        assert!(err.starts_with(&format!("seed file seed.toml, line {line}: ")), "{message}: {err}");
        assert!(err.contains(message), "expected {message:?}, got {err}");
        assert_eq!(snapshot(&app).await, before, "{message}: the store is unchanged");
    }
    // Under dev, dev's demo client and user are dev's own.
    let demo_client =
        seed("\n[[clients]]\nid = \"demo\"\nsecret = \"x\"\nredirect_uris = [\"https://a.example/cb\"]\n");
    let err = apply(&app, &demo_client, Rules::Dev).await.unwrap_err().to_string();
    assert!(err.contains("line 29: client `demo` is dev's demo client"), "{err}");
    let demo_user = seed("\n[[users]]\nusername = \"Demo\"\npassword = \"x\"\n");
    let err = apply(&app, &demo_user, Rules::Dev).await.unwrap_err().to_string();
    assert!(err.contains("line 29: user `Demo`: is dev's demo user"), "{err}");
    assert_eq!(snapshot(&app).await, before);
    // Under dev, any secret will do.
    apply(&app, &seed("").replace(SECRET, "short"), Rules::Dev).await.unwrap();
}
