//! The admin CLI, run as the built binary against a real store. Every error path
//! says what is wrong and leaves the store as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use gatehouse::store::{ClientKind, GrantType};

use crate::backend_tests;
use crate::common::{Backend, Cli, Server, field, start_server};

backend_tests!(
    client_add_prints_the_secret_once_and_stores_only_its_hash,
    client_errors_leave_the_store_unchanged,
    client_list_show_remove,
    user_add_hashes_the_password_and_stores_claims,
    user_errors_leave_the_store_unchanged,
    user_passwd_disable_enable_remove,
    migrate_reports_an_up_to_date_database,
);

async fn client_add_prints_the_secret_once_and_stores_only_its_hash(backend: Backend) {
    let cli = Cli::new(backend).await;

    let out = cli.ok(&["client", "add", "web", "--redirect-uri", "https://app.example/cb", "--name", "Web"], "");
    let public = cli.ok(&["client", "add", "spa", "--public", "--redirect-uri", "http://localhost:3000/cb"], "");

    let secret = field(&out, "client_secret").expect("the secret is printed");
    assert_eq!(secret.len(), 43, "256 bits, base64url");
    assert!(field(&public, "client_secret").is_none());
    let store = cli.store().await;
    let web = store.find_client("web").await.unwrap().unwrap();
    assert_eq!(web.kind, ClientKind::Confidential);
    assert_eq!(web.secret_hash.as_deref(), Some(gatehouse::secret::hash(secret).as_slice()));
    assert_eq!(web.redirect_uris, ["https://app.example/cb"]);
    assert_eq!(web.grant_types, [GrantType::AuthorizationCode, GrantType::RefreshToken]);
    assert_eq!(web.name, "Web");
    let spa = store.find_client("spa").await.unwrap().unwrap();
    assert_eq!(spa.kind, ClientKind::Public);
    assert_eq!(spa.secret_hash, None);
    // The secret is not shown again.
    assert!(!cli.ok(&["client", "show", "web"], "").contains(secret));
    assert!(!cli.ok(&["client", "list"], "").contains(secret));
}

async fn client_errors_leave_the_store_unchanged(backend: Backend) {
    let cli = Cli::new(backend).await;
    cli.ok(&["client", "add", "web", "--redirect-uri", "https://app.example/cb"], "");
    let store = cli.store().await;
    let before = store.list_clients().await.unwrap();

    let cases: &[(&[&str], &str)] = &[
        (&["client", "add", "web", "--redirect-uri", "https://other.example/cb"], "client id `web` already exists"),
        (&["client", "add", "bad id", "--redirect-uri", "https://a.example/cb"], "invalid client id"),
        (&["client", "add", "new"], "needs at least one redirect URI"),
        (&["client", "add", "new", "--redirect-uri", "http://app.example/cb"], "plain http is allowed only"),
        (&["client", "add", "new", "--redirect-uri", "https://a.example/cb#frag"], "fragment"),
        (&["client", "add", "new", "--redirect-uri", "/relative"], "not an absolute URI"),
        (
            &["client", "add", "new", "--public", "--loopback-any-port", "--redirect-uri", "http://localhost/cb"],
            "loopback_any_port needs a redirect URI on http://127.0.0.1",
        ),
        (&["client", "add", "new", "--redirect-uri", "https://user@a.example/cb"], "user information"),
        (&["client", "add", "new", "--redirect-uri", "http://u:p@127.0.0.1/cb"], "user information"),
        (
            &["client", "add", "new", "--redirect-uri", "https://a.example/cb", "--grant-type", "implicit"],
            "unknown grant type `implicit`",
        ),
        (
            &["client", "add", "new", "--public", "--grant-type", "client_credentials"],
            "public client cannot use client_credentials",
        ),
        (&["client", "show", "ghost"], "unknown client `ghost`"),
        (&["client", "remove", "ghost"], "unknown client `ghost`"),
    ];
    for (args, message) in cases {
        let err = cli.fails(args, "");
        assert!(err.contains(message), "gatehouse {args:?}: expected {message:?}, got {err}");
    }

    assert_eq!(store.list_clients().await.unwrap(), before);
}

