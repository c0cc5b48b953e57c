//! The baseline gate end to end on the reference service (process target): a
//! run held to a baseline with a tolerance set to fail on purpose exits 1,
//! names the figure, and carries the comparison into every report; the same
//! report compared with itself passes.

use serde_json::Value;

use crate::common::gauntlet;

/// A profile of the checks whose figures the gate holds here (readiness and
/// the load burst), with `extra` after.
fn profile(dir: &std::path::Path, name: &str, extra: &str) -> String {
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &path,
        format!("name: {name}\ninclude: [probe.ready.time-to-ready, load.burst]\n{extra}"),
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn a_run_held_to_a_tolerance_set_to_fail_fails_naming_the_figure() {
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).display().to_string();
    let first = out("first.json");
    let plain = profile(dir.path(), "plain", "");
    let (code, text) =
        gauntlet(&["run", "--target", "process", "--profile", &plain, "--json", &first]);
    assert_eq!(code, Some(0), "{text}");
    let mut report: Value =
        serde_json::from_str(&std::fs::read_to_string(&first).unwrap()).unwrap();
    let names: Vec<&str> =
        report["figures"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    for name in ["ready.seconds", "load.latency.p50", "load.latency.p99", "load.throughput"] {
        assert!(names.contains(&name), "{name} not measured: {names:?}");
    }

    // A report held to itself changes nothing.
    let (code, text) = gauntlet(&["compare", &first, &first]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("| `load.latency.p50` |") && text.contains("same"), "{text}");

    // On purpose: a baseline ten times faster than the service is, and no
    // slack at all on the median.
    for figure in report["figures"].as_array_mut().unwrap() {
        if figure["name"] == "load.latency.p50" {
            figure["value"] = (figure["value"].as_f64().unwrap() / 10.0).into();
        }
    }
    let baseline = out("baseline.json");
    std::fs::write(&baseline, report.to_string()).unwrap();
    let held = profile(dir.path(), "held", "baselines:\n  tolerances:\n    load.latency.p50: 0%\n");
    let (json, junit, md) = (out("second.json"), out("second.xml"), out("second.md"));
    let (code, text) = gauntlet(&[
        "run",
        "--target",
        "process",
        "--profile",
        &held,
        "--baseline",
        &baseline,
        "--json",
        &json,
        "--junit",
        &junit,
        "--markdown",
        &md,
    ]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("load.latency.p50") && text.contains("REGRESSED"), "{text}");

    let second: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(second["comparison"]["fails"], true, "{second:#}");
    let p50 = second["comparison"]["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "load.latency.p50")
        .unwrap_or_else(|| panic!("{second:#}"));
    assert_eq!(p50["verdict"], "regressed", "{p50:#}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("against the baseline") && xml.contains("name=\"load.latency.p50\""),
        "{xml}"
    );
    let summary = std::fs::read_to_string(&md).unwrap();
    assert!(summary.contains("load.latency.p50"), "{summary}");
}
