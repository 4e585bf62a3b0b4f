//! The command line: `serve`, `dev`, `migrate`, and the admin commands, which work on
//! the same store as the server.

mod client;
mod demo;
mod dev;
mod keys;
mod serve;
mod user;

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::config::{Config, ConfigError};
use crate::store::{self, Store, StoreError};

/// gatehouse: an OpenID Connect Provider in one binary.
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, about)]
pub struct Args {
    /// Configuration file (TOML); default: gatehouse.toml in the working directory, if present.
    /// `GATEHOUSE_*` environment variables override it.
    #[arg(long, short, global = true, env = "GATEHOUSE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the provider.
    Serve,
    /// Run a provider for development: no configuration, a store in .gatehouse/, a
    /// demo client and user; prints what a relying party needs.
    Dev(dev::DevArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage relying parties.
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Manage users.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Apply seed files.
    #[command(subcommand)]
    Seed(SeedCommand),
}

/// Seed files: clients, users, custom scopes and claim presets declared in TOML.
#[derive(Debug, clap::Subcommand)]
pub enum SeedCommand {
    /// Make what FILE declares true in the configured store, all of it or (on any
    /// error) nothing; what it does not mention is left alone.
    Apply {
        /// The seed file.
        file: std::path::PathBuf,
    },
}

/// Why a command failed; shown to the operator as `error: …`.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The store failed.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// Signing keys could not be loaded or created.
    #[error(transparent)]
    Keys(#[from] crate::keys::KeyError),
    /// Reading input or writing output failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The operator asked for something that cannot be done.
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }
}

/// Runs a parsed command line.
pub async fn run(args: Args) -> Result<(), CliError> {
    let overrides = match &args.command {
        Command::Dev(dev) => dev.overrides()?,
        _ => crate::config::Overrides::default(),
    };
    let (config, unknown_env) = Config::load_with(args.config.as_deref(), std::env::vars(), &overrides)?;
    for var in unknown_env {
        tracing::warn!("ignoring unknown environment variable {var}");
    }
    match args.command {
        Command::Serve => serve::run(config).await,
        Command::Dev(dev) => dev::run(dev, config).await,
        Command::Migrate => {
            open_store(&config).await?;
            println!("database is up to date: {}", redact_url(&config.database_url));
            Ok(())
        }
        Command::Client(cmd) => client::run(cmd, &config, open_store(&config).await?.as_ref()).await,
        Command::Keys(cmd) => keys::run(cmd, &config, open_store(&config).await?.as_ref()).await,
        Command::User(cmd) => user::run(cmd, open_store(&config).await?.as_ref()).await,
        Command::Seed(SeedCommand::Apply { file }) => {
            let store = open_store(&config).await?;
            let applied = apply_seed(store.as_ref(), &file, crate::seed::Rules::Serve).await?;
            println!("applied {}: {applied}", file.display());
            Ok(())
        }
    }
}

/// Applies a seed file now.
async fn apply_seed(
    store: &dyn Store,
    file: &std::path::Path,
    rules: crate::seed::Rules,
) -> Result<crate::seed::Applied, CliError> {
    let now = crate::clock::Clock::now(&crate::clock::SystemClock);
    crate::seed::apply_file(store, file, rules, now).await.map_err(|e| CliError::usage(e.to_string()))
}

/// Opens the configured store and applies migrations.
async fn open_store(config: &Config) -> Result<Arc<dyn Store>, CliError> {
    store::open(&config.database_url).await.map_err(|e| match e {
        StoreError::Database(inner) => {
            CliError::usage(format!("cannot open the database {}: {inner}", redact_url(&config.database_url)))
        }
        other => other.into(),
    })
}

pub use crate::config::redact_url;

/// A time as RFC 3339 text, or `-` for none.
fn time_text(t: Option<crate::clock::UnixTime>) -> String {
    t.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| "-".into())
}

/// Reads a secret: from a prompt (asked twice) when stdin is a terminal, otherwise
/// one line from stdin. Never from the command line, where it would end up in
/// shell history and process listings.
fn read_password(prompt: &str) -> Result<String, CliError> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(prompt)?;
        let again = rpassword::prompt_password("Repeat it: ")?;
        if first != again {
            return Err(CliError::usage("the passwords do not match"));
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData => CliError::usage("the password must be valid UTF-8"),
        _ => e.into(),
    })?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    Ok(password.strip_suffix('\r').unwrap_or(password).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(redact_url("postgres://u:secret@db/x"), "postgres://u:***@db/x");
        assert_eq!(redact_url("sqlite:gatehouse.db"), "sqlite:gatehouse.db");
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Args::command().debug_assert();
    }
}
