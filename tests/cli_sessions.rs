//! `gatehouse user sessions` and `gatehouse user logout`, run as the built binary
//! against a real store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gatehouse::clock::{Clock, SystemClock};
use gatehouse::store::{CodeRow, GrantRow, SessionRow, Store};

use crate::backend_tests;
use crate::common::{Backend, Cli};

backend_tests!(user_sessions_lists_live_sessions, user_logout_ends_every_session_and_grant, unknown_users_are_refused,);

/// Two live sessions of `user`, one ended, and one session of someone else.
async fn sessions(store: &dyn Store, user: &str, other: &str) {
    let now = SystemClock.now();
    let session = |tag: u8, user: &str, auth_time, idle_expires_at| SessionRow {
        id_hash: vec![tag],
        sid: format!("sid-{tag}"),
        user_id: user.to_owned(),
        auth_time,
        created_at: auth_time,
        expires_at: auth_time + 86_400,
        idle_expires_at,
    };
    store.insert_session(&session(1, user, now - 100, now + 600)).await.unwrap();
    store.insert_session(&session(2, user, now - 50, now + 700)).await.unwrap();
    store.insert_session(&session(3, user, now - 90_000, now - 10)).await.unwrap();
    store.insert_session(&session(4, other, now - 10, now + 600)).await.unwrap();
}

async fn add_users(cli: &Cli) -> (String, String) {
    cli.ok(&["user", "add", "alice"], "wonderland\n");
    cli.ok(&["user", "add", "bob"], "builder\n");
    let store = cli.store().await;
    let id = |name| {
        let store = store.clone();
        async move { store.find_user_by_username(name).await.unwrap().unwrap().id }
    };
    (id("alice").await, id("bob").await)
}

async fn user_sessions_lists_live_sessions(backend: Backend) {
    let cli = Cli::new(backend).await;
    let (alice, bob) = add_users(&cli).await;
    let run = cli.run(&["user", "sessions", "alice"], "");
    assert!(run.ok && run.stdout.is_empty(), "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("alice has no live session"), "{}", run.stderr);
    sessions(cli.store().await.as_ref(), &alice, &bob).await;

    let out = cli.ok(&["user", "sessions", "alice"], "");

    let sids: Vec<&str> = out.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(sids, ["sid-1", "sid-2"], "live ones only, oldest first: {out}");
    assert!(out.lines().all(|l| l.contains("logged in 20") && l.contains("unless used")), "{out}");
}

async fn user_logout_ends_every_session_and_grant(backend: Backend) {
    let cli = Cli::new(backend).await;
    cli.ok(&["client", "add", "web", "--redirect-uri", "https://app.example/cb"], "");
    let (alice, bob) = add_users(&cli).await;
    let store = cli.store().await;
    sessions(store.as_ref(), &alice, &bob).await;
    let now = SystemClock.now();
    let grant = |id: &str, user: &str, scope: &str| GrantRow {
        id: id.into(),
        client_id: "web".into(),
        user_id: Some(user.into()),
        scope: scope.into(),
        sid: Some("sid-1".into()),
        auth_time: Some(now),
        claims: None,
        created_at: now,
        expires_at: now + 3600,
        revoked_at: None,
    };
    store.insert_grant(&grant("online", &alice, "openid")).await.unwrap();
    store.insert_grant(&grant("offline", &alice, "openid offline_access")).await.unwrap();
    store.insert_grant(&grant("bobs", &bob, "openid offline_access")).await.unwrap();
    let code = CodeRow {
        code_hash: vec![9],
        grant_id: "from-code".into(),
        client_id: "web".into(),
        user_id: alice.clone(),
        sid: "sid-2".into(),
        redirect_uri: "https://app.example/cb".into(),
        scope: "openid".into(),
        nonce: None,
        code_challenge: None,
        auth_time: now,
        claims: None,
        created_at: now,
        expires_at: now + 60,
        consumed_at: None,
    };
    store.insert_code(&code).await.unwrap();

    let out = cli.ok(&["user", "logout", "alice"], "");

    assert!(out.contains("logged out alice: 3 sessions ended, 2 grants revoked"), "{out}");
    assert!(store.list_user_sessions(&alice, now).await.unwrap().is_empty());
    for id in ["online", "offline"] {
        assert!(store.find_grant(id).await.unwrap().unwrap().revoked_at.is_some(), "{id}: offline ones too");
    }
    assert!(store.find_code(&[9]).await.unwrap().is_none(), "the unredeemed code is gone");
    // Bob is untouched.
    assert_eq!(store.list_user_sessions(&bob, now).await.unwrap().len(), 1);
    assert!(store.find_grant("bobs").await.unwrap().unwrap().revoked_at.is_none());
    // Nothing is left to end.
    assert!(cli.ok(&["user", "logout", "alice"], "").contains("0 sessions ended, 0 grants revoked"));
}

async fn unknown_users_are_refused(backend: Backend) {
    let cli = Cli::new(backend).await;
    for command in ["sessions", "logout", "consents"] {
        let err = cli.fails(&["user", command, "ghost"], "");
        assert!(err.contains("unknown user `ghost`"), "{command}: {err}");
    }
    let err = cli.fails(&["user", "revoke-consent", "ghost", "web"], "");
    assert!(err.contains("unknown user `ghost`"), "{err}");
}
