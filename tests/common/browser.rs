//! A scripted browser: cookies, the authorization request, and the login form.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::app::{TestApp, TestClient};
use serde_json::Value;

use super::endpoints::auth_params;

/// A browser: keeps cookies, follows nothing by itself.
#[derive(Default)]
pub(crate) struct Browser {
    pub(crate) cookies: std::collections::BTreeMap<String, String>,
    /// Every Set-Cookie header seen, raw.
    pub(crate) set_cookies: Vec<String>,
}

impl Browser {
    /// The `Cookie` header this browser sends.
    pub(crate) fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn remember(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let raw = value.to_str().unwrap().to_owned();
            let (name, value) = raw.split(';').next().unwrap().split_once('=').unwrap();
            self.cookies.insert(name.to_owned(), value.to_owned());
            self.set_cookies.push(raw);
        }
    }

    /// GET `url` (absolute, or a path on the server). The server answers plain HTTP
    /// even behind an https issuer, as behind a TLS-terminating proxy.
    pub(crate) async fn get(&mut self, app: &TestApp, url: &str) -> reqwest::Response {
        let url = match url.strip_prefix(&app.issuer) {
            Some(path) => format!("http://{}{}{path}", host(&app.issuer), issuer_path(&app.issuer)),
            None if url.starts_with("http") => url.to_owned(),
            None => format!("http://{}{url}", host(&app.issuer)),
        };
        let response = app.http.get(url).header("cookie", self.cookie_header()).send().await.unwrap();
        self.remember(&response);
        response
    }

    pub(crate) async fn post(&mut self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let url = format!("http://{}{path}", host(&app.issuer));
        let response = app.http.post(url).header("cookie", self.cookie_header()).form(form).send().await.unwrap();
        self.remember(&response);
        response
    }

    /// GET /authorize with these parameters.
    pub(crate) async fn authorize(&mut self, app: &TestApp, params: &[(&str, &str)]) -> reqwest::Response {
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
        self.get(app, &format!("{}?{query}", app.url("/authorize"))).await
    }

    /// Fills in and submits the login form the response redirected to; returns the
    /// form POST's response.
    pub(crate) async fn log_in(
        &mut self,
        app: &TestApp,
        to_login: reqwest::Response,
        user: &str,
        pw: &str,
    ) -> reqwest::Response {
        assert_eq!(to_login.status(), 303, "expected a redirect to the login page");
        let login_url = location(&to_login);
        let page = self.get(app, &login_url).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        let request = hidden(&html, "request");
        let csrf = hidden(&html, "csrf");
        self.post(
            app,
            &format!("{}/login", url::Url::parse(&app.issuer).unwrap().path().trim_end_matches('/')),
            &[("request", &request), ("csrf", &csrf), ("username", user), ("password", pw)],
        )
        .await
    }

    /// Runs an authorization request through the login (and the consent page, allowing,
    /// when the login leads there), returning the redirect to the client.
    pub(crate) async fn authorize_and_log_in(&mut self, app: &TestApp, params: &[(&str, &str)]) -> url::Url {
        let response = self.authorize(app, params).await;
        let mut done = self.log_in(app, response, "alice", "wonderland").await;
        assert_eq!(done.status(), 303);
        if location(&done).contains("/consent?request=") {
            done = self.consent(app, done, "allow").await;
            assert_eq!(done.status(), 303);
        }
        url::Url::parse(&location(&done)).unwrap()
    }

    /// Opens the consent page `to_consent` redirected to and submits `decision`;
    /// returns the form POST's response.
    pub(crate) async fn consent(
        &mut self,
        app: &TestApp,
        to_consent: reqwest::Response,
        decision: &str,
    ) -> reqwest::Response {
        assert_eq!(to_consent.status(), 303, "expected a redirect to the consent page");
        let consent_url = location(&to_consent);
        assert!(consent_url.contains("/consent?request="), "{consent_url}");
        let page = self.get(app, &consent_url).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        let form = [("request", hidden(&html, "request")), ("csrf", hidden(&html, "csrf"))];
        let path = consent_url.split('?').next().unwrap().to_owned();
        self.post(app, &path, &[("request", &form[0].1), ("csrf", &form[1].1), ("decision", decision)]).await
    }
}

fn issuer_path(issuer: &str) -> String {
    url::Url::parse(issuer).unwrap().path().trim_end_matches('/').to_owned()
}

fn host(issuer: &str) -> String {
    let url = url::Url::parse(issuer).unwrap();
    format!("{}:{}", url.host_str().unwrap(), url.port().unwrap())
}

/// The `Location` header.
pub(crate) fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// A query parameter of a URL.
pub(crate) fn query(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The value of a hidden form field.
pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no field {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// A login form the browser was sent to.
pub(crate) struct Form {
    pub(crate) path: String,
    pub(crate) request: String,
    pub(crate) csrf: String,
}

impl Form {
    /// The form's fields, filled in with these credentials.
    pub(crate) fn with<'a>(&'a self, username: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![("request", &self.request), ("csrf", &self.csrf), ("username", username), ("password", password)]
    }
}

/// Starts an authorization in `browser` and opens the login page it leads to.
pub(crate) async fn open_form(app: &TestApp, browser: &mut Browser, client: &TestClient) -> Form {
    let to_login = browser.authorize(app, &auth_params(client, "openid")).await;
    assert_eq!(to_login.status(), 303);
    let login_url = location(&to_login);
    let page = browser.get(app, &login_url).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    Form {
        path: login_url.split('?').next().unwrap().to_owned(),
        request: hidden(&html, "request"),
        csrf: hidden(&html, "csrf"),
    }
}

/// Logs alice in for `client` with `scope` and `prompt=consent` (which
/// `offline_access` needs), allows on the consent page, and redeems the code: the
/// token response.
pub(crate) async fn login_tokens(app: &TestApp, client: &TestClient, scope: &str) -> Value {
    let mut params = auth_params(client, scope);
    params.push(("prompt", "consent"));
    let back = Browser::default().authorize_and_log_in(app, &params).await;
    app.redeem(client, &query(&back, "code").unwrap()).await
}
