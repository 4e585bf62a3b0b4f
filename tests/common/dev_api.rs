//! `gatehouse dev`'s control API (`/_dev/`) as tests call it: a dev-mode server, a
//! JSON call, what the store holds (to show a refusal changed nothing), and a
//! headless login as a relying party's suite makes one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gatehouse::oauth::dev::DevMode;
use gatehouse::store::{Client, User};
use serde_json::Value;

use super::app::{Options, TestApp, TestClient};
use super::browser::{Browser, location, query};
use super::db::Backend;
use super::endpoints::auth_params;

/// What a control call answered: its status and its JSON body (`Null` if none).
pub(crate) type Answer = (u16, Value);

/// Users and clients as stored now.
pub(crate) type Snapshot = (Vec<User>, Vec<Client>);

impl TestApp {
    /// A server in dev mode, as `gatehouse dev` serves.
    pub(crate) async fn spawn_dev(backend: Backend) -> Self {
        Self::spawn_with(backend, Options { dev: Some(DevMode::default()), ..Default::default() }).await
    }

    /// A control request to `path` under `/_dev`, not yet sent; with a JSON body if given.
    pub(crate) fn dev_request(&self, method: &str, path: &str, body: Option<&Value>) -> reqwest::RequestBuilder {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let request = self.http.request(method, self.url(&format!("/_dev{path}")));
        match body {
            Some(body) => request.header("content-type", "application/json").body(body.to_string()),
            None => request,
        }
    }

    /// A control call: its status and JSON answer.
    pub(crate) async fn dev(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        answer(self.dev_request(method, path, body.as_ref()).send().await.unwrap()).await
    }

    /// Users and clients as stored now.
    pub(crate) async fn snapshot(&self) -> Snapshot {
        (self.store.list_users().await.unwrap(), self.store.list_clients().await.unwrap())
    }

    /// Registers a client through the control API, with refresh tokens; returns it as tests know it.
    pub(crate) async fn dev_client(&self, id: &str) -> TestClient {
        let redirect_uri = "https://rp.example/cb";
        let body = serde_json::json!({"client_id": id, "redirect_uris": [redirect_uri]});
        let (status, client) = self.dev("POST", "/clients", Some(body)).await;
        assert_eq!(status, 201, "{client}");
        let secret = client["client_secret"].as_str().map(str::to_owned);
        TestClient { id: id.to_owned(), secret, redirect_uri: redirect_uri.to_owned() }
    }

    /// A code for `username` without a page (`login_hint`), as a dev-mode suite gets one.
    pub(crate) async fn headless_code(&self, client: &TestClient, username: &str, scope: &str) -> String {
        let mut params = auth_params(client, scope);
        params.push(("login_hint", username));
        let response = Browser::default().authorize(self, &params).await;
        assert_eq!(response.status(), 303);
        let back = url::Url::parse(&location(&response)).unwrap();
        query(&back, "code").unwrap_or_else(|| panic!("no code in {back}"))
    }
}

/// The status and JSON body of a response (`Null` for an empty body).
pub(crate) async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
    (status, body)
}

/// Asserts a refusal: `status`, the `error` code, and an `error_description`.
pub(crate) fn assert_refused((status, body): &Answer, expected: u16, error: &str, case: &str) {
    assert_eq!(*status, expected, "{case}: {body}");
    assert_eq!(body["error"], error, "{case}: {body}");
    assert!(body["error_description"].as_str().is_some_and(|d| !d.is_empty()), "{case}: {body}");
}
