//! Seed files through the binary: `seed apply`, `serve` with the `seed` key, and
//! `dev --seed` (where any secret will do).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use serde_json::json;

use crate::backend_tests;
use crate::common::{Backend, Cli, field, jwt_claims, start_server};

backend_tests!(seed_apply_makes_the_file_true_and_a_bad_file_changes_nothing, serve_applies_its_seed_file_at_start,);

const SEED: &str = r#"[[clients]]
id = "web"
secret = "0123456789abcdef0123456789abcdef"
redirect_uris = ["http://127.0.0.1/cb"]
loopback_any_port = true
id_token_claims = true

[[users]]
username = "ada"
password = "lovelace"
claims = { email = "ada@example.com", groups = ["admins"] }

[scopes.groups]
claims = ["groups"]
"#;

/// Everything a seed file can change, as text.
async fn snapshot(cli: &Cli) -> String {
    let store = cli.store().await;
    let clients = store.list_clients().await.unwrap();
    let users = store.list_users().await.unwrap();
    format!("{clients:?} {users:?} {:?} {:?}", store.list_scopes().await.unwrap(), store.list_presets().await.unwrap())
}

async fn seed_apply_makes_the_file_true_and_a_bad_file_changes_nothing(backend: Backend) {
    let cli = Cli::new(backend).await;
    std::fs::write(cli.dir.path().join("seed.toml"), SEED).unwrap();
    let out = cli.ok(&["seed", "apply", "seed.toml"], "");
    assert_eq!(out.trim(), "applied seed.toml: 1 clients, 1 users, 1 scopes, 0 claim presets");
    let store = cli.store().await;
    let web = store.find_client("web").await.unwrap().unwrap();
    assert!(web.id_token_claims && web.loopback_any_port);
    assert!(cli.ok(&["client", "show", "web"], "").contains("id_token:      carries the claims of the granted scope"));
    let before = snapshot(&cli).await;
    cli.ok(&["seed", "apply", "seed.toml"], "");
    assert_eq!(snapshot(&cli).await, before, "applying again changes nothing");

    let short = SEED.replace("0123456789abcdef0123456789abcdef", "short");
    std::fs::write(cli.dir.path().join("bad.toml"), short + "\n[[users]]\nusername = \"bob\"\npassword = \"x\"\n")
        .unwrap();
    let err = cli.fails(&["seed", "apply", "bad.toml"], "");
    assert!(err.contains("seed file bad.toml, line 1: client `web`: the secret has 5 characters"), "{err}");
    let err = cli.fails(&["seed", "apply", "missing.toml"], "");
    assert!(err.contains("cannot read seed file missing.toml"), "{err}");
    assert_eq!(snapshot(&cli).await, before, "nothing of a bad file is applied");
    assert!(store.find_user_by_username("bob").await.unwrap().is_none());

    let out =
        cli.ok(&["client", "add", "claims-app", "--redirect-uri", "https://a.example/cb", "--id-token-claims"], "");
    assert!(out.contains("id_token:"), "{out}");
    assert!(store.find_client("claims-app").await.unwrap().unwrap().id_token_claims);
}

async fn serve_applies_its_seed_file_at_start(backend: Backend) {
    let cli = Cli::new(backend).await;
    std::fs::write(cli.dir.path().join("seed.toml"), SEED).unwrap();
    std::fs::write(
        cli.dir.path().join("bad.toml"),
        SEED.replace("username = \"ada\"", "username = \"ada\"\nsub = \"x\""),
    )
    .unwrap();

    // A bad file stops start-up before the server listens, and changes nothing.
    let out = cli
        .command(&["serve"])
        .env("GATEHOUSE_LISTEN", "127.0.0.1:0")
        .env("GATEHOUSE_SEED", "bad.toml")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error: seed file bad.toml, line 10: unknown field `sub`"), "{err}");
    assert!(!err.contains("listening on"), "{err}");
    assert!(cli.store().await.list_clients().await.unwrap().is_empty());

    let server = start_server(&cli, &[("GATEHOUSE_SEED", "seed.toml")]);
    let discovery: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", server.url)).await.unwrap().json().await.unwrap();
    assert!(discovery["scopes_supported"].as_array().unwrap().contains(&json!("groups")));
    assert!(cli.store().await.find_user_by_username("ada").await.unwrap().is_some());
}

/// `dev --seed`: any secret will do, and a seeded user logs in headlessly with the
/// seeded claims in the ID token.
#[tokio::test]
async fn dev_applies_its_seed_file_with_any_secret() {
    let dir = tempfile::tempdir().unwrap();
    let seed = SEED.replace("0123456789abcdef0123456789abcdef", "dev-secret");
    std::fs::write(dir.path().join("seed.toml"), &seed).unwrap();
    std::fs::write(dir.path().join("bad.toml"), seed.replace("redirect_uris", "redirect_uri")).unwrap();

    // A bad file stops dev before it serves or prints anything.
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["dev", "--ephemeral", "--port", "0", "--seed", "bad.toml"])
        .env_clear()
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("error: seed file bad.toml, line 4: unknown field `redirect_uri`"), "{err}");
    assert!(bad.stdout.is_empty(), "nothing printed");
    let mut child = Killed(
        std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(["dev", "--ephemeral", "--port", "0", "--seed", "seed.toml"])
            .env_clear()
            .env("GATEHOUSE_LOG", "warn")
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let printed: String = BufReader::new(child.0.stdout.take().unwrap())
        .lines()
        .map(|l| l.unwrap() + "\n")
        .take_while(|l| !l.starts_with("headless login"))
        .collect();
    let issuer = field(&printed, "issuer").expect("dev started").to_owned();

    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let authorize = http
        .get(format!("{issuer}/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", "web"),
            ("redirect_uri", "http://127.0.0.1:4000/cb"),
            ("scope", "openid email groups"),
            ("login_hint", "ada"),
            ("code_challenge", crate::common::CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(authorize.headers()["location"].to_str().unwrap()).unwrap();
    let code = crate::common::query(&location, "code").expect("a code at once");
    let tokens: serde_json::Value = http
        .post(format!("{issuer}/token"))
        .basic_auth("web", Some("dev-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:4000/cb"),
            ("code_verifier", crate::common::VERIFIER),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    drop(child);
    let id_token = jwt_claims(tokens["id_token"].as_str().expect("tokens"));
    assert_eq!(id_token["groups"], json!(["admins"]), "{id_token}");
    assert_eq!(id_token["email"], "ada@example.com", "the client has id_token_claims");
}

/// A child process, killed when dropped.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
