//! Targets: how to reach a service and what the harness can do with it. A
//! target gives one view per capability it has (`capability`); `spec` turns a
//! `--target` argument into an open target; the process target starts
//! `gauntlet-service` through `gauntlet-launch`, the one place that does.

mod capability;
mod container;
mod error;
mod image;
mod kube;
mod process;
mod spec;
mod url;
mod views;

pub use capability::{Capability, Http, SameHost, Startup, View};
pub use container::{ContainerConfig, ContainerTarget, SERVICE_PORT, ServiceImage};
pub use error::{Error, Result};
pub use gauntlet_launch::{Launched, ProcessConfig};
pub use image::ImageTarget;
pub use kube::{KubeConfig, KubeTarget, reachable as kube_reachable};
pub use process::ProcessTarget;
pub use spec::{OpenOptions, Spec};
pub use url::UrlTarget;
pub use views::{
    ClusterView, ContainerView, Exited, ImageView, Private, RuntimeSettings, Spawner, Target,
};
