//! Capabilities: what a target may or may not let a check reach, each with the
//! view a check receives for it. A [`View`] ties a capability to its view type,
//! so declaring a check's parameter of that type is declaring its need
//! (the `check!` macro), and a target has a capability exactly when it gives the view.

use std::fmt;
use std::time::Duration;

use super::{ClusterView, ContainerView, ImageView, Spawner, Target};
use crate::gpu::GpuReport;

/// Something a target may or may not be able to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// The service answers HTTP at the target's base URL.
    Http,
    /// The harness started the service and watched its readiness from the first moment.
    StartupObserved,
    /// The harness can start private instances and signal them.
    Signals,
    /// The service runs on this host, so this host's NVML and process ids are its own.
    SameHost,
    /// The target is an image whose metadata and files the harness can read.
    Image,
    /// The service runs in a container the harness started and can steer.
    Container,
    /// The service is deployed to a Kubernetes cluster the harness can read.
    Kube,
}

impl Capability {
    /// The capability's name, as `gauntlet list` and the reports print it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::StartupObserved => "startup-observed",
            Self::Signals => "signals",
            Self::SameHost => "same-host",
            Self::Image => "image",
            Self::Container => "container",
            Self::Kube => "kube",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A view of a target that a check may receive, and the capability it stands for.
pub trait View<'a>: Sized {
    /// The capability a target has when it gives this view.
    const CAPABILITY: Capability;
    /// The view, when `target` gives it.
    fn of(target: &'a dyn Target) -> Option<Self>;
}

/// The service's HTTP address.
#[derive(Debug, Clone, Copy)]
pub struct Http<'a> {
    base: &'a str,
}

impl<'a> Http<'a> {
    /// A base URL without a trailing slash, e.g. `http://127.0.0.1:41234`.
    pub fn new(base: &'a str) -> Self {
        Self { base }
    }

    /// The base URL.
    pub fn base_url(&self) -> &'a str {
        self.base
    }
}

/// Readiness answers polled from the moment the service listened, with the
/// time since its process started.
#[derive(Debug, Clone, Copy)]
pub struct Startup<'a>(pub &'a [(Duration, u16)]);

/// Proof that the service runs on the harness's host: this host's NVML report
/// is the service's.
#[derive(Debug, Clone, Copy)]
pub struct SameHost {
    _claimed: (),
}

impl SameHost {
    /// Claimed by a target that starts the service on this host.
    pub fn here() -> Self {
        Self { _claimed: () }
    }

    /// This host's GPU report (NVML), the one the service's own GPUs appear in.
    pub fn gpu_report(&self) -> GpuReport {
        crate::gpu::host_report()
    }
}

/// Ties each view type to its capability and to the target method that gives it.
macro_rules! views {
    ($lt:lifetime; $($ty:ty => $capability:ident, $method:ident;)*) => {$(
        impl<$lt> View<$lt> for $ty {
            const CAPABILITY: Capability = Capability::$capability;
            fn of(target: &$lt dyn Target) -> Option<Self> {
                target.$method()
            }
        }
    )*};
}

views! { 'a;
    Http<'a> => Http, http;
    Startup<'a> => StartupObserved, startup;
    &'a dyn Spawner => Signals, signals;
    SameHost => SameHost, same_host;
    &'a dyn ImageView => Image, image;
    &'a dyn ContainerView => Container, container;
    &'a dyn ClusterView => Kube, cluster;
}
