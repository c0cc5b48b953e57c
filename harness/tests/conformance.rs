//! The conformance suite against the reference service, on the process target
//! and, when the Docker engine is reachable, on the container target (the image
//! built from the same binary): `cargo test -p gauntlet-harness --test
//! conformance [-- FILTER]`. In CI (`CI=true`) an unreachable engine fails the
//! run instead of leaving the container target out.
//!
//! With `GAUNTLET_KUBE=<context>` (`current` for the current one) the kube target
//! runs too: the profile's manifests deployed with `GAUNTLET_KUBE_IMAGE` (default
//! `gauntlet-service:dev`), as `cargo xtask kind` does. Without it the kube target
//! is left out, and the `kube.*` checks are not applicable on the others.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use gauntlet::image::ImageSpec;
use gauntlet::target::{
    ContainerConfig, ContainerTarget, KubeConfig, KubeTarget, ProcessConfig, ProcessTarget,
};
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
    let profile = Profile::default();
    match std::env::var("GAUNTLET_KUBE") {
        Ok(_) if args.list => {}
        Ok(context) => {
            let context = (context != "current").then_some(context);
            let manifests =
                profile.manifests.clone().expect("the reference profile names manifests");
            let image =
                std::env::var("GAUNTLET_KUBE_IMAGE").unwrap_or("gauntlet-service:dev".into());
            let config = KubeConfig { image: Some(image), ..KubeConfig::new(context, manifests) };
            gauntlet::docker::handle_interrupts();
            targets.push(Arc::new(KubeTarget::start(&config).unwrap_or_else(|e| panic!("{e}"))));
        }
        Err(_) => eprintln!(
            "conformance: the kube target does not run here: not applicable: no cluster asked for \
             (GAUNTLET_KUBE=<context> runs it)"
        ),
    }
    let records = Arc::new(Mutex::new(Vec::new()));
    let trials: Vec<_> = targets
        .into_iter()
        .flat_map(|target| runner::trials(target, &checks::catalog(), &profile, &records))
        .collect();
    assert!(!trials.is_empty(), "the catalog is empty");
    let code = libtest_mimic::run(&args, trials).exit_code();
    gauntlet::docker::settle();
    code
}
