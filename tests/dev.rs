//! `gatehouse dev`, run as the built binary in a private working directory: what it
//! creates, what it prints, and that the printed values work.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::BufRead;
use std::path::Path;
use std::process::Command;

use crate::common::{Dev, LABELS, dev_command};

/// POST /token with a bogus code and the given Basic credentials: the client is
/// authenticated first, so the right secret answers `invalid_grant`.
async fn bogus_code(http: reqwest::Client, issuer: String, secret: String) -> (u16, String) {
    let response = http
        .post(format!("{issuer}/token"))
        .basic_auth("demo", Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "bogus"),
            ("redirect_uri", "http://127.0.0.1/callback"),
            ("code_verifier", "a-code-verifier-that-is-long-enough-for-rfc-7636-rules"),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap();
    (status, body["error"].as_str().unwrap().to_owned())
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn first_start_creates_a_private_folder_and_prints_the_labels_in_order() {
    let dir = tempfile::tempdir().unwrap();

    let dev = Dev::start(dir.path(), &[], &[]);

    let labels: Vec<_> = dev.printed.lines().map(|l| l.split_once(": ").unwrap().0).collect();
    assert_eq!(labels, LABELS);
    let issuer = dev.get("issuer");
    assert!(issuer.starts_with("http://127.0.0.1:"), "{issuer}");
    assert_eq!(dev.get("discovery"), format!("{issuer}/.well-known/openid-configuration"));
    assert_eq!(dev.get("client_id"), "demo");
    assert_eq!(dev.get("client_secret").len(), 43, "256 bits, base64url");
    assert_eq!(dev.get("public client_id"), "demo-spa");
    let uris: Vec<_> = dev.printed.lines().filter_map(|l| l.strip_prefix("redirect_uri: ")).collect();
    assert_eq!(uris, ["http://127.0.0.1/callback", "http://localhost:3000/callback"]);
    assert_eq!(dev.get("username"), "demo");
    assert!(dev.get("password").len() >= 16);
    let folder = dir.path().join(".gatehouse");
    assert!(folder.join("gatehouse.db").is_file());
    #[cfg(unix)]
    {
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&folder.join("demo.toml")), 0o600);
        assert_eq!(mode(&folder.join("gatehouse.db")), 0o600);
    }
}

#[tokio::test]
async fn a_second_start_shows_the_same_credentials_and_creates_no_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let first = Dev::start(dir.path(), &[], &[]);
    let (secret, password) = (first.get("client_secret"), first.get("password"));
    first.stop();

    let second = Dev::start(dir.path(), &[], &[]);
    assert_eq!(second.get("client_secret"), secret);
    assert_eq!(second.get("password"), password);
    second.stop();

    let url = format!("sqlite:{}", dir.path().join(".gatehouse/gatehouse.db").display());
    let store = gatehouse::store::open(&url).await.unwrap();
    let clients = store.list_clients().await.unwrap();
    assert_eq!(clients.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["demo", "demo-spa"]);
    for client in &clients {
        assert!(client.loopback_any_port, "{}", client.id);
        assert_eq!(client.redirect_uris, ["http://127.0.0.1/callback", "http://localhost:3000/callback"]);
        assert_eq!(client.post_logout_redirect_uris, ["http://localhost:3000", "http://localhost:3000/"]);
    }
    assert_eq!(clients[0].secret_hash.as_deref(), Some(gatehouse::secret::hash(&secret).as_slice()));
    assert_eq!(clients[1].secret_hash, None);
    let users = store.list_users().await.unwrap();
    assert_eq!(users.len(), 1);
    assert!(!users[0].password_hash.contains(&password), "the password is stored hashed");
    assert!(gatehouse::password::verify(password, Some(users[0].password_hash.clone())).await);
}

#[tokio::test]
async fn the_printed_values_work() {
    let dir = tempfile::tempdir().unwrap();
    let dev = Dev::start(dir.path(), &[], &[]);
    let http = reqwest::Client::new();

    let discovery: serde_json::Value = http.get(dev.get("discovery")).send().await.unwrap().json().await.unwrap();
    assert_eq!(discovery["issuer"].as_str(), Some(dev.get("issuer").as_str()));

    assert_eq!(dev.get("client_id"), "demo");
    let issuer = dev.get("issuer");
    let answer = bogus_code(http.clone(), issuer.clone(), dev.get("client_secret")).await;
    assert_eq!(answer, (400, "invalid_grant".into()));
    let answer = bogus_code(http, issuer, "not-the-secret".into()).await;
    assert_eq!(answer, (401, "invalid_client".into()));
}

