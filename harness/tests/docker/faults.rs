//! The runtime family and the container-side `manifest.*` checks proven able to
//! fail, on containers of the reference image started with one fault each (or
//! held against manifests with one fault each).

use std::process::Command;
use std::time::Duration;

use gauntlet::target::{ContainerConfig, ContainerTarget, ServiceImage};
use gauntlet::{Outcome, Profile, checks};
use libtest_mimic::{Failed, Trial};

use crate::common::repo;

/// Runs check `id` on a container started with `config`; it must fail saying `says`.
fn proves(id: &str, config: &ContainerConfig, profile: &Profile, says: &str) -> Result<(), Failed> {
    let engine = gauntlet::docker::connect()?;
    let target = ContainerTarget::start(&engine, config)
        .map_err(|e| format!("starting the container: {e}"))?;
    let check = checks::catalog().into_iter().find(|c| c.id == id).ok_or("no such check")?;
    match check.judge(&target, profile) {
        Outcome::Fail(m) if m.contains(says) => Ok(()),
        Outcome::Fail(m) => Err(format!("{id}: `{m}` should say `{says}`").into()),
        other => Err(format!("{id} should fail here: {other:?}").into()),
    }
}

/// The reference profile pointed at `fixtures/manifests/bad/cross/{file}`.
fn with_manifests(file: &str) -> Profile {
    let path = repo("fixtures/manifests/bad/cross").join(file);
    Profile { manifests: Some(path), ..crate::common::reference() }
}

fn with_args(args: &[&str]) -> ContainerConfig {
    ContainerConfig {
        args: args.iter().map(|a| a.to_string()).collect(),
        ..ContainerConfig::default()
    }
}

fn build(dockerfile_dir: &str, tag: &str) -> Result<(), Failed> {
    let dir = repo(dockerfile_dir);
    let out = Command::new("docker").args(["build", "--quiet", "--tag", tag]).arg(dir).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned().into())
    }
}

pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test("runtime.hardened.ready fails when the service needs a writable root", || {
            // Root on a writable filesystem it starts; hardened, its scratch write fails.
            let config = ContainerConfig {
                read_only: false,
                user: Some("0:0".into()),
                ..with_args(&["--debug-scratch-file", "/scratch"])
            };
            let mut profile = crate::common::reference();
            profile.thresholds.ready_budget = Duration::from_secs(5);
            proves("runtime.hardened.ready", &config, &profile, "did not start")
        }),
        Trial::test("runtime.logs.json fails on text logs", || {
            proves(
                "runtime.logs.json",
                &with_args(&["--log-format", "text"]),
                &crate::common::reference(),
                "is not a JSON object",
            )
        }),
        Trial::test("runtime.stop.drains fails when SIGTERM is ignored", || {
            let mut profile = crate::common::reference();
            profile.thresholds.shutdown_grace = Duration::from_secs(2);
            proves(
                "runtime.stop.drains",
                &with_args(&["--debug-ignore-sigterm"]),
                &profile,
                "exited with code 137",
            )
        }),
        Trial::test("runtime.memory.under-load fails over a tight budget", || {
            let mut profile = crate::common::reference();
            profile.thresholds.memory_budget = 10_000_000;
            profile.thresholds.load_duration = Duration::from_secs(1);
            proves(
                "runtime.memory.under-load",
                &ContainerConfig::default(),
                &profile,
                "over the budget of 10.0 MB",
            )
        }),
        Trial::test("manifest.memory.headroom fails on a limit below the load's memory", || {
            let mut profile = with_manifests("memory.yaml");
            profile.thresholds.load_duration = Duration::from_secs(1);
            proves(
                "manifest.memory.headroom",
                &ContainerConfig::default(),
                &profile,
                "memory limit 64Mi (67.1 MB) is not above the",
            )
        }),
        Trial::test("manifest.port.matches fails on a port the image does not expose", || {
            proves(
                "manifest.port.matches",
                &ContainerConfig::default(),
                &with_manifests("port.yaml"),
                "containerPort 9090, but the image gauntlet-service:dev exposes [8080]; containerPort 9090, but the service listens on 8080",
            )
        }),
        Trial::test("manifest.user.matches fails on a user that is not the image's", || {
            proves(
                "manifest.user.matches",
                &ContainerConfig::default(),
                &with_manifests("user.yaml"),
                "runAsUser 1000, but the image's USER is 65532",
            )
        }),
        Trial::test("gpu.container.isolated fails on a container given no GPUs to isolate", || {
            // No GPU here: a report recorded on an H100 stands in for this host's NVML.
            let path = repo("fixtures/gpu/h100-idle.json");
            let h100 = gauntlet::gpu::read_recording(&path)?;
            gauntlet::gpu::with_host_report(h100, || {
                let config = ContainerConfig::default();
                proves(
                    "gpu.container.isolated",
                    &config,
                    &crate::common::reference(),
                    "without --gpus",
                )
            })
        }),
        Trial::test(
            "the image run once without a GPU request reports no GPU (isolation's pass path)",
            || {
                let engine = gauntlet::docker::connect()?;
                let shot = gauntlet::docker::run_once(&engine, "gauntlet-service:dev", &["gpu"])?;
                assert_eq!(shot.exit_code, 0, "{shot:?}");
                let verdict =
                    gauntlet::gpu::judge_isolation(shot.exit_code, &shot.stdout, &shot.stderr)?;
                assert!(verdict.contains("the service sees none"), "{verdict}");
                Ok(())
            },
        ),
        Trial::test("runtime.healthcheck.passing fails on a failing HEALTHCHECK", || {
            build("fixtures/images/broken/unhealthy", "gauntlet-broken:unhealthy")?;
            let config = ContainerConfig {
                image: ServiceImage::from_reference("gauntlet-broken:unhealthy"),
                ..ContainerConfig::default()
            };
            proves("runtime.healthcheck.passing", &config, &crate::common::reference(), "unhealthy")
        }),
    ]
}
