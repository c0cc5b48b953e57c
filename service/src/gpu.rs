//! The GPU report the service serves at `/gpu` and prints for
//! `gauntlet-service gpu`: the types and the NVML reading are the
//! `gauntlet-gpu-report` crate's, shared with the harness that reads it.

pub use gauntlet_gpu_report::{GpuDevice, GpuProcess, GpuReport, report};
