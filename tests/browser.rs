//! A real headless Chromium through the real pages (issue 12), driven by
//! `tests/browser/flow.mjs` with playwright-core: an error page, client A's login
//! (after a wrong password), client B by single sign-on with no login page, third-party
//! client C's consent (allowed, then remembered, then a new scope denied), a logout by
//! A's ID token and one confirmed on the page, and the login page again after. The
//! clients' URIs are a relying party on loopback ([`RelyingParty`]) that Chromium is
//! really sent to. The script measures contrast from computed styles in light and
//! dark, and screenshots each page at 390 and 1280 px to
//! `target/browser-artifacts/<backend>/`.
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

use crate::common::{Backend, CHALLENGE, ClientSpec, RelyingParty, Script, TestApp, TestClient, VERIFIER};

/// How long the script may take: Chromium's start, a dozen pages, 24 screenshots.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// How to install what the script needs.
const INSTALL: &str = "install Chromium and the script's package: apt-get install --no-install-recommends \
                       chromium chromium-driver; npm ci --prefix tests/browser";

/// Every page the journey shows, as named in the screenshots.
const PAGES: [&str; 6] = ["error", "login", "login-error", "consent", "logout", "logged-out"];

/// Client C's name, which its consent page shows.
const C_NAME: &str = "Gallery by Third Party";

mod a_browser_logs_in_consents_and_logs_out_and_the_pages_are_legible {
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
    let rp = RelyingParty::start().await;
    let at = |path: &str| format!("{}{path}", rp.origin);
    let a = app
        .add_client(ClientSpec {
            id: "rp-a",
            post_logout_redirect_uris: vec![at("/a/logged-out")],
            ..spec(&at("/a/cb"))
        })
        .await;
    let b = app.add_client(ClientSpec { id: "rp-b", ..spec(&at("/b/cb")) }).await;
    let c = app.add_client(ClientSpec { id: "rp-c", name: C_NAME, third_party: true, ..spec(&at("/c/cb")) }).await;
    let alice = app.alice().await;
    let artifacts = artifacts(backend);

    let seen = run(&app, [&a, &b, &c], &at("/a/logged-out"), &artifacts).await;

    // The unknown client gets the error page, never a redirect.
    assert_eq!(seen["error_page"]["status"], 400, "{seen}");
    assert_eq!(seen["error_page"]["pages"].as_array().unwrap().len(), 1, "no redirect: {seen}");

    // A: the login page, the wrong password refused on it, then a code.
    let login = &seen["login_a"];
    assert_eq!(login["login_status"], 200, "{seen}");
    assert_eq!(login["wrong_password_status"], 401, "{seen}");
    assert_eq!(login["error"], "Incorrect username or password.", "{seen}");
    arrived(login, &a, "state-a", &app);
    assert!(showed(login, "/login?"), "A's pages include the login page: {seen}");

    // B: a code straight away, with no login page in between (single sign-on).
    let sso = &seen["sso_b"];
    arrived(sso, &b, "state-b", &app);
    assert!(!showed(sso, "/login?"), "B was signed on without a login page: {seen}");
    assert_eq!(sso["pages"].as_array().unwrap().len(), 2, "/authorize, then B's redirect URI: {seen}");

    // C, third-party: the consent page names it; Allow gives a code, and the same
    // scope again gives one with no consent page.
    let consent = &seen["consent_c"];
    assert_eq!(consent["consent_status"], 200, "{seen}");
    assert_eq!(consent["heading"], format!("Allow {C_NAME}?"), "{seen}");
    arrived(consent, &c, "state-c", &app);
    let again = &seen["again_c"];
    arrived(again, &c, "state-c2", &app);
    assert!(!showed(again, "/consent?") && !showed(again, "/login?"), "no page the second time: {seen}");
    assert_eq!(again["pages"].as_array().unwrap().len(), 2, "/authorize, then C's redirect URI: {seen}");

    // A new scope asks again; Deny sends C access_denied with its state, and the
    // consent stays what was allowed (RFC 6749 §4.1.2.1).
    let deny = &seen["deny_c"];
    assert!(deny["scopes"].as_str().unwrap().contains("email"), "{seen}");
    let refused = &deny["reached"];
    assert!(refused["url"].as_str().unwrap().starts_with(&format!("{}?", c.redirect_uri)), "{seen}");
    assert_eq!(
        (&refused["error"], &refused["state"], &refused["code"]),
        (&json!("access_denied"), &json!("state-c3"), &Value::Null)
    );
    assert_eq!(refused["iss"], app.issuer.as_str(), "{seen}");
    let kept = app.store.find_consent(&alice, &c.id).await.unwrap().unwrap();
    assert_eq!(kept.scope, "openid profile", "{kept:?}");

