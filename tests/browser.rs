//! A real headless Chromium through the real pages (issue 12), driven by
//! `tests/browser/flow.mjs` with playwright-core: an error page, client A's login
//! (after a wrong password), then client B by single sign-on with no login page. The
//! script measures contrast from computed styles in light and dark, and screenshots
//! each page at 390 and 1280 px to `target/browser-artifacts/<backend>/`.
//!
//! It needs Debian's Chromium and the script's Node package (`.ci/run` installs both):
//!
//! ```sh
//! apt-get install --no-install-recommends chromium chromium-driver
//! npm ci --prefix tests/browser
//! ```
//!
//! `build.rs` sets `cfg(browser_tests)` when both are there, or under `CI`, where a
//! missing one fails the test; otherwise it is reported as ignored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{Backend, CHALLENGE, ClientSpec, Script, TestApp, TestClient};

/// How long the script may take: Chromium's start, three pages, 12 screenshots.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// How to install what the script needs.
const INSTALL: &str = "install Chromium and the script's package: apt-get install --no-install-recommends \
                       chromium chromium-driver; npm ci --prefix tests/browser";

/// Every page the journey shows, as named in the screenshots.
const PAGES: [&str; 3] = ["error", "login", "login-error"];

mod a_browser_logs_in_signs_on_once_and_the_pages_are_legible {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(browser_tests),
        ignore = "needs /usr/bin/chromium and tests/browser/node_modules: see tests/browser.rs"
    )]
    async fn sqlite() {
        super::journey(crate::common::Backend::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(all(browser_tests, postgres_tests)),
        ignore = "needs /usr/bin/chromium, tests/browser/node_modules and DATABASE_URL=postgres://…: see tests/browser.rs"
    )]
    async fn postgres() {
        super::journey(crate::common::Backend::Postgres).await
    }
}

async fn journey(backend: Backend) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for needed in ["tests/browser/node_modules", "/usr/bin/chromium"] {
        assert!(root.join(needed).exists(), "{needed} is missing: {INSTALL}");
    }
    let app = TestApp::spawn(backend).await;
    let a = first_party(&app, "rp-a").await;
    let b = first_party(&app, "rp-b").await;
    let alice = app.alice().await;
    let artifacts = artifacts(backend);

    let seen = run(&app, &a, &b, &artifacts).await;

    // The unknown client gets the error page, never a redirect.
    assert_eq!(seen["error_page"]["status"], 400, "{seen}");
    assert_eq!(seen["error_page"]["pages"].as_array().unwrap().len(), 1, "no redirect: {seen}");

    // A: the login page, the wrong password refused on it, then a code.
    let login = &seen["login_a"];
    assert_eq!(login["login_status"], 200, "{seen}");
    assert_eq!(login["wrong_password_status"], 401, "{seen}");
    assert_eq!(login["error"], "Incorrect username or password.", "{seen}");
    let code_a = arrived(login, &a, "state-a", &app);
    assert!(showed_login(login), "A's pages include the login page: {seen}");

    // B: a code straight away, with no login page in between (single sign-on).
    let sso = &seen["sso_b"];
    let code_b = arrived(sso, &b, "state-b", &app);
    assert!(!showed_login(sso), "B was signed on without a login page: {seen}");
    assert_eq!(sso["pages"].as_array().unwrap().len(), 2, "/authorize, then B's redirect URI: {seen}");

    // One session: the wrong password made none, and B reused A's.
    use gatehouse::clock::Clock;
    let sessions = app.store.list_user_sessions(&alice, app.clock.now()).await.unwrap();
    assert_eq!(sessions.len(), 1, "{sessions:?}");

    // The codes redeem, each for its own client, for alice's tokens.
    for (client, code) in [(&a, code_a), (&b, code_b)] {
        let tokens = app.redeem(client, &code).await;
        let claims = crate::common::jwt_claims(tokens["id_token"].as_str().unwrap());
        assert_eq!(claims["aud"], client.id.as_str(), "{claims}");
        assert_eq!(claims["nonce"], format!("nonce-state-{}", &client.id[3..]), "{claims}");
    }

    // Every page at each width and scheme, as a PNG.
    let mut expected = Vec::new();
    for page in PAGES {
        for width in [390, 1280] {
            for scheme in ["light", "dark"] {
                expected.push(artifacts.join(format!("{page}-{width}-{scheme}.png")));
            }
        }
    }
    let mut shot: Vec<PathBuf> =
        seen["screenshots"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().into()).collect();
    shot.sort();
    expected.sort();
    assert_eq!(shot, expected);
    for path in &expected {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 1000, "{} is not a PNG", path.display());
    }

    // Last, as the rest holds whatever the style: the contrast check ran (its self-test
    // caught the failures it was made to find) and found nothing on the pages.
    assert_eq!(seen["self_test"]["failures"].as_array().unwrap().len(), 2, "{seen}");
    assert!(seen["contrast"]["checked"].as_u64().unwrap() > 20, "{seen}");
    let failures = seen["contrast"]["failures"].as_array().unwrap();
    assert!(failures.is_empty(), "contrast below WCAG 2.x minimums:\n{}", lines(failures));
}

/// A first-party confidential client redirecting to `https://<id>.example/cb`.
async fn first_party(app: &TestApp, id: &'static str) -> TestClient {
    let redirect_uris = vec![format!("https://{id}.example/cb")];
    app.add_client(ClientSpec { id, redirect_uris, ..Default::default() }).await
}

/// `target/browser-artifacts/<backend>/`, emptied.
fn artifacts(backend: Backend) -> PathBuf {
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-artifacts").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the script against `app` and returns what it saw.
async fn run(app: &TestApp, a: &TestClient, b: &TestClient, artifacts: &Path) -> Value {
    let client = |c: &TestClient| json!({"id": c.id, "redirect_uri": c.redirect_uri});
    let input = json!({
        "issuer": app.issuer,
        "artifacts": artifacts,
        "username": "alice",
        "password": "wonderland",
        "wrong_password": "looking-glass",
        "code_challenge": CHALLENGE,
        "clients": {"a": client(a), "b": client(b)},
    })
    .to_string();
    let env: Vec<(String, String)> = std::env::var("HOME").map(|home| vec![("HOME".into(), home)]).unwrap_or_default();
    tokio::task::spawn_blocking(move || {
        let args = ["tests/browser/flow.mjs", input.as_str()];
        Script { program: "node", args: &args, env: &env, timeout: SCRIPT_TIMEOUT, install: INSTALL }.run()
    })
    .await
    .unwrap()
}

/// The code the browser arrived at `client`'s redirect URI with, after checking the
/// rest of that redirect (RFC 6749 §4.1.2, RFC 9207 `iss`).
fn arrived(step: &Value, client: &TestClient, state: &str, app: &TestApp) -> String {
    let reached = &step["reached"];
    let url = reached["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}?", client.redirect_uri)), "{step}");
    assert_eq!(reached["state"], state, "{step}");
    assert_eq!(reached["iss"], app.issuer.as_str(), "{step}");
    assert_eq!(reached["error"], Value::Null, "{step}");
    reached["code"].as_str().unwrap_or_else(|| panic!("no code: {step}")).to_owned()
}

/// Whether the step's documents include the login page.
fn showed_login(step: &Value) -> bool {
    step["pages"].as_array().unwrap().iter().any(|p| p["url"].as_str().unwrap().contains("/login?"))
}

/// The contrast failures, one a line.
fn lines(failures: &[Value]) -> String {
    failures.iter().map(Value::to_string).collect::<Vec<_>>().join("\n")
}
