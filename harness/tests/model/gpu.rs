//! The GPU family on the real CPU-only service: the `gpu` profile leaves the
//! checks that read this host's NVML not applicable and judges the service on
//! its answers, and each check, judged with a report recorded on an H100
//! standing in for this host's NVML, fails with a message that says what was
//! seen. The judgements themselves are unit-tested on the same recordings.

use gauntlet::Outcome;
use gauntlet::gpu;
use gauntlet::target::{ProcessConfig, ProcessTarget};

use crate::common::{command, fails_saying, gpu_profile, judge, recorded_gpu};

#[test]
fn the_gpu_profile_without_a_gpu_judges_the_cpu_service_on_its_answers() {
    if let Some(why) = gpu::host_report().no_gpu() {
        eprintln!("this host: {why}");
    } else {
        eprintln!("not run: this host has a GPU");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("gpu.json");
    let out = command()
        .args(["run", "--target", "process", "--profile", "gpu", "--json"])
        .arg(&json)
        .output()
        .unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap_or_default())
            .unwrap_or_else(|e| panic!("no JSON report ({e}): {text}"));
    // What speaks only HTTP judges the service's answers: it runs on the CPU.
    assert_eq!(report["summary"]["passed"], 0, "{text}");
    assert_eq!(report["summary"]["failed"], 2, "device and matches-cpu: {text}");
    assert_eq!(report["summary"]["should_failed"], 1, "throughput: {text}");
    // What reads this host's NVML, or needs a container or a cluster, cannot run.
    assert_eq!(report["summary"]["not_applicable"], 5, "{text}");
    for check in report["checks"].as_array().unwrap() {
        let message = check.to_string();
        match check["outcome"].as_str().unwrap() {
            "not-applicable" => assert!(
                message.contains("no GPU here") || message.contains("lacks the capability"),
                "every not-applicable says why: {message}"
            ),
            "fail" => assert!(message.contains("not on a CUDA device"), "{message}"),
            other => panic!("{other}: {message}"),
        }
    }
    assert_eq!(out.status.code(), Some(1), "a MUST check failed: {text}");
}

#[test]
fn against_a_recorded_h100_the_cpu_service_fails_each_gpu_check() {
    let service = ProcessTarget::start(&ProcessConfig::locate().unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));
    gpu::with_host_report(recorded_gpu("h100-idle.json"), || {
        match judge("gpu.host.nvml", &service, &gpu_profile()) {
            Outcome::Pass(m) => assert!(m.contains("NVIDIA H100 80GB HBM3"), "{m}"),
            other => panic!("{other:?}"),
        }
        fails_saying(
            judge("gpu.service.visible", &service, &gpu_profile()),
            "the service sees no GPU",
        );
        fails_saying(
            judge("gpu.inference.device", &service, &gpu_profile()),
            "not on a CUDA device",
        );
        fails_saying(
            judge("gpu.inference.matches-cpu", &service, &gpu_profile()),
            "not on a CUDA device",
        );
        fails_saying(
            judge("gpu.throughput.batch", &service, &gpu_profile()),
            "not on a CUDA device",
        );
        fails_saying(
            judge("gpu.inference.memory", &service, &gpu_profile()),
            "holds no GPU memory",
        );
    });
    let mut incomplete = recorded_gpu("h100-idle.json");
    incomplete.driver_version = None;
    gpu::with_host_report(incomplete, || {
        fails_saying(
            judge("gpu.host.nvml", &service, &gpu_profile()),
            "does not report the driver version",
        );
    });
}