#[tokio::test]
async fn ephemeral_leaves_nothing_behind_and_still_serves() {
    let dir = tempfile::tempdir().unwrap();
    let dev = Dev::start(dir.path(), &["--ephemeral"], &[]);
    let http = reqwest::Client::new();

    // Concurrent requests run on several of the store's connections: all see the
    // same in-memory database, with the demo client and the keys in it.
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..8 {
        requests.spawn(bogus_code(http.clone(), dev.get("issuer"), dev.get("client_secret")));
    }
    let answers = requests.join_all().await;
    assert!(answers.iter().all(|a| *a == (400, "invalid_grant".to_owned())), "{answers:?}");
    let jwks = || async { http.get(format!("{}/jwks", dev.get("issuer"))).send().await.unwrap().text().await.unwrap() };
    assert_eq!(jwks().await, jwks().await);
    assert!(jwks().await.contains("\"kid\""));

    dev.stop();
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "nothing is written: {left:?}");
}

#[tokio::test]
async fn the_printed_headless_login_command_gets_a_code_that_redeems() {
    let dir = tempfile::tempdir().unwrap();
    let dev = Dev::start(dir.path(), &["--ephemeral", "--auto-login", "demo"], &[]);
    let url = dev.headless_login_url();
    assert!(url.starts_with(&format!("{}/authorize?", dev.get("issuer"))), "{url}");
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let response = http.get(&url).send().await.unwrap();

    assert_eq!(response.status(), 303);
    let back = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert!(back.as_str().starts_with("http://127.0.0.1/callback?"), "{back}");
    let code = back.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let tokens = dev.redeem(&http, &code).await;
    assert_eq!(tokens.status(), 200, "the printed verifier redeems the code");
}

#[test]
fn auto_login_of_an_unknown_user_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = dev_command(dir.path(), &["--port", "0", "--ephemeral", "--auto-login", "ghost"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("error: --auto-login: there is no user named ghost"), "{err}");
    assert!(String::from_utf8(out.stdout).unwrap().is_empty(), "nothing printed as if it were ready");
}

#[test]
fn a_non_loopback_address_is_refused_without_allow_remote() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--listen", "0.0.0.0:0"][..],
        &["--issuer", "https://id.example"],
        &["--port", "0", "--issuer", "https://id.example"],
    ] {
        let out = dev_command(dir.path(), args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("error: ") && err.contains("not loopback") && err.contains("--allow-remote"), "{err}");
    }
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing is created");
}

#[test]
fn allow_remote_starts_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut dev = Dev::start(dir.path(), &["--allow-remote", "--ephemeral", "--issuer", "https://id.example"], &[]);
    assert_eq!(dev.get("issuer"), "https://id.example");
    let mut line = String::new();
    dev.stderr.read_line(&mut line).unwrap();
    assert!(line.starts_with("warning: --allow-remote"), "{line}");
}

#[test]
fn flags_win_over_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("GATEHOUSE_ISSUER", "http://localhost:1/env")];
    let dev = Dev::start(dir.path(), &["--ephemeral", "--issuer", "http://localhost:1/flag"], &env);
    assert_eq!(dev.get("issuer"), "http://localhost:1/flag");
    drop(dev);
    let dev = Dev::start(dir.path(), &["--ephemeral"], &env);
    assert_eq!(dev.get("issuer"), "http://localhost:1/env");
}

#[test]
fn serve_still_refuses_an_in_memory_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("serve")
        .env_clear()
        .env("GATEHOUSE_DATABASE_URL", "sqlite::memory:")
        .env("GATEHOUSE_LISTEN", "127.0.0.1:0")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr).unwrap().contains("not an in-memory database"));
}

#[tokio::test]
async fn the_control_api_is_served_by_dev_and_never_by_serve() {
    let dir = tempfile::tempdir().unwrap();
    let dev = Dev::start(dir.path(), &["--ephemeral"], &[]);
    let http = reqwest::Client::new();
    let clock = format!("{}/_dev/clock", dev.get("issuer"));

    let before: serde_json::Value = http.get(&clock).send().await.unwrap().json().await.unwrap();
    let advance = http.post(&clock).header("content-type", "application/json").body(r#"{"advance": "1d"}"#);
    let moved: serde_json::Value = advance.send().await.unwrap().json().await.unwrap();

    assert_eq!(before["offset"], 0, "dev's clock is the wall clock until moved");
    assert_eq!(moved["offset"], 86_400);
    assert!(moved["now"].as_i64().unwrap() >= before["now"].as_i64().unwrap() + 86_400, "{moved}");
    let cli = crate::common::Cli::new(crate::common::Backend::Sqlite).await;
    let server = crate::common::start_server(&cli, &[]);
    let status = http.get(format!("{}/_dev/clock", server.url)).send().await.unwrap().status();
    assert_eq!(status, 404, "serve has no control API");
}
