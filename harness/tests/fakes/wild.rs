//! `gauntlet manifests` on what other teams write: custom resources held to
//! their CRDs (from the same file, `--crds` and a `--schema-location`
//! catalog), removed and deprecated APIs, broken YAML, ignores with reasons,
//! every supported Kubernetes version, and Helm charts (helm itself cannot run
//! here: a stand-in script plays it, labelled as such, to test the arguments
//! and the failure paths).

use std::path::PathBuf;

use crate::common::{command, gauntlet, output, repo, repo_arg};
use crate::manifests::{Reports, with_reports};

fn manifests(args: &[&str]) -> (Option<i32>, String) {
    gauntlet(&[&["manifests"], args].concat())
}

fn crd_fixture(name: &str) -> String {
    repo_arg(&format!("fixtures/manifests/crd/{name}"))
}

#[test]
fn a_custom_resource_is_held_to_its_crd_from_the_same_file() {
    let (code, text) = manifests(&["--strict", &crd_fixture("same-file-valid.yaml")]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("2 objects checked"), "{text}");
    let (code, text) = manifests(&["--strict", &crd_fixture("same-file-invalid.yaml")]);
    assert_eq!(code, Some(1), "{text}");
    for (pointer, says) in [
        ("/spec/size", "11 is greater than the maximum of 10"),
        ("/spec/template", "\"kind\" is a required property"),
    ] {
        assert!(
            text.lines().any(|l| l.contains(&format!("Widget/bad {pointer}: schema.invalid"))
                && l.contains(says)),
            "no finding at {pointer} saying {says}: {text}"
        );
    }
    assert!(text.contains("Widget/bad /spec/port: schema.invalid"), "{text}");
}

