//! Seed files: the clients, users, custom scopes and claim presets an installation
//! starts with, declared in TOML and applied at start (`gatehouse dev --seed FILE`,
//! the `seed` configuration key of `serve`) or by `gatehouse seed apply FILE`.
//!
//! Applying makes what the file declares true and leaves the rest alone: a client or
//! user the file does not name, a field an entry leaves out, and whether a user is
//! disabled. It is idempotent (a second run changes nothing) and atomic: the whole
//! file is checked first — a bad one is refused with its line and what is wrong —
//! and then written in one transaction.

mod file;
mod json;

pub use json::apply_json;
mod rows;

use std::path::Path;

use file::{SeedFile, line_of};

use crate::clock::UnixTime;
use crate::oauth::claims::{check_claim, check_claim_name};
use crate::oauth::dev::{DEMO_CLIENTS, DEMO_USER};
use crate::oauth::scope::{SUPPORTED, is_scope_token};
use crate::store::{Store, StoreError};

/// Which command applies the file: under `dev` a client secret may be anything;
/// under `serve` (and `seed apply`) it must be long enough to resist guessing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// `gatehouse dev`.
    Dev,
    /// `gatehouse serve` and `gatehouse seed apply`.
    Serve,
}

/// The shortest client secret a seed file may give under [`Rules::Serve`].
pub const MIN_SECRET_LEN: usize = 32;

/// Why a seed file was not applied; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The file cannot be read.
    #[error("cannot read seed file {file}: {error}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        error: std::io::Error,
    },
    /// The file is not a valid seed file.
    #[error("seed file {file}, line {line}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// The 1-based line of the entry at fault.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A seed sent as JSON is not a valid one.
    #[error("seed {entry}: {message}")]
    InvalidEntry {
        /// The entry at fault, as a JSON path (`clients[1]`, `scopes.groups`).
        entry: String,
        /// What is wrong.
        message: String,
    },
    /// The store failed.
    #[error("seed file {file}: {error}")]
    Store {
        /// The file.
        file: String,
        /// The store's error.
        error: StoreError,
    },
}

/// What a file declared, by kind: what was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Clients declared.
    pub clients: usize,
    /// Users declared.
    pub users: usize,
    /// Custom scopes declared.
    pub scopes: usize,
    /// Claim presets declared.
    pub presets: usize,
}

impl std::fmt::Display for Applied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self { clients, users, scopes, presets } = self;
        write!(f, "{clients} clients, {users} users, {scopes} scopes, {presets} claim presets")
    }
}

/// Reads and applies the seed file at `path`.
pub async fn apply_file(store: &dyn Store, path: &Path, rules: Rules, now: UnixTime) -> Result<Applied, SeedError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| SeedError::Read { file: file.clone(), error })?;
    apply(store, &file, &text, rules, now).await
}

/// Applies the seed file `text` (named `file` in errors): checks all of it, then
/// writes it in one transaction.
pub async fn apply(
    store: &dyn Store,
    file: &str,
    text: &str,
    rules: Rules,
    now: UnixTime,
) -> Result<Applied, SeedError> {
    apply_at(store, &Place { file, text, entries: None }, rules, now).await
}

/// Applies the seed `at` holds.
async fn apply_at(store: &dyn Store, at: &Place<'_>, rules: Rules, now: UnixTime) -> Result<Applied, SeedError> {
    let seed = parse(at, rules)?;
    let applied = Applied {
        clients: seed.clients.len(),
        users: seed.users.len(),
        scopes: seed.scopes.len(),
        presets: seed.presets.len(),
    };
    let rows = rows::resolve(store, at, seed, now).await?;
    store.apply_seed(&rows, now).await.map_err(|e| at.store(e))?;
    Ok(applied)
}

/// Where an error is: the file's name and text, to turn an offset into a line; for
/// a seed sent as JSON (whose text is generated), where each entry starts instead.
struct Place<'a> {
    file: &'a str,
    text: &'a str,
    entries: Option<&'a [(usize, String)]>,
}

impl Place<'_> {
    fn invalid(&self, offset: usize, message: impl Into<String>) -> SeedError {
        match self.entry(offset) {
            Some(entry) => SeedError::InvalidEntry { entry, message: message.into() },
            None => SeedError::Invalid {
                file: self.file.to_owned(),
                line: line_of(self.text, offset),
                message: message.into(),
            },
        }
    }

    /// Where `offset` is, for a message: `on line N`, or `at clients[1]`.
    fn locate(&self, offset: usize) -> String {
        match self.entry(offset) {
            Some(entry) => format!("at {entry}"),
            None => format!("on line {}", line_of(self.text, offset)),
        }
    }

    /// The JSON entry `offset` is in (the body itself before the first one).
    fn entry(&self, offset: usize) -> Option<String> {
        let entries = self.entries?;
        let entry = entries.iter().rev().find(|(start, _)| *start <= offset);
        Some(entry.map_or_else(|| "body".to_owned(), |(_, name)| name.clone()))
    }

    fn store(&self, error: StoreError) -> SeedError {
        SeedError::Store { file: self.file.to_owned(), error }
    }
}

