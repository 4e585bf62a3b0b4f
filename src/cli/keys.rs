//! `gatehouse keys list|rotate`.

use clap::Subcommand;

use super::{CliError, time_text};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::keys::{self, Alg, Keyring};
use crate::store::Store;

/// Signing-key administration.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List the signing keys with their state and schedule.
    List,
    /// Schedule the next key to sign once relying parties have had time to fetch it,
    /// retire the active key from then, and publish a new next key.
    Rotate {
        /// Rotate only this algorithm (RS256, ES256 or EdDSA); repeat for several
        /// [default: every configured algorithm].
        #[arg(long = "alg", value_name = "ALG")]
        algs: Vec<String>,
    },
}

pub(super) async fn run(cmd: KeysCommand, config: &Config, store: &dyn Store) -> Result<(), CliError> {
    let now = SystemClock.now();
    // Opening every stored key first checks the key-encryption key before anything is
    // written (a wrong one must not seal keys nobody can open).
    let ring = Keyring::load(store, config.kek.clone(), now).await?;
    let timing = config.key_timing();
    match cmd {
        KeysCommand::List => {
            let set = ring.current();
            println!(
                "{:<44} {:<6} {:<8} {:<20} {:<20} {:<20}",
                "KID", "ALG", "STATE", "CREATED", "ACTIVATES", "RETIRES"
            );
            let rows = store.list_keys().await?;
            for key in set.iter() {
                let row = rows.iter().find(|r| r.kid == key.kid());
                println!(
                    "{:<44} {:<6} {:<8} {:<20} {:<20} {:<20}",
                    key.kid(),
                    key.alg().as_str(),
                    set.state(key, now, timing.retention()).as_str(),
                    row.map_or_else(|| "-".into(), |r| time_text(Some(r.created_at))),
                    time_text(key.activates_at()),
                    time_text(key.retires_at()),
                );
            }
            Ok(())
        }
        KeysCommand::Rotate { algs } => {
            keys::bootstrap(store, &config.algorithms, config.kek.as_ref(), now).await?;
            let algs = if algs.is_empty() {
                config.algorithms.clone()
            } else {
                algs.iter()
                    .map(|name| match Alg::parse(name) {
                        Some(alg) if config.algorithms.contains(&alg) => Ok(alg),
                        Some(alg) => Err(CliError::usage(format!("{alg} is not in keys.algorithms"))),
                        None => Err(CliError::usage(format!("unknown algorithm `{name}`: use RS256, ES256 or EdDSA"))),
                    })
                    .collect::<Result<Vec<_>, _>>()?
            };
            for alg in algs {
                match keys::rotate(store, alg, config.kek.as_ref(), timing, now, None).await? {
                    Some(rotation) => println!(
                        "{alg}: key {} signs from {} (in {} s); the key before it retires then",
                        rotation.kid,
                        time_text(Some(rotation.activates_at)),
                        rotation.activates_at - now
                    ),
                    None => println!("{alg}: published a next key; rotate again to schedule it"),
                }
            }
            Ok(())
        }
    }
}
