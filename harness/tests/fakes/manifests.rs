//! `gauntlet manifests` on fixtures: each schema fault in
//! `fixtures/manifests/bad/schema` is found and located, each policy fixture
//! trips its rule and only it, findings are located by pointer, and the
//! reports come in every format; bad flags and paths are usage errors.

use std::path::Path;

use crate::common::{gauntlet, repo, repo_arg};

fn gauntlet_manifests(args: &[&str]) -> (Option<i32>, String) {
    gauntlet(&[&["manifests"], args].concat())
}

/// What `gauntlet manifests` said and wrote when asked for every report.
pub struct Reports {
    /// Its exit code.
    pub code: Option<i32>,
    /// Its stdout and stderr.
    pub text: String,
    /// `--json`, parsed.
    pub json: serde_json::Value,
    /// `--junit`, as written.
    pub junit: String,
    /// `--sarif`, parsed.
    pub sarif: serde_json::Value,
}

/// `gauntlet manifests args...` with `--json`, `--junit` and `--sarif`.
pub fn with_reports(args: &[&str]) -> Reports {
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).display().to_string();
    let (json, junit, sarif) = (out("m.json"), out("m.xml"), out("m.sarif"));
    let (code, text) = gauntlet_manifests(
        &[args, &["--json", &json, "--junit", &junit, "--sarif", &sarif]].concat(),
    );
    let read = |path: &str| {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}; {text}"))
    };
    Reports {
        json: serde_json::from_str(&read(&json)).unwrap(),
        junit: read(&junit),
        sarif: serde_json::from_str(&read(&sarif)).unwrap(),
        code,
        text,
    }
}

#[test]
fn each_schema_fault_is_found_and_located() {
    let schemas = gauntlet::manifests::Schemas::new(gauntlet::manifests::DEFAULT_VERSION).unwrap();
    let cases = [
        (
            "unknown-field.yaml",
            true,
            0,
            "Deployment",
            "typo",
            "/spec",
            "schema.unknown-field",
            "replica",
        ),
        (
            "wrong-type.yaml",
            false,
            1,
            "Service",
            "wrong-type",
            "/spec/ports/0/port",
            "schema.invalid",
            "eighty",
        ),
        (
            "unknown-kind.yaml",
            false,
            0,
            "Deploymnet",
            "mystery",
            "",
            "schema.unknown-kind",
            "has no kind Deploymnet in apps/v1",
        ),
        (
            "no-crd.yaml",
            false,
            0,
            "Widget",
            "mystery",
            "",
            "schema.no-crd",
            "no CustomResourceDefinition for example.com/v1 Widget",
        ),
        (
            "removed-api.yaml",
            false,
            0,
            "PodDisruptionBudget",
            "web",
            "",
            "api.removed",
            "was removed in Kubernetes 1.25: use policy/v1",
        ),
        (
            "deprecated-api.yaml",
            false,
            0,
            "Endpoints",
            "web",
            "",
            "api.deprecated",
            "deprecated since Kubernetes 1.33",
        ),
        ("no-kind.yaml", false, 0, "", "nameless", "", "schema.type-meta", "no apiVersion or kind"),
    ];
    for (file, strict, document, kind, name, pointer, rule, says) in cases {
        let path = repo("fixtures/manifests/bad/schema").join(file);
        let documents = gauntlet::manifests::load(&[path]).unwrap();
        let findings = gauntlet::manifests::validate(&documents, &schemas, strict);
        let finding = findings
            .iter()
            .find(|f| f.rule == rule)
            .unwrap_or_else(|| panic!("{file}: {findings:?}"));
        assert_eq!(
            (
                finding.document,
                finding.kind.as_str(),
                finding.name.as_str(),
                finding.pointer.as_str()
            ),
            (document, kind, name, pointer),
            "{file}"
        );
        assert!(finding.message.contains(says), "{file}: {}", finding.message);
        assert_eq!(findings.len(), 1, "{file}: exactly one finding: {findings:?}");
    }
}

