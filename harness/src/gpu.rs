//! GPU reports and the judgements made on them. A report (the
//! `gauntlet-gpu-report` crate's type, shared with the reference service) is
//! what NVML says about the driver, the devices and the processes on them: the
//! host's own or the one a service serves at `/gpu`. The judgements (same GPUs by UUID, memory held by a
//! process, device counts against a limit, vectors against the CPU's) are
//! plain functions, tested on reports recorded on a real GPU
//! (`fixtures/gpu/`); only [`host_report`] touches NVML.

use std::cell::RefCell;

pub use gauntlet_gpu_report::{GpuDevice, GpuProcess, GpuReport};

pub use crate::verdict::Verdict;

thread_local! {
    /// A recorded report standing in for this host's NVML, on this thread.
    static STAND_IN: RefCell<Option<GpuReport>> = const { RefCell::new(None) };
}

/// Runs `judge` on this thread with `recorded` (a report taken on a GPU host)
/// standing in for this host's NVML: how GPU checks are judged, and proven able
/// to fail, on a machine without a GPU. Other threads still see the real NVML.
pub fn with_host_report<T>(recorded: GpuReport, judge: impl FnOnce() -> T) -> T {
    struct Restore(Option<GpuReport>);
    impl Drop for Restore {
        fn drop(&mut self) {
            STAND_IN.with(|s| *s.borrow_mut() = self.0.take());
        }
    }
    let _restore = Restore(STAND_IN.with(|s| s.borrow_mut().replace(recorded)));
    judge()
}

/// Why a recorded report could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The recording.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// It is not a recording of a GPU report.
    #[error("{}: {source}", path.display())]
    Json {
        /// The recording.
        path: std::path::PathBuf,
        /// What the parser said.
        #[source]
        source: serde_json::Error,
    },
    /// It does not say where it was recorded.
    #[error("{}: does not say where it was recorded", path.display())]
    Unsourced {
        /// The recording.
        path: std::path::PathBuf,
    },
}

/// The report in a recording (`fixtures/gpu/*.json`: `recorded` says where and
/// when, `report` holds the report unchanged).
pub fn read_recording(path: &std::path::Path) -> Result<GpuReport, Error> {
    let path_buf = || path.to_owned();
    let text =
        std::fs::read_to_string(path).map_err(|source| Error::Read { path: path_buf(), source })?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|source| Error::Json { path: path_buf(), source })?;
    if !doc["recorded"]["host"].is_string() {
        return Err(Error::Unsourced { path: path_buf() });
    }
    serde_json::from_value(doc["report"].clone())
        .map_err(|source| Error::Json { path: path_buf(), source })
}

/// This host's report (NVML loaded once per process), or the recorded one
/// standing in for it on this thread; never an error: an unavailable report
/// says why.
pub fn host_report() -> GpuReport {
    if let Some(recorded) = STAND_IN.with(|s| s.borrow().clone()) {
        return recorded;
    }
    gauntlet_gpu_report::report()
}

/// The host's GPUs are usable: NVML names the driver and the CUDA version it
/// supports, and every GPU has a UUID (what the other checks match on).
pub fn judge_host(host: &GpuReport) -> Verdict {
    let mut missing = Vec::new();
    if host.driver_version.as_deref().is_none_or(str::is_empty) {
        missing.push("the driver version".to_owned());
    }
    if host.cuda_driver_version.as_deref().is_none_or(str::is_empty) {
        missing.push("the CUDA driver version".to_owned());
    }
    for d in host.devices.iter().filter(|d| !d.uuid.starts_with("GPU-")) {
        missing.push(format!("a UUID for GPU {} (`{}`)", d.index, d.uuid));
    }
    if missing.is_empty() {
        Ok(host.summary())
    } else {
        Err(format!("NVML loads but does not report {}: {}", missing.join(", "), host.summary())
            .into())
    }
}

/// The service sees exactly the host's GPUs, matched by UUID (indexes differ
/// inside a container that got a subset).
pub fn judge_same_gpus(host: &GpuReport, service: &GpuReport) -> Verdict {
    if !service.available {
        let why = service.reason.as_deref().unwrap_or("no reason given");
        return Err(format!("the service sees no GPU: {why}; the host has {}", uuids(host)).into());
    }
    let missing: Vec<&str> = host
        .devices
        .iter()
        .filter(|h| !service.devices.iter().any(|s| s.uuid == h.uuid))
        .map(|d| d.uuid.as_str())
        .collect();
    let foreign: Vec<&str> = service
        .devices
        .iter()
        .filter(|s| !host.devices.iter().any(|h| h.uuid == s.uuid))
        .map(|d| d.uuid.as_str())
        .collect();
    if missing.is_empty() && foreign.is_empty() {
        Ok(format!("the service sees the host's {} GPU(s): {}", host.devices.len(), uuids(host)))
    } else {
        Err(format!(
            "the service sees {} but the host has {} (missing: [{}], not on the host: [{}])",
            uuids(service),
            uuids(host),
            missing.join(", "),
            foreign.join(", ")
        )
        .into())
    }
}

