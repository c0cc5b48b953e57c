//! The `manifest.*` checks on the real service (process target): the project's
//! cpu overlay (rendered by kubectl) passes, manifests that contradict the
//! service fail saying what disagrees, and without manifests or an image the
//! checks are not applicable.

use std::time::Duration;

use gauntlet::target::{ProcessConfig, ProcessTarget};
use gauntlet::{Outcome, Profile, checks};

use crate::common::{cpu_overlay, fails_saying, passes, repo};

/// Runs check `id` on a process target started with `extra` flags, with the
/// reference profile pointed at `manifests`.
fn judge_live(id: &str, manifests: &str, extra: &[&str]) -> Outcome {
    let mut config = ProcessConfig::locate().unwrap_or_else(|e| panic!("{e}"));
    config.args = extra.iter().map(|s| s.to_string()).collect();
    let target = ProcessTarget::start(&config).unwrap_or_else(|e| panic!("{e}"));
    let mut profile = Profile { manifests: Some(repo(manifests)), ..crate::common::reference() };
    profile.thresholds.shutdown_grace = Duration::from_secs(5);
    let check = checks::catalog().into_iter().find(|c| c.id == id).unwrap();
    check.judge(&target, &profile)
}

#[test]
fn the_live_checks_pass_on_the_reference_service_with_its_manifests() {
    if cpu_overlay().is_none() {
        return;
    }
    let overlay = "manifests/k8s/overlays/cpu";
    let evidence = passes(judge_live("manifest.probes.served", overlay, &[]));
    assert!(evidence.contains("livenessProbe /health/live 200"), "{evidence}");
    passes(judge_live("manifest.probes.readiness-drains", overlay, &[]));
    passes(judge_live("manifest.startup.budget", overlay, &[]));
}

#[test]
fn the_live_checks_fail_on_manifests_that_contradict_the_service() {
    fails_saying(
        judge_live("manifest.probes.served", "fixtures/manifests/bad/cross/probe-path.yaml", &[]),
        "livenessProbe GET /healthz answered 404 on the healthy, ready service",
    );
    fails_saying(
        judge_live(
            "manifest.probes.readiness-drains",
            "fixtures/manifests/bad/cross/readiness-path.yaml",
            &[],
        ),
        "readinessProbe GET /health/live never answered 503 after SIGTERM",
    );
    fails_saying(
        judge_live(
            "manifest.startup.budget",
            "fixtures/manifests/bad/cross/startup-budget.yaml",
            &["--debug-load-delay", "2s"],
        ),
        "failureThreshold 1 × periodSeconds 1 = 1 s, but the service took",
    );
}

#[test]
fn without_manifests_or_an_image_the_checks_are_not_applicable() {
    let profile = Profile { manifests: None, ..crate::common::reference() };
    let config = ProcessConfig::locate().unwrap_or_else(|e| panic!("{e}"));
    let target = ProcessTarget::start(&config).unwrap_or_else(|e| panic!("{e}"));
    for check in checks::catalog().iter().filter(|c| c.id.starts_with("manifest.")) {
        match check.judge(&target, &profile) {
            Outcome::NotApplicable(why) => assert!(why.starts_with("not applicable:"), "{why}"),
            other => panic!("{}: expected not applicable, got {other:?}", check.id),
        }
    }
    let profile = crate::common::reference();
    for id in ["manifest.port.matches", "manifest.user.matches", "manifest.memory.headroom"] {
        let check = checks::catalog().into_iter().find(|c| c.id == id).unwrap();
        match check.judge(&target, &profile) {
            Outcome::NotApplicable(why) => assert!(why.contains("lacks the capability"), "{why}"),
            other => panic!("{id}: expected not applicable on a process, got {other:?}"),
        }
    }
}
