//! The provider's endpoints as tests call them: one [`TestApp`] method per request
//! that tests make again and again. Tests of malformed requests build their own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

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

impl TestApp {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub(crate) async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// `POST /token` with `client_secret_basic`.
    pub(crate) async fn token(&self, client: &TestClient, form: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.http.post(self.url("/token")).form(form);
        match &client.secret {
            Some(secret) => request = request.basic_auth(&client.id, Some(secret)),
            None => {
                let mut with_id = form.to_vec();
                with_id.push(("client_id", &client.id));
                request = self.http.post(self.url("/token")).form(&with_id);
            }
        }
        request.send().await.unwrap()
    }

    /// Redeems `code` for `client` with the test PKCE verifier; the response must be 200.
    pub(crate) async fn redeem(&self, client: &TestClient, code: &str) -> serde_json::Value {
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
}
