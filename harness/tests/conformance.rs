//! The conformance suite against the reference service on the process target:
//! `cargo test -p gauntlet-harness --test conformance [-- FILTER]`.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use gauntlet::target::{ProcessConfig, ProcessTarget};
use gauntlet::{Profile, checks, runner};

fn main() -> ExitCode {
    let args = libtest_mimic::Arguments::from_args();
    let config = ProcessConfig::locate().unwrap_or_else(|e| panic!("{e}"));
    let target = Arc::new(ProcessTarget::start(&config).unwrap_or_else(|e| panic!("{e}")));
    let records = Arc::new(Mutex::new(Vec::new()));
    let trials = runner::trials(target, &checks::catalog(), &Profile::default(), &records);
    assert!(!trials.is_empty(), "the catalog is empty");
    libtest_mimic::run(&args, trials).exit_code()
}
