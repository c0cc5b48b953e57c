//! What the manifests say about the service as deployed: the serving container
//! of the first workload (its probes, ports, user and memory limit) and the
//! Services in front of it. The live cross-checks hold these against the
//! running service and its image.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, PodSecurityContext, Probe, Service};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::objects::{self, Object, map_selects};
use super::{Document, Error};

/// The serving container of a workload, with what surrounds it.
#[derive(Debug, Clone)]
pub struct Deployed {
    /// `Kind/name` of the workload, for messages.
    pub workload: String,
    /// The container that declares a port (the first one when none does).
    pub container: Container,
    /// The pod's security context.
    pub pod_security: PodSecurityContext,
    /// The Services whose selector matches the pod.
    pub services: Vec<Service>,
}

/// A probe as the kubelet will run it.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpProbe {
    /// `startupProbe`, `readinessProbe` or `livenessProbe`.
    pub field: &'static str,
    /// The path it gets.
    pub path: String,
    /// The container port it targets, resolved from a name where needed.
    pub port: Option<i32>,
    /// As written (`http`, `8080`).
    pub port_written: String,
}

impl Deployed {
    /// The first workload in `documents` and its serving container.
    pub fn find(documents: &[Document]) -> Result<Self, Error> {
        let mut typed = Vec::new();
        for doc in documents {
            if let Ok(Some(t)) = objects::parse(doc) {
                typed.push(t);
            }
        }
        let (namespace, workload) = typed
            .iter()
            .find_map(|t| match &t.object {
                Object::Workload(w) if w.long_running() => Some((t.namespace().to_owned(), w)),
                _ => None,
            })
            .ok_or(Error::NoWorkload)?;
        let container = workload
            .pod
            .containers
            .iter()
            .find(|c| c.ports.as_ref().is_some_and(|p| !p.is_empty()))
            .or_else(|| workload.pod.containers.first())
            .cloned()
            .ok_or_else(|| Error::NoContainers {
                workload: format!("{} {}", workload.kind, workload.name),
            })?;
        let services = typed
            .iter()
            .filter(|t| t.namespace() == namespace)
            .filter_map(|t| match &t.object {
                Object::Service(s) => Some((**s).clone()),
                _ => None,
            })
            .filter(|s| {
                map_selects(s.spec.as_ref().and_then(|s| s.selector.as_ref()), &workload.pod_labels)
            })
            .collect();
        Ok(Self {
            workload: format!("{}/{}", workload.kind, workload.name),
            container,
            pod_security: workload.pod.security_context.clone().unwrap_or_default(),
            services,
        })
    }

    /// The container's name.
    pub fn name(&self) -> &str {
        &self.container.name
    }

    /// The container port a Service or probe port means, names resolved.
    pub fn resolve(&self, port: &IntOrString) -> Option<i32> {
        match port {
            IntOrString::Int(n) => Some(*n),
            IntOrString::String(name) => self
                .container
                .ports
                .iter()
                .flatten()
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .map(|p| p.container_port),
        }
    }

    /// The declared container ports.
    pub fn container_ports(&self) -> Vec<i32> {
        self.container.ports.iter().flatten().map(|p| p.container_port).collect()
    }

    /// The httpGet probes, in start-up order.
    pub fn http_probes(&self) -> Vec<HttpProbe> {
        let c = &self.container;
        [
            ("startupProbe", &c.startup_probe),
            ("readinessProbe", &c.readiness_probe),
            ("livenessProbe", &c.liveness_probe),
        ]
        .into_iter()
        .filter_map(|(field, probe)| {
            let http = probe.as_ref()?.http_get.as_ref()?;
            Some(HttpProbe {
                field,
                path: http.path.clone().unwrap_or_else(|| "/".to_owned()),
                port: self.resolve(&http.port),
                port_written: match &http.port {
                    IntOrString::Int(n) => n.to_string(),
                    IntOrString::String(s) => s.clone(),
                },
            })
        })
        .collect()
    }

    /// How long the kubelet lets the container start before it kills it: the
    /// startup probe's `initialDelaySeconds + failureThreshold × periodSeconds`,
    /// else the liveness probe's; `None` when neither is set (nothing kills a
    /// slow start). The text says how it was reckoned.
    pub fn startup_budget(&self) -> Option<(Duration, String)> {
        let c = &self.container;
        let (field, probe): (&str, &Probe) = match (&c.startup_probe, &c.liveness_probe) {
            (Some(p), _) => ("startupProbe", p),
            (None, Some(p)) => ("livenessProbe", p),
            (None, None) => return None,
        };
        // The kubelet's defaults.
        let delay = probe.initial_delay_seconds.unwrap_or(0);
        let threshold = probe.failure_threshold.unwrap_or(3);
        let period = probe.period_seconds.unwrap_or(10);
        let seconds = i64::from(delay) + i64::from(threshold) * i64::from(period);
        let how = format!(
            "{field}: initialDelaySeconds {delay} + failureThreshold {threshold} × periodSeconds {period} = {seconds} s"
        );
        Some((Duration::from_secs(u64::try_from(seconds).unwrap_or(0)), how))
    }

    /// The user the container runs as, container context over pod context.
    pub fn run_as_user(&self) -> Option<i64> {
        let sc = self.container.security_context.as_ref();
        sc.and_then(|s| s.run_as_user).or(self.pod_security.run_as_user)
    }

    /// The group the container runs as, container context over pod context.
    pub fn run_as_group(&self) -> Option<i64> {
        let sc = self.container.security_context.as_ref();
        sc.and_then(|s| s.run_as_group).or(self.pod_security.run_as_group)
    }

    /// The memory limit in bytes, as written and parsed.
    pub fn memory_limit(&self) -> Option<(u64, String)> {
        let limits = self.container.resources.as_ref()?.limits.as_ref()?;
        let written = &limits.get("memory")?.0;
        Some((quantity_bytes(written)?, written.clone()))
    }
}

/// A Kubernetes memory quantity in bytes: plain, with a decimal (`k`, `M`, `G`,
/// `T`, `P`, `E`) or binary (`Ki` ... `Ei`) suffix, or an exponent (`1e9`).
pub fn quantity_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic() && c != 'e').unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    let factor: f64 = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => return None,
    };
    let bytes = value * factor;
    (bytes.is_finite() && bytes >= 0.0).then(|| bytes.ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_quantities_parse_as_the_api_server_reads_them() {
        assert_eq!(quantity_bytes("1Gi"), Some(1 << 30));
        assert_eq!(quantity_bytes("512Mi"), Some(512 << 20));
        assert_eq!(quantity_bytes("1G"), Some(1_000_000_000));
        assert_eq!(quantity_bytes("128974848"), Some(128_974_848));
        assert_eq!(quantity_bytes("1e9"), Some(1_000_000_000));
        assert_eq!(quantity_bytes("1.5Gi"), Some(1_610_612_736));
        assert_eq!(quantity_bytes("lots"), None);
        assert_eq!(quantity_bytes("12Zi"), None);
    }
}
