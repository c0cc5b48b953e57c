//! Family `kube`: the deployment as a cluster runs it: the rollout completed,
//! and its pods are ready and have not restarted. Judged on the objects the API
//! server returns, so fixture states prove the judgements without a cluster;
//! a failure carries the namespace's events and the pods' logs.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;

use crate::check;
use crate::check::{Check, Outcome};
use crate::cluster::{self, Rollout};
use crate::target::ClusterView;

pub(super) const CHECKS: &[Check] = &[
    check! {
        id: "kube.rollout.complete",
        family: Kube,
        level: Must,
        description: "the Deployment rolled out: every replica updated and available",
        run: |_profile, cluster: &dyn ClusterView| {
            with_cluster(cluster, |c| c.deployment().map(|d| judge_rollout(&d)))
        },
    },
    check! {
        id: "kube.pods.stable",
        family: Kube,
        level: Must,
        description: "every pod of the Deployment is Ready and no container has restarted",
        run: |_profile, cluster: &dyn ClusterView| with_cluster(cluster, |c| c.pods().map(|p| judge_pods(&p))),
    },
];

fn with_cluster(
    cluster: &dyn ClusterView,
    judge: impl FnOnce(&dyn ClusterView) -> Result<Outcome, crate::target::Error>,
) -> Outcome {
    match judge(cluster) {
        Ok(Outcome::Fail(why)) => Outcome::Fail(format!("{why}\n{}", cluster.diagnostics())),
        Ok(outcome) => outcome,
        Err(e) => Outcome::Fail(format!("the API server: {e}")),
    }
}

/// Passes when the rollout is complete.
pub fn judge_rollout(d: &Deployment) -> Outcome {
    match cluster::judge_rollout(d) {
        Rollout::Complete(how) => Outcome::Pass(how),
        Rollout::Waiting(why) => Outcome::Fail(format!("the rollout has not finished: {why}")),
        Rollout::Failed(why) => Outcome::Fail(why),
    }
}

/// Passes when there are pods, all Ready, none restarted.
pub fn judge_pods(pods: &[Pod]) -> Outcome {
    if pods.is_empty() {
        return Outcome::Fail("the Deployment has no pods".into());
    }
    let mut problems = cluster::restarts(pods);
    if let Some(why) = cluster::hopeless(pods) {
        problems.push(why);
    }
    for pod in pods {
        let ready = pod
            .status
            .iter()
            .flat_map(|s| s.conditions.iter().flatten())
            .any(|c| c.type_ == "Ready" && c.status == "True");
        if !ready {
            problems
                .push(format!("pod {} is not Ready", pod.metadata.name.as_deref().unwrap_or("?")));
        }
    }
    if problems.is_empty() {
        Outcome::Pass(format!("{} pod(s) Ready, no restarts", pods.len()))
    } else {
        Outcome::Fail(problems.join("; "))
    }
}
