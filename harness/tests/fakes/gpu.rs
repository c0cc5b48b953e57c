//! The GPU family where there is no GPU, on fakes and recordings: `gauntlet
//! gpu` prints this host's report and exits 1 without a GPU, and the kube GPU
//! check holds a stand-in pod's limit against the GPUs its (recorded) `/gpu`
//! shows.

use std::io::{Read, Write};
use std::net::TcpListener;

use gauntlet::gpu::{self, GpuReport};
use gauntlet::target::{ClusterView, Http};
use gauntlet::{Outcome, Target};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;

use crate::common::{command, fails_saying, gpu_profile, judge, recorded_gpu};

#[test]
fn gauntlet_gpu_prints_the_host_report_and_exits_1_without_a_gpu() {
    let out = command().arg("gpu").output().unwrap();
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
    let base = serve_json(serde_json::to_string(&recorded_gpu("h100-idle.json")).unwrap());
    let pod = |limit| GpuPod { limit, base: base.clone() };
    match judge("gpu.kube.devices", &pod(Some("1")), &gpu_profile()) {
        Outcome::Pass(m) => assert!(m.contains("limit is 1 and the service sees 1"), "{m}"),
        other => panic!("{other:?}"),
    }
    fails_saying(
        judge("gpu.kube.devices", &pod(Some("2")), &gpu_profile()),
        "limit is 2 but the service sees 1",
    );
    fails_saying(
        judge("gpu.kube.devices", &pod(None), &gpu_profile()),
        "sets no nvidia.com/gpu limit",
    );
}
