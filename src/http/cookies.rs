//! The two cookies: the browser session, and the browser id that binds a pending
//! login to the browser that started it. Both `HttpOnly` and `SameSite=Lax`, `Secure`
//! for https issuers, scoped to the issuer's path.

use axum::http::{HeaderMap, HeaderValue, header};

use crate::config::Issuer;

/// The session cookie.
pub(super) const SESSION: &str = "gatehouse_session";
/// The browser id cookie.
pub(super) const BROWSER: &str = "gatehouse_browser";

/// A cookie's value from the request.
pub(super) fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value for a browser-session cookie (no `Max-Age`: it ends with the
/// browser session, and the server-side row bounds it anyway).
pub(super) fn set(issuer: &Issuer, name: &str, value: &str) -> HeaderValue {
    let path = if issuer.path().is_empty() { "/" } else { issuer.path() };
    let secure = if issuer.is_https() { "; Secure" } else { "" };
    let cookie = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax{secure}");
    // Values are base64url and paths come from a parsed URL: always valid header text.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; gatehouse_session=abc; b="));
        assert_eq!(get(&headers, SESSION), Some("abc"));
        assert_eq!(get(&headers, "b"), None);
        assert_eq!(get(&headers, "c"), None);
        let issuer = Issuer::parse("https://id.example/t").unwrap();
        assert_eq!(set(&issuer, SESSION, "v"), "gatehouse_session=v; Path=/t; HttpOnly; SameSite=Lax; Secure");
    }
}
