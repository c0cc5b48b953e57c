//! Family `gpu`: the service reaches the GPU and really runs the model there.
//! Every check first asks this host's NVML; where it cannot load or sees no
//! GPU, the check is not applicable with that reason and never passes. The
//! judgements live in [`crate::gpu`], tested on reports recorded on a real GPU.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::check::{Capability, Check, Family, Level, Outcome};
use crate::gpu::{self, GpuReport, Verdict};
use crate::http::{get_json, post_json};
use crate::profile::Profile;
use crate::target::Target;

/// The CPU reference vectors (sentence-transformers on the CPU).
const EXPECTED: &str = include_str!("../../../fixtures/embeddings/expected.json");

/// The least cosine between a vector computed on the GPU and the CPU's.
const AGREEMENT: f64 = 0.999;

/// GPU memory the model's weights take at the least (all-MiniLM-L6-v2 in f32
/// is 87 MiB; a process that holds less has not put the model on the GPU).
const MODEL_BYTES: u64 = 64 << 20;

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "gpu.host.nvml",
        family: Family::Gpu,
        level: Level::Must,
        description: "NVML loads on the host the service runs on and reports at least one GPU, with driver and CUDA versions",
        needs: &[Capability::Signals],
        exclusive: false,
        run: |_, _| with_host(|host| gpu::judge_host(&host)),
    },
    Check {
        id: "gpu.service.visible",
        family: Family::Gpu,
        level: Level::Must,
        description: "the service's /gpu sees the same GPUs as the host, matched by UUID",
        needs: &[Capability::Http, Capability::Signals],
        exclusive: false,
        run: |t, _| with_host(|host| gpu::judge_same_gpus(&host, &service_report(t)?)),
    },
    Check {
        id: "gpu.container.isolated",
        family: Family::Gpu,
        level: Level::Must,
        description: "the image run without a GPU request reaches no GPU: its `gpu` report lists none, or the CUDA build cannot load without the driver's libcuda",
        needs: &[Capability::Container],
        exclusive: false,
        run: isolated,
    },
    Check {
        id: "gpu.inference.device",
        family: Family::Gpu,
        level: Level::Must,
        description: "GET /info says the model runs on a CUDA device (`cuda:N`), with no fallback to the CPU",
        needs: &[Capability::Http],
        exclusive: false,
        run: |t, _| with_host(|_| on_cuda(t)),
    },
    Check {
        id: "gpu.inference.memory",
        family: Family::Gpu,
        level: Level::Must,
        description: "a fresh instance's process holds GPU memory once the model is loaded, and its GPU's memory in use grew by as much",
        needs: &[Capability::Http, Capability::Signals],
        exclusive: true,
        run: memory,
    },
    Check {
        id: "gpu.inference.matches-cpu",
        family: Family::Gpu,
        level: Level::Must,
        description: "vectors computed on the GPU agree with the CPU reference vectors at cosine >= 0.999",
        needs: &[Capability::Http],
        exclusive: false,
        run: |t, _| with_host(|_| agreement(t)),
    },
    Check {
        id: "gpu.kube.devices",
        family: Family::Gpu,
        level: Level::Must,
        description: "the pod's nvidia.com/gpu limit is set and its /gpu shows exactly that many GPUs",
        needs: &[Capability::Http, Capability::Kube],
        exclusive: false,
        run: kube_devices,
    },
    Check {
        id: "gpu.throughput.batch",
        family: Family::Gpu,
        level: Level::Should,
        description: "batches of 32 sentences on the GPU for 3 s: embeddings per second reported",
        needs: &[Capability::Http],
        exclusive: true,
        run: |t, _| with_host(|_| throughput(t)),
    },
];

/// Runs `judge` when this host has a GPU; not applicable, with the reason, when not.
fn with_host(judge: impl FnOnce(GpuReport) -> Verdict) -> Outcome {
    let host = gpu::host_report();
    if let Some(why) = host.no_gpu() {
        return Outcome::NotApplicable(format!("not applicable: {why}"));
    }
    match judge(host) {
        Ok(evidence) => Outcome::Pass(evidence),
        Err(why) => Outcome::Fail(why),
    }
}

