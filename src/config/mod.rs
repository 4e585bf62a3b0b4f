//! Configuration: a TOML file, then `GATEHOUSE_*` environment variables that
//! override it, then defaults. Every key has one name in the file (`lifetimes.code`)
//! and one in the environment (`GATEHOUSE_LIFETIMES_CODE`); an invalid value stops
//! start-up with a message that names both and says what is expected.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod issuer;

pub use issuer::{Issuer, is_loopback};

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "gatehouse.toml";
/// The store used when `database_url` is not given: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:gatehouse.db";
const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const ENV_PREFIX: &str = "GATEHOUSE_";

/// Every configuration key, as written in the TOML file.
const KEYS: &[&str] = &[
    "issuer",
    "listen",
    "database_url",
    "client_ip_header",
    "lifetimes.code",
    "lifetimes.id_token",
    "lifetimes.access_token",
    "lifetimes.refresh_idle",
    "lifetimes.refresh_absolute",
    "lifetimes.session",
    "lifetimes.refresh_reuse_grace",
    "keys.jwks_max_age",
    "keys.algorithms",
    "keys.rotate_every",
    "keys.clock_skew",
    "keys.encryption_key",
    "keys.encryption_key_file",
];

/// Environment variables with the prefix that are not configuration keys.
const ENV_NOT_KEYS: &[&str] = &["GATEHOUSE_CONFIG", "GATEHOUSE_LOG"];

/// The validated configuration.
#[derive(Clone)]
pub struct Config {
    /// The issuer identifier; every URL the server publishes is built from it.
    pub issuer: Issuer,
    /// Where the server listens.
    pub listen: SocketAddr,
    /// `sqlite:…` or `postgres://…`.
    pub database_url: String,
    /// How long codes and tokens live.
    pub lifetimes: Lifetimes,
    /// The `Cache-Control: max-age` of `/jwks`, in seconds: how long relying parties may cache keys.
    pub jwks_max_age: i64,
    /// The signing algorithms offered (`RS256` always among them).
    pub algorithms: Vec<crate::keys::Alg>,
    /// Rotate each algorithm's key automatically this long after it activated.
    pub rotate_every: Option<i64>,
    /// How far the clocks of instances sharing a database may differ.
    pub clock_skew: i64,
    /// The key-encryption key for private keys at rest, if configured.
    pub kek: Option<crate::keys::Kek>,
    /// The header a trusted reverse proxy puts the client's address in (its last entry
    /// is used), e.g. `X-Forwarded-For`; `None` uses the connection's peer address.
    pub client_ip_header: Option<axum::http::HeaderName>,
    /// Whether the issuer was derived from `listen` rather than configured.
    issuer_from_listen: bool,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("issuer", &self.issuer.as_str())
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("lifetimes", &self.lifetimes)
            .field("jwks_max_age", &self.jwks_max_age)
            .field("client_ip_header", &self.client_ip_header)
            .field("algorithms", &self.algorithms)
            .field("rotate_every", &self.rotate_every)
            .field("clock_skew", &self.clock_skew)
            .field("kek", &self.kek)
            .finish()
    }
}

/// Lifetimes in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// Authorization code (default 60 s).
    pub code: i64,
    /// ID token (default 10 min).
    pub id_token: i64,
    /// Access token (default 1 h).
    pub access_token: i64,
    /// A refresh token unused for this long expires (default 30 days).
    pub refresh_idle: i64,
    /// A refresh-token family ends this long after the login (default 90 days).
    pub refresh_absolute: i64,
    /// A browser session (single sign-on at the login page) lasts this long (default 1 day).
    pub session: i64,
    /// For this long after a refresh token is rotated, the same client presenting it
    /// again gets the successor already issued instead of a family revocation
    /// (default 0: off). See the README for the trade-off.
    pub refresh_reuse_grace: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        const DAY: i64 = 24 * 60 * 60;
        Self {
            code: 60,
            id_token: 10 * 60,
            access_token: 60 * 60,
            refresh_idle: 30 * DAY,
            refresh_absolute: 90 * DAY,
            session: DAY,
            refresh_reuse_grace: 0,
        }
    }
}

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or is not TOML.
    #[error("cannot read configuration file {path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A key has a value that is not what it should be.
    #[error("invalid configuration: `{key}` ({origin}) must be {expected}")]
    Invalid {
        /// The TOML key.
        key: String,
        /// Where the value came from.
        origin: String,
        /// What was expected.
        expected: String,
    },
    /// The file names a key that does not exist.
    #[error("unknown configuration key `{key}` in {path}; known keys: {known}")]
    UnknownKey {
        /// The key as written.
        key: String,
        /// The file.
        path: PathBuf,
        /// The keys that exist.
        known: String,
    },
}

