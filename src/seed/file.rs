//! The seed file's format: TOML, every key known, each entry's place kept so that an
//! error can name its line.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};
use toml::Spanned;

/// A whole seed file. (No `Debug`: it holds secrets and passwords.)
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SeedFile {
    #[serde(default)]
    pub(super) clients: Vec<Spanned<ClientEntry>>,
    #[serde(default)]
    pub(super) users: Vec<Spanned<UserEntry>>,
    #[serde(default)]
    pub(super) scopes: BTreeMap<String, Spanned<ScopeEntry>>,
    #[serde(default)]
    pub(super) presets: BTreeMap<String, Spanned<Claims>>,
}

/// `[[clients]]`: a relying party with a fixed id. A field left out keeps its stored
/// value (or its default, for a new client), but for `public`: false when left out.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClientEntry {
    pub(super) id: String,
    pub(super) name: Option<String>,
    /// A confidential client's secret; a public client has none.
    pub(super) secret: Option<String>,
    #[serde(default)]
    pub(super) public: bool,
    pub(super) redirect_uris: Option<Vec<String>>,
    pub(super) post_logout_redirect_uris: Option<Vec<String>>,
    pub(super) grant_types: Option<Vec<String>>,
    pub(super) audiences: Option<Vec<String>>,
    pub(super) require_pkce: Option<bool>,
    pub(super) loopback_any_port: Option<bool>,
    pub(super) id_token_claims: Option<bool>,
    pub(super) third_party: Option<bool>,
}

/// `[[users]]`: a person, by username. Claims given replace the stored ones.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UserEntry {
    pub(super) username: String,
    pub(super) password: Option<String>,
    /// An argon2 PHC string, for a file that must not hold passwords.
    pub(super) password_hash: Option<String>,
    pub(super) claims: Option<Claims>,
}

/// `[scopes.NAME]`: a custom scope and the claims it releases.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ScopeEntry {
    pub(super) claims: Vec<String>,
    /// Whether the claims go in the ID token too.
    #[serde(default)]
    pub(super) id_token: bool,
}

/// Claims as JSON, from a TOML table. JSON has no dates: a TOML date or time
/// (`birthdate = 1815-12-10`) becomes its RFC 3339 text, as OpenID Connect writes them.
#[derive(Default)]
pub(super) struct Claims(pub(super) Map<String, Value>);

impl<'de> Deserialize<'de> for Claims {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let table = toml::Table::deserialize(deserializer)?;
        Ok(Self(table.into_iter().map(|(name, value)| (name, json(value))).collect()))
    }
}

fn json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => i.into(),
        // TOML allows nan and inf, which JSON cannot write.
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => b.into(),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => items.into_iter().map(json).collect(),
        toml::Value::Table(table) => Value::Object(table.into_iter().map(|(k, v)| (k, json(v))).collect()),
    }
}

/// The 1-based line of byte `offset` in `text`.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}
