//! Registering third-party clients and their logout return addresses, by every way a
//! client is registered: the CLI, seed files, dev's control API and
//! `gatehouse::testing`. Each registration is shown to be honoured by the protocol.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gatehouse::testing::{Client, Provider, User};
use serde_json::json;

use crate::backend_tests;
use crate::common::{Backend, Browser, CHALLENGE, Cli, TestApp, TestClient, auth_params, field, location};

backend_tests!(the_cli_and_seed_files_mark_third_party_clients, the_dev_api_registers_third_party_clients,);

const SEED: &str = r#"[[clients]]
id = "seeded"
secret = "0123456789abcdef0123456789abcdef"
redirect_uris = ["https://seeded.example/cb"]
THIRD_PARTY
"#;

async fn the_cli_and_seed_files_mark_third_party_clients(backend: Backend) {
    let cli = Cli::new(backend).await;
    cli.ok(&["client", "add", "web", "--redirect-uri", "https://web.example/cb"], "");
    cli.ok(&["client", "add", "shop", "--third-party", "--redirect-uri", "https://shop.example/cb"], "");
    let store = cli.store().await;
    assert!(!store.find_client("web").await.unwrap().unwrap().third_party, "first-party by default");
    assert!(store.find_client("shop").await.unwrap().unwrap().third_party);
    assert_eq!(field(&cli.ok(&["client", "show", "web"], ""), "consent"), Some("not asked (first party)"));
    assert_eq!(field(&cli.ok(&["client", "show", "shop"], ""), "consent"), Some("asked (third party)"));

    // A seed file sets it, leaves it as it is when the key is left out, and clears it.
    let third_party = || async { store.find_client("seeded").await.unwrap().unwrap().third_party };
    for (line, expected) in [("third_party = true", true), ("", true), ("third_party = false", false)] {
        std::fs::write(cli.dir.path().join("seed.toml"), SEED.replace("THIRD_PARTY", line)).unwrap();
        cli.ok(&["seed", "apply", "seed.toml"], "");
        assert_eq!(third_party().await, expected, "after a seed file with {line:?}");
    }
}

async fn the_dev_api_registers_third_party_clients(backend: Backend) {
    let app = TestApp::spawn_dev(backend).await;
    let body = json!({"client_id": "shop", "redirect_uris": ["https://shop.example/cb"], "third_party": true,
        "post_logout_redirect_uris": ["https://shop.example/bye"]});

    let (status, answer) = app.dev("POST", "/clients", Some(body)).await;

    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["third_party"], true);
    assert_eq!(answer["post_logout_redirect_uris"], json!(["https://shop.example/bye"]));
    let stored = app.store.find_client("shop").await.unwrap().unwrap();
    assert!(stored.third_party);
    assert_eq!(stored.post_logout_redirect_uris, ["https://shop.example/bye"]);
    // Honoured: a browser's login for it goes to the consent page...
    app.dev("POST", "/users", Some(json!({"username": "alice"}))).await;
    let client = TestClient { id: "shop".into(), secret: None, redirect_uri: "https://shop.example/cb".into() };
    let mut params = auth_params(&client, "openid");
    params.push(("login_hint", "alice"));
    let mut browser = Browser::default();
    let to_consent = browser.authorize(&app, &params).await;
    assert!(location(&to_consent).starts_with("/consent?request="), "{}", location(&to_consent));
    // ...and its logout returns to the registered address (here from a browser without
    // a session, which has nothing to confirm).
    let bye = Browser::default()
        .get(&app, "/logout?client_id=shop&post_logout_redirect_uri=https://shop.example/bye&state=s")
        .await;
    assert_eq!(bye.status(), 303);
    assert_eq!(location(&bye), "https://shop.example/bye?state=s");
}

#[tokio::test]
async fn the_testing_provider_registers_third_party_clients() {
    const CB: &str = "http://127.0.0.1:3000/callback";
    let op = Provider::start().await.unwrap();
    op.add_user(User::new("ada").password("pw")).await.unwrap();
    let client = Client::confidential("shop", CB).third_party().post_logout_redirect_uri("http://127.0.0.1:3000/bye");
    op.add_client(client).await.unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let authorize = |scope: &'static str| {
        let params = [
            ("response_type", "code"),
            ("client_id", "shop"),
            ("redirect_uri", CB),
            ("scope", scope),
            ("login_hint", "ada"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ];
        http.get(op.url("/authorize")).query(&params).send()
    };

    // The fixture's login acts as the user: it consents, so it gets tokens...
    let tokens = op.login("ada", "shop").await.unwrap();
    assert!(!tokens.access_token.is_empty());
    // ...and a browser asking for the same scope is not asked again; for more, it is.
    let same = authorize(gatehouse::testing::DEFAULT_SCOPE).await.unwrap();
    let to = same.headers()["location"].to_str().unwrap();
    assert!(to.starts_with(CB) && to.contains("code="), "{to}");
    let more = authorize("openid phone").await.unwrap();
    let to = more.headers()["location"].to_str().unwrap();
    assert!(to.contains("/consent?request="), "{to}");

    let bye = http
        .get(op.url("/logout"))
        .query(&[("client_id", "shop"), ("post_logout_redirect_uri", "http://127.0.0.1:3000/bye")])
        .send()
        .await
        .unwrap();
    assert_eq!(bye.status(), 303);
    assert_eq!(bye.headers()["location"], "http://127.0.0.1:3000/bye");
}
