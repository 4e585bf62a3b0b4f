//! A value as found in the file or the environment, and the checks that turn it into
//! what a key needs; every refusal names the key and where the value came from.

use std::path::PathBuf;

use super::{ConfigError, invalid};

/// What a duration must look like.
const DURATION_EXPECTED: &str =
    "a positive duration: seconds, or a number with s, m, h or d, such as `90s`, `10m`, `30d`";

/// Where a value came from.
pub(super) enum Origin {
    /// A configuration file.
    File(PathBuf),
    /// An environment variable, by name.
    Env(String),
}

/// A value before it is checked: the key it was given for, and where it came from.
/// An environment variable's value is a TOML string.
pub(super) struct Value {
    key: &'static str,
    value: toml::Value,
    origin: Origin,
}

impl Value {
    /// A value given for `key`.
    pub(super) fn new(key: &'static str, value: toml::Value, origin: Origin) -> Self {
        Self { key, value, origin }
    }

    /// Where the value came from, as messages say it.
    pub(super) fn origin(&self) -> String {
        match &self.origin {
            Origin::File(path) => format!("in {}", path.display()),
            Origin::Env(var) => format!("environment variable {var}"),
        }
    }

    /// The value as written.
    pub(super) fn toml(&self) -> &toml::Value {
        &self.value
    }

    /// The refusal of this value: it must be `expected`.
    pub(super) fn invalid(&self, expected: &str) -> ConfigError {
        invalid(self.key, &self.origin(), expected)
    }

    /// The value as text: TOML strings and integers are both accepted as text.
    pub(super) fn text(&self) -> Result<String, ConfigError> {
        match &self.value {
            toml::Value::String(s) => Ok(s.clone()),
            toml::Value::Integer(n) => Ok(n.to_string()),
            other => Err(self.invalid(&format!("a string, not a {}", other.type_str()))),
        }
    }

    /// The text parsed by `f`; a refusal says what was `expected` and what was given.
    pub(super) fn parse<T>(&self, expected: &str, f: impl FnOnce(&str) -> Option<T>) -> Result<T, ConfigError> {
        let text = self.text()?;
        f(&text).ok_or_else(|| self.invalid(&format!("{expected}; got `{text}`")))
    }

    /// The text checked by `f`, whose error says what was expected.
    pub(super) fn check<T>(&self, f: impl FnOnce(&str) -> Result<T, String>) -> Result<T, ConfigError> {
        f(&self.text()?).map_err(|expected| self.invalid(&expected))
    }

    /// The text as a duration, in seconds.
    pub(super) fn duration(&self) -> Result<i64, ConfigError> {
        self.parse(DURATION_EXPECTED, parse_duration)
    }
}

/// Parses `90`, `90s`, `10m`, `12h`, `30d` into seconds; zero and negatives are refused.
pub(super) fn parse_duration(text: &str) -> Option<i64> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
