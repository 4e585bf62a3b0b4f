//! The issuer identifier, and which hosts may be served over plain http.

use std::fmt;

/// The issuer identifier (OpenID Connect Discovery §3): an `http(s)` URL without
/// query or fragment. Kept exactly as configured, because relying parties compare it
/// byte for byte; routes are served under its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    url: String,
    path: String,
    https: bool,
}

impl Issuer {
    /// Checks an issuer URL. Plain `http` is allowed only for loopback hosts.
    pub fn parse(value: &str) -> Result<Self, String> {
        let url = url::Url::parse(value).map_err(|e| format!("an absolute URL ({e})"))?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            other => return Err(format!("an http or https URL, not `{other}:`")),
        };
        if url.query().is_some() || url.fragment().is_some() {
            return Err("a URL without query or fragment".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("a URL without user information".into());
        }
        // Routes are served under the path; `:` and `*` would read as route parameters.
        if url.path_segments().into_iter().flatten().any(|seg| seg.starts_with(':') || seg.starts_with('*')) {
            return Err("a URL whose path segments do not start with `:` or `*`".into());
        }
        if !https && !is_loopback(&url) {
            return Err("an https URL (plain http is allowed only for loopback hosts)".into());
        }
        Ok(Self { url: value.to_owned(), path: url.path().trim_end_matches('/').to_owned(), https })
    }

    /// The issuer exactly as configured.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The path the routes are served under: `""` or `/tenant`, never a trailing `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the issuer is https (cookies are then `Secure`).
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The absolute URL of one of the server's endpoints, e.g. `endpoint("/jwks")`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.url.trim_end_matches('/'))
    }
}

/// Whether a URL's host is `localhost` or a loopback address.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_are_checked() {
        assert!(Issuer::parse("http://localhost:8080").is_ok());
        assert!(Issuer::parse("http://[::1]:8080").is_ok());
        assert!(Issuer::parse("https://id.example/x?y=1").is_err());
        assert!(Issuer::parse("https://id.example/#f").is_err());
        assert!(Issuer::parse("ftp://id.example").is_err());
        assert!(Issuer::parse("https://u:p@id.example").is_err());
        assert!(Issuer::parse("id.example").is_err());
        assert!(Issuer::parse("https://id.example/:tenant").is_err());
        assert!(Issuer::parse("https://id.example/*rest").is_err());
    }
}