/// A value before it is checked, and where it came from.
enum Raw {
    File(toml::Value, PathBuf),
    Env(String, String),
}

impl Raw {
    fn origin(&self) -> String {
        match self {
            Raw::File(_, path) => format!("in {}", path.display()),
            Raw::Env(var, _) => format!("environment variable {var}"),
        }
    }
}

impl Config {
    /// The timing of key publication and rotation.
    pub fn key_timing(&self) -> crate::keys::Timing {
        crate::keys::Timing {
            jwks_max_age: self.jwks_max_age,
            // Often enough that a rotation made anywhere is seen long before it matters.
            reload_interval: (self.jwks_max_age / 4).clamp(1, 30),
            clock_skew: self.clock_skew,
            max_token_lifetime: self.lifetimes.id_token.max(self.lifetimes.access_token),
        }
    }

    /// Records the address actually bound (it differs from `listen` for port 0) and,
    /// when the issuer was derived from `listen`, derives it again from that address.
    pub fn bound_to(&mut self, addr: SocketAddr) {
        self.listen = addr;
        if self.issuer_from_listen
            && let Ok(issuer) = Issuer::parse(&format!("http://{addr}"))
        {
            self.issuer = issuer;
        }
    }

    /// Loads the configuration: `file` if given (it must exist), otherwise
    /// `gatehouse.toml` if it exists; then the `GATEHOUSE_*` variables in `env`.
    /// Unknown `GATEHOUSE_*` variables are returned so the caller can warn about them.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(Self, Vec<String>), ConfigError> {
        let mut raw = BTreeMap::new();
        let default_file = Path::new(DEFAULT_CONFIG_FILE);
        match file {
            Some(path) => read_file(path, &mut raw)?,
            None if default_file.exists() => read_file(default_file, &mut raw)?,
            None => {}
        }
        let unknown = read_env(env, &mut raw);
        Ok((Self::from_raw(raw)?, unknown))
    }

    /// Parses configuration from TOML text alone (used by tests and embedders).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let mut raw = BTreeMap::new();
        parse_toml(text, Path::new("<inline>"), &mut raw)?;
        Self::from_raw(raw)
    }

    fn from_raw(mut raw: BTreeMap<&'static str, Raw>) -> Result<Self, ConfigError> {
        let listen_raw = raw.remove("listen");
        let listen = match &listen_raw {
            Some(value) => {
                parse("listen", value, "a socket address such as `127.0.0.1:8080`", |s| s.parse::<SocketAddr>().ok())?
            }
            None => DEFAULT_LISTEN.parse().map_err(|_| invalid("listen", "default", "valid"))?,
        };
        let issuer_from_listen = !raw.contains_key("issuer");
        let issuer = match raw.remove("issuer") {
            Some(value) => {
                let text = string("issuer", &value)?;
                Issuer::parse(&text).map_err(|expected| invalid("issuer", &value.origin(), &expected))?
            }
            None if listen.ip().is_loopback() => {
                Issuer::parse(&format!("http://{listen}")).map_err(|e| invalid("issuer", "default", &e))?
            }
            None => {
                let origin = listen_raw.map_or_else(String::new, |r| r.origin());
                return Err(invalid(
                    "issuer",
                    "not set",
                    &format!(
                        "set explicitly when listening on a non-loopback address (listen = {listen}, {origin}); \
                         use the https URL that relying parties reach, e.g. GATEHOUSE_ISSUER=https://login.example.com"
                    ),
                ));
            }
        };
        let database_url = match raw.remove("database_url") {
            Some(value) => {
                let url = string("database_url", &value)?;
                check_database_url(&url).map_err(|expected| {
                    let got = redact_url(&url);
                    invalid("database_url", &value.origin(), &format!("{expected}; got `{got}`"))
                })?;
                url
            }
            None => DEFAULT_DATABASE_URL.to_owned(),
        };
        let client_ip_header = match raw.remove("client_ip_header") {
            Some(value) => {
                Some(parse("client_ip_header", &value, "an HTTP header name such as `X-Forwarded-For`", |s| {
                    s.parse::<axum::http::HeaderName>().ok()
                })?)
            }
            None => None,
        };
        let defaults = Lifetimes::default();
        let grace_raw = raw.remove("lifetimes.refresh_reuse_grace");
        let mut duration = |key: &'static str, default: i64| match raw.remove(key) {
            Some(value) => parse(key, &value, DURATION_EXPECTED, parse_duration),
            None => Ok(default),
        };
        let lifetimes = Lifetimes {
            code: duration("lifetimes.code", defaults.code)?,
            id_token: duration("lifetimes.id_token", defaults.id_token)?,
            access_token: duration("lifetimes.access_token", defaults.access_token)?,
            refresh_idle: duration("lifetimes.refresh_idle", defaults.refresh_idle)?,
            refresh_absolute: duration("lifetimes.refresh_absolute", defaults.refresh_absolute)?,
            session: duration("lifetimes.session", defaults.session)?,
            refresh_reuse_grace: match grace_raw {
                Some(value) => parse("lifetimes.refresh_reuse_grace", &value, GRACE_EXPECTED, |t| {
                    if matches!(t.trim(), "0" | "off") { Some(0) } else { parse_duration(t).filter(|s| *s <= 60) }
                })?,
                None => defaults.refresh_reuse_grace,
            },
        };
        let jwks_max_age = duration("keys.jwks_max_age", 5 * 60)?;
        let clock_skew = duration("keys.clock_skew", 30)?;
        let rotate_every = match raw.remove("keys.rotate_every") {
            Some(value) => Some(parse("keys.rotate_every", &value, DURATION_EXPECTED, parse_duration)?),
            None => None,
        };
        let algorithms = match raw.remove("keys.algorithms") {
            Some(value) => parse_algorithms(&value)?,
            None => crate::keys::Alg::ALL.to_vec(),
        };
        let kek = match (raw.remove("keys.encryption_key"), raw.remove("keys.encryption_key_file")) {
            (Some(_), Some(file)) => {
                return Err(invalid(
                    "keys.encryption_key_file",
                    &file.origin(),
                    "not set together with keys.encryption_key",
                ));
            }
            (Some(value), None) => {
                let text = string("keys.encryption_key", &value)?;
                Some(
                    crate::keys::Kek::parse(&text)
                        .map_err(|e| invalid("keys.encryption_key", &value.origin(), &e.to_string()))?,
                )
            }
            (None, Some(value)) => {
                let path = string("keys.encryption_key_file", &value)?;
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    invalid("keys.encryption_key_file", &value.origin(), &format!("a readable file ({path}: {e})"))
                })?;
                Some(
                    crate::keys::Kek::parse(&text)
                        .map_err(|e| invalid("keys.encryption_key_file", &value.origin(), &e.to_string()))?,
                )
            }
            (None, None) => None,
        };
        if lifetimes.refresh_idle > lifetimes.refresh_absolute {
            return Err(invalid(
                "lifetimes.refresh_idle",
                "configuration",
                "no longer than `lifetimes.refresh_absolute`",
            ));
        }
        Ok(Self {
            issuer,
            listen,
            database_url,
            lifetimes,
            jwks_max_age,
            algorithms,
            rotate_every,
            clock_skew,
            kek,
            client_ip_header,
            issuer_from_listen,
        })
    }
}

