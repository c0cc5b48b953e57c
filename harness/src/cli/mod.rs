//! The `gauntlet` subcommands, one module each, and the one place their
//! outcomes become exit codes: 0 green, 1 a check or finding failed, 2 a usage
//! or configuration error that names what is wrong.

pub mod compare;
pub mod dockerfile;
pub mod gpu;
pub mod image;
pub mod init;
pub mod list;
pub mod manifests;
pub mod run;
pub mod secrets;

use std::path::Path;
use std::process::ExitCode;

/// Why a subcommand did not end green.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag, a setting or an input is wrong or unreadable: exit code 2.
    #[error("{0}")]
    Usage(String),
    /// The work ran and found a failure, or could not be done: exit code 1.
    /// Empty when the output already said what failed.
    #[error("{0}")]
    Failed(String),
}

/// What a subcommand returns.
pub type Result = std::result::Result<(), Error>;

impl From<gauntlet::target::Error> for Error {
    fn from(e: gauntlet::target::Error) -> Self {
        if e.is_usage() { Self::Usage(e.to_string()) } else { Self::Failed(e.to_string()) }
    }
}

/// The exit code for `result`, with its message on stderr.
pub fn exit_code(result: Result) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Usage(why)) => {
            eprintln!("gauntlet: {why}");
            ExitCode::from(2)
        }
        Err(Error::Failed(why)) => {
            if !why.is_empty() {
                eprintln!("gauntlet: {why}");
            }
            ExitCode::from(1)
        }
    }
}

/// Writes `text` to stdout; a closed pipe (`gauntlet list | head`) is not an
/// error worth a panic.
pub fn print(text: &str) {
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
}

/// A report the user asked for (or not): where to write it, the flag that
/// named the place, and how to render it.
pub type Report<'a> = (Option<&'a Path>, &'a str, &'a dyn Fn() -> String);

/// Writes each requested report; a path that cannot be written is a usage
/// error naming the flag.
pub fn write_reports(reports: &[Report<'_>]) -> Result {
    for (path, flag, render) in reports {
        let Some(path) = path else { continue };
        std::fs::write(path, render())
            .map_err(|e| Error::Usage(format!("{flag} {}: {e}", path.display())))?;
    }
    Ok(())
}

/// `Err(Failed(""))` when `failed`: the output already said what.
pub fn failed_if(failed: bool) -> Result {
    if failed { Err(Error::Failed(String::new())) } else { Ok(()) }
}
