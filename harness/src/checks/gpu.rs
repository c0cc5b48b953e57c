//! Family `gpu`: the service reaches the GPU and really runs the model there.
//! The checks that read the host's NVML need the service on the harness's host
//! (`same-host`); where NVML cannot load or sees no GPU they are not applicable
//! with that reason and never pass. The checks that only speak HTTP judge what
//! the service answers, on any target: a remote GPU server checked from a CPU
//! runner is judged on its answers. The judgements live in [`crate::gpu`],
//! tested on reports recorded on a real GPU.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::check;
use crate::check::{Check, Outcome};
use crate::gpu::{self, GpuReport, Verdict};
use crate::http::{get_json, post_json};
use crate::target::{ClusterView, ContainerView, Http, SameHost, Spawner};
use crate::verdict::Failure;

/// The CPU reference vectors (sentence-transformers on the CPU).
use super::embeddings::ALL_MINILM_L6_V2 as EXPECTED;

/// The least cosine between a vector computed on the GPU and the CPU's.
const AGREEMENT: f64 = 0.999;

/// GPU memory the model's weights take at the least (all-MiniLM-L6-v2 in f32
/// is 87 MiB; a process that holds less has not put the model on the GPU).
const MODEL_BYTES: u64 = 64 << 20;

pub(super) const CHECKS: &[Check] = &[
    check! {
        id: "gpu.host.nvml",
        family: Gpu,
        level: Must,
        description: "NVML loads on the host the service runs on and reports at least one GPU, with driver and CUDA versions",
        run: |_profile, host: SameHost| with_gpu(host, |report| gpu::judge_host(&report)),
    },
    check! {
        id: "gpu.service.visible",
        family: Gpu,
        level: Must,
        description: "the service's /gpu sees the same GPUs as the host, matched by UUID",
        run: |_profile, http: Http, host: SameHost| {
            with_gpu(host, |report| gpu::judge_same_gpus(&report, &service_report(http)?))
        },
    },
    check! {
        id: "gpu.container.isolated",
        family: Gpu,
        level: Must,
        description: "the image run without a GPU request reaches no GPU: its `gpu` report lists none, or the CUDA build cannot load without the driver's libcuda",
        run: |_profile, container: &dyn ContainerView, host: SameHost| isolated(container, host),
    },
    check! {
        id: "gpu.inference.device",
        family: Gpu,
        level: Must,
        description: "GET /info says the model runs on a CUDA device (`cuda:N`), with no fallback to the CPU",
        run: |_profile, http: Http| verdict(on_cuda(http)),
    },
    check! {
        id: "gpu.inference.memory",
        family: Gpu,
        level: Must,
        description: "a fresh instance's process holds GPU memory once the model is loaded, and its GPU's memory in use grew by as much",
        exclusive: true,
        run: |_profile, signals: &dyn Spawner, host: SameHost| memory(signals, host),
    },
    check! {
        id: "gpu.inference.matches-cpu",
        family: Gpu,
        level: Must,
        description: "vectors computed on the GPU agree with the CPU reference vectors at cosine >= 0.999",
        run: |_profile, http: Http| verdict(agreement(http)),
    },
    check! {
        id: "gpu.kube.devices",
        family: Gpu,
        level: Must,
        description: "the pod's nvidia.com/gpu limit is set and its /gpu shows exactly that many GPUs",
        run: |_profile, http: Http, cluster: &dyn ClusterView| kube_devices(http, cluster),
    },
    check! {
        id: "gpu.throughput.batch",
        family: Gpu,
        level: Should,
        description: "batches of 32 sentences on the GPU for 3 s: embeddings per second reported",
        exclusive: true,
        run: |_profile, http: Http| verdict(throughput(http)),
    },
];

/// Runs `judge` on the report of the host the service runs on, when it has a
/// GPU; not applicable, with the reason, when not.
fn with_gpu(host: SameHost, judge: impl FnOnce(GpuReport) -> Verdict) -> Outcome {
    let report = host.gpu_report();
    if let Some(why) = report.no_gpu() {
        return Outcome::NotApplicable(format!("not applicable: {why}"));
    }
    verdict(judge(report))
}

/// A judgement as an outcome.
fn verdict(judged: Verdict) -> Outcome {
    match judged {
        Ok(evidence) => Outcome::Pass(evidence),
        Err(why) => Outcome::Fail(why.0),
    }
}

/// `GET /gpu`, parsed.
fn service_report(http: Http<'_>) -> Result<GpuReport, Failure> {
    let url = format!("{}/gpu", http.base_url());
    match get_json(&url)? {
        (200, body) => serde_json::from_value(body)
            .map_err(|e| Failure(format!("GET /gpu: not a GPU report ({e})"))),
        (status, body) => Err(format!("GET /gpu answered {status}: {body}").into()),
    }
}

