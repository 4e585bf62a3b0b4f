//! `gatehouse user add|list|passwd|disable|enable|remove|sessions|logout|consents|revoke-consent`.

use clap::{Args as ClapArgs, Subcommand};
use serde_json::{Map, Value};

use super::{CliError, read_password};
use crate::clock::{Clock, SystemClock};
use crate::oauth::claims;
use crate::store::{Store, StoreError, User};

/// User administration. Passwords are read from stdin or a prompt, never from arguments.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from stdin, or prompted for on a terminal.
    Add {
        /// The login name (unique, case-insensitively).
        username: String,
        /// Standard claims.
        #[command(flatten)]
        claims: ClaimArgs,
    },
    /// List users.
    List,
    /// Set a user's password (read from stdin, or prompted for on a terminal).
    Passwd {
        /// The login name.
        username: String,
    },
    /// Stop a user from logging in (and, once refresh tokens exist, from refreshing).
    Disable {
        /// The login name.
        username: String,
    },
    /// Let a disabled user log in again.
    Enable {
        /// The login name.
        username: String,
    },
    /// Remove a user and every session, grant and token of theirs.
    Remove {
        /// The login name.
        username: String,
    },
    /// List a user's live browser sessions.
    Sessions {
        /// The login name.
        username: String,
    },
    /// Log a user out everywhere: end every browser session of theirs and every grant
    /// (refresh-token families, offline ones included, and access tokens).
    Logout {
        /// The login name.
        username: String,
    },
    /// List the third-party clients a user has consented to, and the scopes.
    Consents {
        /// The login name.
        username: String,
    },
    /// Withdraw a user's consent to a client; this also ends every grant of theirs for
    /// that client (refresh-token families and access tokens).
    RevokeConsent {
        /// The login name.
        username: String,
        /// The client_id.
        client: String,
    },
}

/// The common standard claims as options, and any other as `--claim name=value`.
#[derive(Debug, ClapArgs)]
pub struct ClaimArgs {
    /// `email`
    #[arg(long)]
    email: Option<String>,
    /// Mark the email address as verified (`email_verified: true`).
    #[arg(long)]
    email_verified: bool,
    /// `name`, the full name.
    #[arg(long)]
    name: Option<String>,
    /// `given_name`
    #[arg(long)]
    given_name: Option<String>,
    /// `family_name`
    #[arg(long)]
    family_name: Option<String>,
    /// `phone_number`
    #[arg(long)]
    phone_number: Option<String>,
    /// Mark the phone number as verified (`phone_number_verified: true`).
    #[arg(long)]
    phone_number_verified: bool,
    /// Any standard claim (OpenID Connect Core §5.1) as NAME=VALUE, e.g.
    /// `locale=en-GB` or `address={"locality":"Paris"}`; repeat for several.
    #[arg(long = "claim", value_name = "NAME=VALUE")]
    other: Vec<String>,
}