/// A service started without a GPU request sees no GPU.
pub fn judge_no_gpus(service: &GpuReport) -> Verdict {
    if service.devices.is_empty() {
        let why = service.reason.as_deref().unwrap_or("no devices");
        Ok(format!("without a GPU request the service sees none ({why})"))
    } else {
        Err(format!(
            "started without a GPU request, the service still sees {}: the GPUs are not isolated",
            uuids(service)
        )
        .into())
    }
}

/// The service binary run without a GPU request (`gauntlet-service gpu`, which
/// prints the report and exits) reaches no GPU: it prints a report listing none,
/// or, a CUDA build, it cannot even load because the driver's `libcuda.so.1`,
/// which the NVIDIA runtime mounts only on request, is not there.
pub fn judge_isolation(exit_code: i64, stdout: &str, stderr: &str) -> Verdict {
    if let Ok(report) = serde_json::from_str::<GpuReport>(stdout.trim()) {
        return judge_no_gpus(&report);
    }
    if stderr.contains("libcuda.so") && stderr.contains("cannot open shared object") {
        let line = stderr.lines().find(|l| l.contains("libcuda.so")).unwrap_or_default();
        return Ok(format!(
            "without a GPU request the driver's libcuda is absent, so the CUDA build cannot start ({})",
            line.trim()
        ));
    }
    Err(format!(
        "run without a GPU request, `gauntlet-service gpu` exited {exit_code} with neither a GPU report \
         nor a missing-driver error: stdout `{}`, stderr `{}`",
        crate::http::clip(stdout.trim()),
        crate::http::clip(stderr.trim())
    ).into())
}

/// `pid` and every process below it, from `/proc/PID/task/TID/children`: the
/// service itself may be a child of the pid a runtime reports (an image whose
/// entrypoint is tini or dumb-init, `docker run --init`).
pub fn process_tree(pid: u32) -> Vec<u32> {
    let mut tree = vec![pid];
    let mut next = 0;
    while let Some(&at) = tree.get(next) {
        next += 1;
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{at}/task")) else { continue };
        for task in tasks.flatten() {
            let children =
                std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                if !tree.contains(&child) {
                    tree.push(child);
                }
            }
        }
    }
    tree
}

/// The service's process (host pid `tree[0]`, or one of the processes below
/// it in `tree`) holds at least `least` bytes of GPU memory now that the model
/// is loaded, and its GPU's memory in use grew by at least that much over
/// `before` (a report from before the service started).
pub fn judge_memory_growth(
    before: &GpuReport,
    after: &GpuReport,
    tree: &[u32],
    least: u64,
) -> Verdict {
    let top = *tree.first().ok_or("no process to judge")?;
    let found = tree.iter().find_map(|p| after.memory_of(*p).map(|(held, d)| (*p, held, d)));
    let Some((pid, held, device)) = found else {
        let seen: Vec<String> = after
            .devices
            .iter()
            .flat_map(|d| d.processes.iter().map(|p| p.pid.to_string()))
            .collect();
        let below = if tree.len() > 1 {
            let rest: Vec<String> = tree[1..].iter().map(u32::to_string).collect();
            format!(" nor the processes below it [{}]", rest.join(", "))
        } else {
            String::new()
        };
        return Err(format!(
            "process {top}{below} holds no GPU memory (compute processes: [{}]): the model is not on the GPU",
            seen.join(", ")
        ).into());
    };
    if held < least {
        return Err(format!(
            "process {pid} holds {} on {}, less than the {} the model needs",
            mib(held),
            device.uuid,
            mib(least)
        )
        .into());
    }
    let was = before.devices.iter().find(|d| d.uuid == device.uuid).map(|d| d.memory_used_bytes);
    let grew = was.map(|was| device.memory_used_bytes.saturating_sub(was));
    match grew {
        Some(grew) if grew < least => Err(format!(
            "process {pid} reports {} but memory in use on {} grew by only {}",
            mib(held),
            device.uuid,
            mib(grew)
        )
        .into()),
        Some(grew) => Ok(format!(
            "process {pid} holds {} on {}; memory in use grew by {}",
            mib(held),
            device.uuid,
            mib(grew)
        )),
        None => {
            Err(format!("GPU {} was not in the report from before the start", device.uuid).into())
        }
    }
}

