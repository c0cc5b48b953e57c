//! Choosing where the model runs: `auto`, `cpu` or `cuda:N`, decided once at start.

use std::fmt;
use std::str::FromStr;

use candle_core::Device;

/// What the operator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceRequest {
    /// CUDA device 0 when this build and machine have one, else the CPU.
    Auto,
    /// The CPU.
    Cpu,
    /// A CUDA device by ordinal.
    Cuda(usize),
}

impl FromStr for DeviceRequest {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "cuda" => Ok(Self::Cuda(0)),
            _ => s
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(Self::Cuda)
                .ok_or_else(|| format!("`{s}` is not a device: use auto, cpu or cuda:N")),
        }
    }
}

impl fmt::Display for DeviceRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Cpu => f.write_str("cpu"),
            Self::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

/// The device chosen, its name as `/info` reports it, and why when `auto` fell back.
#[derive(Debug, Clone)]
pub struct Selected {
    /// The candle device.
    pub device: Device,
    /// `cpu` or `cuda:N`.
    pub name: String,
    /// Why `auto` did not pick a GPU, when it did not.
    pub fallback: Option<String>,
}

/// Why a device cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// CUDA was asked for in a build without the `cuda` feature.
    #[error("--device {0}: this build has no CUDA support (rebuild with `--features cuda`)")]
    NoCudaSupport(DeviceRequest),
    /// CUDA was asked for but the device cannot be opened.
    #[error("--device {request}: cannot open the CUDA device: {reason}")]
    CudaUnavailable {
        /// What was asked for.
        request: DeviceRequest,
        /// What candle said.
        reason: String,
    },
}

/// Whether this binary was built with CUDA support.
pub const CUDA_BUILT: bool = cfg!(feature = "cuda");

/// Opens the requested device.
pub fn select(request: DeviceRequest) -> Result<Selected, Error> {
    match request {
        DeviceRequest::Cpu => Ok(cpu(None)),
        DeviceRequest::Cuda(n) => {
            if !CUDA_BUILT {
                return Err(Error::NoCudaSupport(request));
            }
            let device = Device::new_cuda(n)
                .map_err(|e| Error::CudaUnavailable { request, reason: e.to_string() })?;
            Ok(Selected { device, name: format!("cuda:{n}"), fallback: None })
        }
        DeviceRequest::Auto => {
            if !CUDA_BUILT {
                return Ok(cpu(Some("this build has no CUDA support".into())));
            }
            match Device::new_cuda(0) {
                Ok(device) => Ok(Selected { device, name: "cuda:0".into(), fallback: None }),
                Err(e) => Ok(cpu(Some(format!("no usable CUDA device: {e}")))),
            }
        }
    }
}

fn cpu(fallback: Option<String>) -> Selected {
    Selected { device: Device::Cpu, name: "cpu".into(), fallback }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_parse() {
        assert_eq!("auto".parse(), Ok(DeviceRequest::Auto));
        assert_eq!("cpu".parse(), Ok(DeviceRequest::Cpu));
        assert_eq!("cuda:1".parse(), Ok(DeviceRequest::Cuda(1)));
        assert!("gpu".parse::<DeviceRequest>().unwrap_err().contains("auto, cpu or cuda:N"));
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn auto_without_cuda_falls_back_and_says_why() {
        let selected = select(DeviceRequest::Auto).expect("cpu always works");
        assert_eq!(selected.name, "cpu");
        assert!(selected.fallback.expect("a reason").contains("no CUDA support"));
        assert!(matches!(select(DeviceRequest::Cuda(0)), Err(Error::NoCudaSupport(_))));
    }
}