#[test]
fn unknown_fields_pass_without_strict_and_fail_with_it() {
    let file = repo_arg("fixtures/manifests/bad/schema/unknown-field.yaml");
    let (code, text) = gauntlet_manifests(&["--schema-only", &file]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = gauntlet_manifests(&["--schema-only", "--strict", &file]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Deployment/typo /spec: schema.unknown-field"), "{text}");
}

#[test]
fn an_unknown_kubernetes_version_or_path_is_a_usage_error() {
    let (code, text) =
        gauntlet_manifests(&["--kubernetes-version", "1.12", &repo_arg("manifests/k8s/base")]);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("--kubernetes-version 1.12: not a supported version: give 1.25 to 1.37"),
        "{text}"
    );
    let (code, text) = gauntlet_manifests(&["/no/such/manifests.yaml"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("/no/such/manifests.yaml"), "{text}");
}

fn check_file(path: &Path, strict: bool) -> Vec<gauntlet::manifests::Finding> {
    let schemas = gauntlet::manifests::Schemas::new(gauntlet::manifests::DEFAULT_VERSION).unwrap();
    let documents = gauntlet::manifests::load(&[path.to_owned()]).unwrap();
    let options = gauntlet::manifests::Options { strict, ..Default::default() };
    gauntlet::manifests::check(&documents, &[], &schemas, options).findings
}

#[test]
fn the_good_fixtures_pass_every_rule_in_strict_mode() {
    let dir = repo("fixtures/manifests/good");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let findings = check_file(&path, true);
        assert!(findings.is_empty(), "{}: {findings:#?}", path.display());
        seen += 1;
    }
    assert!(seen >= 3, "the good fixtures are missing from {}", dir.display());
}

/// What each rule's fixture must make it say (a part of the message).
const POLICY_SAYS: &[(&str, &str)] = &[
    ("policy.image-tag-pinned", "image web:latest uses the moving tag latest"),
    ("policy.probes-present", "container web: no livenessProbe"),
    ("policy.probes-distinct", "ask the same thing (httpGet /ready)"),
    ("policy.resources-set", "container web: no limits.cpu, limits.memory"),
    ("policy.run-as-non-root", "runAsUser 0 runs it as root"),
    ("policy.privileged", "privileged: true gives it every device"),
    ("policy.read-only-root-fs", "readOnlyRootFilesystem is not true"),
    ("policy.privilege-escalation", "allowPrivilegeEscalation is not false"),
    ("policy.capabilities", "adds dangerous capabilities NET_ADMIN"),
    ("policy.host-namespaces", "hostNetwork: true shares the node's namespace"),
    ("policy.pdb-present", "3 replicas and no PodDisruptionBudget selects its pods"),
    ("policy.pdb-allows-eviction", "minAvailable 3 for Deployment web with 3 replica(s)"),
    ("policy.hpa-target", "scales Deployment wbe, which these manifests do not hold"),
    ("policy.hpa-range", "minReplicas 3 with maxReplicas 2"),
    ("policy.service-selector", "selector app=webapp matches no pod template"),
    ("policy.service-target-port", "targetPort https is not a container port"),
    ("policy.network-policy", "no NetworkPolicy selects its pods"),
    ("policy.gpu-toleration", "has no toleration for the nvidia.com/gpu taint"),
    ("policy.gpu-limit", "nvidia.com/gpu limit 500m is not a whole number"),
    ("policy.gpu-visible-devices", "sets NVIDIA_VISIBLE_DEVICES by hand"),
];

#[test]
fn each_policy_fixture_trips_its_rule_and_only_it() {
    let dir = repo("fixtures/manifests/bad/policy");
    for (rule, says) in POLICY_SAYS {
        let file = dir.join(format!("{}.yaml", rule.trim_start_matches("policy.")));
        assert!(file.is_file(), "{rule}: no fixture {}", file.display());
        let findings = check_file(&file, true);
        assert!(!findings.is_empty(), "{}: passed, but must trip {rule}", file.display());
        for f in &findings {
            assert_eq!(&f.rule, rule, "{}: {}", file.display(), f.text());
        }
        assert!(
            findings.iter().any(|f| f.message.contains(says)),
            "{}: no finding says {says:?}: {findings:#?}",
            file.display()
        );
    }
}

#[test]
fn every_rule_has_a_fixture_and_every_fixture_a_rule() {
    let mut rules: Vec<&str> = gauntlet::manifests::RULES.iter().map(|r| r.id).collect();
    rules.sort_unstable();
    let mut covered: Vec<&str> = POLICY_SAYS.iter().map(|(r, _)| *r).collect();
    covered.sort_unstable();
    assert_eq!(rules, covered, "POLICY_SAYS must list every rule");
    let mut fixtures: Vec<String> = std::fs::read_dir(repo_arg("fixtures/manifests/bad/policy"))
        .unwrap()
        .map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            format!("policy.{}", name.trim_end_matches(".yaml"))
        })
        .collect();
    fixtures.sort();
    assert_eq!(fixtures, rules, "one fixture per rule in fixtures/manifests/bad/policy");
}

#[test]
fn findings_are_located_by_pointer() {
    let file = repo("fixtures/manifests/bad/policy/gpu-visible-devices.yaml");
    let findings = check_file(&file, false);
    assert_eq!(findings[0].pointer, "/spec/containers/0/env/0", "{findings:#?}");
    assert_eq!((findings[0].kind.as_str(), findings[0].name.as_str()), ("Pod", "gpu"));
    let file = repo("fixtures/manifests/bad/policy/service-target-port.yaml");
    let findings = check_file(&file, false);
    assert_eq!(
        (findings[0].document, findings[0].pointer.as_str()),
        (1, "/spec/ports/0/targetPort")
    );
}

#[test]
fn schema_only_skips_the_policy_and_reports_come_in_every_format() {
    let file = repo_arg("fixtures/manifests/bad/policy/privileged.yaml");
    let (code, text) = gauntlet_manifests(&["--schema-only", &file]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("schema only"), "{text}");
    let Reports { code, text, json, junit, sarif } = with_reports(&[&file]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("Pod/web /spec/containers/0/securityContext/privileged: policy.privileged"),
        "{text}"
    );
    assert_eq!(json["objects"], 2);
    assert_eq!(json["findings"][0]["rule"], "policy.privileged");
    assert!(junit.contains("tests=\"2\" failures=\"1\""), "{junit}");
    assert!(
        junit.contains("name=\"[0] Pod/web\">")
            && junit.contains("<failure message=\"1 finding(s), first: policy.privileged"),
        "{junit}"
    );
    assert_eq!(sarif["version"], "2.1.0");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "policy.privileged");
    assert_eq!(
        result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "Pod/web/spec/containers/0/securityContext/privileged"
    );
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "policy.privileged"));
}

#[test]
fn the_rules_are_listed() {
    let (code, text) = gauntlet_manifests(&["--rules"]);
    assert_eq!(code, Some(0), "{text}");
    for rule in gauntlet::manifests::RULES {
        assert!(text.contains(rule.id), "{text}");
    }
    assert!(text.contains("schema.unknown-kind"), "{text}");
}
