//! The GPU report: what NVML (loaded at run time through nvml-wrapper) says
//! about the driver, the devices and the processes using them. The reference
//! service serves it at `/gpu` (and prints it for `gauntlet-service gpu`); the
//! harness reads the host's own and any service's `/gpu` in the same types, as
//! the contract of `schemas/api/gpu-report.schema.json`: a service may add
//! fields, and the optional ones (the reason, the driver and CUDA versions, the
//! utilization, temperature and process lists) may be missing. Reading NVML is never
//! an error: when it cannot load, the report says `available: false` and why.

use std::sync::OnceLock;

use nvml_wrapper::enum_wrappers::device::TemperatureSensor;
use nvml_wrapper::enums::device::UsedGpuMemory;
use nvml_wrapper::error::NvmlError;
use nvml_wrapper::{Nvml, cuda_driver_version_major, cuda_driver_version_minor};
use serde::{Deserialize, Serialize};

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuReport {
    /// Whether NVML loaded and named at least one GPU.
    pub available: bool,
    /// Why not, when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The NVIDIA driver's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_version: Option<String>,
    /// The CUDA version the driver supports, as `12.4`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cuda_driver_version: Option<String>,
    /// One entry a GPU.
    #[serde(default)]
    pub devices: Vec<GpuDevice>,
}

/// One GPU as NVML sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuDevice {
    /// NVML's index.
    pub index: u32,
    /// Marketing name, e.g. `NVIDIA H100 80GB HBM3`.
    pub name: String,
    /// Stable identity, `GPU-...`.
    pub uuid: String,
    /// Memory on the card, bytes.
    pub memory_total_bytes: u64,
    /// Memory in use, bytes.
    pub memory_used_bytes: u64,
    /// Percent of time a kernel ran over the last sample period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilization_gpu_percent: Option<u32>,
    /// Percent of time memory was read or written over the last sample period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilization_memory_percent: Option<u32>,
    /// Core temperature in degrees Celsius.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_celsius: Option<u32>,
    /// Compute processes on this GPU and their memory.
    #[serde(default)]
    pub processes: Vec<GpuProcess>,
}

/// A compute process on a GPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuProcess {
    /// Process id, as the host sees it.
    pub pid: u32,
    /// GPU memory it holds, bytes, when NVML can tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_memory_bytes: Option<u64>,
}

impl GpuReport {
    /// A report for a machine where NVML cannot answer.
    pub fn unavailable(reason: impl Into<String>) -> Self {
        Self {
            available: false,
            reason: Some(reason.into()),
            driver_version: None,
            cuda_driver_version: None,
            devices: Vec::new(),
        }
    }

    /// Why no GPU check can run against this (host) report: NVML did not load,
    /// or it loaded and sees no GPU. `None` when there is a GPU.
    pub fn no_gpu(&self) -> Option<String> {
        if !self.available {
            let why = self.reason.as_deref().unwrap_or("NVML is not available");
            return Some(format!("no GPU here ({why})"));
        }
        self.devices.is_empty().then(|| "no GPU here (NVML loaded but reports no GPU)".to_owned())
    }

    /// `driver 580.159.04, CUDA 13.0, 1 GPU(s): NVIDIA H100 80GB HBM3 (GPU-6d56...)`.
    pub fn summary(&self) -> String {
        let devices: Vec<String> =
            self.devices.iter().map(|d| format!("{} ({})", d.name, d.uuid)).collect();
        format!(
            "driver {}, CUDA {}, {} GPU(s): {}",
            self.driver_version.as_deref().unwrap_or("?"),
            self.cuda_driver_version.as_deref().unwrap_or("?"),
            self.devices.len(),
            devices.join(", ")
        )
    }

    /// Memory held by process `pid` on any GPU, bytes, with the GPU; `None` when
    /// it holds none.
    pub fn memory_of(&self, pid: u32) -> Option<(u64, &GpuDevice)> {
        self.devices.iter().find_map(|d| {
            d.processes.iter().find(|p| p.pid == pid).map(|p| (p.used_memory_bytes.unwrap_or(0), d))
        })
    }
}