/// The service sees exactly the number of GPUs its pod's `nvidia.com/gpu`
/// limit asks for.
pub fn judge_gpu_count(limit: Option<u64>, service: &GpuReport) -> Verdict {
    let Some(limit) = limit else {
        return Err("the serving container sets no nvidia.com/gpu limit".into());
    };
    let seen = service.devices.len() as u64;
    if seen == limit {
        Ok(format!("the pod's nvidia.com/gpu limit is {limit} and the service sees {seen}"))
    } else {
        Err(format!(
            "the pod's nvidia.com/gpu limit is {limit} but the service sees {seen} GPU(s): {}",
            uuids(service)
        )
        .into())
    }
}

/// Every vector agrees with its CPU reference at cosine ≥ `least`; `pairs`
/// are `(text, vector, reference)`.
pub fn judge_agreement(pairs: &[(&str, Vec<f64>, Vec<f64>)], least: f64) -> Verdict {
    if pairs.is_empty() {
        return Err("no vectors to compare".into());
    }
    let mut worst = (f64::INFINITY, "");
    for (text, got, reference) in pairs {
        if got.len() != reference.len() {
            return Err(format!(
                "`{text}`: {} dimensions, the CPU reference has {}",
                got.len(),
                reference.len()
            )
            .into());
        }
        let c = cosine(got, reference);
        if c < worst.0 || c.is_nan() {
            worst = (c, text);
        }
    }
    if worst.0 >= least {
        Ok(format!("{} vectors agree with the CPU's, lowest cosine {:.6}", pairs.len(), worst.0))
    } else {
        Err(format!(
            "`{}` agrees with the CPU's vector at cosine {:.6}, under {least}",
            worst.1, worst.0
        )
        .into())
    }
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (norm(a) * norm(b))
}

