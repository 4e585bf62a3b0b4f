//! What a client registration must satisfy.

use crate::config::is_loopback;
pub use crate::store::GrantType;

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

#[cfg(test)]
mod tests {
    use super::*;

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