async fn client_list_show_remove(backend: Backend) {
    let cli = Cli::new(backend).await;
    cli.ok(&["client", "add", "b-app", "--redirect-uri", "https://b.example/cb"], "");
    cli.ok(&["client", "add", "a-app", "--public", "--redirect-uri", "com.example.app:/cb"], "");
    cli.ok(&["client", "add", "svc", "--grant-type", "client_credentials", "--audience", "https://api.example"], "");

    let list = cli.ok(&["client", "list"], "");
    let ids: Vec<&str> = list.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(ids, ["a-app", "b-app", "svc"]);
    let show = cli.ok(&["client", "show", "svc"], "");
    assert_eq!(field(&show, "grant types"), Some("client_credentials"));
    assert_eq!(field(&show, "audience"), Some("https://api.example"));

    assert!(cli.ok(&["client", "remove", "b-app"], "").contains("removed client b-app"));
    let store = cli.store().await;
    assert!(store.find_client("b-app").await.unwrap().is_none());
    assert_eq!(store.list_clients().await.unwrap().len(), 2);
}

async fn user_add_hashes_the_password_and_stores_claims(backend: Backend) {
    let cli = Cli::new(backend).await;

    let out = cli.ok(
        &[
            "user",
            "add",
            "Alice",
            "--email",
            "alice@example.com",
            "--email-verified",
            "--name",
            "Alice Liddell",
            "--claim",
            "locale=en-GB",
            "--claim",
            r#"address={"locality":"Oxford","country":"UK"}"#,
        ],
        "wonderland\n",
    );

    assert!(out.contains("added user Alice"));
    let store = cli.store().await;
    let user = store.find_user_by_username("alice").await.unwrap().expect("found case-insensitively");
    assert_eq!(user.username, "Alice");
    assert!(uuid::Uuid::parse_str(&user.id).is_ok(), "sub is a UUID, not the username: {}", user.id);
    assert!(user.password_hash.starts_with("$argon2id$"));
    assert!(gatehouse::password::verify("wonderland".into(), Some(user.password_hash.clone())).await);
    assert!(!gatehouse::password::verify("wonderland\n".into(), Some(user.password_hash)).await);
    assert!(!user.disabled);
    let claims = serde_json::Value::Object(user.claims);
    assert_eq!(
        claims,
        serde_json::json!({
            "email": "alice@example.com", "email_verified": true, "name": "Alice Liddell", "locale": "en-GB",
            "address": {"locality": "Oxford", "country": "UK"},
        })
    );
}

async fn user_errors_leave_the_store_unchanged(backend: Backend) {
    let cli = Cli::new(backend).await;
    cli.ok(&["user", "add", "alice"], "first\n");
    let store = cli.store().await;
    let before = store.list_users().await.unwrap();

    let cases: &[(&[&str], &str, &str)] = &[
        (&["user", "add", "ALICE"], "pw\n", "username `ALICE` is already taken"),
        (&["user", "add", "bob"], "\n", "the password must not be empty"),
        (&["user", "add", "bob"], "", "the password must not be empty"),
        (&["user", "add", " bob"], "pw\n", "invalid username"),
        (&["user", "add", ""], "pw\n", "invalid username"),
        // Look-alikes of the existing `alice`, and names no one can read reliably.
        (&["user", "add", "ａｌｉｃｅ"], "pw\n", "username `ａｌｉｃｅ` is already taken"),
        (&["user", "add", "al\u{200b}ice"], "pw\n", "invisible"),
        (&["user", "add", "\u{430}lice"], "pw\n", "mixes scripts"),
        (&["user", "add", "\u{430}\u{4cf}\u{456}\u{441}\u{435}"], "pw\n", "looks like the existing user `alice`"),
        (&["user", "add", "bob", "--claim", "sub=admin"], "pw\n", "`sub` is not a standard claim"),
        (&["user", "add", "bob", "--claim", "nickname"], "pw\n", "must be NAME=VALUE"),
        (&["user", "add", "bob", "--email", "not-an-address"], "pw\n", "not an email address"),
        (&["user", "add", "bob", "--name", "B", "--claim", "name=C"], "pw\n", "claim `name` is given twice"),
        (&["user", "add", "bob", "--claim", "email_verified=yes"], "pw\n", "must be true or false"),
        (&["user", "add", "bob", "--claim", "address={\"planet\":\"Mars\"}"], "pw\n", "`address` member `planet`"),
        (&["user", "add", "bob", "--claim", "address={oops"], "pw\n", "not a JSON object"),
        (&["user", "passwd", "alice"], "\n", "the password must not be empty"),
        (&["user", "passwd", "ghost"], "pw\n", "unknown user `ghost`"),
        (&["user", "disable", "ghost"], "", "unknown user `ghost`"),
        (&["user", "enable", "ghost"], "", "unknown user `ghost`"),
        (&["user", "remove", "ghost"], "", "unknown user `ghost`"),
    ];
    for (args, stdin, message) in cases {
        let err = cli.fails(args, stdin);
        assert!(err.contains(message), "gatehouse {args:?}: expected {message:?}, got {err}");
    }

    assert_eq!(store.list_users().await.unwrap(), before);
}

