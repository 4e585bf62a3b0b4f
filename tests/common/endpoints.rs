//! The provider's endpoints as tests call them: one [`TestApp`] method per request
//! that tests make again and again. Tests of malformed requests build their own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

use super::app::{TestApp, TestClient};

/// PKCE for tests: the RFC 7636 Appendix B pair.
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// Standard authorization parameters for `client`, with PKCE and `state`/`nonce`.
pub(crate) fn auth_params<'a>(client: &'a TestClient, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", &client.id),
        ("redirect_uri", &client.redirect_uri),
        ("scope", scope),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
}

/// RFC 6749 §4.1.2.1: `error_description` uses only `%x20-21 / %x23-5B / %x5D-7E`.
pub(crate) fn assert_rfc6749_description(description: &str) {
    assert!(!description.is_empty(), "an error_description is given");
    let allowed = |c: char| matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E');
    assert!(description.chars().all(allowed), "error_description {description:?} has characters RFC 6749 forbids");
}

impl TestApp {
    /// The absolute URL of `path` under the issuer.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// `GET path`, without cookies.
    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// The discovery document; the response must be 200.
    pub(crate) async fn discovery(&self) -> Value {
        self.get_json("/.well-known/openid-configuration").await
    }

    /// The JWKS as served now; the response must be 200.
    pub(crate) async fn jwks(&self) -> Value {
        self.get_json("/jwks").await
    }

    /// The `kid`s of the JWKS served now, in the order served.
    pub(crate) async fn jwks_kids(&self) -> Vec<String> {
        let jwks = self.jwks().await;
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
    }

    /// A form POST to `path` authenticated as `client`, not yet sent: with
    /// `client_secret_basic` if it has a secret, else with its `client_id` in the form.
    pub(crate) fn request_as(&self, path: &str, client: &TestClient, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
        match &client.secret {
            Some(secret) => self.http.post(self.url(path)).basic_auth(&client.id, Some(secret)).form(form),
            None => {
                let mut with_id = form.to_vec();
                with_id.push(("client_id", &client.id));
                self.http.post(self.url(path)).form(&with_id)
            }
        }
    }

    /// A form POST to `path` authenticated as `client` (see [`Self::request_as`]).
    pub(crate) async fn post_as(&self, path: &str, client: &TestClient, form: &[(&str, &str)]) -> reqwest::Response {
        self.request_as(path, client, form).send().await.unwrap()
    }

    /// `POST /token` as `client`.
    pub(crate) async fn token(&self, client: &TestClient, form: &[(&str, &str)]) -> reqwest::Response {
        self.post_as("/token", client, form).await
    }

    /// Redeems `code` for `client` with the test PKCE verifier; the response must be 200.
    pub(crate) async fn redeem(&self, client: &TestClient, code: &str) -> Value {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("code_verifier", VERIFIER),
        ];
        let response = self.token(client, &form).await;
        assert_eq!(response.status(), 200, "the code is redeemed");
        response.json().await.unwrap()
    }

    /// The refresh-token grant for `client`, narrowing to `scope` if given.
    pub(crate) async fn refresh(&self, client: &TestClient, token: &str, scope: Option<&str>) -> reqwest::Response {
        let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        self.token(client, &form).await
    }

    /// Revokes `token` as `client` (RFC 7009); the answer must be an empty 200,
    /// whatever the token was.
    pub(crate) async fn revoke(&self, client: &TestClient, token: &str) {
        let response = self.post_as("/revoke", client, &[("token", token)]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "");
    }

    /// Introspects `token` as `client` (RFC 7662); the answer must be 200 and `no-store`.
    pub(crate) async fn introspect(&self, client: &TestClient, token: &str) -> Value {
        let response = self.post_as("/introspect", client, &[("token", token)]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        response.json().await.unwrap()
    }

    /// `GET /userinfo` with `access_token` as the bearer token.
    pub(crate) async fn userinfo(&self, access_token: &str) -> reqwest::Response {
        self.http.get(self.url("/userinfo")).bearer_auth(access_token).send().await.unwrap()
    }

    /// The status `GET /userinfo` answers `access_token` with: 200 while it is live.
    pub(crate) async fn userinfo_status(&self, access_token: &str) -> u16 {
        self.userinfo(access_token).await.status().as_u16()
    }
}
