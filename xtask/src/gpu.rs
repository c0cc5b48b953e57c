//! `cargo xtask gpu`: the GPU job (`.github/workflows/gpu.yml`, on a runner
//! labelled `gpu`): the CUDA toolkit and libraries, the CUDA build of the
//! service (in `target/cuda/`, apart from the CPU build), the `gpu` profile on
//! the process target, then the GPU image and the `gpu` profile on the
//! container target with every GPU requested. Reports go to `target/validate/`.
//! On a host whose NVML sees no GPU it stops before the CUDA build and says
//! why (`gauntlet gpu`); it never passes there.

use anyhow::{Context, bail};
use xshell::{Shell, cmd};

use crate::flags::Gpu;
use crate::{cuda_toolkit, image, model, util};

impl Gpu {
    pub fn run(&self, sh: &Shell) -> anyhow::Result<()> {
        model::ensure_model(sh, false)?;
        util::say("the gauntlet CLI, and this host's GPUs as its NVML sees them");
        cmd!(sh, "cargo build --release -p gauntlet-harness --bin gauntlet").run()?;
        // The CUDA build needs the driver's libcuda to start at all: on a host
        // without a GPU, say so now rather than after a ten-minute build.
        if cmd!(sh, "target/release/gauntlet gpu").ignore_stdout().run().is_err() {
            bail!(
                "this host has no usable GPU (the reason is above): `cargo xtask gpu` is the GPU job, for a host with an \
                 NVIDIA GPU and driver 580 or later; elsewhere the checks that read this host's NVML are \
                 not applicable and those that ask the service fail on its CPU answers \
                 (`gauntlet run --target process --profile gpu` says so, check by check)"
            );
        }
        cuda_toolkit::ensure(sh, true)?;
        util::say("the CUDA build of the service (target/cuda)");
        {
            let _env: Vec<_> =
                cuda_toolkit::env().into_iter().map(|(k, v)| sh.push_env(k, v)).collect();
            cmd!(
                sh,
                "cargo build --release -p gauntlet-service --features cuda --target-dir target/cuda"
            )
            .run()?;
        }
        sh.create_dir("target/validate")?;
        // A report left by an earlier run must not stand in for this one's.
        sh.remove_path("target/validate/gpu-process.json")?;
        let binary = util::project_root().join("target/cuda/release/gauntlet-service");
        let libs = cuda_toolkit::cuda_home().join("lib");
        let mut failed = Vec::new();
        {
            let _bin = sh.push_env("GAUNTLET_SERVICE_BIN", &binary);
            let _libs = sh.push_env("LD_LIBRARY_PATH", util::prepended("LD_LIBRARY_PATH", libs));
            if run_profile(sh, "process", &[], "gpu-process").is_err() {
                failed.push("process");
            }
        }
        // The job exists to run on a GPU: a host whose NVML sees none (every
        // check not applicable) fails it rather than passing it green.
        let report = sh.read_file("target/validate/gpu-process.json").map_err(|_| {
            anyhow::anyhow!(
                "the gpu profile on the process target wrote no report: the CUDA service did not \
                 start (its error is above)"
            )
        })?;
        util::require_passed(&report, &["gpu.host.nvml"])
            .context("this runner's NVML sees no usable GPU")?;
        if let Some(why) = image::docker_unreachable(sh) {
            util::say(format_args!("the container target is not applicable: {why}"));
        } else {
            let cuda = cuda_toolkit::root().join("lib");
            let built = cmd!(
                sh,
                "target/release/gauntlet image --gpu --binary {binary} --cuda-libs {cuda}"
            )
            .run();
            if built.is_err() {
                failed.push("the GPU image build");
            } else if run_profile(
                sh,
                "container=gauntlet-service:gpu",
                &["--gpus"],
                "gpu-container",
            )
            .is_err()
            {
                failed.push("container");
            }
        }
        if !failed.is_empty() {
            bail!("the gpu profile failed on: {}", failed.join(", "));
        }
        Ok(())
    }
}

fn run_profile(sh: &Shell, target: &str, extra: &[&str], stem: &str) -> anyhow::Result<()> {
    let (json, junit, md) = (
        format!("target/validate/{stem}.json"),
        format!("target/validate/{stem}.xml"),
        format!("target/validate/{stem}.md"),
    );
    cmd!(
        sh,
        "target/release/gauntlet run --target {target} {extra...} --profile gpu --json {json} --junit {junit} --markdown {md}"
    )
    .run()?;
    Ok(())
}