fn uuids(report: &GpuReport) -> String {
    let ids: Vec<&str> = report.devices.iter().map(|d| d.uuid.as_str()).collect();
    format!("[{}]", ids.join(", "))
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / (1u64 << 20) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report recorded on a real GPU (`fixtures/gpu/`).
    pub fn recorded(name: &str) -> GpuReport {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/gpu");
        read_recording(&dir.join(name)).unwrap()
    }

    const MODEL: u64 = 64 << 20;

    #[test]
    fn a_recorded_h100_is_a_gpu_and_a_machine_without_nvml_is_not() {
        let idle = recorded("h100-idle.json");
        assert_eq!(idle.no_gpu(), None);
        assert!(
            idle.summary().contains("1 GPU(s): NVIDIA H100 80GB HBM3 (GPU-6d569e9f"),
            "{}",
            idle.summary()
        );
        let none = GpuReport::unavailable("NVML cannot load: libnvidia-ml.so: not found");
        assert_eq!(
            none.no_gpu().unwrap(),
            "no GPU here (NVML cannot load: libnvidia-ml.so: not found)"
        );
        let empty = GpuReport { devices: Vec::new(), ..idle };
        assert!(empty.no_gpu().unwrap().contains("reports no GPU"));
    }

    #[test]
    fn the_host_must_name_its_driver_cuda_and_uuids() {
        let mut host = recorded("h100-idle.json");
        assert!(judge_host(&host).unwrap().starts_with("driver 580.159.04, CUDA 13.0"));
        host.cuda_driver_version = None;
        host.devices[0].uuid = String::new();
        let err = judge_host(&host).unwrap_err();
        assert!(err.contains("the CUDA driver version, a UUID for GPU 0"), "{err}");
    }

    #[test]
    fn a_stand_in_report_holds_on_its_thread_only() {
        let recorded = recorded("h100-idle.json");
        let seen = with_host_report(recorded.clone(), || {
            let other = std::thread::spawn(host_report).join().unwrap();
            (host_report(), other)
        });
        assert_eq!(seen.0, recorded);
        assert_ne!(seen.1, recorded, "another thread reads the real NVML");
        assert_ne!(host_report(), recorded, "the stand-in ends with the closure");
    }

    #[test]
    fn the_same_gpus_match_by_uuid_not_by_index() {
        let host = recorded("h100-idle.json");
        let mut service = host.clone();
        service.devices[0].index = 3;
        assert!(judge_same_gpus(&host, &service).unwrap().contains("GPU-6d569e9f"));
        service.devices[0].uuid = "GPU-00000000-0000-0000-0000-000000000000".into();
        let err = judge_same_gpus(&host, &service).unwrap_err();
        assert!(err.contains("missing: [GPU-6d569e9f"), "{err}");
        assert!(err.contains("not on the host: [GPU-00000000"), "{err}");
        let err = judge_same_gpus(&host, &GpuReport::unavailable("NVML cannot load")).unwrap_err();
        assert!(err.contains("the service sees no GPU: NVML cannot load"), "{err}");
    }

    #[test]
    fn a_service_without_a_request_must_see_no_gpu() {
        assert!(judge_no_gpus(&GpuReport::unavailable("NVML cannot load")).is_ok());
        let err = judge_no_gpus(&recorded("h100-idle.json")).unwrap_err();
        assert!(err.contains("not isolated"), "{err}");
    }

    #[test]
    fn isolation_is_a_report_without_gpus_or_a_missing_driver() {
        let none = serde_json::to_string(&GpuReport::unavailable("NVML cannot load")).unwrap();
        assert!(judge_isolation(0, &none, "").is_ok());
        let h100 = serde_json::to_string_pretty(&recorded("h100-idle.json")).unwrap();
        assert!(judge_isolation(0, &h100, "").unwrap_err().contains("not isolated"));
        let loader = "/usr/local/bin/gauntlet-service: error while loading shared libraries: \
                      libcuda.so.1: cannot open shared object file: No such file or directory\n";
        let ok = judge_isolation(127, "", loader).unwrap();
        assert!(ok.contains("libcuda is absent"), "{ok}");
        let err = judge_isolation(139, "", "Segmentation fault").unwrap_err();
        assert!(err.contains("exited 139 with neither a GPU report"), "{err}");
    }

    #[test]
    fn memory_growth_is_judged_on_the_process_and_its_gpu() {
        let (idle, busy) = (recorded("h100-idle.json"), recorded("h100-one-process.json"));
        let ok = judge_memory_growth(&idle, &busy, &[443], MODEL).unwrap();
        assert!(ok.contains("process 443 holds 4614 MiB"), "{ok}");
        // The service below an init process (pid 440 here) is found.
        let ok = judge_memory_growth(&idle, &busy, &[440, 443], MODEL).unwrap();
        assert!(ok.contains("process 443 holds 4614 MiB"), "{ok}");
        let err = judge_memory_growth(&idle, &busy, &[999], MODEL).unwrap_err();
        assert!(
            err.contains("process 999 holds no GPU memory (compute processes: [443])"),
            "{err}"
        );
        let err = judge_memory_growth(&idle, &busy, &[998, 999], MODEL).unwrap_err();
        assert!(err.contains("process 998 nor the processes below it [999] holds no"), "{err}");
        let err = judge_memory_growth(&idle, &busy, &[443], 8 << 30).unwrap_err();
        assert!(err.contains("less than the 8192 MiB"), "{err}");
        let err = judge_memory_growth(&busy, &busy, &[443], MODEL).unwrap_err();
        assert!(err.contains("grew by only 0 MiB"), "{err}");
    }

    #[test]
    fn the_process_tree_holds_the_children_and_grandchildren() {
        let mut shell = std::process::Command::new("sh")
            .args(["-c", "sh -c 'sleep 30 & wait' & wait"])
            .spawn()
            .unwrap();
        let pid = shell.id();
        let mut tree = Vec::new();
        for _ in 0..100 {
            tree = process_tree(pid);
            if tree.len() >= 3 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let below: Vec<String> = tree.iter().skip(1).map(u32::to_string).collect();
        let _ = std::process::Command::new("kill").arg("-9").args(&below).status();
        let _ = shell.kill();
        let _ = shell.wait();
        assert_eq!(tree.len(), 3, "sh, sh, sleep: {tree:?}");
        assert_eq!(tree[0], pid);
        assert_eq!(process_tree(u32::MAX), vec![u32::MAX]);
    }

    #[test]
    fn the_gpu_count_must_equal_the_limit() {
        let host = recorded("h100-idle.json");
        assert!(judge_gpu_count(Some(1), &host).is_ok());
        let err = judge_gpu_count(Some(2), &host).unwrap_err();
        assert!(err.contains("limit is 2 but the service sees 1"), "{err}");
        assert!(judge_gpu_count(None, &host).unwrap_err().contains("no nvidia.com/gpu limit"));
    }

    #[test]
    fn vectors_agree_with_the_cpu_at_the_bound() {
        let v = vec![0.6, 0.8, 0.0];
        let near = vec![0.6, 0.8, 0.01];
        let far = vec![0.8, 0.6, 0.0];
        assert!(judge_agreement(&[("a", v.clone(), near.clone())], 0.999).is_ok());
        let err =
            judge_agreement(&[("a", v.clone(), near), ("b", v.clone(), far)], 0.999).unwrap_err();
        assert!(err.contains("`b` agrees with the CPU's vector at cosine 0.960000"), "{err}");
        assert!(judge_agreement(&[("c", v, vec![1.0])], 0.999).unwrap_err().contains("dimensions"));
    }
}