async fn user_passwd_disable_enable_remove(backend: Backend) {
    let cli = Cli::new(backend).await;
    cli.ok(&["user", "add", "bob", "--email", "bob@example.com"], "old\n");
    let store = cli.store().await;
    let created = store.find_user_by_username("bob").await.unwrap().unwrap();

    cli.ok(&["user", "passwd", "Bob"], "new password\n");
    let user = store.find_user_by_username("bob").await.unwrap().unwrap();
    assert!(gatehouse::password::verify("new password".into(), Some(user.password_hash.clone())).await);
    assert!(!gatehouse::password::verify("old".into(), Some(user.password_hash)).await);
    assert_eq!(user.id, created.id, "the subject never changes");

    cli.ok(&["user", "disable", "bob"], "");
    assert!(store.find_user_by_username("bob").await.unwrap().unwrap().disabled);
    let list = cli.ok(&["user", "list"], "");
    assert_eq!(list.trim(), format!("bob\t{}\tdisabled\tbob@example.com", created.id));
    cli.ok(&["user", "enable", "bob"], "");
    assert!(!store.find_user_by_username("bob").await.unwrap().unwrap().disabled);

    cli.ok(&["user", "remove", "bob"], "");
    assert!(store.find_user_by_username("bob").await.unwrap().is_none());
    assert!(store.find_user(&created.id).await.unwrap().is_none());
}

async fn migrate_reports_an_up_to_date_database(backend: Backend) {
    let cli = Cli::new(backend).await;
    assert!(cli.ok(&["migrate"], "").contains("database is up to date"));
    // Running it again is harmless.
    assert!(cli.ok(&["migrate"], "").contains("database is up to date"));
    cli.store().await.ping().await.unwrap();
}

/// Passwords that are not text are refused with a message, not an I/O error.
#[tokio::test]
async fn non_utf8_passwords_are_refused() {
    let cli = Cli::new(Backend::Sqlite).await;
    let mut child = cli.command(&["user", "add", "bob"]).stdin(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"\xff\xfe\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the password must be valid UTF-8"));
    assert!(cli.store().await.list_users().await.unwrap().is_empty());
}

/// The SQLite file holds private keys: only its owner may read it.
#[cfg(unix)]
#[tokio::test]
async fn the_sqlite_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let cli = Cli::new(Backend::Sqlite).await;
    cli.ok(&["migrate"], "");
    let path = cli.db.url.trim_start_matches("sqlite:");
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{path}");
}

