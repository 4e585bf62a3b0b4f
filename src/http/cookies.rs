//! The two cookies: the browser session, and the browser id that binds a pending
//! login to the browser that started it. Both `HttpOnly` and `SameSite=Lax`.
//!
//! Behind an https issuer they are `Secure` and carry the `__Host-` prefix
//! (RFC 6265bis §4.1.3.2): a browser accepts such a cookie only from this very host,
//! over https, with `Path=/` and no `Domain`, so a sibling domain cannot plant one.
//! `Path=/` makes the cookies of an issuer with a path (`https://id.example/tenant`)
//! visible to the host's other paths, so their names carry a tag of the path. Behind
//! a plain-http (loopback) issuer the cookies are scoped to the issuer's path.

use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderValue, header};

use crate::config::Issuer;
use crate::oauth::pending::Browser;
use crate::secret;

/// Which cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cookie {
    /// The browser session: who is logged in.
    Session,
    /// The browser id: which browser began a pending login.
    Browser,
}

/// How this issuer names and scopes its cookies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Cookies {
    session: String,
    browser: String,
    attributes: String,
}

impl Cookies {
    /// The cookies of `issuer`.
    pub(super) fn for_issuer(issuer: &Issuer) -> Self {
        let (prefix, tag, path, secure) = match (issuer.is_https(), issuer.path()) {
            (true, "") => ("__Host-", String::new(), "/", "; Secure"),
            (true, path) => ("__Host-", format!("-{}", &secret::b64url(&secret::hash(path))[..8]), "/", "; Secure"),
            (false, "") => ("", String::new(), "/", ""),
            (false, path) => ("", String::new(), path, ""),
        };
        Self {
            session: format!("{prefix}gatehouse_session{tag}"),
            browser: format!("{prefix}gatehouse_browser{tag}"),
            attributes: format!("Path={path}; HttpOnly; SameSite=Lax{secure}"),
        }
    }

    /// A cookie's name.
    pub(super) fn name(&self, cookie: Cookie) -> &str {
        match cookie {
            Cookie::Session => &self.session,
            Cookie::Browser => &self.browser,
        }
    }

    /// The browser as its request's cookies show it, at `address` (for throttling).
    pub(super) fn browser<'a>(&self, headers: &'a HeaderMap, address: Option<IpAddr>) -> Browser<'a> {
        Browser { id: self.get(headers, Cookie::Browser), session: self.get(headers, Cookie::Session), address }
    }

    /// A cookie's value from the request.
    pub(super) fn get<'a>(&self, headers: &'a HeaderMap, cookie: Cookie) -> Option<&'a str> {
        let name = self.name(cookie);
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

    /// A `Set-Cookie` value (no `Max-Age`: it ends with the browser session, and the
    /// server-side row bounds it anyway).
    pub(super) fn set(&self, cookie: Cookie, value: &str) -> HeaderValue {
        let cookie = format!("{}={value}; {}", self.name(cookie), self.attributes);
        // Values are base64url and paths come from a parsed URL: always valid header text.
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// A `Set-Cookie` value that removes the cookie: empty, `Max-Age=0`, and the same
    /// name and attributes, so that it replaces the one set (RFC 6265 §5.3 step 11).
    pub(super) fn clear(&self, cookie: Cookie) -> HeaderValue {
        let cookie = format!("{}=; Max-Age=0; {}", self.name(cookie), self.attributes);
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookies(issuer: &str) -> Cookies {
        Cookies::for_issuer(&Issuer::parse(issuer).unwrap())
    }

    #[test]
    fn reads_and_writes_cookies() {
        let jar = cookies("http://127.0.0.1:8080");
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; gatehouse_session=abc; gatehouse_browser="));
        assert_eq!(jar.get(&headers, Cookie::Session), Some("abc"));
        assert_eq!(jar.get(&headers, Cookie::Browser), None);
        assert_eq!(jar.set(Cookie::Session, "v"), "gatehouse_session=v; Path=/; HttpOnly; SameSite=Lax");
        let tenant = cookies("http://127.0.0.1:8080/t");
        assert_eq!(tenant.set(Cookie::Browser, "v"), "gatehouse_browser=v; Path=/t; HttpOnly; SameSite=Lax");
    }

    #[test]
    fn https_issuers_use_host_only_cookies() {
        let jar = cookies("https://id.example");
        assert_eq!(jar.set(Cookie::Session, "v"), "__Host-gatehouse_session=v; Path=/; HttpOnly; SameSite=Lax; Secure");
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("gatehouse_session=planted"));
        assert_eq!(jar.get(&headers, Cookie::Session), None, "an unprefixed cookie is not ours");

        let (a, b) = (cookies("https://id.example/a"), cookies("https://id.example/b"));
        assert!(a.name(Cookie::Session).starts_with("__Host-gatehouse_session-"));
        assert_ne!(a.name(Cookie::Session), b.name(Cookie::Session), "tenants on one host keep apart");
        assert!(a.set(Cookie::Browser, "v").to_str().unwrap().ends_with("=v; Path=/; HttpOnly; SameSite=Lax; Secure"));
    }

    #[test]
    fn clearing_a_cookie_keeps_its_name_and_attributes() {
        let jar = cookies("https://id.example/a");
        let name = jar.name(Cookie::Session).to_owned();
        let cleared = jar.clear(Cookie::Session);
        assert_eq!(cleared, format!("{name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax; Secure").as_str());
        let local = cookies("http://127.0.0.1:8080/t");
        assert_eq!(local.clear(Cookie::Session), "gatehouse_session=; Max-Age=0; Path=/t; HttpOnly; SameSite=Lax");
    }
}
