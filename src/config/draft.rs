//! A configuration being assembled: it starts from the defaults, each key given puts
//! its value in, and `finish` applies the rules that involve more than one key.

use std::net::{Ipv4Addr, SocketAddr};

use super::{Branding, Config, ConfigError, DEFAULT_DATABASE_URL, Issuer, Lifetimes, Overrides, invalid};
use crate::keys::{Alg, Kek};

/// The configuration while its keys are applied; the fields are those of [`Config`],
/// plus what `finish` needs to know about where values came from.
pub(super) struct Draft {
    /// `None` when not configured: `finish` derives it from `listen`.
    pub(super) issuer: Option<Issuer>,
    pub(super) listen: SocketAddr,
    /// Where `listen` was set, if it was.
    pub(super) listen_origin: Option<String>,
    pub(super) database_url: String,
    pub(super) client_ip_header: Option<axum::http::HeaderName>,
    pub(super) seed: Option<std::path::PathBuf>,
    pub(super) lifetimes: Lifetimes,
    pub(super) jwks_max_age: i64,
    pub(super) algorithms: Vec<Alg>,
    pub(super) rotate_every: Option<i64>,
    pub(super) clock_skew: i64,
    /// The key from `keys.encryption_key`.
    pub(super) encryption_key: Option<Kek>,
    /// The key from `keys.encryption_key_file`, and where that setting came from.
    pub(super) encryption_key_file: Option<(Kek, String)>,
    pub(super) branding: Branding,
}

impl Default for Draft {
    fn default() -> Self {
        Self {
            issuer: None,
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            listen_origin: None,
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            client_ip_header: None,
            seed: None,
            lifetimes: Lifetimes::default(),
            jwks_max_age: 5 * 60,
            algorithms: Alg::ALL.to_vec(),
            rotate_every: None,
            clock_skew: 30,
            encryption_key: None,
            encryption_key_file: None,
            branding: Branding::default(),
        }
    }
}

impl Draft {
    /// The draft with the command-line flags put over what the file and environment gave.
    pub(super) fn overridden(mut self, overrides: &Overrides) -> Result<Self, ConfigError> {
        if let Some(listen) = overrides.listen {
            self.listen = listen;
            self.listen_origin = Some("flag --listen".into());
        }
        if let Some(port) = overrides.port {
            self.listen.set_port(port);
        }
        if let Some(issuer) = &overrides.issuer {
            self.issuer = Some(Issuer::parse(issuer).map_err(|e| invalid("issuer", "flag --issuer", &e))?);
        }
        Ok(self)
    }

    /// The configuration, if the rules between keys hold.
    pub(super) fn finish(self) -> Result<Config, ConfigError> {
        let issuer_from_listen = self.issuer.is_none();
        let issuer = match self.issuer {
            Some(issuer) => issuer,
            None => issuer_from(self.listen, self.listen_origin.as_deref())?,
        };
        let kek = match (self.encryption_key, self.encryption_key_file) {
            (Some(_), Some((_, origin))) => {
                return Err(invalid("keys.encryption_key_file", &origin, "not set together with keys.encryption_key"));
            }
            (key, file) => key.or(file.map(|(kek, _)| kek)),
        };
        if self.lifetimes.refresh_idle > self.lifetimes.refresh_absolute {
            return Err(invalid(
                "lifetimes.refresh_idle",
                "configuration",
                "no longer than `lifetimes.refresh_absolute`",
            ));
        }
        Ok(Config {
            issuer,
            listen: self.listen,
            database_url: self.database_url,
            lifetimes: self.lifetimes,
            jwks_max_age: self.jwks_max_age,
            algorithms: self.algorithms,
            rotate_every: self.rotate_every,
            clock_skew: self.clock_skew,
            kek,
            client_ip_header: self.client_ip_header,
            seed: self.seed,
            branding: self.branding,
            issuer_from_listen,
        })
    }
}

/// The issuer when none is configured: `http://` and the listen address, which must
/// be loopback; elsewhere only the operator knows the URL relying parties reach.
fn issuer_from(listen: SocketAddr, listen_origin: Option<&str>) -> Result<Issuer, ConfigError> {
    if listen.ip().is_loopback() {
        return Issuer::parse(&format!("http://{listen}")).map_err(|e| invalid("issuer", "default", &e));
    }
    let origin = listen_origin.unwrap_or_default();
    Err(invalid(
        "issuer",
        "not set",
        &format!(
            "set explicitly when listening on a non-loopback address (listen = {listen}, {origin}); \
             use the https URL that relying parties reach, e.g. GATEHOUSE_ISSUER=https://login.example.com"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use crate::config::tests::{load, load_overridden};
    use crate::config::{DEFAULT_DATABASE_URL, Lifetimes, Overrides};

    #[test]
    fn defaults_listen_on_loopback_with_matching_issuer() {
        let config = load("", &[]).unwrap();
        assert_eq!(config.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(config.issuer.as_str(), "http://127.0.0.1:8080");
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.lifetimes, Lifetimes::default());
        assert_eq!(config.lifetimes.code, 60);
    }

    #[test]
    fn flags_win_over_the_environment_and_the_file() {
        let overrides = Overrides { listen: None, port: Some(9090), issuer: None };
        let config = load_overridden("listen = \"127.0.0.2:1\"", &[("GATEHOUSE_LISTEN", "127.0.0.3:2")], &overrides);
        assert_eq!(config.unwrap().listen, "127.0.0.3:9090".parse().unwrap());
        let overrides = Overrides {
            listen: Some("[::1]:7000".parse().unwrap()),
            port: None,
            issuer: Some("http://localhost:7000".into()),
        };
        let config = load_overridden("", &[("GATEHOUSE_ISSUER", "https://env.example")], &overrides).unwrap();
        assert_eq!(config.listen, "[::1]:7000".parse().unwrap());
        assert_eq!(config.issuer.as_str(), "http://localhost:7000");
        let err =
            load_overridden("", &[], &Overrides { issuer: Some("http://id.example".into()), ..Default::default() });
        assert!(err.unwrap_err().to_string().contains("flag --issuer"));
    }

    #[test]
    fn non_loopback_listen_requires_an_issuer() {
        let err = load("listen = \"0.0.0.0:8080\"", &[]).unwrap_err().to_string();
        assert!(err.contains("`issuer`"), "{err}");
        assert!(err.contains("non-loopback"), "{err}");
        let ok = load("listen = \"0.0.0.0:8080\"\nissuer = \"https://id.example\"", &[]).unwrap();
        assert_eq!(ok.issuer.as_str(), "https://id.example");
    }
}
