//! Every configuration key, declared once: its name in the TOML file (its environment
//! variable is derived from it), and how its value is checked and where it goes.

use super::branding;
use super::draft::Draft;
use super::value::{Value, parse_duration};
use super::{ConfigError, Issuer, redact_url};
use crate::keys::{Alg, Kek};
use crate::store::Backend;

/// A configuration key.
pub(super) struct Key {
    /// The name in the TOML file, e.g. `lifetimes.code`.
    pub(super) name: &'static str,
    /// Checks a value given for the key and puts it into the draft.
    pub(super) apply: fn(&mut Draft, &Value) -> Result<(), ConfigError>,
}

/// Every key, in the order they are applied and listed when an unknown key is refused.
/// Each entry checks a value `v` and puts it into the draft `d`; a key that is not
/// given keeps the draft's default.
pub(super) const KEYS: &[Key] = &[
    key("issuer", |d, v| v.check(Issuer::parse).map(|issuer| d.issuer = Some(issuer))),
    key("listen", listen),
    key("database_url", |d, v| v.check(database_url).map(|url| d.database_url = url)),
    key("client_ip_header", |d, v| header_name(v).map(|name| d.client_ip_header = Some(name))),
    key("seed", |d, v| v.check(seed_file).map(|path| d.seed = Some(path))),
    key("lifetimes.code", |d, v| v.duration().map(|s| d.lifetimes.code = s)),
    key("lifetimes.id_token", |d, v| v.duration().map(|s| d.lifetimes.id_token = s)),
    key("lifetimes.access_token", |d, v| v.duration().map(|s| d.lifetimes.access_token = s)),
    key("lifetimes.refresh_idle", |d, v| v.duration().map(|s| d.lifetimes.refresh_idle = s)),
    key("lifetimes.refresh_absolute", |d, v| v.duration().map(|s| d.lifetimes.refresh_absolute = s)),
    key("lifetimes.session", |d, v| v.duration().map(|s| d.lifetimes.session = s)),
    key("lifetimes.session_idle", |d, v| v.duration().map(|s| d.lifetimes.session_idle = s)),
    key("lifetimes.refresh_reuse_grace", |d, v| grace(v).map(|s| d.lifetimes.refresh_reuse_grace = s)),
    key("keys.jwks_max_age", |d, v| v.duration().map(|s| d.jwks_max_age = s)),
    key("keys.algorithms", |d, v| algorithms(v).map(|algs| d.algorithms = algs)),
    key("keys.rotate_every", |d, v| v.duration().map(|s| d.rotate_every = Some(s))),
    key("keys.clock_skew", |d, v| v.duration().map(|s| d.clock_skew = s)),
    key("keys.encryption_key", |d, v| v.check(kek).map(|kek| d.encryption_key = Some(kek))),
    key("keys.encryption_key_file", |d, v| kek_file(v).map(|kek| d.encryption_key_file = Some((kek, v.origin())))),
    key("branding.name", |d, v| v.check(branding::name).map(|name| d.branding.name = name)),
    key("branding.logo_url", |d, v| v.check(branding::logo_url).map(|logo| d.branding.logo = Some(logo))),
    key("branding.accent", |d, v| v.check(branding::accent).map(|accent| d.branding.accent = accent)),
];

/// A [`Key`]: shorter than the struct literal, so that each key fits on one line.
const fn key(name: &'static str, apply: fn(&mut Draft, &Value) -> Result<(), ConfigError>) -> Key {
    Key { name, apply }
}

/// `listen`, remembering where it was set for the message that asks for an issuer.
fn listen(draft: &mut Draft, value: &Value) -> Result<(), ConfigError> {
    draft.listen = value.parse("a socket address such as `127.0.0.1:8080`", |s| s.parse().ok())?;
    draft.listen_origin = Some(value.origin());
    Ok(())
}

/// A database URL gatehouse can keep data in: PostgreSQL, or a SQLite *file* (an
/// in-memory database would lose every key and session when its last connection closes).
fn database_url(url: &str) -> Result<String, String> {
    let expected = match Backend::of(url) {
        None => "a `sqlite:` or `postgres://` URL, e.g. `sqlite:gatehouse.db`",
        Some(Backend::Sqlite) if is_in_memory(url) => {
            "a SQLite file such as `sqlite:gatehouse.db`, not an in-memory database"
        }
        Some(Backend::Sqlite | Backend::Postgres) => return Ok(url.to_owned()),
    };
    Err(format!("{expected}; got `{}`", redact_url(url)))
}

/// Whether a `sqlite:` URL names an in-memory database rather than a file.
fn is_in_memory(sqlite_url: &str) -> bool {
    let path = sqlite_url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = path.split('?').next().unwrap_or("");
    path.is_empty() || path == ":memory:" || sqlite_url.contains("mode=memory")
}

/// `seed`: a seed file, applied at every start (read then, so only its name is checked here).
fn seed_file(path: &str) -> Result<std::path::PathBuf, String> {
    if path.is_empty() {
        return Err("the path of a seed file".into());
    }
    Ok(path.into())
}

/// `client_ip_header`: the header a trusted reverse proxy sets.
fn header_name(value: &Value) -> Result<axum::http::HeaderName, ConfigError> {
    value.parse("an HTTP header name such as `X-Forwarded-For`", |s| s.parse().ok())
}

/// `lifetimes.refresh_reuse_grace`: off, or a short duration.
fn grace(value: &Value) -> Result<i64, ConfigError> {
    value.parse("`off`, `0`, or a duration of at most 60 seconds such as `10s`", |text| {
        if matches!(text.trim(), "0" | "off") { Some(0) } else { parse_duration(text).filter(|s| *s <= 60) }
    })
}

/// `keys.algorithms`: a TOML array or a comma-separated list of `RS256`, `ES256`,
/// `EdDSA`; RS256 is always offered (OpenID Connect requires it).
fn algorithms(value: &Value) -> Result<Vec<Alg>, ConfigError> {
    let names: Vec<String> = match value.toml() {
        toml::Value::Array(items) => items.iter().map(|v| v.as_str().unwrap_or("?").to_owned()).collect(),
        _ => value.text()?.split(',').map(|s| s.trim().to_owned()).collect(),
    };
    let mut algs = vec![Alg::Rs256];
    for name in names.iter().filter(|n| !n.is_empty()) {
        let alg = Alg::parse(name)
            .ok_or_else(|| value.invalid(&format!("a list of RS256, ES256 and EdDSA; got `{name}`")))?;
        if !algs.contains(&alg) {
            algs.push(alg);
        }
    }
    algs.sort();
    Ok(algs)
}

/// `keys.encryption_key`: the key itself.
fn kek(text: &str) -> Result<Kek, String> {
    Kek::parse(text).map_err(|e| e.to_string())
}

/// `keys.encryption_key_file`: a file holding the key.
fn kek_file(value: &Value) -> Result<Kek, ConfigError> {
    value.check(|path| {
        let text = std::fs::read_to_string(path).map_err(|e| format!("a readable file ({path}: {e})"))?;
        kek(&text)
    })
}

#[cfg(test)]
mod tests {
    use crate::config::tests::load;

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
}
