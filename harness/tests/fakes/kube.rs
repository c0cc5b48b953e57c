//! The kube target without a cluster: `--target kube` exits 2 saying there is
//! no cluster (no kubeconfig, or an API server that does not answer), and the
//! `kube.*` checks, judged on fixture object states through a stand-in for the
//! cluster (none can run here), pass on a finished rollout and fail with the
//! reason and the diagnostics on a stuck one.

use std::path::Path;

use gauntlet::target::{ClusterView, Http};
use gauntlet::{Outcome, Target, checks};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;

use crate::common::{command, output, repo};

fn run_kube(kubeconfig: &Path) -> (Option<i32>, String) {
    output(command().args(["run", "--target", "kube"]).env("KUBECONFIG", kubeconfig))
}

#[test]
fn without_a_kubeconfig_the_kube_target_exits_2_saying_no_cluster() {
    let (code, text) = run_kube(Path::new("/no/such/kubeconfig"));
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("--target kube: not applicable: no cluster: no usable kubeconfig"),
        "{text}"
    );
}

#[test]
fn with_an_api_server_that_does_not_answer_the_kube_target_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    // A port nothing listens on: the connection is refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    std::fs::write(
        &config,
        format!(
            "apiVersion: v1
kind: Config
clusters: [{{name: gone, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]
users: [{{name: me, user: {{token: not-a-secret}}}}]
contexts: [{{name: gone, context: {{cluster: gone, user: me}}}}]
current-context: gone
"
        ),
    )
    .unwrap();
    let (code, text) = run_kube(&config);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("not applicable: no cluster"), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{port}")), "names the server: {text}");
}

/// A cluster that cannot run here, standing in with fixture object states.
struct Recorded {
    deployment: &'static str,
    pods: &'static str,
}

fn states() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(repo("fixtures/kube/rollout.json")).unwrap())
        .unwrap()
}

impl ClusterView for Recorded {
    fn deployment(&self) -> gauntlet::target::Result<Deployment> {
        Ok(serde_json::from_value(states()["deployments"][self.deployment].clone())
            .expect("a recorded deployment"))
    }
    fn pods(&self) -> gauntlet::target::Result<Vec<Pod>> {
        Ok(serde_json::from_value(states()["pods"][self.pods].clone()).expect("recorded pods"))
    }
    fn diagnostics(&self) -> String {
        "events in gauntlet-run: Warning Pod/x: BackOff: Back-off restarting failed container"
            .into()
    }
}

impl Target for Recorded {
    fn name(&self) -> &str {
        "kube=recorded"
    }
    fn cluster(&self) -> Option<&dyn ClusterView> {
        Some(self)
    }
}

fn judge(id: &str, target: &dyn Target) -> Outcome {
    let check = checks::catalog().into_iter().find(|c| c.id == id).unwrap();
    check.judge(target, &crate::common::reference())
}

#[test]
fn the_kube_checks_pass_on_a_finished_rollout() {
    let healthy = Recorded { deployment: "complete", pods: "running" };
    for id in ["kube.rollout.complete", "kube.pods.stable"] {
        assert!(matches!(judge(id, &healthy), Outcome::Pass(_)), "{id}: {:?}", judge(id, &healthy));
    }
}

#[test]
fn the_kube_checks_fail_on_a_stuck_rollout_with_the_diagnostics() {
    let stuck = Recorded { deployment: "deadline-exceeded", pods: "crash-loop" };
    match judge("kube.rollout.complete", &stuck) {
        Outcome::Fail(m) => {
            assert!(m.contains("exceeded its progress deadline"), "{m}");
            assert!(m.contains("Back-off restarting failed container"), "diagnostics: {m}");
        }
        other => panic!("{other:?}"),
    }
    match judge("kube.pods.stable", &stuck) {
        Outcome::Fail(m) => {
            assert!(m.contains("restarted 4 time(s)"), "{m}");
            assert!(m.contains("CrashLoopBackOff"), "{m}");
            assert!(m.contains("is not Ready"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    let updating = Recorded { deployment: "updating", pods: "image-pull" };
    match judge("kube.rollout.complete", &updating) {
        Outcome::Fail(m) => assert!(m.contains("1 of 2 new replicas updated"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn on_other_targets_the_kube_checks_are_not_applicable() {
    struct Plain;
    impl Target for Plain {
        fn name(&self) -> &str {
            "url=http://127.0.0.1:9"
        }
        fn http(&self) -> Option<Http<'_>> {
            Some(Http::new("http://127.0.0.1:9"))
        }
    }
    for id in ["kube.rollout.complete", "kube.pods.stable"] {
        match judge(id, &Plain) {
            Outcome::NotApplicable(why) => {
                assert!(why.contains("lacks the capability `kube`"), "{why}")
            }
            other => panic!("{id}: {other:?}"),
        }
    }
}