impl ClaimArgs {
    /// The claims as a JSON object with spec types, or what is wrong with them.
    fn into_claims(self) -> Result<Map<String, Value>, CliError> {
        let mut pairs: Vec<(String, String)> = [
            ("email", self.email),
            ("name", self.name),
            ("given_name", self.given_name),
            ("family_name", self.family_name),
            ("phone_number", self.phone_number),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
        .collect();
        if self.email_verified {
            pairs.push(("email_verified".into(), "true".into()));
        }
        if self.phone_number_verified {
            pairs.push(("phone_number_verified".into(), "true".into()));
        }
        for item in self.other {
            let (k, v) =
                item.split_once('=').ok_or_else(|| CliError::usage(format!("--claim `{item}` must be NAME=VALUE")))?;
            pairs.push((k.to_owned(), v.to_owned()));
        }
        let mut map = Map::new();
        for (name, text) in pairs {
            let value = claims::parse_value(&name, &text).map_err(CliError::Usage)?;
            if map.insert(name.clone(), value).is_some() {
                return Err(CliError::usage(format!("claim `{name}` is given twice")));
            }
        }
        Ok(map)
    }
}

pub(super) async fn run(cmd: UserCommand, store: &dyn Store) -> Result<(), CliError> {
    let now = SystemClock.now();
    match cmd {
        UserCommand::Add { username, claims } => {
            crate::username::check(&username).map_err(CliError::Usage)?;
            let claims = claims.into_claims()?;
            if store.find_user_by_username(&username).await?.is_some() {
                return Err(taken(&username));
            }
            check_not_a_look_alike(store, &username).await?;
            let password_hash = new_password_hash().await?;
            let user = User {
                id: uuid::Uuid::new_v4().to_string(),
                username: username.clone(),
                password_hash,
                disabled: false,
                claims,
                created_at: now,
                updated_at: now,
            };
            store.insert_user(&user).await.map_err(|e| match e {
                StoreError::Conflict => taken(&username),
                other => other.into(),
            })?;
            println!("added user {username} (sub {})", user.id);
            Ok(())
        }
        UserCommand::List => {
            let users = store.list_users().await?;
            if users.is_empty() {
                eprintln!("no users; add one with `gatehouse user add NAME`");
            }
            for u in users {
                let state = if u.disabled { "disabled" } else { "active" };
                let email = u.claims.get("email").and_then(Value::as_str).unwrap_or("");
                println!("{}\t{}\t{}\t{}", u.username, u.id, state, email);
            }
            Ok(())
        }
        UserCommand::Passwd { username } => {
            if store.find_user_by_username(&username).await?.is_none() {
                return Err(unknown(&username));
            }
            let hash = new_password_hash().await?;
            if !store.set_password(&username, &hash, now).await? {
                return Err(unknown(&username));
            }
            println!("password changed for {username}");
            Ok(())
        }
        UserCommand::Disable { username } => set_disabled(store, &username, true, now).await,
        UserCommand::Enable { username } => set_disabled(store, &username, false, now).await,
        UserCommand::Remove { username } => {
            if !store.delete_user(&username).await? {
                return Err(unknown(&username));
            }
            println!("removed user {username}");
            Ok(())
        }
        UserCommand::Sessions { username } => {
            let user = find(store, &username).await?;
            let sessions = store.list_user_sessions(&user.id, now).await?;
            if sessions.is_empty() {
                eprintln!("{username} has no live session");
            }
            for s in sessions {
                let (logged_in, idle, end) = (s.auth_time, s.idle_expires_at, s.expires_at);
                let [logged_in, idle, end] = [logged_in, idle, end].map(|t| super::time_text(Some(t)));
                println!("{}\tlogged in {logged_in}\tends {idle} unless used, {end} at the latest", s.sid);
            }
            Ok(())
        }
        UserCommand::Logout { username } => {
            let user = find(store, &username).await?;
            let ended = store.end_user_sessions(&user.id, now).await?;
            println!(
                "logged out {username}: {} sessions ended, {} grants revoked (with their refresh and access tokens)",
                ended.sessions, ended.grants
            );
            Ok(())
        }
        UserCommand::Consents { username } => {
            let user = find(store, &username).await?;
            let consents = store.list_consents(&user.id).await?;
            if consents.is_empty() {
                eprintln!("{username} has consented to no third-party client");
            }
            for c in consents {
                println!("{}\t{}\tsince {}", c.client_id, c.scope, super::time_text(Some(c.updated_at)));
            }
            Ok(())
        }
        UserCommand::RevokeConsent { username, client } => {
            let user = find(store, &username).await?;
            let (had, revoked) = store.revoke_consent(&user.id, &client, now).await?;
            if !had && revoked == 0 {
                return Err(CliError::usage(format!("{username} has no consent to withdraw from client `{client}`")));
            }
            println!(
                "withdrew {username}'s consent to {client}: {revoked} grants revoked (with their refresh and access tokens)"
            );
            Ok(())
        }
    }
}

/// The user named `username`, or the error that says there is none.
async fn find(store: &dyn Store, username: &str) -> Result<User, CliError> {
    store.find_user_by_username(username).await?.ok_or_else(|| unknown(username))
}

async fn set_disabled(store: &dyn Store, username: &str, disabled: bool, now: i64) -> Result<(), CliError> {
    if !store.set_disabled(username, disabled, now).await? {
        return Err(unknown(username));
    }
    println!("{} user {username}", if disabled { "disabled" } else { "enabled" });
    Ok(())
}

/// Reads and hashes a new password; an empty one is refused before anything is stored.
async fn new_password_hash() -> Result<String, CliError> {
    let password = read_password("Password: ")?;
    crate::password::hash(password).await.map_err(|e| CliError::usage(e.to_string()))
}

/// Refuses a name a person could not tell from an existing user's.
async fn check_not_a_look_alike(store: &dyn Store, username: &str) -> Result<(), CliError> {
    match crate::oauth::look_alike(store, username).await? {
        Some(existing) => Err(CliError::usage(format!(
            "username `{username}` looks like the existing user `{}`; choose a name people can tell apart",
            existing.username
        ))),
        None => Ok(()),
    }
}

fn unknown(username: &str) -> CliError {
    CliError::usage(format!("unknown user `{username}`"))
}

fn taken(username: &str) -> CliError {
    CliError::usage(format!("username `{username}` is already taken"))
}
