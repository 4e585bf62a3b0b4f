//! Relying-party libraries that nobody here wrote log the demo user in against the
//! real `gatehouse dev`, headlessly, with exactly the values it prints: openid-client
//! and express-openid-connect (Node), and Authlib (Python). The scripts are in
//! `tests/rp/`; each gets the printed values as `GATEHOUSE_<LABEL>` variables and
//! prints one JSON line with the ID token's claims and userinfo.
//!
//! They need the Node packages and a Python venv (`.ci/run` installs both):
//!
//! ```sh
//! npm ci --prefix tests/rp
//! python3 -m venv tests/rp/.venv && tests/rp/.venv/bin/pip install -r tests/rp/requirements.txt
//! ```
//!
//! `build.rs` sets `cfg(rp_tests)` when both are there, or under `CI`, where a missing
//! one fails the tests; otherwise they are reported as ignored. The README's
//! configuration snippets are checked against the scripts here too, always.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::common::{Dev, LABELS, Script, location, query};

/// How long a script may take to start its runtime, log in and print.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

/// How to install what the scripts need.
const INSTALL: &str = "install the relying parties' dependencies: npm ci --prefix tests/rp; python3 -m venv \
                       tests/rp/.venv && tests/rp/.venv/bin/pip install -r tests/rp/requirements.txt";

#[tokio::test]
#[cfg_attr(not(rp_tests), ignore = "needs tests/rp/node_modules and tests/rp/.venv: see tests/rp_libraries.rs")]
async fn openid_client_logs_the_demo_user_in() {
    let result = logs_the_demo_user_in("openid-client", "node", "tests/rp/openid-client.mjs").await;
    // Then the library's end-session URL logs the user out: a silent request in the
    // same browser, a code before, answers login_required after.
    assert_eq!(result["logout"]["end_session_status"], 200, "{result}");
    assert_eq!(result["logout"]["prompt_none_before"], "code", "{result}");
    assert_eq!(result["logout"]["prompt_none_after"], "login_required", "{result}");
}

#[tokio::test]
#[cfg_attr(not(rp_tests), ignore = "needs tests/rp/node_modules and tests/rp/.venv: see tests/rp_libraries.rs")]
async fn express_openid_connect_logs_the_demo_user_in() {
    let result = logs_the_demo_user_in("express-openid-connect", "node", "tests/rp/express.mjs").await;
    // With idpLogout, the app's /logout goes through gatehouse's end_session_endpoint,
    // which ends the session and removes its cookie.
    let logout = &result["logout"];
    let hops: Vec<&str> = logout["trail"].as_array().unwrap().iter().map(|h| h.as_str().unwrap()).collect();
    // The app's /logout, then gatehouse's (another port of 127.0.0.1).
    assert!(
        matches!(hops.as_slice(), [app, op] if app.ends_with("/logout") && op.ends_with("/logout") && app != op),
        "{result}"
    );
    assert_eq!(logout["status"], 200, "{result}");
    assert_eq!(logout["signed_out"], true, "{result}");
    assert_eq!(logout["session_cookie_left"], false, "{result}");
}

#[tokio::test]
#[cfg_attr(not(rp_tests), ignore = "needs tests/rp/node_modules and tests/rp/.venv: see tests/rp_libraries.rs")]
async fn authlib_logs_the_demo_user_in() {
    logs_the_demo_user_in("authlib", "tests/rp/.venv/bin/python", "tests/rp/authlib_client.py").await;
}

/// Starts `gatehouse dev`, runs `program script` with what it printed, and checks the
/// script logged in the demo user: the `sub` and `email` the provider gives for them.
/// Returns what the script printed.
async fn logs_the_demo_user_in(library: &str, program: &str, script: &str) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for needed in ["tests/rp/node_modules", "tests/rp/.venv"] {
        assert!(root.join(needed).is_dir(), "{needed} is missing: {INSTALL}");
    }
    let dir = tempfile::tempdir().unwrap();
    let dev = Dev::start(dir.path(), &["--ephemeral"], &[]);
    let env = printed_env(&dev);
    let (program, script) = (program.to_owned(), script.to_owned());

    let result = tokio::task::spawn_blocking(move || {
        Script { program: &program, args: &[&script], env: &env, timeout: SCRIPT_TIMEOUT, install: INSTALL }.run()
    })
    .await
    .unwrap();

    let demo = demo_user(&dev).await;
    assert_eq!(demo["email"], "demo@example.com", "{demo}");
    assert_eq!(result["library"], library, "{result}");
    assert_eq!(result["claims"]["sub"], demo["sub"], "the ID token is the demo user's: {result}");
    assert_eq!(result["userinfo"]["sub"], demo["sub"], "{result}");
    assert_eq!(result["userinfo"]["email"], demo["email"], "{result}");
    // The demo clients are registered with id_token_claims: the scope's claims are in
    // the ID token too, where libraries such as express-openid-connect look.
    assert_eq!(result["claims"]["email"], demo["email"], "{result}");
    assert_eq!(result["claims"]["name"], "Demo User", "{result}");
    result
}

