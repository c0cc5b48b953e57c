//! The Kubernetes side's cluster-free logic: rendering manifests for a run
//! (`render`), judging rollouts and pods from object states (`rollout`), and the
//! sweep of namespaces dead runs left. The kube target (`target::kube`) does the
//! talking.

mod render;
mod rollout;

pub use render::{Error, Render, namespace_for};
pub use rollout::{Rollout, hopeless, judge as judge_rollout, restarts};

use std::collections::BTreeMap;

/// The namespaces (name, labels) a dead run of `scope` left: labelled with
/// this host and PID namespace and a process id that `alive` says is gone.
/// Another scope's namespaces are never judged, since its process ids mean
/// nothing here.
pub fn stale(
    namespaces: &[(String, BTreeMap<String, String>)],
    scope: &str,
    alive: impl Fn(i32) -> bool,
) -> Vec<String> {
    namespaces
        .iter()
        .filter(|(_, labels)| {
            crate::run::left_by_dead_run(|k| labels.get(k).map(String::as_str), scope, &alive)
        })
        .map(|(name, _)| name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{HOST_LABEL, PID_LABEL};

    #[test]
    fn only_this_scopes_dead_runs_are_stale() {
        let ns = |name: &str, scope: &str, pid: &str| {
            let labels: BTreeMap<String, String> =
                [(HOST_LABEL.to_owned(), scope.to_owned()), (PID_LABEL.to_owned(), pid.to_owned())]
                    .into();
            (name.to_owned(), labels)
        };
        let namespaces = [
            ns("gauntlet-dead", "here", "100"),
            ns("gauntlet-live", "here", "200"),
            ns("gauntlet-elsewhere", "there", "100"),
            ns("gauntlet-garbled", "here", "not-a-pid"),
        ];
        assert_eq!(stale(&namespaces, "here", |pid| pid == 200), ["gauntlet-dead"]);
    }
}
