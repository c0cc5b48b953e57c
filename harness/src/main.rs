//! `gauntlet`: list the check catalog, or run it against a target.
//!
//! Exit codes: 0 when every MUST check passed, 1 when one failed, 2 for usage
//! and configuration errors.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use clap::{Parser, Subcommand};
use gauntlet::target::{self, ProcessConfig, ProcessTarget, UrlTarget};
use gauntlet::{Profile, Target, checks, report, runner};

/// Conformance suite for inference services.
#[derive(Debug, Parser)]
#[command(name = "gauntlet", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the check catalog.
    List {
        /// Print it as the Markdown of CHECKS.md.
        #[arg(long)]
        markdown: bool,
    },
    /// Run the checks against a target.
    Run {
        /// `process` (start gauntlet-service here) or `url=<base URL>`.
        #[arg(long)]
        target: String,
        /// A built-in profile (reference, openai-compatible) or a YAML file.
        #[arg(long, default_value = "reference")]
        profile: String,
        /// Write the JSON report here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write the JUnit XML report here.
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Write the Markdown summary here (e.g. $GITHUB_STEP_SUMMARY).
        #[arg(long)]
        markdown: Option<PathBuf>,
        /// libtest arguments: a filter, `--exact`, `--skip`, `--list`, `--test-threads`.
        #[arg(last = true)]
        libtest: Vec<String>,
    },
}

/// The catalog as aligned columns: id, level, needs, description.
fn listing() -> String {
    checks::catalog()
        .iter()
        .map(|c| {
            let needs: Vec<String> = c.needs.iter().map(ToString::to_string).collect();
            format!(
                "{:<28} {:<6} {:<40} {}\n",
                c.id,
                c.level.name(),
                needs.join(","),
                c.description
            )
        })
        .collect()
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::List { markdown } => {
            let text = if markdown { checks::markdown() } else { listing() };
            // A closed pipe (`gauntlet list | head`) is not an error worth a panic.
            let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
            ExitCode::SUCCESS
        }
        Command::Run { target, profile, json, junit, markdown, libtest } => {
            let profile = match Profile::load(&profile) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("gauntlet: {e}");
                    return ExitCode::from(2);
                }
            };
            let target: Arc<dyn Target> = match open(&target) {
                Ok(t) => t,
                Err(target::Error::Config(e)) => {
                    eprintln!("gauntlet: {e}");
                    return ExitCode::from(2);
                }
                Err(e) => {
                    eprintln!("gauntlet: {e}");
                    return ExitCode::from(1);
                }
            };
            let args = libtest_mimic::Arguments::from_iter(
                std::iter::once("gauntlet".to_owned()).chain(libtest),
            );
            let records = Arc::new(Mutex::new(Vec::new()));
            let conclusion = libtest_mimic::run(
                &args,
                runner::trials(target.clone(), &checks::catalog(), &profile, &records),
            );
            let outputs: [(Option<PathBuf>, &str, report::Render); 3] = [
                (json, "--json", report::json),
                (junit, "--junit", report::junit),
                (markdown, "--markdown", report::markdown),
            ];
            for (path, flag, render) in outputs {
                let Some(path) = path else { continue };
                if let Err(e) = std::fs::write(&path, render(target.name(), &records)) {
                    eprintln!("gauntlet: {flag} {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
            if conclusion.has_failed() { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
    }
}

fn open(spec: &str) -> target::Result<Arc<dyn Target>> {
    match spec.split_once('=') {
        None if spec == "process" => Ok(Arc::new(ProcessTarget::start(&ProcessConfig::locate()?)?)),
        Some(("url", base)) => Ok(Arc::new(UrlTarget::connect(base)?)),
        _ => Err(target::Error::Config(format!(
            "--target {spec}: unknown target (use `process` or `url=<base URL>`)"
        ))),
    }
}