/// `keys.algorithms`: a TOML array or a comma-separated list of `RS256`, `ES256`,
/// `EdDSA`; RS256 is always offered (OpenID Connect requires it).
fn parse_algorithms(raw: &Raw) -> Result<Vec<crate::keys::Alg>, ConfigError> {
    use crate::keys::Alg;
    let names: Vec<String> = match raw {
        Raw::File(toml::Value::Array(items), _) => items.iter().map(|v| v.as_str().unwrap_or("?").to_owned()).collect(),
        _ => string("keys.algorithms", raw)?.split(',').map(|s| s.trim().to_owned()).collect(),
    };
    let mut algs = vec![Alg::Rs256];
    for name in names.iter().filter(|n| !n.is_empty()) {
        let alg = Alg::parse(name).ok_or_else(|| {
            invalid("keys.algorithms", &raw.origin(), &format!("a list of RS256, ES256 and EdDSA; got `{name}`"))
        })?;
        if !algs.contains(&alg) {
            algs.push(alg);
        }
    }
    algs.sort();
    Ok(algs)
}

/// A database URL gatehouse can keep data in: PostgreSQL, or a SQLite *file* (an
/// in-memory database would lose every key and session when its last connection closes).
fn check_database_url(url: &str) -> Result<(), String> {
    use crate::store::Backend;
    match Backend::of(url) {
        None => Err("a `sqlite:` or `postgres://` URL, e.g. `sqlite:gatehouse.db`".into()),
        Some(Backend::Sqlite) => {
            let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
            let path = path.split('?').next().unwrap_or("");
            if path.is_empty() || path == ":memory:" || url.contains("mode=memory") {
                Err("a SQLite file such as `sqlite:gatehouse.db`, not an in-memory database".into())
            } else {
                Ok(())
            }
        }
        Some(Backend::Postgres) => Ok(()),
    }
}

