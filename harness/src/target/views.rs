//! The views a target gives of the service: the [`Target`] trait itself, and
//! the steering a check may do through it (private instances, containers,
//! images, clusters).

use std::time::Duration;

use super::{Http, Result, SameHost, Startup};
use crate::image::ImageFacts;

/// A service under test: a name, and a view for each capability it has (see
/// [`Capability`](super::Capability)); a view it does not give is a capability
/// it lacks.
pub trait Target: Send + Sync {
    /// A short name for reports (`process`, `url=http://...`).
    fn name(&self) -> &str;
    /// Where the service answers HTTP (`Http`).
    fn http(&self) -> Option<Http<'_>> {
        None
    }
    /// Readiness answers polled from the moment the service listened, with the
    /// time since the process started (`StartupObserved`).
    fn startup(&self) -> Option<Startup<'_>> {
        None
    }
    /// Starts private instances a check may disturb (`Signals`).
    fn signals(&self) -> Option<&dyn Spawner> {
        None
    }
    /// The service runs on this host (`SameHost`).
    fn same_host(&self) -> Option<SameHost> {
        None
    }
    /// The image the service runs from (`Image`).
    fn image(&self) -> Option<&dyn ImageView> {
        None
    }
    /// The container the service runs in (`Container`).
    fn container(&self) -> Option<&dyn ContainerView> {
        None
    }
    /// The cluster the service is deployed to (`Kube`).
    fn cluster(&self) -> Option<&dyn ClusterView> {
        None
    }
    /// The version of the Kubernetes cluster the service runs in, when it runs in one.
    fn kubernetes_version(&self) -> Option<String> {
        None
    }
}

/// Starts instances of the service that only the caller uses, for checks that
/// disturb them (signals, kills, restarts).
pub trait Spawner: Send + Sync {
    /// Starts another instance, ready to serve.
    fn spawn_private(&self) -> Result<Box<dyn Private>>;
}

/// A deployment in a cluster, read through the API server.
pub trait ClusterView: Send + Sync {
    /// The Deployment as the API server has it now.
    fn deployment(&self) -> Result<k8s_openapi::api::apps::v1::Deployment>;
    /// Its pods.
    fn pods(&self) -> Result<Vec<k8s_openapi::api::core::v1::Pod>>;
    /// Events and pod logs, for a report that must say why.
    fn diagnostics(&self) -> String;
}

/// How a container runs, as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeSettings {
    /// The root filesystem is read-only.
    pub read_only: bool,
    /// Capabilities dropped (`ALL` for all).
    pub cap_drop: Vec<String>,
    /// The memory limit in bytes, 0 for none.
    pub memory_limit: i64,
}

/// A running container the harness started and may steer.
pub trait ContainerView: Spawner {
    /// How it runs.
    fn settings(&self) -> Result<RuntimeSettings>;
    /// Its log lines so far, stdout then stderr.
    fn logs(&self) -> Vec<String>;
    /// Docker's health status (`starting`, `healthy`, `unhealthy`); `None`
    /// without a HEALTHCHECK.
    fn health(&self) -> Result<Option<String>>;
    /// Memory in use now, in bytes, as `docker stats` counts it.
    fn memory_bytes(&self) -> Result<u64>;
    /// `docker stop`: SIGTERM, SIGKILL after `grace`; returns the exit code.
    fn stop(&self, grace: Duration) -> Result<i64>;
    /// Starts another instance the way an orchestrator would: read-only root
    /// filesystem, every capability dropped, a `memory_limit` in bytes; gives up
    /// when it is not ready within `ready_timeout`.
    fn spawn_hardened(
        &self,
        memory_limit: i64,
        ready_timeout: Duration,
    ) -> Result<Box<dyn Private>>;
    /// Runs the service binary once with `args` (e.g. `gpu`) in a container of
    /// the same image with no GPU requested, and waits for it to exit.
    fn run_without_gpus(&self, args: &[&str]) -> Result<Exited>;
    /// Whether this container was started with every GPU requested.
    fn gpus_requested(&self) -> bool;
}

/// An image the harness can read.
pub trait ImageView: Send + Sync {
    /// Its metadata.
    fn facts(&self) -> Result<ImageFacts>;
    /// Whether `path` exists in its filesystem.
    fn path_exists(&self, path: &str) -> Result<bool>;
    /// The port, inside the container, the service was seen listening on (its
    /// `listening` log line, else the port the harness reached it on); `None`
    /// when the image was never run.
    fn listening_port(&self) -> Option<u16>;
}

/// What a program run to its end left: its exit code and its output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exited {
    /// The exit code.
    pub exit_code: i64,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

/// An instance a check owns and may stop: a target of its own, always reached
/// over HTTP and always on this host.
pub trait Private: Target {
    /// Its base URL.
    fn base_url(&self) -> &str;
    /// Its process id as this host sees it (what NVML reports), when known.
    fn host_pid(&self) -> Option<u32>;
    /// Sends a Unix signal (e.g. `libc::SIGTERM`).
    fn signal(&self, signal: i32) -> Result<()>;
    /// Waits up to `timeout` for the instance to exit; returns its exit code
    /// (`None` when it is still running or was killed by a signal).
    fn wait_exit(&self, timeout: Duration) -> Option<i32>;
    /// Starts the instance again at the same address, killing it first if it still
    /// runs, and waits until it is ready; returns how long that took.
    fn restart(&self) -> Result<Duration>;
}