#[test]
fn a_custom_resource_is_held_to_a_crd_passed_with_crds() {
    let crds = crd_fixture("widget-crd.yaml");
    let (code, text) = manifests(&["--strict", "--crds", &crds, &crd_fixture("widget-valid.yaml")]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = manifests(&["--crds", &crds, &crd_fixture("widget-invalid.yaml")]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Widget/bad /spec/size: schema.invalid"), "{text}");
    // A folder of CRDs works as well as a file.
    let (code, text) = manifests(&[
        "--crds",
        &repo_arg("fixtures/manifests/crd"),
        &crd_fixture("widget-invalid.yaml"),
    ]);
    assert_eq!(code, Some(1), "{text}");
}

#[test]
fn unknown_fields_count_in_strict_mode_only_where_the_crd_does_not_preserve_them() {
    let crds = crd_fixture("widget-crd.yaml");
    let file = crd_fixture("widget-unknown-field.yaml");
    let (code, text) = manifests(&["--crds", &crds, &file]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = manifests(&["--strict", "--crds", &crds, &file]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Widget/typo /spec: schema.unknown-field"), "{text}");
    assert!(text.contains("colour"), "{text}");
}

#[test]
fn a_version_the_crd_does_not_serve_is_named() {
    let crds = crd_fixture("widget-crd.yaml");
    let (code, text) = manifests(&["--crds", &crds, &crd_fixture("widget-unserved.yaml")]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("schema.no-crd")
            && text.contains("does not serve example.com/v1alpha1 Widget; it serves v1"),
        "{text}"
    );
}

#[test]
fn a_schema_catalog_is_read_as_kubeconform_lays_it_out() {
    let catalog = crd_fixture("catalog");
    let (code, text) =
        manifests(&["--schema-location", &catalog, &crd_fixture("widget-valid.yaml")]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) =
        manifests(&["--schema-location", &catalog, &crd_fixture("widget-invalid.yaml")]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Widget/bad /spec/size: schema.invalid"), "{text}");
    let (code, text) =
        manifests(&["--schema-location", "/no/such/catalog", &crd_fixture("widget-valid.yaml")]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("--schema-location /no/such/catalog: not a folder"), "{text}");
}

#[test]
fn a_custom_resource_without_a_crd_is_a_finding_or_skipped_never_passed() {
    let widget = crd_fixture("widget-valid.yaml");
    let (code, text) = manifests(&[&widget]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("schema.no-crd: no CustomResourceDefinition for example.com/v1 Widget")
            && text.contains("--crds"),
        "{text}"
    );
    // Skipped alone: nothing was verified, and that is not green.
    let (code, text) = manifests(&["--ignore-missing-schemas", &widget]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("1 skipped (no CRD)") && text.contains("verified nothing"), "{text}");
    // Beside a validated object: skipped, counted and listed in every report.
    let pod = repo_arg("fixtures/manifests/good/pod.yaml");
    let Reports { code, text, json, junit, sarif } =
        with_reports(&["--ignore-missing-schemas", &pod, &widget]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("skipped: ") && text.contains("Widget/good: no CRD"), "{text}");
    assert_eq!(json["skipped"][0]["kind"], "Widget", "{json}");
    assert_eq!(json["findings"].as_array().unwrap().len(), 0, "{json}");
    assert!(
        junit.contains("skipped=\"1\"")
            && junit.contains("not validated: no CustomResourceDefinition"),
        "{junit}"
    );
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(
        (result["kind"].as_str(), result["ruleId"].as_str()),
        (Some("notApplicable"), Some("schema.no-crd"))
    );
    assert_eq!(sarif["runs"][0]["properties"]["skipped"], 1);
}

#[test]
fn crds_that_hold_no_crd_are_a_usage_error() {
    let (code, text) = manifests(&[
        "--crds",
        &repo_arg("fixtures/manifests/good/pod.yaml"),
        &crd_fixture("widget-valid.yaml"),
    ]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("holds no apiextensions.k8s.io/v1 CustomResourceDefinition"), "{text}");
}

#[test]
fn a_crd_is_itself_held_to_apiextensions_v1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("crd.yaml");
    let text = std::fs::read_to_string(repo("fixtures/manifests/crd/widget-crd.yaml"))
        .unwrap()
        .replace("scope: Namespaced", "scope: 7");
    std::fs::write(&file, text).unwrap();
    let (code, text) = manifests(&[file.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("CustomResourceDefinition/widgets.example.com /spec/scope: schema.invalid"),
        "{text}"
    );
}

#[test]
fn removed_apis_name_their_release_and_replacement() {
    let file = repo_arg("fixtures/manifests/bad/schema/removed-api.yaml");
    for version in ["1.25", "1.37"] {
        let (code, text) = manifests(&["--kubernetes-version", version, &file]);
        assert_eq!(code, Some(1), "{text}");
        assert!(
            text.contains("api.removed: policy/v1beta1 PodDisruptionBudget was removed in Kubernetes 1.25: use policy/v1"),
            "{text}"
        );
    }
}

#[test]
fn a_deprecated_api_warns_and_fails_only_when_asked() {
    let file = repo_arg("fixtures/manifests/bad/schema/deprecated-api.yaml");
    let (code, text) = manifests(&[&file]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("warning: api.deprecated: v1 Endpoints is deprecated since Kubernetes 1.33")
            && text.contains("0 error(s) and 1 warning(s)"),
        "{text}"
    );
    let (code, text) = manifests(&["--fail-on-deprecated", &file]);
    assert_eq!(code, Some(1), "{text}");
    // Before 1.33 it is not deprecated.
    let (code, text) = manifests(&["--kubernetes-version", "1.32", &file]);
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("api.deprecated"), "{text}");
}

#[test]
fn an_api_deprecated_in_one_version_is_removed_in_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hpa.yaml");
    std::fs::write(
        &file,
        "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\n\
         spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, minReplicas: 1, maxReplicas: 3}\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let (code, text) = manifests(&["--schema-only", "--kubernetes-version", "1.25.3", file]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("warning: api.deprecated")
            && text.contains("removed in 1.26: use autoscaling/v2"),
        "{text}"
    );
    let (code, text) = manifests(&["--schema-only", "--kubernetes-version", "1.26", file]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("api.removed: autoscaling/v2beta2 HorizontalPodAutoscaler was removed in Kubernetes 1.26"), "{text}");
}

#[test]
fn broken_yaml_is_a_located_finding_and_the_other_documents_are_checked() {
    let file = repo_arg("fixtures/manifests/bad/schema/not-yaml.yaml");
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("m.sarif");
    let (code, text) = manifests(&["--schema-only", &file, "--sarif", sarif.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("not-yaml.yaml:11 [1] ?/? /: yaml.syntax: line 11, column"), "{text}");
    assert!(
        text.contains("2 objects checked") && text.contains("1 document(s) not YAML"),
        "{text}"
    );
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "yaml.syntax");
    assert_eq!(result["locations"][0]["physicalLocation"]["region"]["startLine"], 11);
}

#[test]
fn every_supported_version_is_accepted_and_others_name_the_range() {
    let file = repo_arg("fixtures/manifests/good/pod.yaml");
    for version in gauntlet::manifests::VERSIONS {
        let (code, text) = manifests(&["--kubernetes-version", version, "--strict", &file]);
        assert_eq!(code, Some(0), "{version}: {text}");
        assert!(text.contains(&format!("against Kubernetes {version}")), "{text}");
    }
    let (code, text) = manifests(&["--kubernetes-version", "1.33.2", &file]);
    assert_eq!(code, Some(0), "{text}");
    for bad in ["1.24", "1.38", "latest"] {
        let (code, text) = manifests(&["--kubernetes-version", bad, &file]);
        assert_eq!(code, Some(2), "{bad}: {text}");
        assert!(text.contains("give 1.25 to 1.37"), "{text}");
    }
}

#[test]
fn an_ignore_on_the_object_suppresses_its_rule_with_the_reason() {
    let file = repo_arg("fixtures/manifests/ignore/object.yaml");
    let Reports { code, text, json, junit, sarif } = with_reports(&[&file]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("ignored: ") && text.contains("reason: the node agent loads a kernel module"),
        "{text}"
    );
    assert_eq!(json["suppressed"][0]["rule"], "policy.privileged", "{json}");
    assert!(json["suppressed"][0]["reason"].as_str().unwrap().contains("SEC-12"), "{json}");
    assert!(
        junit.contains("ignores policy.privileged") && junit.contains("<skipped message=\"ignored"),
        "{junit}"
    );
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "policy.privileged");
    assert!(
        result["suppressions"][0]["justification"].as_str().unwrap().contains("SEC-12"),
        "{sarif}"
    );
    // --no-ignores: the gate an edit to the manifest cannot bypass.
    let (code, text) = manifests(&["--no-ignores", &file]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("policy.privileged") && text.contains("1 ignore(s) refused"), "{text}");
}

#[test]
fn an_ignore_on_the_pod_template_suppresses_its_rule_for_the_workload() {
    let file = repo_arg("fixtures/manifests/ignore/pod-template.yaml");
    let (code, text) = manifests(&[&file]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("policy.probes-present") && text.contains("reason: a queue worker"),
        "{text}"
    );
    let (code, text) = manifests(&["--no-ignores", &file]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("Deployment/batch /spec/template/spec/containers/0: policy.probes-present"),
        "{text}"
    );
}

#[test]
fn an_ignore_without_a_reason_or_rule_is_a_finding() {
    let (code, text) = manifests(&[&repo_arg("fixtures/manifests/ignore/bad-ignores.yaml")]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("ignore.invalid: ignores `policy.privileged` without a reason"),
        "{text}"
    );
    assert!(
        text.contains("ignore.invalid: ignores `policy.no-such-rule`, which is not a rule"),
        "{text}"
    );
}

/// A stand-in for helm (helm cannot run here): a script that records its
/// arguments and prints `render`, or fails with `fail`.
fn fake_helm(dir: &std::path::Path, render: &str, fail: Option<&str>) -> PathBuf {
    let script = dir.join("helm");
    let body = match fail {
        Some(message) => format!("echo \"{message}\" >&2\nexit 1\n"),
        None => format!("cat <<'RENDER'\n{render}RENDER\n"),
    };
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > \"{}/args\"\n{body}", dir.display()),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    script
}

#[test]
fn without_helm_a_chart_is_a_usage_error_saying_so() {
    let chart = repo_arg("fixtures/helm/demo");
    let (code, text) = output(
        command().args(["manifests", "--helm", &chart]).env("GAUNTLET_HELM", "/no/such/helm"),
    );
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("rendering a Helm chart needs helm (/no/such/helm)")
            && text.contains("install helm"),
        "{text}"
    );
}