/// A database URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

const GRACE_EXPECTED: &str = "`off`, `0`, or a duration of at most 60 seconds such as `10s`";

const DURATION_EXPECTED: &str =
    "a positive duration: seconds, or a number with s, m, h or d, such as `90s`, `10m`, `30d`";

/// Parses `90`, `90s`, `10m`, `12h`, `30d` into seconds; zero and negatives are refused.
fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 60 * 60,
        'd' => 24 * 60 * 60,
        _ => return None,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    n.checked_mul(scale).filter(|secs| *secs > 0)
}

fn invalid(key: &str, origin: &str, expected: &str) -> ConfigError {
    ConfigError::Invalid { key: key.to_owned(), origin: origin.to_owned(), expected: expected.to_owned() }
}

/// The value as text: TOML strings and integers are both accepted as text.
fn string(key: &str, raw: &Raw) -> Result<String, ConfigError> {
    match raw {
        Raw::Env(_, s) | Raw::File(toml::Value::String(s), _) => Ok(s.clone()),
        Raw::File(toml::Value::Integer(n), _) => Ok(n.to_string()),
        Raw::File(other, _) => Err(invalid(key, &raw.origin(), &format!("a string, not a {}", other.type_str()))),
    }
}

fn parse<T>(key: &str, raw: &Raw, expected: &str, f: impl FnOnce(&str) -> Option<T>) -> Result<T, ConfigError> {
    let text = string(key, raw)?;
    f(&text).ok_or_else(|| invalid(key, &raw.origin(), &format!("{expected}; got `{text}`")))
}

fn read_file(path: &Path, raw: &mut BTreeMap<&'static str, Raw>) -> Result<(), ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::File { path: path.to_owned(), message: e.to_string() })?;
    parse_toml(&text, path, raw)
}

fn parse_toml(text: &str, path: &Path, raw: &mut BTreeMap<&'static str, Raw>) -> Result<(), ConfigError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::File { path: path.to_owned(), message: e.to_string() })?;
    let mut flat = Vec::new();
    flatten("", table, &mut flat);
    for (key, value) in flat {
        let Some(known) = KEYS.iter().find(|k| **k == key) else {
            return Err(ConfigError::UnknownKey { key, path: path.to_owned(), known: KEYS.join(", ") });
        };
        raw.insert(known, Raw::File(value, path.to_owned()));
    }
    Ok(())
}

/// `[lifetimes] code = 60` becomes `("lifetimes.code", 60)`.
fn flatten(prefix: &str, table: toml::Table, out: &mut Vec<(String, toml::Value)>) {
    for (key, value) in table {
        let key = if prefix.is_empty() { key } else { format!("{prefix}.{key}") };
        match value {
            toml::Value::Table(inner) => flatten(&key, inner, out),
            value => out.push((key, value)),
        }
    }
}

/// The environment variable for a key: `lifetimes.code` → `GATEHOUSE_LIFETIMES_CODE`.
pub fn env_var(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.replace('.', "_").to_ascii_uppercase())
}

