//! Branding (`branding.*`) on the pages a browser sees: the name, the logo and its
//! `img-src`, the accent colour; and what every page keeps whatever the branding:
//! escaped user text, no framing, the strict policy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gatehouse::clock::Clock;
use gatehouse::store::{Client, ClientKind, GrantType};

use crate::backend_tests;
use crate::common::{Backend, Browser, Options, TestApp, TestClient, auth_params, location};

backend_tests!(
    the_login_page_shows_the_configured_branding,
    the_error_page_shows_the_branding_and_escapes_hostile_text,
    hostile_client_names_and_login_hints_are_escaped,
    without_branding_the_pages_keep_the_defaults_and_the_strict_policy,
);

const BRANDING: &str = "[branding]\nname = \"Acme & Co\"\nlogo_url = \"https://cdn.acme.test/img/logo.svg\"\n\
                        accent = \"#3b6fe0\"\n";

async fn branded(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, Options { extra_config: BRANDING.into(), ..Default::default() }).await
}

/// The login page `params` lead to: its headers and HTML.
async fn login_page(app: &TestApp, params: &[(&str, &str)]) -> (reqwest::header::HeaderMap, String) {
    let mut browser = Browser::default();
    let to_login = browser.authorize(app, params).await;
    assert_eq!(to_login.status(), 303);
    let page = browser.get(app, &location(&to_login)).await;
    assert_eq!(page.status(), 200);
    (page.headers().clone(), page.text().await.unwrap())
}

/// The headers every page carries: never framed, never cached, nothing but the inline
/// style (and, with a logo, images from its origin).
fn assert_page_headers(headers: &reqwest::header::HeaderMap, img_src: Option<&str>) {
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["cache-control"], "no-store");
    let images = img_src.map(|origin| format!("; img-src {origin}")).unwrap_or_default();
    let expected =
        format!("default-src 'none'; style-src 'unsafe-inline'{images}; frame-ancestors 'none'; base-uri 'none'");
    assert_eq!(headers["content-security-policy"], expected.as_str());
}

async fn the_login_page_shows_the_configured_branding(backend: Backend) {
    let app = branded(backend).await;
    let client = app.client().await;

    let (headers, html) = login_page(&app, &auth_params(&client, "openid")).await;

    assert_page_headers(&headers, Some("https://cdn.acme.test"));
    assert!(html.contains("<title>Sign in to Acme &#38; Co</title>"), "{html}");
    assert!(html.contains("<h1>Sign in to Acme &#38; Co</h1>"), "{html}");
    assert!(html.contains("<p class=\"sub\">to continue to rp</p>"), "{html}");
    assert!(html.contains(r#"<img src="https://cdn.acme.test/img/logo.svg" alt="Acme &#38; Co">"#), "{html}");
    assert!(html.contains("--accent: #3b6fe0; --on-accent: #ffffff;"), "white contrasts more: {html}");
    assert!(html.contains("<footer>Acme &#38; Co</footer>"), "{html}");
    assert!(!html.contains("gatehouse</"), "the default name is gone: {html}");
}

async fn the_error_page_shows_the_branding_and_escapes_hostile_text(backend: Backend) {
    let app = branded(backend).await;
    let hostile = "<script>alert(1)</script>";
    let mut browser = Browser::default();

    // A parameter given twice is refused with its name on the page.
    let query =
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs([(hostile, "1"), (hostile, "2")]).finish();
    let response = browser.get(&app, &format!("{}?{query}", app.url("/authorize"))).await;

    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none(), "an error page never redirects");
    assert!(response.headers().get("set-cookie").is_none(), "no pending request was started");
    assert_page_headers(response.headers(), Some("https://cdn.acme.test"));
    let html = response.text().await.unwrap();
    assert!(
        html.contains("parameter &#60;script&#62;alert(1)&#60;/script&#62; is given more than once"),
        "the message, escaped: {html}"
    );
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("<title>This request cannot be completed · Acme &#38; Co</title>"), "{html}");
    assert!(html.contains(r#"alt="Acme &#38; Co""#), "{html}");
    assert!(html.contains("--accent: #3b6fe0;"), "{html}");
}

async fn hostile_client_names_and_login_hints_are_escaped(backend: Backend) {
    let app = branded(backend).await;
    let client = hostile_client(&app, "<script>alert('name')</script>").await;
    let mut params = auth_params(&client, "openid");
    params.push(("login_hint", "\"><script>alert(2)</script>"));

    let (headers, html) = login_page(&app, &params).await;

    assert_page_headers(&headers, Some("https://cdn.acme.test"));
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("to continue to &#60;script&#62;alert(&#39;name&#39;)&#60;/script&#62;"), "{html}");
    assert!(html.contains(r#"value="&#34;&#62;&#60;script&#62;alert(2)&#60;/script&#62;""#), "{html}");
    // Showing the page changed nothing about the client.
    let stored = app.store.find_client(&client.id).await.unwrap().unwrap();
    assert_eq!(stored.name, "<script>alert('name')</script>");
}

async fn without_branding_the_pages_keep_the_defaults_and_the_strict_policy(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;

    let (headers, html) = login_page(&app, &auth_params(&client, "openid")).await;

    assert_page_headers(&headers, None);
    assert!(html.contains("<title>Sign in to gatehouse</title>"), "{html}");
    assert!(!html.contains("<img"), "no logo: {html}");
    assert!(html.contains("--accent: #2f62e0; --on-accent: #ffffff;"), "{html}");
    // Both schemes are declared with explicit colours, not system ones.
    assert!(html.contains("--card: #ffffff;") && html.contains("--card: #181b22;"), "{html}");
    assert!(html.contains("@media (prefers-color-scheme: dark)"), "{html}");
    assert!(!html.contains("<script"), "pages work without JavaScript: {html}");
    let mut browser = Browser::default();
    let error = browser.get(&app, "/authorize?client_id=nobody").await;
    assert_eq!(error.status(), 400);
    assert_page_headers(error.headers(), None);
}

/// A client registered under a hostile display name.
async fn hostile_client(app: &TestApp, name: &str) -> TestClient {
    let redirect_uri = "https://rp.example/cb".to_owned();
    let client = Client {
        id: "hostile".into(),
        name: name.into(),
        kind: ClientKind::Public,
        secret_hash: None,
        redirect_uris: vec![redirect_uri.clone()],
        grant_types: vec![GrantType::parse("authorization_code").unwrap()],
        post_logout_redirect_uris: vec![],
        audiences: vec![],
        id_token_signed_response_alg: None,
        require_pkce: true,
        loopback_any_port: false,
        id_token_claims: false,
        third_party: false,
        created_at: app.clock.now(),
    };
    app.store.insert_client(&client).await.unwrap();
    TestClient { id: client.id, secret: None, redirect_uri }
}