/// Passes when `/info` names a CUDA device.
fn on_cuda(http: Http<'_>) -> Verdict {
    let (status, info) = get_json(&format!("{}/info", http.base_url()))?;
    if status != 200 {
        return Err(format!("GET /info answered {status}").into());
    }
    let device = info["device"].as_str().unwrap_or_default();
    if device.starts_with("cuda") {
        return Ok(format!("the model runs on {device}"));
    }
    let fallback = info["device_fallback"]
        .as_str()
        .map(|why| format!(" (it fell back: {why})"))
        .unwrap_or_default();
    Err(format!("the model runs on `{device}`, not on a CUDA device{fallback}").into())
}

fn isolated(container: &dyn ContainerView, host: SameHost) -> Outcome {
    with_gpu(host, |_| {
        if !container.gpus_requested() {
            return Err(
                "the container target was started without --gpus: nothing to isolate from; \
                 run with `--target container --gpus`"
                    .into(),
            );
        }
        let shot = container.run_without_gpus(&["gpu"])?;
        gpu::judge_isolation(shot.exit_code, &shot.stdout, &shot.stderr)
    })
}

fn memory(signals: &dyn Spawner, host: SameHost) -> Outcome {
    with_gpu(host, |before| {
        let fresh =
            signals.spawn_private().map_err(|e| format!("starting a fresh instance: {e}"))?;
        let pid = fresh.host_pid().ok_or("the fresh instance's host pid is unknown")?;
        let tree = gpu::process_tree(pid);
        gpu::judge_memory_growth(&before, &host.gpu_report(), &tree, MODEL_BYTES)
    })
}

fn agreement(http: Http<'_>) -> Verdict {
    on_cuda(http)?;
    let expected: Value = serde_json::from_str(EXPECTED).map_err(|e| e.to_string())?;
    let items = expected["items"].as_array().ok_or("expected.json has no items")?;
    let texts: Vec<&str> = items.iter().filter_map(|i| i["text"].as_str()).collect();
    let (status, answer) =
        post_json(&format!("{}/v1/embeddings", http.base_url()), &json!({ "input": texts }))?;
    if status != 200 {
        return Err(format!("POST /v1/embeddings answered {status}: {answer}").into());
    }
    let mut data: Vec<&Value> =
        answer["data"].as_array().ok_or("the answer has no data")?.iter().collect();
    // Matched to the inputs by `index`, not by the order they came in.
    data.sort_by_key(|d| d["index"].as_u64().unwrap_or(u64::MAX));
    if data.len() != texts.len() {
        return Err(format!("{} vectors for {} inputs", data.len(), texts.len()).into());
    }
    let vector = |v: &Value| -> Vec<f64> {
        v.as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default()
    };
    let pairs: Vec<(&str, Vec<f64>, Vec<f64>)> = items
        .iter()
        .zip(data)
        .map(|(item, got)| {
            (
                item["text"].as_str().unwrap_or("?"),
                vector(&got["embedding"]),
                vector(&item["embedding"]),
            )
        })
        .collect();
    gpu::judge_agreement(&pairs, AGREEMENT)
}

fn kube_devices(http: Http<'_>, cluster: &dyn ClusterView) -> Outcome {
    verdict(cluster.pods().map_err(Failure::from).and_then(|pods| {
        let limit = pods.iter().find_map(|pod| {
            pod.spec.as_ref()?.containers.iter().find_map(|c| {
                let quantity = c.resources.as_ref()?.limits.as_ref()?.get("nvidia.com/gpu")?;
                quantity.0.parse::<u64>().ok()
            })
        });
        gpu::judge_gpu_count(limit, &service_report(http)?)
    }))
}

fn throughput(http: Http<'_>) -> Verdict {
    let device = on_cuda(http)?;
    let batch: Vec<String> = (0..32)
        .map(|i| format!("Sentence number {i} about a guitar, a report and the sea."))
        .collect();
    let url = format!("{}/v1/embeddings", http.base_url());
    let body = json!({ "input": batch });
    let started = Instant::now();
    let mut embedded = 0usize;
    while started.elapsed() < Duration::from_secs(3) {
        match post_json(&url, &body)? {
            (200, _) => embedded += batch.len(),
            (status, answer) => {
                return Err(format!("POST /v1/embeddings answered {status}: {answer}").into());
            }
        }
    }
    let rate = embedded as f64 / started.elapsed().as_secs_f64();
    Ok(format!("{rate:.0} embeddings/s in batches of 32 ({device})"))
}
