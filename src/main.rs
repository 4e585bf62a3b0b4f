//! The `gatehouse` binary: parse the command line, set up logging, run.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    return_freed_memory();
    if let Err(e) = init_logging() {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let args = gatehouse::cli::Args::parse();
    match gatehouse::cli::run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Makes the allocator give large blocks back to the system as soon as they are freed.
///
/// Every password check works in 19 MiB (argon2id). glibc serves a block that size
/// with its own mapping, but after the first is freed it raises that threshold and
/// keeps later ones in per-thread arenas: a burst of failed logins, which anyone can
/// send, would leave the process holding hundreds of MiB. A fixed threshold turns the
/// adjustment off, so each block is mapped and unmapped with its check.
fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const THRESHOLD: libc::c_int = 256 * 1024;
        // SAFETY: mallopt only sets an allocator parameter; it is called once, before
        // any other thread exists, with a documented option and a valid value.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, THRESHOLD);
        }
    }
}

/// Logs go to stderr; `GATEHOUSE_LOG` sets the filter (default `info`), e.g. `gatehouse=debug,info`.
fn init_logging() -> Result<(), String> {
    let filter = match std::env::var("GATEHOUSE_LOG") {
        Ok(spec) => spec.parse::<tracing_subscriber::filter::Targets>().map_err(|e| {
            format!("invalid configuration: GATEHOUSE_LOG must be a log filter such as `info` or `gatehouse=debug,warn` ({e})")
        })?,
        Err(_) => tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO),
    };
    use std::io::IsTerminal;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let stderr_is_terminal = std::io::stderr().is_terminal();
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(stderr_is_terminal))
        .with(filter)
        .init();
    Ok(())
}
