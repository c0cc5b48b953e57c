//! The GitHub workflows are valid: every file in `.github/workflows/` follows
//! the vendored SchemaStore schema (`schemas/github/`), and a broken workflow
//! fixture is rejected with the place it breaks.

use std::path::{Path, PathBuf};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// The schema problems of the workflow at `path`, one line each.
fn problems(path: &Path) -> Vec<String> {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("schemas/github/github-workflows.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let workflow: serde_json::Value =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()));
    validator.iter_errors(&workflow).map(|e| format!("{}: {e}", e.instance_path())).collect()
}

#[test]
fn every_workflow_follows_the_github_schema() {
    let mut seen = 0;
    for entry in std::fs::read_dir(repo(".github/workflows")).unwrap() {
        let path = entry.unwrap().path();
        let found = problems(&path);
        assert!(found.is_empty(), "{}:\n{}", path.display(), found.join("\n"));
        seen += 1;
    }
    assert!(seen >= 1, "no workflows in .github/workflows");
}

#[test]
fn a_broken_workflow_is_rejected_where_it_breaks() {
    let found = problems(&repo("fixtures/workflows/bad.yml"));
    assert!(found.iter().any(|p| p.starts_with("/jobs/test")), "{found:#?}");
}
