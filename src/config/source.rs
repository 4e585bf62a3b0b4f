//! Where values come from: the TOML file, then `GATEHOUSE_*` environment variables.
//! Each value is kept under its key, with where it came from; a later source replaces
//! an earlier one.

use std::collections::BTreeMap;
use std::path::Path;

use super::ConfigError;
use super::keys::KEYS;
use super::value::{Origin, Value};

const ENV_PREFIX: &str = "GATEHOUSE_";

/// Environment variables with the prefix that are not configuration keys.
const ENV_NOT_KEYS: &[&str] = &["GATEHOUSE_CONFIG", "GATEHOUSE_LOG"];

/// The values found so far, by key.
pub(super) type Values = BTreeMap<&'static str, Value>;

/// The environment variable for a key: `lifetimes.code` → `GATEHOUSE_LIFETIMES_CODE`.
pub fn env_var(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.replace('.', "_").to_ascii_uppercase())
}

/// Reads the values of a configuration file.
pub(super) fn read_file(path: &Path, values: &mut Values) -> Result<(), ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::File { path: path.to_owned(), message: e.to_string() })?;
    parse_toml(&text, path, values)
}

/// Reads the values of TOML text, as if from the file at `path`; an unknown key is refused.
pub(super) fn parse_toml(text: &str, path: &Path, values: &mut Values) -> Result<(), ConfigError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::File { path: path.to_owned(), message: e.to_string() })?;
    let mut flat = Vec::new();
    flatten("", table, &mut flat);
    for (name, value) in flat {
        let Some(key) = KEYS.iter().find(|key| key.name == name) else {
            return Err(ConfigError::UnknownKey { key: name, path: path.to_owned(), known: known_keys() });
        };
        values.insert(key.name, Value::new(key.name, value, Origin::File(path.to_owned())));
    }
    Ok(())
}

/// Every key, for the message that refuses an unknown one.
fn known_keys() -> String {
    KEYS.iter().map(|key| key.name).collect::<Vec<_>>().join(", ")
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

/// Reads the values of the `GATEHOUSE_*` variables in `env`, and returns those that
/// name no key so the caller can warn about them.
pub(super) fn read_env(env: impl IntoIterator<Item = (String, String)>, values: &mut Values) -> Vec<String> {
    let mut unknown = Vec::new();
    for (var, text) in env {
        if !var.starts_with(ENV_PREFIX) || ENV_NOT_KEYS.contains(&var.as_str()) {
            continue;
        }
        match KEYS.iter().find(|key| env_var(key.name) == var) {
            Some(key) => {
                values.insert(key.name, Value::new(key.name, toml::Value::String(text), Origin::Env(var)));
            }
            None => unknown.push(var),
        }
    }
    unknown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::load;

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
    fn unknown_file_keys_are_refused_and_unknown_env_vars_reported() {
        let err = load("isuer = \"x\"", &[]).unwrap_err().to_string();
        assert!(err.contains("unknown configuration key `isuer`"), "{err}");
        let mut raw = BTreeMap::new();
        let unknown = read_env([("GATEHOUSE_ISUER".to_string(), "x".to_string())], &mut raw);
        assert_eq!(unknown, ["GATEHOUSE_ISUER"]);
    }
}
