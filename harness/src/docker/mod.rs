//! The local Docker engine: finding it, speaking its API version, and the labels
//! that mark what a run created so it can be removed afterwards.

mod cleanup;
mod engine;
mod inspect;
mod shim;

pub use cleanup::{
    forget_on_interrupt, handle_interrupts, labelled, on_interrupt, remove_labelled, settle,
    sweep_dead_runs,
};
pub use engine::{Engine, prepare, prepared};
pub use inspect::{OneShot, block_on, export_image, image_facts, path_exists, run_once};
pub use shim::{ApiShim, Rewriter};

use std::sync::OnceLock;

/// Every container, network and volume the harness creates carries this label,
/// valued with the run's id.
pub const RUN_LABEL: &str = "gauntlet.run";
/// And this one, valued with the harness's process id, so a later run can tell
/// a dead run's leftovers from a live run's containers.
pub const PID_LABEL: &str = "gauntlet.pid";

/// Each container also carries this label with a value unique to it, so the
/// harness can find it before testcontainers hands it over.
pub const INSTANCE_LABEL: &str = "gauntlet.instance";

/// This run's id: the process id and the start time, unique on this host.
pub fn run_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        format!("{}-{nanos:x}", std::process::id())
    })
}

/// Whether this runs in CI (`CI` set to anything but `false`, `0` or empty), where
/// an unreachable engine fails container tests instead of skipping them.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"))
}

/// Whether the engine holds image `reference` (`name:tag`).
pub fn image_exists(engine: &Engine, reference: &str) -> bool {
    let Ok(client) = engine.client() else { return false };
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return false;
    };
    runtime.block_on(client.inspect_image(reference)).is_ok()
}

/// Whether process `pid` still runs on this host (a zombie, dead but not yet
/// reaped, does not count).
pub fn process_alive(pid: i32) -> bool {
    // SAFETY: kill(2) with signal 0 only checks that the process exists.
    let found = unsafe { libc::kill(pid, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('Z')))
        .unwrap_or(false);
    found && !zombie
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