/// Invalid configuration stops the command with a message naming the key.
#[tokio::test]
async fn invalid_configuration_names_the_key() {
    let cli = Cli::new(Backend::Sqlite).await;
    let run = |cmd: &mut Command| {
        let out = cmd.output().unwrap();
        assert!(!out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };

    let err = run(cli.command(&["serve"]).env("GATEHOUSE_LISTEN", "everywhere"));
    assert!(err.contains("`listen`") && err.contains("GATEHOUSE_LISTEN"), "{err}");
    let err = run(cli.command(&["serve"]).env("GATEHOUSE_LISTEN", "0.0.0.0:0"));
    assert!(err.contains("`issuer`") && err.contains("non-loopback"), "{err}");
    let err = run(cli.command(&["migrate"]).env("GATEHOUSE_DATABASE_URL", "mysql://localhost/x"));
    assert!(err.contains("`database_url`"), "{err}");
    std::fs::write(cli.dir.path().join("gatehouse.toml"), "[lifetimes]\ncode = \"forever\"\n").unwrap();
    let err = run(&mut cli.command(&["serve"]));
    assert!(err.contains("`lifetimes.code`") && err.contains("gatehouse.toml"), "{err}");
    std::fs::remove_file(cli.dir.path().join("gatehouse.toml")).unwrap();
    let err = run(&mut cli.command(&["serve", "--config", "missing.toml"]));
    assert!(err.contains("missing.toml"), "{err}");
    std::fs::write(cli.dir.path().join("broken.toml"), "issuer = \n").unwrap();
    let err = run(&mut cli.command(&["serve", "--config", "broken.toml"]));
    assert!(err.contains("cannot read configuration file broken.toml"), "{err}");
    let err = run(cli.command(&["serve"]).env("GATEHOUSE_BRANDING_ACCENT", "#ffff00"));
    assert!(err.contains("`branding.accent`") && err.contains("#ffff00 measures 1.06:1"), "{err}");
    let err = run(cli.command(&["serve"]).env("GATEHOUSE_BRANDING_LOGO_URL", "/static/logo.svg"));
    assert!(err.contains("`branding.logo_url`") && err.contains("serves no files"), "{err}");
    let err = run(cli.command(&["migrate"]).env("GATEHOUSE_LOG", "gatehouse=loud"));
    assert!(err.contains("GATEHOUSE_LOG"), "{err}");
    let err = run(cli.command(&["migrate"]).env("GATEHOUSE_DATABASE_URL", "sqlite:/nonexistent/dir/x.db"));
    assert!(err.contains("cannot open the database sqlite:/nonexistent/dir/x.db"), "{err}");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = run(cli.command(&["serve"]).env("GATEHOUSE_LISTEN", &addr).env("GATEHOUSE_DATABASE_URL", "sqlite:x.db"));
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
}

/// `gatehouse serve` as the README runs it: it picks up the port it was given and
/// serves discovery with an issuer that matches.
#[tokio::test]
async fn serve_runs_the_provider() {
    let cli = Cli::new(Backend::Sqlite).await;
    let mut child = cli
        .command(&["serve"])
        .env("GATEHOUSE_LISTEN", "127.0.0.1:0")
        .env("GATEHOUSE_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let addr = stderr
        .lines()
        .map(|l| l.unwrap())
        .find_map(|l| l.split("listening on ").nth(1).map(str::to_owned))
        .expect("the server says where it listens");

    let meta: serde_json::Value =
        reqwest::get(format!("{addr}/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(meta["issuer"], addr);
    assert_eq!(meta["jwks_uri"], format!("{addr}/jwks"));
}

/// `gatehouse serve` raises its soft open-file limit to the hard one at start, and
/// says so: started with a soft limit of 128, it reports the hard limit.
#[cfg(unix)]
#[tokio::test]
async fn serve_raises_the_open_file_limit() {
    let cli = Cli::new(Backend::Sqlite).await;
    let hard = Command::new("sh").args(["-c", "ulimit -Hn"]).output().unwrap();
    let hard = String::from_utf8(hard.stdout).unwrap().trim().to_owned();
    // As `cli.command` starts it, but from a shell that lowers the soft limit first.
    let mut command = Command::new("sh");
    command
        .args(["-c", "ulimit -Sn 128 && exec \"$0\" serve", env!("CARGO_BIN_EXE_gatehouse")])
        .env_clear()
        .env("GATEHOUSE_DATABASE_URL", &cli.db.url)
        .env("GATEHOUSE_LISTEN", "127.0.0.1:0")
        .env("GATEHOUSE_LOG", "info")
        .current_dir(cli.dir.path())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let reported = BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map(|l| l.unwrap())
        .take_while(|l| !l.contains("listening on "))
        .find_map(|l| l.split("open-file limit ").nth(1).and_then(|rest| rest.split(':').next()).map(str::to_owned));
    child.kill().unwrap();
    child.wait().unwrap();
    let reported = reported.expect("the server reports its open-file limit");
    if hard == "unlimited" {
        assert!(reported.parse::<u64>().unwrap() > 128, "raised: {reported}");
    } else {
        assert_eq!(reported, hard, "the soft limit is raised to the hard limit");
    }
}

backend_tests!(keys_list_and_rotate);

async fn keys_list_and_rotate(backend: Backend) {
    let cli = Cli::new(backend).await;

    // Listing writes nothing: a fresh store has no keys until the server starts.
    assert_eq!(cli.ok(&["keys", "list"], "").lines().count(), 1);
    cli.ok(&["migrate"], "");
    let server = start_server(&cli, &[]);
    drop(server);
    let list = cli.ok(&["keys", "list"], "");
    let rows: Vec<Vec<&str>> = list.lines().skip(1).map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows.len(), 6, "{list}");
    for alg in ["RS256", "ES256", "EdDSA"] {
        let mut states: Vec<&str> = rows.iter().filter(|r| r[1] == alg).map(|r| r[2]).collect();
        states.sort();
        assert_eq!(states, ["active", "next"], "{alg}: {list}");
    }

    let out = cli.ok(&["keys", "rotate", "--alg", "ES256"], "");
    assert!(out.starts_with("ES256: key ") && out.contains("signs from"), "{out}");
    let scheduled = out.split_whitespace().nth(2).unwrap();
    let list = cli.ok(&["keys", "list"], "");
    let es: Vec<&str> = list.lines().filter(|l| l.contains(" ES256 ")).collect();
    assert_eq!(es.len(), 3, "{list}");
    let columns: Vec<&str> = es.iter().find(|l| l.starts_with(scheduled)).unwrap().split_whitespace().collect();
    assert_eq!(columns[2], "next", "{list}");
    assert_ne!(columns[4], "-", "its activation is listed: {list}");

    let err = cli.fails(&["keys", "rotate", "--alg", "HS256"], "");
    assert!(err.contains("unknown algorithm `HS256`"), "{err}");
    let run = cli.command(&["keys", "rotate", "--alg", "ES256"]).env("GATEHOUSE_KEYS_ALGORITHMS", "RS256").output();
    let err = String::from_utf8(run.unwrap().stderr).unwrap();
    assert!(err.contains("ES256 is not in keys.algorithms"), "{err}");

    // A key-encryption key seals the next key a rotation makes; another one, which
    // does not open it, stops the next rotation before anything is written.
    let kek = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";
    let sealing = cli.command(&["keys", "rotate", "--alg", "EdDSA"]).env("GATEHOUSE_KEYS_ENCRYPTION_KEY", kek).output();
    assert!(sealing.unwrap().status.success());
    let rows_before = cli.store().await.list_keys().await.unwrap();
    assert!(rows_before.iter().any(|r| r.kek_id.is_some()));
    let wrong = "KysrKysrKysrKysrKysrKysrKysrKysrKysrKysrKys=";
    let run = cli.command(&["keys", "rotate"]).env("GATEHOUSE_KEYS_ENCRYPTION_KEY", wrong).output().unwrap();
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("different key-encryption key"));
    assert_eq!(cli.store().await.list_keys().await.unwrap(), rows_before, "nothing was written");
}

/// A `gatehouse serve` process, killed when dropped.
/// Two server processes on one Postgres database sign with the same key, and both
/// move to the new key after a rotation made by the CLI, which both published at least
/// one max-age before either signed with it. Processes cannot share a test clock: a
/// JWKS max-age of 2 s and a clock-skew allowance of 1 s keep the wait short, polled
/// with a deadline.
#[tokio::test]
#[cfg_attr(not(postgres_tests), ignore = "set DATABASE_URL=postgres://… to run the PostgreSQL variant")]
async fn two_processes_agree_on_the_active_key_after_a_cli_rotation() {
    let cli = Cli::new(Backend::Postgres).await;
    let env = [
        ("GATEHOUSE_KEYS_JWKS_MAX_AGE", "2s"),
        ("GATEHOUSE_KEYS_CLOCK_SKEW", "1s"),
        ("GATEHOUSE_KEYS_ALGORITHMS", "RS256"),
    ];
    let out = cli.ok(&["client", "add", "svc", "--grant-type", "client_credentials"], "");
    let secret = field(&out, "client_secret").unwrap().to_owned();
    let servers = [start_server(&cli, &env), start_server(&cli, &env)];
    let http = reqwest::Client::new();
    let signing_kid = |server: &Server| {
        let request = http
            .post(format!("{}/token", server.url))
            .basic_auth("svc", Some(&secret))
            .form(&[("grant_type", "client_credentials")]);
        async move {
            let body: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
            crate::common::jwt_header(body["access_token"].as_str().unwrap())["kid"].as_str().unwrap().to_owned()
        }
    };
    let published = |server: &Server| {
        let request = http.get(format!("{}/jwks", server.url));
        async move {
            let jwks: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
            jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    let before = signing_kid(&servers[0]).await;
    assert_eq!(signing_kid(&servers[1]).await, before);

    let mut rotate = cli.command(&["keys", "rotate", "--alg", "RS256"]);
    rotate.envs(env);
    let out = String::from_utf8(rotate.output().unwrap().stdout).unwrap();
    let new_kid = out.split_whitespace().nth(2).unwrap().to_owned();
    assert_ne!(new_kid, before);

    // Watch both servers until both sign with the new key: when each first published
    // it, and when either first signed with it.
    let start = std::time::Instant::now();
    let mut first_published = [None, None];
    let mut first_signed = None;
    let mut signing = [before.clone(), before.clone()];
    while signing.iter().any(|kid| *kid != new_kid) {
        assert!(start.elapsed() < std::time::Duration::from_secs(30), "servers still sign with {signing:?}");
        for (i, server) in servers.iter().enumerate() {
            let now = start.elapsed();
            if first_published[i].is_none() && published(server).await.contains(&new_kid) {
                first_published[i] = Some(now);
            }
            signing[i] = signing_kid(server).await;
            if signing[i] == new_kid && first_signed.is_none() {
                first_signed = Some(now);
            }
            assert!(published(server).await.contains(&before), "the old key stays published");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let first_signed = first_signed.unwrap();
    for published in first_published {
        let lead = first_signed.saturating_sub(published.expect("both servers published the new key"));
        assert!(lead >= std::time::Duration::from_secs(2), "published only {lead:?} before it signed");
    }
}
