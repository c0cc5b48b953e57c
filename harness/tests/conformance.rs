//! The conformance suite against the reference service, on the process target
//! and, when the Docker engine is reachable, on the container target (the image
//! built from the same binary): `cargo test -p gauntlet-harness --test
//! conformance [-- FILTER]`. In CI (`CI=true`) an unreachable engine fails the
//! run instead of leaving the container target out.
//!
//! Like `gauntlet run`, a run in which no check passed or failed (every one not
//! applicable, or a filter that matched none) fails: it verified nothing.
//! `GAUNTLET_ALLOW_EMPTY=1` accepts that, as `--allow-empty` does.
//!
//! With `GAUNTLET_KUBE=<context>` (`current` for the current one) the kube target
//! runs too: the profile's manifests deployed with `GAUNTLET_KUBE_IMAGE` (default
//! `gauntlet-service:dev`), as `cargo xtask kind` does. Without it the kube target
//! is left out, and the `kube.*` checks are not applicable on the others.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use gauntlet::image::ImageSpec;
use gauntlet::target::{OpenOptions, ProcessConfig, Spec};
use gauntlet::{Profile, checks, runner};

fn main() -> ExitCode {
    if let Some(code) = gauntlet::docker::behind_shim() {
        return code;
    }
    let args = libtest_mimic::Arguments::from_args();
    // A built-in profile's paths are relative to the current directory; tests run in harness/.
    let profile = Profile::default()
        .resolved_against(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    let mut specs = vec![Spec::Process];
    match gauntlet::docker::connect() {
        Ok(_) if args.list => {}
        Ok(_) => {
            // The image of the binary under test, not one an earlier build left.
            let config = ProcessConfig::locate().unwrap_or_else(|e| panic!("{e}"));
            let image = ImageSpec::for_checkout(config.binary, config.model_dir)
                .unwrap_or_else(|e| panic!("{e}"));
            gauntlet::image::build(&image).unwrap_or_else(|e| panic!("building the image: {e}"));
            specs.push(Spec::Container(None));
        }
        Err(why) if gauntlet::run::in_ci() => panic!("CI=true and {why}"),
        Err(why) => eprintln!("conformance: the container target does not run here: {why}"),
    }
    match std::env::var("GAUNTLET_KUBE") {
        Ok(_) if args.list => {}
        Ok(context) => specs.push(Spec::Kube((context != "current").then_some(context))),
        Err(_) => eprintln!(
            "conformance: the kube target does not run here: not applicable: no cluster asked for \
             (GAUNTLET_KUBE=<context> runs it)"
        ),
    }
    let options = OpenOptions {
        image: Some(std::env::var("GAUNTLET_KUBE_IMAGE").unwrap_or("gauntlet-service:dev".into())),
        gpus: false,
    };
    let records = Arc::new(Mutex::new(Vec::new()));
    let trials: Vec<_> = specs
        .iter()
        .map(|spec| spec.open(&profile, &options).unwrap_or_else(|e| panic!("{spec}: {e}")))
        .flat_map(|target| runner::trials(target, &checks::catalog(), &profile, &records))
        .collect();
    assert!(!trials.is_empty(), "the catalog is empty");
    let listing = args.list;
    let code = libtest_mimic::run(&args, trials).exit_code();
    gauntlet::run::settle();
    let verdict = runner::Verdict::of(&records);
    if listing {
        return code;
    }
    eprint!("{}", verdict.summary());
    if verdict.verified_nothing() && std::env::var_os("GAUNTLET_ALLOW_EMPTY").is_none() {
        eprintln!(
            "conformance: exit 1 because the run verified nothing (GAUNTLET_ALLOW_EMPTY=1 accepts that)"
        );
        return ExitCode::FAILURE;
    }
    code
}
