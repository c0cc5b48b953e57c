//! Tier 4 of the integration tests: the real Docker engine. The container
//! target's housekeeping (`containers`), the image family on real images
//! (`images`) and the runtime family on containers started with one fault each
//! (`faults`). libtest-mimic, as `conformance`: `main` first puts the program
//! behind the Docker API shim when the engine is older than testcontainers'
//! API, and builds the reference image once. Without an engine every trial is
//! ignored with the reason, never passed; in CI (`CI=true`) that is a failure.

#[path = "../common/mod.rs"]
mod common;

mod containers;
mod faults;
mod harness_image;
mod images;
mod scratch;

use std::process::ExitCode;

use libtest_mimic::{Arguments, Trial};

/// Every trial: the plain test functions of `containers` and `images`, and
/// the `faults` trials.
fn trials() -> Vec<Trial> {
    let tests: [(&str, fn()); 8] = [
        (
            "containers::labelled_containers_never_outlive_their_run",
            containers::labelled_containers_never_outlive_their_run,
        ),
        (
            "images::the_reference_image_passes_every_image_check",
            images::the_reference_image_passes_every_image_check,
        ),
        ("images::each_broken_image_fails_its_check", images::each_broken_image_fails_its_check),
        (
            "images::an_image_over_budget_fails_the_size_check",
            images::an_image_over_budget_fails_the_size_check,
        ),
        (
            "images::the_reference_images_layers_hold_no_secret",
            images::the_reference_images_layers_hold_no_secret,
        ),
        (
            "images::a_key_baked_into_a_layer_is_found_by_path",
            images::a_key_baked_into_a_layer_is_found_by_path,
        ),
        (
            "harness_image::gauntlet_runs_from_its_own_image",
            harness_image::gauntlet_runs_from_its_own_image,
        ),
        (
            "scratch::the_binary_works_alone_in_a_scratch_container",
            scratch::the_binary_works_alone_in_a_scratch_container,
        ),
    ];
    tests
        .into_iter()
        .map(|(name, test)| {
            Trial::test(name, move || {
                test();
                Ok(())
            })
        })
        .chain(faults::trials())
        .collect()
}

fn main() -> ExitCode {
    if let Some(code) = gauntlet::docker::behind_shim() {
        return code;
    }
    let args = Arguments::from_args();
    let trials = match gauntlet::docker::connect() {
        Ok(_) => {
            if !args.list {
                containers::build_image();
            }
            trials()
        }
        Err(why) if gauntlet::run::in_ci() => panic!("CI=true and {why}"),
        Err(why) => {
            eprintln!("docker: not run: {why}");
            trials().into_iter().map(|t| t.with_ignored_flag(true)).collect()
        }
    };
    let code = libtest_mimic::run(&args, trials).exit_code();
    gauntlet::run::settle();
    code
}
