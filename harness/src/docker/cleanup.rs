//! Removing what a run created: this run's containers on SIGINT or SIGTERM, and
//! the containers of runs whose harness process died (SIGKILL, a crash) at the
//! next start. Containers are found by their `gauntlet.run`, `gauntlet.pid`
//! and `gauntlet.host` labels, and only those of this host and PID namespace
//! are judged; drop (testcontainers) removes them on every other path.

use std::collections::HashMap;

use testcontainers::bollard::query_parameters::{ListContainersOptions, RemoveContainerOptions};

use super::Engine;
use super::error::{Error, Result, api};
use crate::run::{
    RUN_LABEL, handle_interrupts, left_by_dead_run, on_interrupt, pid_scope, process_alive, run_id,
};

/// A container's labels.
pub type Labels = HashMap<String, String>;

/// The ids of the containers (running or not) carrying `label=value`, or just
/// `label` when `value` is `None`, with their labels.
pub fn labelled(
    engine: &Engine,
    label: &str,
    value: Option<&str>,
) -> Result<Vec<(String, Labels)>> {
    let client = engine.client()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let filter = match value {
        Some(value) => format!("{label}={value}"),
        None => label.to_owned(),
    };
    let options = ListContainersOptions {
        all: true,
        filters: Some(HashMap::from([("label".to_owned(), vec![filter])])),
        ..Default::default()
    };
    let found = runtime
        .block_on(client.list_containers(Some(options)))
        .map_err(api("listing containers"))?;
    Ok(found.into_iter().filter_map(|c| Some((c.id?, c.labels.unwrap_or_default()))).collect())
}

/// Removes every container carrying `label=value` (or just `label` when `value`
/// is `None`) for which `keep` says no; returns how many went.
pub fn remove_labelled(
    engine: &Engine,
    label: &str,
    value: Option<&str>,
    keep: impl Fn(&Labels) -> bool,
) -> usize {
    let Ok(found) = labelled(engine, label, value) else { return 0 };
    let Ok(client) = engine.client() else { return 0 };
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return 0;
    };
    let mut removed = 0;
    for (id, labels) in found {
        if keep(&labels) {
            continue;
        }
        let force = RemoveContainerOptions { force: true, v: true, ..Default::default() };
        if runtime.block_on(client.remove_container(&id, Some(force))).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Removes the containers of runs whose harness process no longer exists.
pub fn sweep_dead_runs(engine: &Engine) -> usize {
    let swept = remove_labelled(engine, RUN_LABEL, None, |labels| {
        !left_by_dead_run(|k| labels.get(k).map(String::as_str), pid_scope(), process_alive)
    });
    if swept > 0 {
        eprintln!("gauntlet: removed {swept} container(s) left by runs that died");
    }
    swept
}

/// Removes this run's containers on SIGINT or SIGTERM.
pub fn remove_on_interrupt(engine: Engine) {
    on_interrupt(move || {
        let removed = remove_labelled(&engine, RUN_LABEL, Some(run_id()), |_| false);
        eprintln!("gauntlet: interrupted; removed this run's {removed} container(s)");
    });
    handle_interrupts();
}
