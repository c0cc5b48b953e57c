//! `gauntlet`: list the check catalog, run it against a target, build the
//! service image, scan files, images, Dockerfiles and manifests, or report this
//! host's GPUs. Each subcommand is a module of `cli`; this file only declares
//! the command line and turns each outcome into an exit code.
//!
//! Exit codes: 0 when every MUST check passed, 1 when one failed, 2 for usage
//! and configuration errors.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    List(cli::list::Args),
    /// Run the checks against a target.
    Run(cli::run::Args),
    /// Hold one run's JSON report against another's: figures, tolerances, changed checks.
    Compare(cli::compare::Args),
    /// Validate Kubernetes manifests offline: schemas, k8s-openapi types, policy rules.
    Manifests(cli::manifests::Args),
    /// Scan files, or an image's layers, for private keys, tokens and passwords.
    Secrets(cli::secrets::Args),
    /// Check Dockerfiles against the rules that matter for images built from scratch.
    Dockerfile(cli::dockerfile::Args),
    /// Print this host's NVML report as JSON (the shape of a service's `/gpu`, and
    /// of the `report` in `fixtures/gpu/`); exit 0 when NVML names at least one
    /// GPU with its driver, CUDA version and UUIDs, 1 when not, with the reason.
    Gpu,
    /// Build the service image FROM scratch (manifests/Dockerfile) and print its id and size.
    Image(cli::image::Args),
    /// Write the starter files into a repository: a profile, a CI workflow, a .gauntlet/ folder.
    Init(cli::init::Args),
}

fn main() -> ExitCode {
    let command = Cli::parse().command;
    if let Command::Run(args) = &command
        && args.uses_testcontainers()
        && let Some(code) = gauntlet::docker::behind_shim()
    {
        return code;
    }
    let result = match command {
        Command::List(args) => cli::list::run(&args),
        Command::Run(args) => cli::run::run(args),
        Command::Compare(args) => cli::compare::run(&args),
        Command::Manifests(args) => cli::manifests::run(args),
        Command::Secrets(args) => cli::secrets::run(&args),
        Command::Dockerfile(args) => cli::dockerfile::run(&args),
        Command::Gpu => cli::gpu::run(),
        Command::Image(args) => cli::image::run(args),
        Command::Init(args) => cli::init::run(&args),
    };
    let code = cli::exit_code(result);
    gauntlet::run::settle();
    code
}
