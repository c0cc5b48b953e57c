//! The GPU family where there is no GPU: the `gpu` profile leaves the checks
//! that read this host's NVML not applicable and judges the CPU-only service on
//! its answers, and each check, judged with a report recorded on an H100
//! standing in for this host's NVML, fails on the real CPU-only service (or a
//! stand-in cluster) with a message that says what was seen. The judgements
//! themselves are unit-tested on the same recordings (`gauntlet::gpu`).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use gauntlet::gpu::{self, GpuReport};
use gauntlet::target::{ClusterView, Http, ProcessConfig, ProcessTarget};
use gauntlet::{Outcome, Profile, Target, checks};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// The report recorded on an H100 (`fixtures/gpu/`).
fn recorded(name: &str) -> GpuReport {
    gpu::read_recording(&repo("fixtures/gpu").join(name)).unwrap()
}

fn judge(id: &str, target: &dyn Target) -> Outcome {
    let check = checks::catalog().into_iter().find(|c| c.id == id).unwrap();
    check.judge(target, &Profile::built_in("gpu").unwrap())
}

fn fails_saying(outcome: Outcome, says: &str) {
    match outcome {
        Outcome::Fail(m) => assert!(m.contains(says), "`{m}` should say `{says}`"),
        other => panic!("should fail saying `{says}`: {other:?}"),
    }
}

#[test]
fn gauntlet_gpu_prints_the_host_report_and_exits_1_without_a_gpu() {
    let out = Command::new(env!("CARGO_BIN_EXE_gauntlet")).arg("gpu").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: GpuReport = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not a GPU report ({e}): {stderr}"));
    let uuids =
        |r: &GpuReport| -> Vec<String> { r.devices.iter().map(|d| d.uuid.clone()).collect() };
    let host = gpu::host_report();
    assert_eq!((report.available, uuids(&report)), (host.available, uuids(&host)), "this host's");
    match report.no_gpu() {
        Some(_) => {
            assert_eq!(out.status.code(), Some(1), "{stderr}");
            assert!(stderr.starts_with("gauntlet: no GPU here ("), "{stderr}");
        }
        None => assert_eq!(out.status.code(), Some(0), "a GPU host: {stderr}"),
    }
}

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
    let out = Command::new(env!("CARGO_BIN_EXE_gauntlet"))
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
    gpu::with_host_report(recorded("h100-idle.json"), || {
        match judge("gpu.host.nvml", &service) {
            Outcome::Pass(m) => assert!(m.contains("NVIDIA H100 80GB HBM3"), "{m}"),
            other => panic!("{other:?}"),
        }
        fails_saying(judge("gpu.service.visible", &service), "the service sees no GPU");
        fails_saying(judge("gpu.inference.device", &service), "not on a CUDA device");
        fails_saying(judge("gpu.inference.matches-cpu", &service), "not on a CUDA device");
        fails_saying(judge("gpu.throughput.batch", &service), "not on a CUDA device");
        fails_saying(judge("gpu.inference.memory", &service), "holds no GPU memory");
    });
    let mut incomplete = recorded("h100-idle.json");
    incomplete.driver_version = None;
    gpu::with_host_report(incomplete, || {
        fails_saying(judge("gpu.host.nvml", &service), "does not report the driver version");
    });
}

/// Serves `body` as JSON to every request on an ephemeral port; returns the base URL.
fn serve_json(body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}

/// A GPU pod that cannot run here: its pods with a `nvidia.com/gpu` limit, and
/// a `/gpu` served from a recorded report.
struct GpuPod {
    limit: Option<&'static str>,
    base: String,
}

impl ClusterView for GpuPod {
    fn deployment(&self) -> gauntlet::target::Result<Deployment> {
        Err(gauntlet::target::Error::Unexpected("not needed".into()))
    }
    fn pods(&self) -> gauntlet::target::Result<Vec<Pod>> {
        let limits = self.limit.map(|n| serde_json::json!({ "nvidia.com/gpu": n }));
        let pod = serde_json::json!({
            "metadata": { "name": "gauntlet-service-0" },
            "spec": { "containers": [{ "name": "service", "resources": { "limits": limits } }] },
        });
        Ok(vec![serde_json::from_value(pod).expect("a pod")])
    }
    fn diagnostics(&self) -> String {
        String::new()
    }
}

impl Target for GpuPod {
    fn name(&self) -> &str {
        "kube=stand-in"
    }
    fn http(&self) -> Option<Http<'_>> {
        Some(Http::new(&self.base))
    }
    fn cluster(&self) -> Option<&dyn ClusterView> {
        Some(self)
    }
}

#[test]
fn the_kube_gpu_check_holds_the_pod_limit_against_the_gpus_it_sees() {
    let base = serve_json(serde_json::to_string(&recorded("h100-idle.json")).unwrap());
    let pod = |limit| GpuPod { limit, base: base.clone() };
    match judge("gpu.kube.devices", &pod(Some("1"))) {
        Outcome::Pass(m) => assert!(m.contains("limit is 1 and the service sees 1"), "{m}"),
        other => panic!("{other:?}"),
    }
    fails_saying(judge("gpu.kube.devices", &pod(Some("2"))), "limit is 2 but the service sees 1");
    fails_saying(judge("gpu.kube.devices", &pod(None)), "sets no nvidia.com/gpu limit");
}
