//! What a client registration must satisfy.

use crate::config::is_loopback;
pub use crate::store::GrantType;
use crate::store::{Client, ClientKind};

/// Checks a registration as a whole, from the admin CLI or a seed file: its id, its
/// grant types for its kind, its redirect URIs and audiences.
pub fn check_registration(c: &Client) -> Result<(), String> {
    check_client_id(&c.id)?;
    let public = c.kind == ClientKind::Public;
    if public && !c.require_pkce {
        return Err("a public client always needs PKCE (no_pkce is for confidential clients)".into());
    }
    if public && c.allows(GrantType::ClientCredentials) {
        return Err("a public client cannot use client_credentials: it has no secret".into());
    }
    if c.allows(GrantType::AuthorizationCode) && c.redirect_uris.is_empty() {
        return Err("a client that uses authorization_code needs at least one redirect URI".into());
    }
    for uri in c.redirect_uris.iter().chain(&c.post_logout_redirect_uris) {
        check_redirect_uri(uri)?;
    }
    if c.loopback_any_port && !c.redirect_uris.iter().any(|uri| is_loopback_ip_uri(uri)) {
        return Err(
            "loopback_any_port needs a redirect URI on http://127.0.0.1 or http://[::1] (never localhost)".into()
        );
    }
    if c.audiences.iter().any(|a| a.trim().is_empty()) {
        return Err("an audience must not be empty".into());
    }
    Ok(())
}

/// Parses grant type names, once each; none means `authorization_code` and `refresh_token`.
pub fn parse_grant_types<S: AsRef<str>>(names: &[S]) -> Result<Vec<GrantType>, String> {
    if names.is_empty() {
        return Ok(vec![GrantType::AuthorizationCode, GrantType::RefreshToken]);
    }
    let mut grants = Vec::new();
    for name in names.iter().map(AsRef::as_ref) {
        let grant = GrantType::parse(name).ok_or_else(|| {
            let known: Vec<_> = GrantType::ALL.iter().map(|g| g.as_str()).collect();
            format!("unknown grant type `{name}`; known: {}", known.join(", "))
        })?;
        if !grants.contains(&grant) {
            grants.push(grant);
        }
    }
    Ok(grants)
}

/// Checks a client id: 1 to 128 characters from `A-Z a-z 0-9 . _ ~ -`, so that it
/// needs no escaping in URLs, forms or HTTP Basic credentials.
pub fn check_client_id(id: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '~' | '-');
    if id.is_empty() || id.len() > 128 || !id.chars().all(allowed) {
        return Err(format!(
            "invalid client id `{id}`: use 1 to 128 characters from letters, digits, `.`, `_`, `~` and `-`"
        ));
    }
    Ok(())
}

/// Checks a redirect URI for registration (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §2.1):
/// absolute, no fragment, no user information; `https`, or `http` on a loopback host, or a private-use
/// scheme in reverse-domain form (`com.example.app:/callback`) for native apps.
pub fn check_redirect_uri(uri: &str) -> Result<(), String> {
    let refuse = |why: &str| Err(format!("invalid redirect URI `{uri}`: {why}"));
    let Ok(url) = url::Url::parse(uri) else {
        return refuse("not an absolute URI");
    };
    if url.fragment().is_some() || uri.contains('#') {
        return refuse("it must not contain a fragment (RFC 6749 §3.1.2)");
    }
    // `https://app.example@evil.example/` reads to a person as app.example.
    if !url.username().is_empty() || url.password().is_some() {
        return refuse("it must not contain user information (`user@`)");
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => refuse("plain http is allowed only for loopback hosts (localhost, 127.0.0.1, [::1]); use https"),
        scheme if scheme.contains('.') => Ok(()),
        _ => refuse("use https, http on a loopback host, or a reverse-domain scheme such as com.example.app:/cb"),
    }
}

/// The loopback hosts whose port a native app may choose (RFC 8252 §7.3): IP
/// literals only, because `localhost` may resolve elsewhere (§8.3).
const LOOPBACK_PREFIXES: [&str; 2] = ["http://127.0.0.1", "http://[::1]"];

/// Whether a registered redirect URI is one whose port may vary (RFC 8252 §7.3).
pub fn is_loopback_ip_uri(uri: &str) -> bool {
    LOOPBACK_PREFIXES.iter().any(|prefix| without_port(uri, prefix).is_some())
}

/// RFC 8252 §7.3: `requested` is `registered` with any port, for a client that
/// opted in. Scheme, host, path and query stay exact, compared as written.
pub fn matches_with_any_port(registered: &str, requested: &str) -> bool {
    LOOPBACK_PREFIXES.iter().any(|prefix| match (without_port(registered, prefix), without_port(requested, prefix)) {
        (Some(registered), Some(requested)) => registered == requested && !requested.contains('#'),
        _ => false,
    })
}

/// What follows `prefix` and an optional `:port` in `uri`: the path and query, which
/// must begin with `/`. `None` if `uri` is not on that host.
fn without_port<'a>(uri: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = uri.strip_prefix(prefix)?;
    let rest = match rest.strip_prefix(':') {
        Some(port) => {
            let digits = port.find(|c: char| !c.is_ascii_digit()).unwrap_or(port.len());
            port[..digits].parse::<u16>().ok()?;
            &port[digits..]
        }
        None => rest,
    };
    rest.starts_with('/').then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_ports_vary_and_nothing_else() {
        let registered = "http://127.0.0.1/cb?x=1";
        assert!(matches_with_any_port(registered, "http://127.0.0.1:53127/cb?x=1"));
        assert!(matches_with_any_port(registered, "http://127.0.0.1/cb?x=1"));
        assert!(matches_with_any_port("http://[::1]:8000/cb", "http://[::1]:9/cb"));
        for other in [
            "http://127.0.0.1:53127/cb",
            "http://127.0.0.1:53127/cb?x=2",
            "http://127.0.0.1:53127/cb/x?x=1",
            "http://127.0.0.1:99999/cb?x=1",
            "http://127.0.0.1:/cb?x=1",
            "http://127.0.0.1:53127/cb?x=1#f",
            "http://127.0.0.1.evil.example/cb?x=1",
            "http://127.0.0.1@evil.example/cb?x=1",
            "http://localhost:53127/cb?x=1",
            "http://[::1]:53127/cb?x=1",
            "https://127.0.0.1:53127/cb?x=1",
        ] {
            assert!(!matches_with_any_port(registered, other), "{other}");
        }
        assert!(!matches_with_any_port("http://localhost/cb", "http://localhost:5/cb"), "never localhost");
        assert!(is_loopback_ip_uri("http://[::1]:8000/cb"));
        assert!(!is_loopback_ip_uri("http://localhost/cb"));
    }

    #[test]
    fn client_ids() {
        assert!(check_client_id("my-app_2.v~1").is_ok());
        for bad in ["", "a b", "a:b", "é", &"x".repeat(129)] {
            assert!(check_client_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn redirect_uris() {
        for good in [
            "https://app.example/cb",
            "https://app.example/cb?x=1",
            "http://localhost:3000/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:8000/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert!(check_redirect_uri(good).is_ok(), "{good}");
        }
        for bad in [
            "/cb",
            "https://app.example/cb#x",
            "http://app.example/cb",
            "javascript:alert(1)",
            "myapp://cb",
            "https://user@app.example/cb",
            "https://:secret@app.example/cb",
        ] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn grant_types_round_trip() {
        for g in GrantType::ALL {
            assert_eq!(GrantType::parse(g.as_str()), Some(g));
        }
        assert_eq!(GrantType::parse("implicit"), None);
    }
}
