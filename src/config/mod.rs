//! Configuration: a TOML file, then `GATEHOUSE_*` environment variables that
//! override it, then defaults. Every key has one name in the file (`lifetimes.code`)
//! and one in the environment (`GATEHOUSE_LIFETIMES_CODE`); an invalid value stops
//! start-up with a message that names both and says what is expected.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub mod branding;
pub mod colour;
mod draft;
mod issuer;
mod keys;
pub mod palette;
mod source;
mod value;

pub use branding::Branding;
pub use issuer::{Issuer, is_loopback};
pub use source::env_var;

use draft::Draft;
use keys::KEYS;
use source::Values;

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "gatehouse.toml";
/// The store used when `database_url` is not given: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:gatehouse.db";

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
    /// A seed file applied at every start of `serve`.
    pub seed: Option<std::path::PathBuf>,
    /// The name, logo and accent colour on the pages.
    pub branding: Branding,
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
            .field("seed", &self.seed)
            .field("algorithms", &self.algorithms)
            .field("rotate_every", &self.rotate_every)
            .field("clock_skew", &self.clock_skew)
            .field("kek", &self.kek)
            .field("branding", &self.branding)
            .finish()
    }
}

/// Values given as command-line flags: they win over the `GATEHOUSE_*` variables,
/// which win over the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--listen`: where to listen.
    pub listen: Option<SocketAddr>,
    /// `--port`: the port of the listen address (the address otherwise as configured).
    pub port: Option<u16>,
    /// `--issuer`: the issuer identifier.
    pub issuer: Option<String>,
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
    /// A browser session (single sign-on at the login page) lasts at most this long
    /// after the login (default 1 day).
    pub session: i64,
    /// A browser session not used for this long ends (default 8 hours; the absolute
    /// lifetime still bounds it).
    pub session_idle: i64,
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
            session_idle: 8 * 60 * 60,
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

    /// The key policy: the algorithms, automatic rotation and its timing.
    pub fn key_policy(&self) -> crate::keys::KeyPolicy {
        crate::keys::KeyPolicy {
            algorithms: self.algorithms.clone(),
            rotate_every: self.rotate_every,
            timing: self.key_timing(),
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
        Self::load_with(file, env, &Overrides::default())
    }

    /// [`Config::load`], then the command-line `overrides` on top.
    pub fn load_with(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &Overrides,
    ) -> Result<(Self, Vec<String>), ConfigError> {
        let mut values = Values::new();
        let default_file = Path::new(DEFAULT_CONFIG_FILE);
        match file {
            Some(path) => source::read_file(path, &mut values)?,
            None if default_file.exists() => source::read_file(default_file, &mut values)?,
            None => {}
        }
        let unknown = source::read_env(env, &mut values);
        Ok((Self::from_values(&values, overrides)?, unknown))
    }

    /// Parses configuration from TOML text alone (used by tests and embedders).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let mut values = Values::new();
        source::parse_toml(text, Path::new("<inline>"), &mut values)?;
        Self::from_values(&values, &Overrides::default())
    }

    /// Applies each key given, in the order of [`KEYS`], to the defaults, then the overrides.
    fn from_values(values: &Values, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut draft = Draft::default();
        for key in KEYS {
            if let Some(value) = values.get(key.name) {
                (key.apply)(&mut draft, value)?;
            }
        }
        draft.overridden(overrides)?.finish()
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

/// The refusal of the value for `key` from `origin`: it must be `expected`.
fn invalid(key: &str, origin: &str, expected: &str) -> ConfigError {
    ConfigError::Invalid { key: key.to_owned(), origin: origin.to_owned(), expected: expected.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The configuration from `toml`, as if read from `test.toml`, and the variables in `env`.
    pub(super) fn load(toml: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        load_overridden(toml, env, &Overrides::default())
    }

    /// [`load`] with command-line `overrides`.
    pub(super) fn load_overridden(
        toml: &str,
        env: &[(&str, &str)],
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut values = Values::new();
        source::parse_toml(toml, Path::new("test.toml"), &mut values)?;
        source::read_env(env.iter().map(|(k, v)| (k.to_string(), v.to_string())), &mut values);
        Config::from_values(&values, overrides)
    }
}
