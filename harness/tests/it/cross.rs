//! The `manifest.*` checks, proven both ways: the project's cpu overlay passes
//! against the real service (process target) and the recorded image, and each
//! manifest in `fixtures/manifests/bad/cross` fails its check with a message
//! that says what disagrees.

use std::path::{Path, PathBuf};
use std::time::Duration;

use gauntlet::image::ImageFacts;
use gauntlet::manifests::Deployed;
use gauntlet::target::{ProcessConfig, ProcessTarget};
use gauntlet::{Outcome, Profile, checks};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn deployed(path: &str) -> Deployed {
    let documents = gauntlet::manifests::load(&[repo(path)]).unwrap_or_else(|e| panic!("{e}"));
    Deployed::find(&documents).unwrap()
}

/// The cpu overlay, or `None` where kubectl cannot render it (outside CI).
fn overlay() -> Option<Deployed> {
    let documents = match gauntlet::manifests::load(&[repo("manifests/k8s/overlays/cpu")]) {
        Ok(d) => d,
        Err(e @ gauntlet::manifests::Error::NoKubectl { .. }) if !gauntlet::run::in_ci() => {
            eprintln!("not run: {e}");
            return None;
        }
        Err(e) => panic!("{e}"),
    };
    Some(Deployed::find(&documents).unwrap())
}

fn recorded_image() -> ImageFacts {
    let text =
        std::fs::read_to_string(repo("fixtures/images/gauntlet-service.inspect.json")).unwrap();
    let inspect: serde_json::Value = serde_json::from_str(&text).unwrap();
    ImageFacts::from_inspect("gauntlet-service:dev", &inspect[0], vec![])
}

fn passes(outcome: Outcome) -> String {
    match outcome {
        Outcome::Pass(evidence) => evidence,
        other => panic!("expected a pass, got {other:?}"),
    }
}

fn fails(outcome: Outcome, says: &str) {
    match outcome {
        Outcome::Fail(m) => assert!(m.contains(says), "`{m}` should say `{says}`"),
        other => panic!("expected a failure saying `{says}`, got {other:?}"),
    }
}

#[test]
fn the_overlay_agrees_with_the_recorded_image_and_measured_figures() {
    let Some(d) = overlay() else { return };
    let image = recorded_image();
    let evidence = passes(checks::judge_port(&d, &image, Some(8080)));
    assert!(evidence.contains("containerPort 8080 = EXPOSE 8080 = listening 8080"), "{evidence}");
    passes(checks::judge_user(&d, &image));
    // 162 MB: the peak measured under an 8-client burst in the container.
    passes(checks::judge_memory_headroom(&d, 162_000_000));
    // 0.51 s: the measured cold start to ready in the container.
    let evidence = passes(checks::judge_startup_budget(&d, Duration::from_millis(510), 3.0));
    assert!(evidence.contains("failureThreshold 30 × periodSeconds 2 = 60 s"), "{evidence}");
}

#[test]
fn each_cross_fixture_fails_its_judgement() {
    let image = recorded_image();
    fails(
        checks::judge_port(&deployed("fixtures/manifests/bad/cross/port.yaml"), &image, Some(8080)),
        "containerPort 9090, but the image gauntlet-service:dev exposes [8080]",
    );
    fails(
        checks::judge_port(&deployed("fixtures/manifests/bad/cross/port.yaml"), &image, None),
        "Service gauntlet-service port 80 targets 8081, not containerPort 9090",
    );
    fails(
        checks::judge_user(&deployed("fixtures/manifests/bad/cross/user.yaml"), &image),
        "runAsUser 1000, but the image's USER is 65532",
    );
    fails(
        checks::judge_memory_headroom(
            &deployed("fixtures/manifests/bad/cross/memory.yaml"),
            162_000_000,
        ),
        "memory limit 64Mi (67.1 MB) is not above the 162.0 MB the service used under load",
    );
    fails(
        checks::judge_startup_budget(
            &deployed("fixtures/manifests/bad/cross/startup-budget.yaml"),
            Duration::from_millis(510),
            3.0,
        ),
        "failureThreshold 1 × periodSeconds 1 = 1 s, but the service took 510 ms to be ready and the profile asks for 3x that (1530 ms)",
    );
    fails(
        checks::judge_readiness_drain("/health/live", None, Duration::from_secs(1)),
        "readinessProbe GET /health/live never answered 503 after SIGTERM",
    );
}

/// Runs check `id` on a process target started with `extra` flags, with the
/// reference profile pointed at `manifests`.
fn judge_live(id: &str, manifests: &str, extra: &[&str]) -> Outcome {
    let mut config = ProcessConfig::locate().unwrap_or_else(|e| panic!("{e}"));
    config.args = extra.iter().map(|s| s.to_string()).collect();
    let target = ProcessTarget::start(&config).unwrap_or_else(|e| panic!("{e}"));
    let mut profile = Profile { manifests: Some(repo(manifests)), ..Profile::default() };
    profile.thresholds.shutdown_grace = Duration::from_secs(5);
    let check = checks::catalog().into_iter().find(|c| c.id == id).unwrap();
    check.judge(&target, &profile)
}

#[test]
fn the_live_checks_pass_on_the_reference_service_with_its_manifests() {
    if overlay().is_none() {
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
    fails(
        judge_live("manifest.probes.served", "fixtures/manifests/bad/cross/probe-path.yaml", &[]),
        "livenessProbe GET /healthz answered 404 on the healthy, ready service",
    );
    fails(
        judge_live(
            "manifest.probes.readiness-drains",
            "fixtures/manifests/bad/cross/readiness-path.yaml",
            &[],
        ),
        "readinessProbe GET /health/live never answered 503 after SIGTERM",
    );
    fails(
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
    let profile = Profile { manifests: None, ..Profile::default() };
    let config = ProcessConfig::locate().unwrap_or_else(|e| panic!("{e}"));
    let target = ProcessTarget::start(&config).unwrap_or_else(|e| panic!("{e}"));
    for check in checks::catalog().iter().filter(|c| c.id.starts_with("manifest.")) {
        match check.judge(&target, &profile) {
            Outcome::NotApplicable(why) => assert!(why.starts_with("not applicable:"), "{why}"),
            other => panic!("{}: expected not applicable, got {other:?}", check.id),
        }
    }
    let profile = Profile::default();
    for id in ["manifest.port.matches", "manifest.user.matches", "manifest.memory.headroom"] {
        let check = checks::catalog().into_iter().find(|c| c.id == id).unwrap();
        match check.judge(&target, &profile) {
            Outcome::NotApplicable(why) => assert!(why.contains("lacks the capability"), "{why}"),
            other => panic!("{id}: expected not applicable on a process, got {other:?}"),
        }
    }
}