/// The printed values as the scripts read them: `GATEHOUSE_` and the label in
/// capitals (`public client_id` is `GATEHOUSE_PUBLIC_CLIENT_ID`; the first
/// `redirect_uri`, the loopback one).
fn printed_env(dev: &Dev) -> Vec<(String, String)> {
    let labels = LABELS.iter().filter(|label| **label != "headless login");
    labels.map(|label| (format!("GATEHOUSE_{}", label.to_uppercase().replace(' ', "_")), dev.get(label))).collect()
}

/// What the provider says about the demo user: its userinfo, for tokens from the
/// printed headless-login command.
async fn demo_user(dev: &Dev) -> Value {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = http.get(dev.headless_login_url()).send().await.unwrap();
    let code = query(&url::Url::parse(&location(&response)).unwrap(), "code").unwrap();
    let tokens: Value = dev.redeem(&http, &code).await.json().await.unwrap();
    let userinfo = http.get(format!("{}/userinfo", dev.get("issuer")));
    userinfo.bearer_auth(tokens["access_token"].as_str().unwrap()).send().await.unwrap().json().await.unwrap()
}

#[test]
fn the_readme_snippets_are_text_of_the_scripts() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();

    let snippets = snippets(&readme);

    let files: std::collections::BTreeSet<_> = snippets.iter().map(|(file, _)| file.as_str()).collect();
    assert_eq!(
        Vec::from_iter(files),
        ["tests/rp/authlib_client.py", "tests/rp/express.mjs", "tests/rp/openid-client.mjs"]
    );
    for (file, block) in &snippets {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        assert!(contains_lines(&text, block), "README's snippet of {file} is not in it:\n{}", block.join("\n"));
    }
}

/// Each fenced block right after a `<!-- snippet: PATH -->` line: PATH and the block's lines.
fn snippets(readme: &str) -> Vec<(String, Vec<&str>)> {
    let mut lines = readme.lines();
    let mut found = Vec::new();
    while let Some(line) = lines.next() {
        let Some(path) = line.strip_prefix("<!-- snippet: ").and_then(|l| l.strip_suffix(" -->")) else {
            continue;
        };
        let fence = lines.next().unwrap_or_default();
        assert!(fence.starts_with("```"), "the snippet of {path} must open a fenced block on the next line");
        let block: Vec<&str> = lines.by_ref().take_while(|l| !l.starts_with("```")).collect();
        assert!(!block.is_empty(), "the snippet of {path} is empty");
        found.push((path.to_owned(), block));
    }
    found
}

/// Whether `text` has `block`'s lines one after another, each with the same extra
/// indentation (a snippet leaves out the indentation of what surrounds it).
fn contains_lines(text: &str, block: &[&str]) -> bool {
    let lines: Vec<&str> = text.lines().collect();
    lines.windows(block.len()).any(|window| {
        let Some(indent) = window[0].strip_suffix(block[0]).filter(|i| i.trim().is_empty()) else {
            return false;
        };
        window.iter().zip(block).all(|(line, want)| {
            line.strip_prefix(indent).is_some_and(|rest| rest == *want) || (want.is_empty() && line.is_empty())
        })
    })
}

#[test]
fn a_snippet_must_be_whole_lines_in_order() {
    let text = "fn main() {\n    let a = 1;\n\n    let b = 2;\n}\n";
    assert!(contains_lines(text, &["let a = 1;", "", "let b = 2;"]));
    assert!(contains_lines(text, &["fn main() {", "    let a = 1;"]));
    assert!(!contains_lines(text, &["let a = 1;", "let b = 2;"]), "a line left out");
    assert!(!contains_lines(text, &["a = 1;"]), "part of a line");
    assert!(!contains_lines(text, &["let a = 1;", "", "  let b = 2;"]), "other indentation");
}
