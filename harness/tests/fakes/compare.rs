//! `gauntlet compare` on recorded reports: two real runs of the reference
//! service (`fixtures/reports/`), and a copy of the second edited here into a
//! regression, an improvement, new and removed checks and a missing figure.

use serde_json::{Value, json};

use crate::common::{gauntlet, repo_arg};

fn recorded(n: u8) -> String {
    repo_arg(&format!("fixtures/reports/reference-{n}.json"))
}

/// The second recorded run, edited by `edit`, written into `dir`.
fn edited(dir: &std::path::Path, edit: impl FnOnce(&mut Value)) -> String {
    let mut report: Value =
        serde_json::from_str(&std::fs::read_to_string(recorded(2)).unwrap()).unwrap();
    edit(&mut report);
    let path = dir.join("edited.json");
    std::fs::write(&path, report.to_string()).unwrap();
    path.display().to_string()
}

fn figure<'a>(report: &'a mut Value, name: &str) -> &'a mut Value {
    let figures = report["figures"].as_array_mut().unwrap();
    figures.iter_mut().find(|f| f["name"] == name).unwrap_or_else(|| panic!("no figure {name}"))
}

fn check<'a>(report: &'a mut Value, id: &str) -> &'a mut Value {
    let checks = report["checks"].as_array_mut().unwrap();
    checks.iter_mut().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no check {id}"))
}

#[test]
fn two_real_runs_of_the_reference_service_compare_clean() {
    let (code, text) = gauntlet(&["compare", &recorded(1), &recorded(2)]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("no regression against the baseline"), "{text}");
    for name in ["ready.seconds", "load.latency.p50", "load.latency.p99", "load.throughput"] {
        assert!(text.contains(&format!("| `{name}` |")), "{name} not in {text}");
    }
}

#[test]
fn regressions_improvements_and_changed_checks_are_each_named() {
    let dir = tempfile::tempdir().unwrap();
    let new = edited(dir.path(), |r| {
        let p99 = figure(r, "load.latency.p99");
        p99["value"] = (p99["value"].as_f64().unwrap() * 3.0).into();
        let throughput = figure(r, "load.throughput");
        throughput["value"] = (throughput["value"].as_f64().unwrap() * 2.0).into();
        r["figures"].as_array_mut().unwrap().retain(|f| f["name"] != "ready.seconds");
        check(r, "embeddings.unit-norm")["outcome"] = "fail".into();
        r["checks"].as_array_mut().unwrap().retain(|c| c["id"] != "api.openapi.matches");
        r["checks"].as_array_mut().unwrap().push(
            json!({"id": "made.up.new", "level": "SHOULD", "outcome": "pass", "detail": "edited in"}),
        );
    });
    let out = dir.path().join("comparison.json");
    let (code, text) = gauntlet(&["compare", &recorded(2), &new, "--json", out.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{text}");
    for says in [
        "| `load.latency.p99` |",
        "REGRESSED",
        "+200.0 %",
        "improved",
        "| `ready.seconds` |",
        "no data",
        "| `embeddings.unit-norm` | MUST | pass→fail ❌ |",
        "| `api.openapi.matches` | MUST | pass→removed |",
        "| `made.up.new` | SHOULD | new→pass |",
        "1 figure(s) regressed beyond tolerance; 1 MUST check(s) newly fail; 1 gated figure(s) have no data",
    ] {
        assert!(text.contains(says), "{says:?} not in {text}");
    }
    let comparison: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(comparison["fails"], true);
    assert_eq!(
        (comparison["regressed"].as_u64(), comparison["no_data"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn a_missing_figure_is_no_data_and_fails_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let new = edited(dir.path(), |r| {
        r["figures"].as_array_mut().unwrap().retain(|f| f["name"] != "load.latency.p50");
    });
    let (code, text) = gauntlet(&["compare", &recorded(2), &new]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("1 gated figure(s) have no data in the new run"), "{text}");
    let (code, text) = gauntlet(&["compare", &recorded(2), &new, "--allow-missing"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("(allowed by --allow-missing)"), "{text}");
}

#[test]
fn tolerances_from_a_file_replace_the_profile_s() {
    let dir = tempfile::tempdir().unwrap();
    let new = edited(dir.path(), |r| {
        let p50 = figure(r, "load.latency.p50");
        p50["value"] = (p50["value"].as_f64().unwrap() * 1.2).into();
    });
    let (code, text) = gauntlet(&["compare", &recorded(2), &new]);
    assert_eq!(code, Some(0), "20 % is within the reference profile's 100 %: {text}");
    let tight = dir.path().join("tight.yaml");
    std::fs::write(&tight, "tolerances:\n  load.latency.p50: 10%\n").unwrap();
    let (code, text) =
        gauntlet(&["compare", &recorded(2), &new, "--tolerances", tight.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("+20.0 %") && text.contains("REGRESSED"), "{text}");
}

#[test]
fn unreadable_reports_and_bad_tolerances_exit_2_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_report = dir.path().join("other.json");
    std::fs::write(&not_a_report, r#"{"name": "something else"}"#).unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "tolerances:\n  load.latency.p50: fast\n").unwrap();
    for (args, says) in [
        (vec!["compare", "/no/such/report.json", &recorded(2)], "/no/such/report.json"),
        (
            vec!["compare", &recorded(1), not_a_report.to_str().unwrap()],
            "neither `figures` nor `checks`",
        ),
        (vec!["compare", &recorded(1), &repo_arg("Cargo.toml")], "not JSON"),
        (
            vec!["compare", &recorded(1), &recorded(2), "--tolerances", bad.to_str().unwrap()],
            "/tolerances/load.latency.p50",
        ),
        (vec!["compare", &recorded(1)], "NEW"),
    ] {
        let (code, text) = gauntlet(&args);
        assert_eq!(code, Some(2), "{args:?}: {text}");
        assert!(text.contains(says), "{says:?} not in {text}");
    }
}
