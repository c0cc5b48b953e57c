//! The local Docker engine: finding it, speaking its API version, and removing
//! the containers a run created (found by the labels of [`crate::run`]).

mod cleanup;
mod engine;
mod error;
mod inspect;
mod shim;

pub use cleanup::{labelled, remove_labelled, sweep_dead_runs};
pub use engine::{Engine, behind_shim, connect, testcontainers_reach};
pub use error::{Error, Result, api};
pub use inspect::{OneShot, block_on, export_image, image_facts, path_exists, run_once};
pub use shim::{ApiShim, Rewriter};

/// Each container also carries this label with a value unique to it, so the
/// harness can find it before testcontainers hands it over.
pub const INSTANCE_LABEL: &str = "gauntlet.instance";

/// Whether the engine holds image `reference` (`name:tag`).
pub fn image_exists(engine: &Engine, reference: &str) -> bool {
    let Ok(client) = engine.client() else { return false };
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return false;
    };
    runtime.block_on(client.inspect_image(reference)).is_ok()
}

/// The bridge IP address of the running container labelled
/// `gauntlet.instance=<instance>`, once it has one.
pub fn bridge_address(engine: &Engine, instance: &str) -> Option<String> {
    use std::collections::HashMap;
    use testcontainers::bollard::query_parameters::ListContainersOptions;

    let client = engine.client().ok()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
    let filters = HashMap::from([
        ("label".to_owned(), vec![format!("{INSTANCE_LABEL}={instance}")]),
        ("status".to_owned(), vec!["running".to_owned()]),
    ]);
    let options = ListContainersOptions { filters: Some(filters), ..Default::default() };
    let found = runtime.block_on(client.list_containers(Some(options))).ok()?;
    found
        .into_iter()
        .filter_map(|c| c.network_settings?.networks)
        .flat_map(|networks| networks.into_values())
        .filter_map(|endpoint| endpoint.ip_address)
        .find(|ip| !ip.is_empty())
}
