//! Memory: a burst of failed logins, each an argon2 verification that works in
//! 19 MiB, leaves the server's resident memory where it was before the burst. Anyone
//! can send failed logins, so memory they cost must be given back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Backend, CHALLENGE, Cli, hidden, start_server};

/// Resident memory of a process, in KiB (Linux `/proc`).
fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_failed_logins_gives_its_memory_back() {
    let cli = Cli::new(Backend::Sqlite).await;
    cli.ok(&["client", "add", "rp", "--redirect-uri", "https://rp.example/cb"], "");
    // Each attempt comes from its own address (behind a trusted proxy) for its own
    // name, so that the throttle lets every one of them reach the password check.
    let server = start_server(&cli, &[("GATEHOUSE_CLIENT_IP_HEADER", "X-Forwarded-For")]);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // One pending login, whose form takes any number of failed attempts.
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", "rp"),
            ("redirect_uri", "https://rp.example/cb"),
            ("scope", "openid"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    let to_login = http.get(format!("{}/authorize?{query}", server.url)).send().await.unwrap();
    let cookie = to_login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let login = to_login.headers()["location"].to_str().unwrap().to_owned();
    let page = http.get(format!("{}{login}", server.url)).header("cookie", &cookie).send().await.unwrap();
    let html = page.text().await.unwrap();
    let (request, csrf) = (hidden(&html, "request"), hidden(&html, "csrf"));

    let attempt = |i: usize| {
        let form = [
            ("request", request.clone()),
            ("csrf", csrf.clone()),
            ("username", format!("guess{i}")),
            ("password", "wrong".to_owned()),
        ];
        let request = http
            .post(format!("{}/login", server.url))
            .header("cookie", &cookie)
            .header("x-forwarded-for", format!("10.0.{}.{}", i / 250, i % 250 + 1))
            .form(&form);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // Warm up: the first verifications set up what every later one reuses.
    for i in 0..8 {
        assert_eq!(attempt(i).await, 401);
    }
    let idle = resident_kib(server.pid());

    // 160 failed logins, 16 at a time.
    for batch in 0..10 {
        let statuses = futures_join(((batch * 16 + 8)..(batch * 16 + 24)).map(attempt)).await;
        assert!(statuses.iter().all(|s| *s == 401), "every attempt reached the password check: {statuses:?}");
    }
    let after = resident_kib(server.pid());
    eprintln!("resident memory: {idle} KiB idle, {after} KiB after 160 failed logins");
    assert!(after <= idle + 8 * 1024, "resident memory grew from {idle} KiB to {after} KiB");
    assert!(idle <= 32 * 1024, "idle, the server holds {idle} KiB (a debug build; release holds less)");
}

/// Runs the futures concurrently and collects their outputs in order.
async fn futures_join<F: std::future::Future<Output = u16> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<u16> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}
