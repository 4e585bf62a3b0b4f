//! `gatehouse dev`: a provider for a developer's laptop, with no configuration: a
//! store in `.gatehouse/` (or in memory), a demo client and user, and everything a
//! relying party needs printed on every start.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use clap::Args as ClapArgs;

use super::{CliError, demo};
use crate::config::{Config, Overrides, is_loopback};
use crate::oauth::dev::DevMode;
use crate::store::{self, Store};

/// The folder `dev` keeps its store and the demo credentials in, in the working directory.
const DEV_DIR: &str = ".gatehouse";

/// The flags of `gatehouse dev`; each wins over its `GATEHOUSE_*` variable and the file.
#[derive(Debug, ClapArgs)]
pub struct DevArgs {
    /// Listen on this port of 127.0.0.1 (or of the configured address) [default: 8080].
    #[arg(long)]
    port: Option<u16>,
    /// Listen on this address; a non-loopback one needs --allow-remote.
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// The issuer identifier [default: http:// and the listen address].
    #[arg(long, value_name = "URL")]
    issuer: Option<String>,
    /// Keep everything in memory: nothing is written, and nothing is kept after exit.
    #[arg(long)]
    ephemeral: bool,
    /// Allow a non-loopback listen address or issuer (e.g. in a container); the demo
    /// credentials are then reachable from other machines.
    #[arg(long)]
    allow_remote: bool,
    /// Log this user in without a page for every authorization request (headless
    /// login); the user must exist.
    #[arg(long, value_name = "USER")]
    auto_login: Option<String>,
    /// Apply this seed file at start (clients, users, custom scopes, claim presets).
    #[arg(long, value_name = "FILE")]
    seed: Option<std::path::PathBuf>,
}

impl DevArgs {
    /// The flags that override the configuration; a non-loopback `--listen` without
    /// `--allow-remote` is refused here, before the configuration asks for an issuer.
    pub(super) fn overrides(&self) -> Result<Overrides, CliError> {
        if let Some(listen) = self.listen.filter(|l| !l.ip().is_loopback() && !self.allow_remote) {
            return Err(not_local(&format!("listen address {listen}")));
        }
        Ok(Overrides { listen: self.listen, port: self.port, issuer: self.issuer.clone() })
    }
}

/// Checks where `dev` would listen, opens its store, and serves with the demo data.
pub(super) async fn run(args: DevArgs, mut config: Config) -> Result<(), CliError> {
    check_local(&config, args.allow_remote)?;
    if config.database_url != crate::config::DEFAULT_DATABASE_URL {
        tracing::warn!("`dev` keeps its store in {DEV_DIR}/ and ignores the configured database_url");
    }
    let dir = Path::new(DEV_DIR);
    let (store, kept): (Arc<dyn Store>, Option<&Path>) = if args.ephemeral {
        config.database_url = "sqlite::memory:".into();
        (store::open_in_memory().await?, None)
    } else {
        create_private_dir(dir)?;
        config.database_url = format!("sqlite:{DEV_DIR}/gatehouse.db");
        (super::open_store(&config).await?, Some(dir))
    };
    if let Some(file) = args.seed.as_ref().or(config.seed.as_ref()) {
        let applied = super::apply_seed(store.as_ref(), file, crate::seed::Rules::Dev).await?;
        tracing::info!("dev: applied seed file {}: {applied}", file.display());
    }
    let demo_store = store.clone();
    let auto_login = args.auto_login.clone();
    let dev = DevMode { auto_login: args.auto_login };
    super::serve::run_on(config, store, Some(dev), async move |config: &Config| {
        let demo = demo::ensure(demo_store.as_ref(), kept).await?;
        if let Some(name) = &auto_login {
            check_auto_login(demo_store.as_ref(), name).await?;
        }
        tracing::info!(
            "dev mode: a login_hint naming a user logs them in without a page; the login page takes any \
             username (a new one becomes a user) and claims as JSON; every page shows a dev banner"
        );
        tracing::info!(
            "dev mode: the test fixture's control API is at {}/_dev/ (users, clients, clock; JSON only)",
            config.issuer.as_str().trim_end_matches('/')
        );
        demo.print(&config.issuer);
        Ok(())
    })
    .await
}

/// `--auto-login USER` needs an existing, enabled user.
async fn check_auto_login(store: &dyn Store, name: &str) -> Result<(), CliError> {
    match store.find_user_by_username(name).await? {
        Some(user) if crate::oauth::is_active(&user) => Ok(()),
        Some(_) => Err(CliError::usage(format!("--auto-login: the user {name} is disabled"))),
        None => Err(CliError::usage(format!("--auto-login: there is no user named {name}"))),
    }
}

/// Refuses a listen address or issuer other machines could reach, unless the
/// developer asked for it; then warns on every start.
fn check_local(config: &Config, allow_remote: bool) -> Result<(), CliError> {
    let issuer_is_local = url::Url::parse(config.issuer.as_str()).is_ok_and(|url| is_loopback(&url));
    let remote = match (config.listen.ip().is_loopback(), issuer_is_local) {
        (true, true) => return Ok(()),
        (false, _) => format!("listen address {}", config.listen),
        (true, false) => format!("issuer {}", config.issuer),
    };
    if !allow_remote {
        return Err(not_local(&remote));
    }
    eprintln!(
        "warning: --allow-remote: the {remote} is not loopback; other machines can log in with the demo credentials"
    );
    Ok(())
}

fn not_local(what: &str) -> CliError {
    CliError::usage(format!(
        "`gatehouse dev` serves only this machine, but the {what} is not loopback; \
         add --allow-remote if other machines must reach it (they can then use the demo credentials)"
    ))
}

/// Creates `dir` readable by its owner only (it holds the signing keys and the demo
/// secret); an existing one is used as it is.
fn create_private_dir(dir: &Path) -> Result<(), CliError> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(CliError::usage(format!("cannot create {}: {e}", dir.display()))),
    }
}
