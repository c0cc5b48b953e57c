//! Judging a rollout from object states, as `kubectl rollout status` does, plus
//! the pod states that mean waiting longer is pointless (an image that cannot be
//! pulled, a crash loop, a pod no node will take). Pure functions of API
//! objects, so they are proven on fixture states without a cluster.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;

/// Where a rollout stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollout {
    /// Every replica updated and available.
    Complete(String),
    /// Still going; the text says what it waits for.
    Waiting(String),
    /// It will not finish; the text says why.
    Failed(String),
}

/// Pod waiting reasons that never clear by themselves.
const HOPELESS: &[&str] = &[
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
];

/// The Deployment's rollout, by the rules of `kubectl rollout status`.
pub fn judge(d: &Deployment) -> Rollout {
    let name = d.metadata.name.as_deref().unwrap_or("?");
    let status = d.status.clone().unwrap_or_default();
    let generation = d.metadata.generation.unwrap_or(0);
    if generation > status.observed_generation.unwrap_or(0) {
        return Rollout::Waiting(format!(
            "deployment {name}: spec update (generation {generation}) not yet observed"
        ));
    }
    let progressing =
        status.conditions.iter().flatten().find(|c| c.type_.as_deref() == Some("Progressing"));
    if let Some(c) = progressing.filter(|c| c.reason.as_deref() == Some("ProgressDeadlineExceeded"))
    {
        return Rollout::Failed(format!(
            "deployment {name} exceeded its progress deadline: {}",
            c.message.as_deref().unwrap_or("no message")
        ));
    }
    let wanted = d.spec.replicas.unwrap_or(1);
    let updated = status.updated_replicas.unwrap_or(0);
    let replicas = status.replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    if updated < wanted {
        return Rollout::Waiting(format!(
            "deployment {name}: {updated} of {wanted} new replicas updated"
        ));
    }
    if replicas > updated {
        return Rollout::Waiting(format!(
            "deployment {name}: {} old replica(s) pending termination",
            replicas - updated
        ));
    }
    if available < updated {
        return Rollout::Waiting(format!(
            "deployment {name}: {available} of {updated} updated replicas available"
        ));
    }
    Rollout::Complete(format!("deployment {name}: {available} of {wanted} replicas available"))
}

/// Why the rollout cannot finish, judged from its pods: a container waiting for
/// a reason that never clears, or a pod the scheduler cannot place.
pub fn hopeless(pods: &[Pod]) -> Option<String> {
    for pod in pods {
        let name = pod.metadata.name.as_deref().unwrap_or("?");
        let status = pod.status.clone().unwrap_or_default();
        for c in status.container_statuses.iter().flatten() {
            let waiting = c.state.as_ref().and_then(|s| s.waiting.as_ref());
            if let Some(w) = waiting {
                let reason = w.reason.as_deref().unwrap_or_default();
                if HOPELESS.contains(&reason) {
                    return Some(format!(
                        "pod {name} container {}: {reason}: {}",
                        c.name,
                        w.message.as_deref().unwrap_or("no message")
                    ));
                }
            }
        }
        let unschedulable = status.conditions.iter().flatten().find(|c| {
            c.type_ == "PodScheduled"
                && c.status == "False"
                && c.reason.as_deref() == Some("Unschedulable")
        });
        if let Some(c) = unschedulable {
            return Some(format!(
                "pod {name} cannot be scheduled: {}",
                c.message.as_deref().unwrap_or("no message")
            ));
        }
    }
    None
}

/// Restarts of every container of `pods`, with the last termination reason.
pub fn restarts(pods: &[Pod]) -> Vec<String> {
    let mut out = Vec::new();
    for pod in pods {
        let name = pod.metadata.name.as_deref().unwrap_or("?");
        for c in pod.status.iter().flat_map(|s| s.container_statuses.iter().flatten()) {
            if c.restart_count > 0 {
                let last = c
                    .last_state
                    .as_ref()
                    .and_then(|s| s.terminated.as_ref())
                    .map(|t| {
                        format!(
                            " (last: {}, exit {})",
                            t.reason.as_deref().unwrap_or("?"),
                            t.exit_code
                        )
                    })
                    .unwrap_or_default();
                out.push(format!(
                    "pod {name} container {} restarted {} time(s){last}",
                    c.name, c.restart_count
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATES: &str = include_str!("../../fixtures/kube/rollout.json");

    fn states() -> serde_json::Value {
        serde_json::from_str(STATES).unwrap()
    }

    fn deployment(name: &str) -> Deployment {
        serde_json::from_value(states()["deployments"][name].clone()).unwrap()
    }

    fn pods(name: &str) -> Vec<Pod> {
        serde_json::from_value(states()["pods"][name].clone()).unwrap()
    }

    #[test]
    fn rollouts_are_judged_as_kubectl_does() {
        let cases = [
            ("unobserved", "not yet observed"),
            ("updating", "1 of 2 new replicas updated"),
            ("terminating-old", "1 old replica(s) pending termination"),
            ("unavailable", "1 of 2 updated replicas available"),
        ];
        for (name, says) in cases {
            match judge(&deployment(name)) {
                Rollout::Waiting(m) => assert!(m.contains(says), "{name}: {m}"),
                other => panic!("{name}: {other:?}"),
            }
        }
        match judge(&deployment("deadline-exceeded")) {
            Rollout::Failed(m) => assert!(m.contains("exceeded its progress deadline"), "{m}"),
            other => panic!("{other:?}"),
        }
        match judge(&deployment("complete")) {
            Rollout::Complete(m) => assert!(m.contains("2 of 2 replicas available"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hopeless_pods_end_the_wait_with_the_reason() {
        assert_eq!(hopeless(&pods("running")), None);
        let m = hopeless(&pods("image-pull")).unwrap();
        assert!(m.contains("ImagePullBackOff") && m.contains("gauntlet-service:dev"), "{m}");
        let m = hopeless(&pods("crash-loop")).unwrap();
        assert!(m.contains("CrashLoopBackOff"), "{m}");
        let m = hopeless(&pods("unschedulable")).unwrap();
        assert!(m.contains("cannot be scheduled: 0/1 nodes are available"), "{m}");
    }

    #[test]
    fn restarts_are_counted_with_their_reason() {
        assert!(restarts(&pods("running")).is_empty());
        let r = restarts(&pods("crash-loop"));
        assert_eq!(r.len(), 1);
        assert!(r[0].contains("restarted 4 time(s) (last: Error, exit 2)"), "{r:?}");
    }
}
