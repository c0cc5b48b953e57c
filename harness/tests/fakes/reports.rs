//! Reports every CI accepts: the JUnit gauntlet writes follows the schema
//! Jenkins and Surefire read it by (`schemas/junit/`), its SARIF follows the
//! SARIF 2.1.0 schema (`schemas/sarif/`) within GitHub code scanning's limits,
//! and every report names the gauntlet version, profile, target and Kubernetes
//! version that produced it.

use serde_json::Value;

use crate::broken::{Fault, serve};
use crate::common::{gauntlet, repo, repo_arg};
use crate::manifests::{Reports, with_reports};
use crate::xsd::junit_problems;

/// GitHub code scanning's limits on one SARIF file
/// (docs.github.com, "SARIF support for code scanning").
const MAX_RUNS: usize = 20;
const MAX_TAGS_PER_RULE: usize = 10;

/// The problems of a SARIF log: against the vendored schema, then against
/// GitHub's limits (one rule per id, every result's rule listed, at most 20
/// runs and 10 tags a rule).
fn sarif_problems(log: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(repo("schemas/sarif/sarif-schema-2.1.0.json")).unwrap();
    // The published `language` patterns (of a run and of a tool component) have
    // a stray `]`, a literal in JavaScript's legacy regex syntax but an error to
    // the Rust validator: escaping it keeps their meaning (schemas/sarif/README.md).
    let stray = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert_eq!(text.matches(stray).count(), 2, "the schema was refreshed: drop this mend");
    let schema: Value = serde_json::from_str(
        &text.replace(stray, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut problems: Vec<String> =
        validator.iter_errors(log).map(|e| format!("{}: {e}", e.instance_path())).collect();
    let runs = log["runs"].as_array().map_or(&[][..], Vec::as_slice);
    if runs.len() > MAX_RUNS {
        problems.push(format!("{} runs, over GitHub's {MAX_RUNS}", runs.len()));
    }
    for (r, run) in runs.iter().enumerate() {
        let rules = run["tool"]["driver"]["rules"].as_array().map_or(&[][..], Vec::as_slice);
        let mut ids = std::collections::BTreeSet::new();
        for rule in rules {
            let id = rule["id"].as_str().unwrap_or_default();
            if !ids.insert(id) {
                problems.push(format!("run {r}: rule {id:?} listed twice"));
            }
            let tags = rule["properties"]["tags"].as_array().map_or(0, Vec::len);
            if tags > MAX_TAGS_PER_RULE {
                problems.push(format!("run {r}: rule {id:?} has {tags} tags"));
            }
        }
        for result in run["results"].as_array().map_or(&[][..], Vec::as_slice) {
            let id = result["ruleId"].as_str().unwrap_or_default();
            if !ids.contains(id) {
                problems.push(format!("run {r}: a result's rule {id:?} is not listed"));
            }
        }
    }
    problems
}

#[test]
fn the_sarif_check_refuses_what_github_refuses() {
    let Reports { sarif, .. } =
        with_reports(&[&repo_arg("fixtures/manifests/bad/policy/privileged.yaml")]);
    assert_eq!(sarif_problems(&sarif), Vec::<String>::new());
    let mut twice = sarif.clone();
    let rules = twice["runs"][0]["tool"]["driver"]["rules"].as_array_mut().unwrap();
    rules.push(rules[0].clone());
    rules[1]["properties"] = serde_json::json!({"tags": vec!["t"; 11]});
    let mut wrong = sarif.clone();
    wrong["runs"][0]["results"][0]["level"] = "fatal".into();
    wrong["runs"][0]["results"][0]["ruleId"] = "no.such.rule".into();
    let mut many = sarif.clone();
    many["runs"] = Value::Array(vec![sarif["runs"][0].clone(); 21]);
    for (log, says) in [
        (&twice, "listed twice"),
        (&twice, "has 11 tags"),
        (&wrong, "/runs/0/results/0/level"),
        (&wrong, "\"no.such.rule\" is not listed"),
        (&many, "21 runs"),
    ] {
        let problems = sarif_problems(log).join("\n");
        assert!(problems.contains(says), "{says:?} not in {problems}");
    }
}

#[test]
fn manifest_reports_follow_the_schemas_with_findings_and_without() {
    for (path, code) in [
        ("fixtures/manifests/bad/policy/privileged.yaml", 1),
        ("fixtures/manifests/bad/schema", 1),
        ("fixtures/manifests/good/replicated.yaml", 0),
    ] {
        let Reports { code: got, text, json, junit, sarif } = with_reports(&[&repo_arg(path)]);
        assert_eq!(got, Some(code), "{path}: {text}");
        assert_eq!(junit_problems(&junit), Vec::<String>::new(), "{path}: {junit}");
        assert_eq!(sarif_problems(&sarif), Vec::<String>::new(), "{path}: {sarif:#}");
        // A clean run still writes a log, with its one run and no results.
        if code == 0 {
            assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]), "{sarif:#}");
        }
        assert_eq!(json["gauntlet_version"], env!("CARGO_PKG_VERSION"), "{json:#}");
        assert_eq!(json["target"], "manifests");
        assert!(json["kubernetes_version"].is_string(), "{json:#}");
        assert_eq!(sarif["runs"][0]["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
        assert!(sarif["runs"][0]["properties"]["kubernetesVersion"].is_string(), "{sarif:#}");
        assert!(junit.contains("<property name=\"gauntlet.version\""), "{junit}");
        assert!(junit.contains("<property name=\"kubernetes.version\""), "{junit}");
    }
}

#[test]
fn run_reports_follow_the_schemas_and_name_what_produced_them() {
    let url = serve(Fault::Unnormalized);
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).display().to_string();
    std::fs::create_dir_all(dir.path().join("snapshots")).unwrap();
    let profile = out("profile.yaml");
    std::fs::write(&profile, "name: reference-on-a-fake\nexclude: [gpu.]\nsnapshots: snapshots\n")
        .unwrap();
    let (json, junit, md) = (out("r.json"), out("r.xml"), out("r.md"));
    let (code, text) = gauntlet(&[
        "run",
        "--target",
        &format!("url={url}"),
        "--profile",
        &profile,
        "--json",
        &json,
        "--junit",
        &junit,
        "--markdown",
        &md,
    ]);
    assert_eq!(code, Some(1), "{text}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(junit_problems(&xml), Vec::<String>::new(), "{xml}");
    for property in [
        format!("<property name=\"gauntlet.version\" value=\"{}\"/>", env!("CARGO_PKG_VERSION")),
        "<property name=\"gauntlet.profile\" value=\"reference-on-a-fake\"/>".to_owned(),
        format!("<property name=\"gauntlet.target\" value=\"url={url}"),
        "<property name=\"kubernetes.version\" value=\"none".to_owned(),
    ] {
        assert!(xml.contains(&property), "{property} not in {xml}");
    }
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["gauntlet_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(report["profile"], "reference-on-a-fake");
    assert!(report["target"].as_str().unwrap().contains(&url), "{report:#}");
    assert_eq!(report["kubernetes_version"], Value::Null, "no cluster, no version: {report:#}");
    let summary = std::fs::read_to_string(&md).unwrap();
    assert!(
        summary.contains(&format!("gauntlet {}", env!("CARGO_PKG_VERSION")))
            && summary.contains("reference-on-a-fake"),
        "{summary}"
    );
}
