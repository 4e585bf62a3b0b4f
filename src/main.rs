//! The `gatehouse` binary: parse the command line, set up logging, run.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
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
