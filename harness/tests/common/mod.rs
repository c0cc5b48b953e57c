//! What the harness's test binaries share: paths in the repository and running
//! the `gauntlet` binary under test. Each binary includes this module, so each
//! has exactly one copy of these helpers.
#![allow(dead_code, reason = "each test binary uses the part it needs")]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A path in the repository.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// A path in the repository, as a command-line argument.
pub fn repo_arg(path: &str) -> String {
    repo(path).display().to_string()
}

/// The `gauntlet` binary under test, ready for arguments.
pub fn command() -> Command {
    // In the repository root, as a user runs it in theirs: a built-in
    // profile's paths are relative to the current directory.
    let mut command = Command::new(env!("CARGO_BIN_EXE_gauntlet"));
    command.current_dir(repo(""));
    command
}

/// Runs `gauntlet args...`; returns its exit code and its stdout and stderr together.
pub fn gauntlet(args: &[&str]) -> (Option<i32>, String) {
    output(command().args(args))
}

/// Runs `gauntlet args...` in `dir`; returns its exit code and its output.
pub fn gauntlet_in(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    output(command().args(args).current_dir(dir))
}

/// Runs `command` to its end; returns its exit code and its stdout and stderr together.
pub fn output(command: &mut Command) -> (Option<i32>, String) {
    let out = command.output().expect("running gauntlet");
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

/// The outcome of check `id` on `target` under `profile`.
pub fn judge(
    id: &str,
    target: &dyn gauntlet::Target,
    profile: &gauntlet::Profile,
) -> gauntlet::Outcome {
    let check = gauntlet::checks::catalog().into_iter().find(|c| c.id == id);
    check.unwrap_or_else(|| panic!("no check {id}")).judge(target, profile)
}

/// The evidence of a pass; a panic on anything else.
pub fn passes(outcome: gauntlet::Outcome) -> String {
    match outcome {
        gauntlet::Outcome::Pass(evidence) => evidence,
        other => panic!("expected a pass, got {other:?}"),
    }
}

/// Asserts a failure whose message says `says`.
pub fn fails_saying(outcome: gauntlet::Outcome, says: &str) {
    match outcome {
        gauntlet::Outcome::Fail(m) => assert!(m.contains(says), "`{m}` should say `{says}`"),
        other => panic!("expected a failure saying `{says}`, got {other:?}"),
    }
}

/// The built-in `gpu` profile, its paths in this repository.
pub fn gpu_profile() -> gauntlet::Profile {
    gauntlet::Profile::built_in("gpu").unwrap().resolved_against(&repo(""))
}

/// The built-in `reference` profile, its paths in this repository (a built-in
/// profile's paths are relative to the current directory, and tests run in
/// `harness/`).
pub fn reference() -> gauntlet::Profile {
    gauntlet::Profile::default().resolved_against(&repo(""))
}

/// A GPU report recorded on an H100 (`fixtures/gpu/<name>`).
pub fn recorded_gpu(name: &str) -> gauntlet::gpu::GpuReport {
    gauntlet::gpu::read_recording(&repo("fixtures/gpu").join(name)).unwrap()
}

/// The reference image's recorded `docker image inspect` answer.
pub fn recorded_image() -> gauntlet::image::ImageFacts {
    let text =
        std::fs::read_to_string(repo("fixtures/images/gauntlet-service.inspect.json")).unwrap();
    let inspect: serde_json::Value = serde_json::from_str(&text).unwrap();
    gauntlet::image::ImageFacts::from_inspect("gauntlet-service:dev", &inspect[0], vec![])
}

/// The project's cpu overlay, rendered by kubectl; `None` where kubectl cannot
/// run (outside CI, after saying so; in CI that is a failure).
pub fn cpu_overlay() -> Option<gauntlet::manifests::Deployed> {
    let documents = match gauntlet::manifests::load(&[repo("manifests/k8s/overlays/cpu")]) {
        Ok(d) => d,
        Err(e @ gauntlet::manifests::Error::NoKubectl { .. }) if !gauntlet::run::in_ci() => {
            eprintln!("not run: {e}");
            return None;
        }
        Err(e) => panic!("{e}"),
    };
    Some(gauntlet::manifests::Deployed::find(&documents).unwrap())
}