/// `GET /gpu`, parsed.
fn service_report(target: &dyn Target) -> Result<GpuReport, String> {
    let url = format!("{}/gpu", target.base_url());
    match get_json(&url)? {
        (200, body) => {
            serde_json::from_value(body).map_err(|e| format!("GET /gpu: not a GPU report ({e})"))
        }
        (status, body) => Err(format!("GET /gpu answered {status}: {body}")),
    }
}

/// Passes when `/info` names a CUDA device.
fn on_cuda(target: &dyn Target) -> Verdict {
    let (status, info) = get_json(&format!("{}/info", target.base_url()))?;
    if status != 200 {
        return Err(format!("GET /info answered {status}"));
    }
    let device = info["device"].as_str().unwrap_or_default();
    if device.starts_with("cuda") {
        return Ok(format!("the model runs on {device}"));
    }
    let fallback = info["device_fallback"]
        .as_str()
        .map(|why| format!(" (it fell back: {why})"))
        .unwrap_or_default();
    Err(format!("the model runs on `{device}`, not on a CUDA device{fallback}"))
}

fn isolated(target: &dyn Target, _: &Profile) -> Outcome {
    with_host(|_| {
        let container = target.container().ok_or("no container")?;
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

fn memory(target: &dyn Target, _: &Profile) -> Outcome {
    with_host(|before| {
        let fresh = target
            .spawn_private()
            .ok_or("this target cannot start a fresh instance")?
            .map_err(|e| format!("starting a fresh instance: {e}"))?;
        let pid = fresh.host_pid().ok_or("the fresh instance's host pid is unknown")?;
        let tree = gpu::process_tree(pid);
        gpu::judge_memory_growth(&before, &gpu::host_report(), &tree, MODEL_BYTES)
    })
}

fn agreement(target: &dyn Target) -> Verdict {
    on_cuda(target)?;
    let expected: Value = serde_json::from_str(EXPECTED).map_err(|e| e.to_string())?;
    let items = expected["items"].as_array().ok_or("expected.json has no items")?;
    let texts: Vec<&str> = items.iter().filter_map(|i| i["text"].as_str()).collect();
    let (status, answer) =
        post_json(&format!("{}/v1/embeddings", target.base_url()), &json!({ "input": texts }))?;
    if status != 200 {
        return Err(format!("POST /v1/embeddings answered {status}: {answer}"));
    }
    let mut data: Vec<&Value> =
        answer["data"].as_array().ok_or("the answer has no data")?.iter().collect();
    // Matched to the inputs by `index`, not by the order they came in.
    data.sort_by_key(|d| d["index"].as_u64().unwrap_or(u64::MAX));
    if data.len() != texts.len() {
        return Err(format!("{} vectors for {} inputs", data.len(), texts.len()));
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

fn kube_devices(target: &dyn Target, _: &Profile) -> Outcome {
    let Some(cluster) = target.cluster() else {
        return Outcome::NotApplicable("not applicable: no cluster".into());
    };
    let verdict = cluster.pods().and_then(|pods| {
        let limit = pods.iter().find_map(|pod| {
            pod.spec.as_ref()?.containers.iter().find_map(|c| {
                let quantity = c.resources.as_ref()?.limits.as_ref()?.get("nvidia.com/gpu")?;
                quantity.0.parse::<u64>().ok()
            })
        });
        gpu::judge_gpu_count(limit, &service_report(target)?)
    });
    match verdict {
        Ok(evidence) => Outcome::Pass(evidence),
        Err(why) => Outcome::Fail(why),
    }
}

fn throughput(target: &dyn Target) -> Verdict {
    let device = on_cuda(target)?;
    let batch: Vec<String> = (0..32)
        .map(|i| format!("Sentence number {i} about a guitar, a report and the sea."))
        .collect();
    let url = format!("{}/v1/embeddings", target.base_url());
    let body = json!({ "input": batch });
    let started = Instant::now();
    let mut embedded = 0usize;
    while started.elapsed() < Duration::from_secs(3) {
        match post_json(&url, &body)? {
            (200, _) => embedded += batch.len(),
            (status, answer) => {
                return Err(format!("POST /v1/embeddings answered {status}: {answer}"));
            }
        }
    }
    let rate = embedded as f64 / started.elapsed().as_secs_f64();
    Ok(format!("{rate:.0} embeddings/s in batches of 32 ({device})"))
}
