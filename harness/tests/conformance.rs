//! The conformance suite against the reference service, on the process target
//! and, when the Docker engine is reachable, on the container target (the image
//! built from the same binary): `cargo test -p gauntlet-harness --test
//! conformance [-- FILTER]`. In CI (`CI=true`) an unreachable engine fails the
//! run instead of leaving the container target out.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use gauntlet::image::ImageSpec;
use gauntlet::target::{ContainerConfig, ContainerTarget, ProcessConfig, ProcessTarget};
use gauntlet::{Profile, Target, checks, runner};

fn main() -> ExitCode {
    // SAFETY: the first thing main does: no other thread runs yet.
    let engine = unsafe { gauntlet::docker::prepare() };
    let args = libtest_mimic::Arguments::from_args();
    let config = ProcessConfig::locate().unwrap_or_else(|e| panic!("{e}"));
    let mut targets: Vec<Arc<dyn Target>> =
        vec![Arc::new(ProcessTarget::start(&config).unwrap_or_else(|e| panic!("{e}")))];
    match engine {
        Ok(_) if args.list => {}
        Ok(_) => {
            let spec = ImageSpec::for_checkout(config.binary.clone(), config.model_dir.clone());
            gauntlet::image::build(&spec).unwrap_or_else(|e| panic!("building the image: {e}"));
            let container = ContainerTarget::start(&ContainerConfig::default())
                .unwrap_or_else(|e| panic!("{e}"));
            targets.push(Arc::new(container));
        }
        Err(why) if gauntlet::docker::in_ci() => panic!("CI=true and {why}"),
        Err(why) => eprintln!("conformance: the container target does not run here: {why}"),
    }
    let records = Arc::new(Mutex::new(Vec::new()));
    let profile = Profile::default();
    let trials: Vec<_> = targets
        .into_iter()
        .flat_map(|target| runner::trials(target, &checks::catalog(), &profile, &records))
        .collect();
    assert!(!trials.is_empty(), "the catalog is empty");
    let code = libtest_mimic::run(&args, trials).exit_code();
    gauntlet::docker::settle();
    code
}