fn read_env(env: impl IntoIterator<Item = (String, String)>, raw: &mut BTreeMap<&'static str, Raw>) -> Vec<String> {
    let mut unknown = Vec::new();
    for (var, value) in env {
        if !var.starts_with(ENV_PREFIX) || ENV_NOT_KEYS.contains(&var.as_str()) {
            continue;
        }
        match KEYS.iter().find(|key| env_var(key) == var) {
            Some(key) => {
                raw.insert(key, Raw::Env(var, value));
            }
            None => unknown.push(var),
        }
    }
    unknown
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn load(toml: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut raw = BTreeMap::new();
        parse_toml(toml, Path::new("test.toml"), &mut raw)?;
        read_env(env.iter().map(|(k, v)| (k.to_string(), v.to_string())), &mut raw);
        Config::from_raw(raw)
    }

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
    fn environment_overrides_the_file() {
        let config = load(
            "issuer = \"https://a.example\"\n[lifetimes]\ncode = \"2m\"\n",
            &[("GATEHOUSE_ISSUER", "https://b.example/tenant/"), ("GATEHOUSE_LIFETIMES_ACCESS_TOKEN", "15m")],
        )
        .unwrap();
        assert_eq!(config.issuer.as_str(), "https://b.example/tenant/");
        assert_eq!(config.issuer.path(), "/tenant");
        assert_eq!(config.issuer.endpoint("/jwks"), "https://b.example/tenant/jwks");
        assert_eq!(config.lifetimes.code, 120);
        assert_eq!(config.lifetimes.access_token, 900);
    }

    #[test]
    fn non_loopback_listen_requires_an_issuer() {
        let err = load("listen = \"0.0.0.0:8080\"", &[]).unwrap_err().to_string();
        assert!(err.contains("`issuer`"), "{err}");
        assert!(err.contains("non-loopback"), "{err}");
        let ok = load("listen = \"0.0.0.0:8080\"\nissuer = \"https://id.example\"", &[]).unwrap();
        assert_eq!(ok.issuer.as_str(), "https://id.example");
    }

    #[test]
    fn invalid_values_name_the_key_and_its_origin() {
        let err = load("", &[("GATEHOUSE_LISTEN", "nowhere")]).unwrap_err().to_string();
        assert!(err.contains("`listen`") && err.contains("GATEHOUSE_LISTEN") && err.contains("nowhere"), "{err}");
        let err = load("[lifetimes]\ncode = \"soon\"", &[]).unwrap_err().to_string();
        assert!(err.contains("`lifetimes.code`") && err.contains("test.toml"), "{err}");
        let err = load("database_url = \"mysql://x\"", &[]).unwrap_err().to_string();
        assert!(err.contains("`database_url`"), "{err}");
        for memory in ["sqlite::memory:", "sqlite:", "sqlite://", "sqlite:file?mode=memory"] {
            let err = load(&format!("database_url = \"{memory}\""), &[]).unwrap_err().to_string();
            assert!(err.contains("not an in-memory database"), "{memory}: {err}");
        }
        let err = load("", &[("GATEHOUSE_DATABASE_URL", "mysql://u:hunter2@db/x")]).unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "passwords are not echoed: {err}");
        let err = load("issuer = \"http://id.example\"", &[]).unwrap_err().to_string();
        assert!(err.contains("https"), "{err}");
        let err = load("issuer = 5", &[]).unwrap_err().to_string();
        assert!(err.contains("`issuer`"), "{err}");
        let err = load("[lifetimes]\nrefresh_idle = \"100d\"", &[]).unwrap_err().to_string();
        assert!(err.contains("refresh_idle"), "{err}");
    }

    #[test]
    fn unknown_file_keys_are_refused_and_unknown_env_vars_reported() {
        let err = load("isuer = \"x\"", &[]).unwrap_err().to_string();
        assert!(err.contains("unknown configuration key `isuer`"), "{err}");
        let mut raw = BTreeMap::new();
        let unknown = read_env([("GATEHOUSE_ISUER".to_string(), "x".to_string())], &mut raw);
        assert_eq!(unknown, ["GATEHOUSE_ISUER"]);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Some(90));
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("10m"), Some(600));
        assert_eq!(parse_duration("2h"), Some(7200));
        assert_eq!(parse_duration("30d"), Some(2_592_000));
        for bad in ["", "0", "-5", "5w", "m", "1.5h", "99999999999999999999d"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
