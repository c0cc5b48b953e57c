//! `cargo xtask image`: the release binaries, then `gauntlet image` builds the
//! service image FROM scratch, tagged with the version and `dev`; prints its size.
//! `cargo xtask image --harness` builds gauntlet's own image the same way.

use anyhow::{Context, bail};
use xshell::{Shell, cmd};

use crate::flags::Image;
use crate::util;

/// The size goal from the image issue: the 91 MB model included.
const SIZE_GOAL_MB: f64 = 120.0;

impl Image {
    pub fn run(&self, sh: &Shell) -> anyhow::Result<()> {
        if self.harness {
            util::say("building the release binary of gauntlet");
            cmd!(sh, "cargo build --release --quiet -p gauntlet-harness --bin gauntlet").run()?;
            return build_harness_image(sh);
        }
        crate::model::ensure_model(sh, false)?;
        util::say("building the release binaries");
        cmd!(sh, "cargo build --release --quiet --workspace --bins").run()?;
        build_release_image(sh)
    }
}

/// Why the Docker engine cannot be used here, if it cannot.
pub fn docker_unreachable(sh: &Shell) -> Option<String> {
    let format = "{{.Server.Version}}";
    match cmd!(sh, "docker version --format {format}").quiet().ignore_stderr().read() {
        Ok(version) if !version.trim().is_empty() => None,
        _ => Some("the Docker engine is not reachable (`docker version` failed)".into()),
    }
}

/// Builds the image from the release binaries already built; fails over the size goal.
pub fn build_release_image(sh: &Shell) -> anyhow::Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    let (versioned, dev) = (format!("gauntlet-service:{version}"), "gauntlet-service:dev");
    util::say(format!("building the image {versioned}"));
    cmd!(
        sh,
        "target/release/gauntlet image --binary target/release/gauntlet-service --tag {versioned} --tag {dev}"
    )
    .run()
    .context("building the image (is Docker running?)")?;
    hold_to_size_goal(sh, &versioned, dev, SIZE_GOAL_MB)
}

/// Prints the image's size and fails when it is at or over `goal_mb`.
fn hold_to_size_goal(sh: &Shell, versioned: &str, dev: &str, goal_mb: f64) -> anyhow::Result<()> {
    let size = "{{.Size}}";
    let bytes: f64 = cmd!(sh, "docker image inspect --format {size} {versioned}")
        .read()?
        .trim()
        .parse()
        .context("reading the image size")?;
    let mb = bytes / 1e6;
    println!("image {versioned} (also {dev}): {mb:.1} MB (goal: under {goal_mb} MB)");
    if mb >= goal_mb {
        bail!("the image is {mb:.1} MB, over the {goal_mb} MB goal");
    }
    Ok(())
}

/// The harness image's size goal: a static-ish CLI, no model.
const HARNESS_SIZE_GOAL_MB: f64 = 60.0;

/// Builds `gauntlet:<version>` and `gauntlet:dev` from the release binary
/// already built; fails over the size goal.
pub fn build_harness_image(sh: &Shell) -> anyhow::Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    let (versioned, dev) = (format!("gauntlet:{version}"), "gauntlet:dev");
    if let Some(why) = docker_unreachable(sh) {
        bail!("cannot build {versioned}: {why}");
    }
    util::say(format!("building the image {versioned}"));
    cmd!(sh, "target/release/gauntlet image --harness --tag {versioned} --tag {dev}")
        .run()
        .context("building the harness image")?;
    hold_to_size_goal(sh, &versioned, dev, HARNESS_SIZE_GOAL_MB)
}