/// Parses a seed file and checks what needs nothing from the store: its syntax and
/// keys, duplicates, secrets, claim and scope names.
fn parse(at: &Place<'_>, rules: Rules) -> Result<SeedFile, SeedError> {
    let seed: SeedFile = toml::from_str(at.text).map_err(|e| {
        let offset = e.span().map_or(0, |span| span.start);
        at.invalid(offset, e.message().trim_end())
    })?;
    for (i, entry) in seed.clients.iter().enumerate() {
        let (client, offset) = (entry.get_ref(), entry.span().start);
        if rules == Rules::Dev && DEMO_CLIENTS.contains(&client.id.as_str()) {
            let why = "is dev's demo client, which dev keeps as it made it; give yours another id";
            return Err(at.invalid(offset, format!("client `{}` {why}", client.id)));
        }
        if let Some(first) = seed.clients[..i].iter().find(|c| c.get_ref().id == client.id) {
            let first = at.locate(first.span().start);
            return Err(at.invalid(offset, format!("client `{}` is declared twice (first {first})", client.id)));
        }
        check_secret(client.secret.as_deref(), client.public, rules)
            .map_err(|why| at.invalid(offset, format!("client `{}`: {why}", client.id)))?;
    }
    for (i, entry) in seed.users.iter().enumerate() {
        let (user, offset) = (entry.get_ref(), entry.span().start);
        let invalid = |why: String| at.invalid(offset, format!("user `{}`: {why}", user.username));
        crate::username::check(&user.username).map_err(invalid)?;
        let key = crate::username::key(&user.username);
        if rules == Rules::Dev && key == crate::username::key(DEMO_USER) {
            return Err(invalid("is dev's demo user, which dev keeps as it made it; choose another name".into()));
        }
        if let Some(first) = seed.users[..i].iter().find(|u| crate::username::key(&u.get_ref().username) == key) {
            let first = at.locate(first.span().start);
            return Err(invalid(format!("declared twice (first {first})")));
        }
        match (&user.password, &user.password_hash) {
            (Some(_), Some(_)) => return Err(invalid("give password or password_hash, not both".into())),
            (Some(password), None) if password.is_empty() => return Err(invalid("the password is empty".into())),
            (None, Some(hash)) => check_password_hash(hash).map_err(invalid)?,
            _ => {}
        }
        for (name, value) in user.claims.iter().flat_map(|c| &c.0) {
            check_claim(name, value).map_err(invalid)?;
        }
    }
    for (name, entry) in &seed.scopes {
        let invalid = |why: String| at.invalid(entry.span().start, format!("scope `{name}`: {why}"));
        check_scope_name(name).map_err(invalid)?;
        for claim in &entry.get_ref().claims {
            check_claim_name(claim).map_err(invalid)?;
        }
    }
    for (name, entry) in &seed.presets {
        let invalid = |why: String| at.invalid(entry.span().start, format!("preset `{name}`: {why}"));
        if name.is_empty() || name.len() > 64 {
            return Err(invalid("its name must be 1 to 64 bytes".into()));
        }
        for (claim, value) in &entry.get_ref().0 {
            check_claim(claim, value).map_err(invalid)?;
        }
    }
    Ok(seed)
}

/// A confidential client needs a secret (long enough under `serve`); a public one has none.
fn check_secret(secret: Option<&str>, public: bool, rules: Rules) -> Result<(), String> {
    match (secret, public) {
        (Some(_), true) => Err("a public client has no secret; remove `secret` or `public`".into()),
        (None, true) => Ok(()),
        (None, false) => Err("a confidential client needs a `secret` (or set `public = true`)".into()),
        (Some(""), false) => Err("the secret is empty".into()),
        (Some(s), false) if rules == Rules::Serve && s.chars().count() < MIN_SECRET_LEN => Err(format!(
            "the secret has {} characters; `serve` needs at least {MIN_SECRET_LEN} (generate one with `openssl rand -base64 32`)",
            s.chars().count()
        )),
        (Some(_), false) => Ok(()),
    }
}

/// An argon2 PHC string, as `gatehouse` and most tools write them.
fn check_password_hash(hash: &str) -> Result<(), String> {
    match argon2::PasswordHash::new(hash) {
        Ok(parsed) if parsed.algorithm.as_str().starts_with("argon2") && parsed.hash.is_some() => Ok(()),
        Ok(_) | Err(_) => Err("password_hash must be an argon2 PHC string (`$argon2id$v=19$...`)".into()),
    }
}

/// A custom scope's name: a valid scope token (RFC 6749 §3.3) that is not one of
/// OpenID Connect's own.
fn check_scope_name(name: &str) -> Result<(), String> {
    if SUPPORTED.contains(&name) {
        return Err("this is one of OpenID Connect's own scopes; choose another name".into());
    }
    if name.len() > 64 || !is_scope_token(name) {
        return Err("a scope name is 1 to 64 printable ASCII characters without spaces, `\"` or `\\`".into());
    }
    Ok(())
}