#[test]
fn a_failed_render_exits_2_with_helms_message() {
    let dir = tempfile::tempdir().unwrap();
    let helm = fake_helm(dir.path(), "", Some("Error: parse error at (demo/templates/x.yaml:3)"));
    let chart = repo_arg("fixtures/helm/demo");
    let (code, text) =
        output(command().args(["manifests", "--helm", &chart]).env("GAUNTLET_HELM", &helm));
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("helm template failed: Error: parse error at (demo/templates/x.yaml:3)"),
        "{text}"
    );
    // A render of nothing is no pass either.
    let helm = fake_helm(dir.path(), "", None);
    let (code, text) =
        output(command().args(["manifests", "--helm", &chart]).env("GAUNTLET_HELM", &helm));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("rendered no object"), "{text}");
}

#[test]
fn a_rendered_chart_is_validated_under_its_templates_with_values_and_sets_passed_on() {
    let dir = tempfile::tempdir().unwrap();
    // What `helm template` prints for a chart (recorded shape: `---` and a `# Source:` comment per document).
    let render = "---\n# Source: demo/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: g-web\nspec:\n  ports:\n    - port: eighty\n";
    let helm = fake_helm(dir.path(), render, None);
    let chart = repo_arg("fixtures/helm/demo");
    let (code, text) = output(
        command()
            .args(["manifests", "--schema-only", "--kubernetes-version", "1.31", "--helm", &chart])
            .args(["--values", "v.yaml", "--set", "image.tag=2"])
            .env("GAUNTLET_HELM", &helm),
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(
            "demo/templates/service.yaml:1 [0] Service/g-web /spec/ports/0/port: schema.invalid"
        ),
        "{text}"
    );
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(
        args,
        [
            "template",
            "gauntlet",
            chart.as_str(),
            "--kube-version",
            "1.31.0",
            "--values",
            "v.yaml",
            "--set",
            "image.tag=2"
        ]
    );
}