    // The codes redeemed (by the script, before the logout), each for its own client.
    for (name, client, state) in
        [("a", &a, "state-a"), ("b", &b, "state-b"), ("c", &c, "state-c"), ("c2", &c, "state-c2")]
    {
        let tokens = &seen["tokens"][name];
        assert_eq!(tokens["status"], 200, "{name}: {tokens}");
        assert_eq!(tokens["body"]["scope"], "openid profile", "{name}: {tokens}");
        let claims = crate::common::jwt_claims(tokens["body"]["id_token"].as_str().unwrap());
        assert_eq!(
            (&claims["aud"], &claims["nonce"]),
            (&json!(client.id), &json!(format!("nonce-{state}"))),
            "{claims}"
        );
    }

    // Logout by A's ID token: no page, straight back to A with its state.
    let out = &seen["logout_hint"];
    assert_eq!(out["reached"]["url"], at("/a/logged-out?state=s-out"), "{seen}");
    assert_eq!(out["pages"].as_array().unwrap().len(), 2, "/logout, then A's post-logout URI: {seen}");

    // The cookie no longer signs in; after a second login, a logout without a hint
    // asks first, and Sign out shows the logged-out page.
    let second = &seen["login_again"];
    assert!(showed(second, "/login?"), "{seen}");
    let code_a2 = arrived(second, &a, "state-a2", &app);
    let confirm = &seen["logout_confirm"];
    assert_eq!((&confirm["confirm_status"], &confirm["done_status"]), (&json!(200), &json!(200)), "{seen}");
    let text = confirm["text"].as_str().unwrap();
    assert!(text.contains("rp-a asks to sign you out") && text.contains("Signed in as alice"), "{text}");
    assert_eq!(confirm["done_heading"], "You are signed out", "{seen}");

    // Session gone: A's request shows the login page again, and the store agrees.
    let gone = &seen["session_gone"];
    assert_eq!(gone["status"], 200, "{seen}");
    assert!(gone["reached"]["url"].as_str().unwrap().starts_with(&format!("{}/login?", app.issuer)), "{seen}");
    use gatehouse::clock::Clock;
    let sessions = app.store.list_user_sessions(&alice, app.clock.now()).await.unwrap();
    assert!(sessions.is_empty(), "{sessions:?}");
    // What the sessions issued ended with them: the access tokens of the first, and the
    // code of the second that nobody redeemed.
    for name in ["a", "b", "c", "c2"] {
        let token = seen["tokens"][name]["body"]["access_token"].as_str().unwrap();
        assert_eq!(app.userinfo_status(token).await, 401, "{name}'s access token after the logout");
    }
    let late = app
        .token(
            &a,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code_a2),
                ("redirect_uri", &a.redirect_uri),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(late.status(), 400);
    assert_eq!(late.json::<Value>().await.unwrap()["error"], "invalid_grant");

    // The relying party was really sent each arrival, in order, and nothing else.
    let arrivals: Vec<String> = ["login_a", "sso_b", "consent_c", "again_c", "deny_c", "logout_hint", "login_again"]
        .iter()
        .map(|step| seen[step]["reached"]["url"].as_str().unwrap().strip_prefix(&rp.origin).unwrap().to_owned())
        .collect();
    assert_eq!(rp.targets(), arrivals);

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
    assert!(seen["contrast"]["checked"].as_u64().unwrap() > 40, "{seen}");
    let failures = seen["contrast"]["failures"].as_array().unwrap();
    assert!(failures.is_empty(), "contrast below WCAG 2.x minimums:\n{}", lines(failures));
}

/// A confidential client redirecting to `redirect_uri`.
fn spec(redirect_uri: &str) -> ClientSpec {
    ClientSpec { redirect_uris: vec![redirect_uri.to_owned()], ..Default::default() }
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

/// Runs the script against `app` with clients A, B and C and A's post-logout URI, and
/// returns what it saw.
async fn run(app: &TestApp, [a, b, c]: [&TestClient; 3], a_logged_out: &str, artifacts: &Path) -> Value {
    let client = |c: &TestClient| json!({"id": c.id, "secret": c.secret, "redirect_uri": c.redirect_uri});
    let mut a = client(a);
    a["post_logout_redirect_uri"] = json!(a_logged_out);
    let input = json!({
        "issuer": app.issuer,
        "artifacts": artifacts,
        "username": "alice",
        "password": "wonderland",
        "wrong_password": "looking-glass",
        "code_challenge": CHALLENGE,
        "code_verifier": VERIFIER,
        "clients": {"a": a, "b": client(b), "c": client(c)},
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

/// Whether the step's documents include one whose URL contains `path` (`/login?`).
fn showed(step: &Value, path: &str) -> bool {
    step["pages"].as_array().unwrap().iter().any(|p| p["url"].as_str().unwrap().contains(path))
}

/// The contrast failures, one a line.
fn lines(failures: &[Value]) -> String {
    failures.iter().map(Value::to_string).collect::<Vec<_>>().join("\n")
}
