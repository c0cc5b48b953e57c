//! `gauntlet-service`: `serve` the embedding API, `probe` a URL (for `FROM scratch`
//! healthchecks) or print the `gpu` report.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use gauntlet_service::config::{ServeConfig, parse_duration};
use gauntlet_service::{gpu, logging, probe, serve};

/// The gauntlet reference embedding service.
#[derive(Debug, Parser)]
#[command(name = "gauntlet-service", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the embedding API.
    Serve(Box<ServeConfig>),
    /// GET a URL: exit 0 on a 2xx answer, 1 otherwise.
    Probe {
        /// The URL, e.g. http://127.0.0.1:8080/health/ready.
        url: String,
        /// Give up after this long.
        #[arg(long, default_value = "3s", value_parser = parse_duration)]
        timeout: Duration,
    },
    /// Print the NVML GPU report as JSON.
    Gpu,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(config) => {
            logging::init(config.log_format);
            let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(e) => {
                    tracing::error!(error = %e, "cannot start the async runtime");
                    return ExitCode::from(1);
                }
            };
            match runtime.block_on(serve::run(*config)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!(error = %e, "gauntlet-service stopped");
                    eprintln!("gauntlet-service: {e}");
                    ExitCode::from(e.exit_code())
                }
            }
        }
        Command::Probe { url, timeout } => match probe::status(&url, timeout) {
            Ok(code) if (200..300).contains(&code) => ExitCode::SUCCESS,
            Ok(code) => {
                eprintln!("probe: {url} answered {code}");
                ExitCode::from(1)
            }
            Err(e) => {
                eprintln!("probe: {e}");
                ExitCode::from(1)
            }
        },
        Command::Gpu => {
            let report = gpu::report();
            println!("{}", serde_json::to_string_pretty(&report).expect("the report serializes"));
            ExitCode::SUCCESS
        }
    }
}
