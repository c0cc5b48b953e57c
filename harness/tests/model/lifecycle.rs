//! Checks that signal the service, proven on the real binary: once well-behaved,
//! once with a fault flag that makes it ignore SIGTERM.

use std::time::Duration;

use gauntlet::target::{ProcessConfig, ProcessTarget};
use gauntlet::{Outcome, Profile, checks};

/// Runs check `id` on a process target started with `extra` flags.
fn judge(id: &str, extra: &[&str], profile: &Profile) -> Outcome {
    let mut config = ProcessConfig::locate().unwrap_or_else(|e| panic!("{e}"));
    config.args = extra.iter().map(|s| s.to_string()).collect();
    let target = ProcessTarget::start(&config).unwrap_or_else(|e| panic!("{e}"));
    let check = checks::catalog().into_iter().find(|c| c.id == id).unwrap();
    check.judge(&target, profile)
}

fn sigterm_check(extra: &[&str]) -> Outcome {
    let mut profile = crate::common::reference();
    profile.thresholds.shutdown_grace = Duration::from_secs(5);
    judge("probe.ready.sigterm", extra, &profile)
}

#[test]
fn sigterm_check_passes_on_the_reference_service() {
    match sigterm_check(&["--shutdown-delay", "1s"]) {
        Outcome::Pass(_) => {}
        other => panic!("expected a pass, got {other:?}"),
    }
}

#[test]
fn sigterm_check_catches_a_service_that_ignores_sigterm() {
    match sigterm_check(&["--debug-ignore-sigterm"]) {
        Outcome::Fail(m) => {
            assert!(m.contains("never answered 503"), "{m}");
            assert!(m.contains("did not exit"), "{m}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn restart_check_passes_on_the_reference_service() {
    match judge("probe.restart.after-kill", &[], &crate::common::reference()) {
        Outcome::Pass(evidence) => assert!(evidence.contains("ready in"), "{evidence}"),
        other => panic!("expected a pass, got {other:?}"),
    }
}

#[test]
fn restart_check_catches_a_restart_over_the_ready_budget() {
    let mut profile = crate::common::reference();
    profile.thresholds.ready_budget = Duration::from_millis(500);
    match judge("probe.restart.after-kill", &["--debug-load-delay", "2s"], &profile) {
        Outcome::Fail(m) => assert!(m.contains("over the budget of 500 ms"), "{m}"),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_restarted_process_keeps_its_address_and_logs() {
    let config = ProcessConfig::locate().unwrap_or_else(|e| panic!("{e}"));
    let target = ProcessTarget::start(&config).unwrap_or_else(|e| panic!("{e}"));
    let (base, pid) = (gauntlet::target::Private::base_url(&target).to_owned(), target.pid());
    let took = gauntlet::target::Private::restart(&target).unwrap();
    assert!(took > Duration::ZERO);
    assert_eq!(gauntlet::target::Private::base_url(&target), base);
    assert_ne!(target.pid(), pid, "a restart starts a new process");
    let listening = target.logs().iter().filter(|l| l.contains("\"listening\"")).count();
    assert_eq!(listening, 2, "both starts are in the logs: {:?}", target.logs());
}

#[test]
fn the_openai_compatible_profile_passes_against_the_reference_service() {
    let config = ProcessConfig::locate().unwrap_or_else(|e| panic!("{e}"));
    let service = ProcessTarget::start(&config).unwrap_or_else(|e| panic!("{e}"));
    let out = crate::common::command()
        .args([
            "run",
            "--profile",
            "openai-compatible",
            "--set",
            "model=all-MiniLM-L6-v2",
            "--target",
        ])
        .arg(format!("url={}", gauntlet::target::Private::base_url(&service)))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let profile = gauntlet::Profile::built_in("openai-compatible").unwrap();
    let selected = gauntlet::checks::catalog().iter().filter(|c| profile.selects(c.id)).count();
    // Only what a URL cannot do is left out: restarting the service.
    let restarts = text.lines().filter(|l| l.contains("lacks the capability `signals`")).count();
    let ignored = text.lines().filter(|l| l.contains("... ignored")).count();
    assert_eq!(ignored, restarts, "{text}");
    let passed = selected - restarts;
    assert!(text.contains(&format!("{passed} passed; 0 failed; {restarts} ignored")), "{text}");
}