/// This host's report, fresh from NVML (loaded once per process). Blocking:
/// NVML calls take milliseconds.
pub fn report() -> GpuReport {
    static NVML: OnceLock<Result<Nvml, NvmlError>> = OnceLock::new();
    match NVML.get_or_init(Nvml::init) {
        Ok(nvml) => {
            read(nvml).unwrap_or_else(|e| GpuReport::unavailable(format!("NVML failed: {e}")))
        }
        Err(e) => GpuReport::unavailable(format!("NVML cannot load: {e}")),
    }
}

fn read(nvml: &Nvml) -> Result<GpuReport, NvmlError> {
    let cuda = nvml
        .sys_cuda_driver_version()
        .ok()
        .map(|v| format!("{}.{}", cuda_driver_version_major(v), cuda_driver_version_minor(v)));
    let mut devices = Vec::new();
    for index in 0..nvml.device_count()? {
        let device = nvml.device_by_index(index)?;
        let memory = device.memory_info()?;
        let utilization = device.utilization_rates().ok();
        let processes = device
            .running_compute_processes()
            .unwrap_or_default()
            .into_iter()
            .map(|p| GpuProcess {
                pid: p.pid,
                used_memory_bytes: match p.used_gpu_memory {
                    UsedGpuMemory::Used(bytes) => Some(bytes),
                    UsedGpuMemory::Unavailable => None,
                },
            })
            .collect();
        devices.push(GpuDevice {
            index,
            name: device.name()?,
            uuid: device.uuid()?,
            memory_total_bytes: memory.total,
            memory_used_bytes: memory.used,
            utilization_gpu_percent: utilization.as_ref().map(|u| u.gpu),
            utilization_memory_percent: utilization.as_ref().map(|u| u.memory),
            temperature_celsius: device.temperature(TemperatureSensor::Gpu).ok(),
            processes,
        });
    }
    let available = !devices.is_empty();
    Ok(GpuReport {
        available,
        reason: (!available).then(|| "NVML loaded but reports no GPU".to_owned()),
        driver_version: nvml.sys_driver_version().ok(),
        cuda_driver_version: cuda,
        devices,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(name: &str) -> GpuReport {
        let path = format!("{}/../fixtures/gpu/{name}", env!("CARGO_MANIFEST_DIR"));
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        serde_json::from_value(doc["report"].clone()).unwrap()
    }

    #[test]
    fn recorded_reports_parse_and_round_trip() {
        let idle = recorded("h100-idle.json");
        assert!(idle.available);
        assert_eq!(idle.devices.len(), 1);
        assert!(idle.devices[0].uuid.starts_with("GPU-"));
        let busy = recorded("h100-one-process.json");
        assert_eq!(busy.devices[0].processes.len(), 1);
        assert!(busy.devices[0].memory_used_bytes > idle.devices[0].memory_used_bytes);
        let again: GpuReport =
            serde_json::from_str(&serde_json::to_string(&busy).unwrap()).unwrap();
        assert_eq!(again, busy);
    }

    #[test]
    fn an_unavailable_report_says_why() {
        let json = serde_json::to_value(GpuReport::unavailable("NVML cannot load: x")).unwrap();
        assert_eq!(json["available"], false);
        assert_eq!(json["reason"], "NVML cannot load: x");
        assert_eq!(json["devices"], serde_json::json!([]));
        let why = GpuReport::unavailable("NVML cannot load: x").no_gpu();
        assert_eq!(why.as_deref(), Some("no GPU here (NVML cannot load: x)"));
    }

    #[test]
    fn a_service_may_add_fields_and_leave_optional_ones_out() {
        let minimal: GpuReport = serde_json::from_str(
            r#"{"available": true, "devices": [{"index": 0, "name": "G", "uuid": "GPU-1",
                "memory_total_bytes": 8, "memory_used_bytes": 1, "vendor_extra": 3}],
                "served_by": "someone else"}"#,
        )
        .unwrap();
        assert_eq!(minimal.devices[0].processes, []);
        assert_eq!(minimal.summary(), "driver ?, CUDA ?, 1 GPU(s): G (GPU-1)");
    }
}
