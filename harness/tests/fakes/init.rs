//! `gauntlet init`: the three starter files for each server, a profile that
//! loads, a workflow GitHub's schema accepts, and nothing overwritten.

use std::path::Path;

use crate::common::{gauntlet, gauntlet_in, repo};

const FILES: [&str; 3] =
    [".gauntlet/profile.yaml", ".gauntlet/README.md", ".github/workflows/gauntlet.yml"];

/// The problems of the workflow at `path` against SchemaStore's schema.
fn workflow_problems(path: &Path) -> Vec<String> {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("schemas/github/github-workflows.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let workflow: serde_json::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    validator.iter_errors(&workflow).map(|e| format!("{}: {e}", e.instance_path())).collect()
}

#[test]
fn each_server_gets_a_profile_that_loads_and_a_workflow_github_accepts() {
    for (server, a_check) in [
        ("openai", "api.embeddings.schema"),
        ("tei", "api.tei.info"),
        ("vllm", "api.version.reported"),
        ("open-inference-v2", "api.v2.infer"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (code, text) = gauntlet_in(
            dir.path(),
            &["init", "--server", server, "--url", "http://svc:9000", "--manifests", "k8s"],
        );
        assert_eq!(code, Some(0), "{server}: {text}");
        for file in FILES {
            assert!(dir.path().join(file).is_file(), "{server}: no {file}: {text}");
        }
        let profile = dir.path().join(FILES[0]);
        let yaml = std::fs::read_to_string(&profile).unwrap();
        assert!(yaml.contains("name: my-service") && yaml.contains("manifests: ../k8s"), "{yaml}");
        let (code, listing) = gauntlet(&["list", "--profile", profile.to_str().unwrap()]);
        assert_eq!(code, Some(0), "{server}: {listing}");
        assert!(listing.contains(a_check), "{server}: {a_check} not in {listing}");
        let workflow = dir.path().join(FILES[2]);
        assert_eq!(workflow_problems(&workflow), Vec::<String>::new(), "{server}");
        let text = std::fs::read_to_string(&workflow).unwrap();
        assert!(
            text.contains(
                "command: run --target url=http://svc:9000 --profile .gauntlet/profile.yaml"
            ) && text.contains("command: manifests k8s"),
            "{text}"
        );
    }
}

#[test]
fn nothing_is_overwritten_and_one_file_in_the_way_writes_none() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(gauntlet_in(dir.path(), &["init"]).0, Some(0));
    let before = std::fs::read_to_string(dir.path().join(FILES[0])).unwrap();
    let (code, text) = gauntlet_in(dir.path(), &["init", "--server", "tei"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("not overwriting") && text.contains("nothing was written"), "{text}");
    assert_eq!(std::fs::read_to_string(dir.path().join(FILES[0])).unwrap(), before);

    let other = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(other.path().join(".github/workflows")).unwrap();
    std::fs::write(other.path().join(FILES[2]), "name: theirs\n").unwrap();
    let (code, text) = gauntlet_in(other.path(), &["init"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("gauntlet.yml"), "{text}");
    assert!(!other.path().join(".gauntlet").exists(), "a partial init: {text}");
    assert_eq!(std::fs::read_to_string(other.path().join(FILES[2])).unwrap(), "name: theirs\n");
}

#[test]
fn bad_settings_exit_2_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (vec!["init", "--url", "localhost:8080"], "--url localhost:8080"),
        (vec!["init", "--server", "triton"], "--server"),
        (vec!["init", "--manifests", "/abs/k8s"], "--manifests /abs/k8s"),
    ] {
        let (code, text) = gauntlet_in(dir.path(), &args);
        assert_eq!(code, Some(2), "{args:?}: {text}");
        assert!(text.contains(says), "{says:?} not in {text}");
    }
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "wrote something");
}
