//! The `gauntlet` binary's exit codes: 0 green, 1 a MUST failed, 2 usage or configuration.

use crate::broken::{Fault, serve};
use crate::common::{command, gauntlet, output};

#[test]
fn a_well_behaved_service_exits_0_and_writes_the_json_report() {
    let url = serve(Fault::None);
    let report = std::env::temp_dir().join(format!("gauntlet-report-{}.json", std::process::id()));
    // The reference snapshots are of the reference service, not of the fake.
    let (code, text) = gauntlet(&[
        "run",
        "--target",
        &format!("url={url}"),
        "--json",
        report.to_str().unwrap(),
        // The fake embeds at most 8 inputs at once, and its vectors are its own.
        "--set",
        "thresholds.max_batch=8",
        "--set",
        &format!("reference_vectors={}", crate::broken::reference_vectors().display()),
        "--",
        "--skip",
        "snapshot.",
    ]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("ignored (not applicable"),
        "not-applicable checks are reported as such: {text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let outcomes: Vec<&str> =
        json["checks"].as_array().unwrap().iter().map(|c| c["outcome"].as_str().unwrap()).collect();
    assert!(outcomes.contains(&"not-applicable") && !outcomes.contains(&"fail"), "{json}");
    let _ = std::fs::remove_file(report);
}

#[test]
fn a_failed_must_check_exits_1() {
    let url = serve(Fault::Unnormalized);
    let dir = std::env::temp_dir().join(format!("gauntlet-reports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (junit, md) = (dir.join("junit.xml"), dir.join("summary.md"));
    // The reference profile's checks, but with a snapshot folder of the test's
    // own: the fake's answers must never land beside the reviewed snapshots.
    std::fs::create_dir_all(dir.join("snapshots")).unwrap();
    let profile = dir.join("profile.yaml");
    std::fs::write(&profile, "name: reference-on-a-fake\nexclude: [gpu.]\nsnapshots: snapshots\n")
        .unwrap();
    let (code, text) = gauntlet(&[
        "run",
        "--target",
        &format!("url={url}"),
        "--profile",
        profile.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--markdown",
        md.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("embeddings.unit-norm"), "{text}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("name=\"embeddings.unit-norm\"")
            && xml.contains("<failure message=\"vector 0 has norm 3"),
        "{xml}"
    );
    let summary = std::fs::read_to_string(&md).unwrap();
    assert!(summary.contains("| `embeddings.unit-norm` | MUST | ❌ FAIL |"), "{summary}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn usage_and_configuration_errors_exit_2_naming_the_problem() {
    let (code, text) = gauntlet(&["run", "--target", "bogus"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("--target bogus"), "{text}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let (code, text) = gauntlet(&["run", "--target", &format!("url=http://{closed}")]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("unreachable"), "{text}");
    let (code, _) = gauntlet(&["run"]);
    assert_eq!(code, Some(2), "a missing --target is a usage error");
    let url = serve(Fault::None);
    let (code, text) =
        gauntlet(&["run", "--target", &format!("url={url}"), "--profile", "no-such-profile"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("--profile no-such-profile"), "{text}");
    let bad =
        std::env::temp_dir().join(format!("gauntlet-bad-profile-{}.yaml", std::process::id()));
    std::fs::write(&bad, "name: bad\nthresholds:\n  ready_budget: forever\n").unwrap();
    let (code, text) =
        gauntlet(&["run", "--target", &format!("url={url}"), "--profile", bad.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("/thresholds/ready_budget"), "the error names the field: {text}");
    let _ = std::fs::remove_file(bad);
}

#[test]
fn the_openai_compatible_profile_runs_only_its_checks() {
    let url = serve(Fault::None);
    let (code, text) = gauntlet(&[
        "run",
        "--target",
        &format!("url={url}"),
        "--profile",
        "openai-compatible",
        "--set",
        "thresholds.max_batch=8",
        "--set",
        &format!("reference_vectors={}", crate::broken::reference_vectors().display()),
        "--set",
        "thresholds.load_duration=600ms",
    ]);
    // The fake has no /health route: the profile's readiness path is checked and fails.
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("probe.ready.ok") && text.contains("/health answered 404"), "{text}");
    assert!(!text.contains("probe.live.ok") && !text.contains("] embeddings.dimension "), "{text}");
    // The summary names each MUST check that could not run, with its reason.
    assert!(
        text.contains("1 MUST check(s) not applicable:\n  probe.ready.serves: not applicable: readiness /health answered 404"),
        "{text}"
    );
    // With the readiness path set to one the fake serves, the profile is green.
    let (code, text) = gauntlet(&[
        "run",
        "--target",
        &format!("url={url}"),
        "--profile",
        "openai-compatible",
        "--set",
        "readiness_path=/health/ready",
        "--set",
        "thresholds.max_batch=8",
        "--set",
        &format!("reference_vectors={}", crate::broken::reference_vectors().display()),
        "--set",
        "thresholds.load_duration=600ms",
    ]);
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn a_run_that_verified_nothing_exits_1_unless_allowed() {
    let url = serve(Fault::None);
    let target = format!("url={url}");
    // A mistyped filter matches no check.
    let (code, text) = gauntlet(&["run", "--target", &target, "--", "embedings."]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("verified nothing: no check was selected"), "{text}");
    let (code, text) = gauntlet(&["run", "--target", &target, "--allow-empty", "--", "embedings."]);
    assert_eq!(code, Some(0), "{text}");
    // Only checks the target cannot run: nothing passed or failed.
    let (code, text) = gauntlet(&["run", "--target", &target, "--", "kube."]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("MUST check(s) not applicable:\n  kube."), "{text}");
    assert!(
        text.contains("verified nothing: none of the 2 check(s) run passed or failed"),
        "{text}"
    );
}

#[test]
fn a_bad_set_exits_2_naming_the_field() {
    let url = serve(Fault::None);
    let (code, text) =
        gauntlet(&["run", "--target", &format!("url={url}"), "--set", "thresholds.max_batch=lots"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("/thresholds/max_batch"), "{text}");
    let (code, text) = gauntlet(&["run", "--target", &format!("url={url}"), "--set", "modle=x"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("--set modle=x: the profile has no field `modle`"), "{text}");
}

#[test]
fn list_prints_every_check_and_survives_a_closed_pipe() {
    let (code, text) = gauntlet(&["list"]);
    assert_eq!(code, Some(0), "{text}");
    for check in gauntlet::checks::catalog() {
        assert!(text.contains(check.id), "{} missing from `gauntlet list`", check.id);
    }
    // The reader goes away before the listing is written (`gauntlet list | head -0`).
    let mut child = command()
        .arg("list")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn an_unreachable_docker_engine_is_a_usage_error_naming_it() {
    let (code, text) = output(
        command()
            .args(["run", "--target", "container"])
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock"),
    );
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("Docker engine at /nonexistent/docker.sock is not reachable"), "{text}");
}
