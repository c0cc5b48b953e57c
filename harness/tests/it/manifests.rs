//! The deployment manifests render and validate: both kustomize overlays through
//! `kubectl kustomize` into the objects the base declares, the GPU overlay with
//! its GPU limit, toleration and node selector, and both validate clean in
//! strict mode; each schema fault in `fixtures/manifests/bad/schema` is found and
//! located. Without kubectl the rendering tests say why they did not run; in CI
//! (`CI=true`) they fail.

use std::path::Path;
use std::process::Command;

use serde::Deserialize;
use serde_yaml::Value;

/// The rendered objects of `overlay`, or `None` after saying why not.
fn render(overlay: &str) -> Option<Vec<Value>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../manifests/k8s/overlays").join(overlay);
    let out = match Command::new("kubectl").arg("kustomize").arg(&dir).output() {
        Ok(out) => out,
        Err(e) if gauntlet::docker::in_ci() => panic!("CI=true and kubectl cannot run: {e}"),
        Err(e) => {
            eprintln!("not run: kubectl cannot run: {e}");
            return None;
        }
    };
    assert!(out.status.success(), "{overlay}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    Some(
        serde_yaml::Deserializer::from_str(&text)
            .map(|doc| Value::deserialize(doc).unwrap())
            .collect(),
    )
}

fn kinds(objects: &[Value]) -> Vec<String> {
    let mut kinds: Vec<String> =
        objects.iter().map(|o| o["kind"].as_str().unwrap_or("?").to_owned()).collect();
    kinds.sort();
    kinds
}

fn deployment(objects: &[Value]) -> &Value {
    objects.iter().find(|o| o["kind"] == "Deployment").expect("a Deployment")
}

#[test]
fn both_overlays_render_every_object_of_the_base() {
    for overlay in ["cpu", "gpu"] {
        let Some(objects) = render(overlay) else { return };
        assert_eq!(
            kinds(&objects),
            [
                "ConfigMap",
                "Deployment",
                "HorizontalPodAutoscaler",
                "NetworkPolicy",
                "PodDisruptionBudget",
                "Service",
                "ServiceAccount"
            ],
            "{overlay}"
        );
        let container = &deployment(&objects)["spec"]["template"]["spec"]["containers"][0];
        for (probe, path) in [
            ("startupProbe", "/health/startup"),
            ("readinessProbe", "/health/ready"),
            ("livenessProbe", "/health/live"),
        ] {
            assert_eq!(container[probe]["httpGet"]["path"], path, "{overlay} {probe}");
        }
    }
}

#[test]
fn the_gpu_overlay_asks_for_a_gpu_and_tolerates_its_taint() {
    let Some(objects) = render("gpu") else { return };
    let pod = &deployment(&objects)["spec"]["template"]["spec"];
    let resources = &pod["containers"][0]["resources"];
    assert_eq!(resources["limits"]["nvidia.com/gpu"], "1");
    assert_eq!(resources["requests"]["nvidia.com/gpu"], "1");
    assert_eq!(pod["tolerations"][0]["key"], "nvidia.com/gpu");
    assert_eq!(pod["nodeSelector"]["nvidia.com/gpu.present"], "true");
    assert_eq!(pod["containers"][0]["image"], "gauntlet-service-cuda:0.1.0");
    let config = objects.iter().find(|o| o["kind"] == "ConfigMap").unwrap();
    assert_eq!(config["data"]["GAUNTLET_DEVICE"], "cuda:0");
}

fn gauntlet_manifests(args: &[&str]) -> (Option<i32>, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_gauntlet")).arg("manifests").args(args).output().unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path).display().to_string()
}

#[test]
fn the_projects_overlays_validate_clean_and_strict_for_every_vendored_version() {
    if render("cpu").is_none() {
        return;
    }
    for version in gauntlet::manifests::VERSIONS {
        for overlay in ["manifests/k8s/overlays/cpu", "manifests/k8s/overlays/gpu"] {
            let (code, text) =
                gauntlet_manifests(&["--strict", "--kubernetes-version", version, &repo(overlay)]);
            assert_eq!(code, Some(0), "{overlay} on {version}: {text}");
            assert!(text.contains("7 objects checked"), "{text}");
        }
    }
}

#[test]
fn each_schema_fault_is_found_and_located() {
    let schemas = gauntlet::manifests::Schemas::open(
        &gauntlet::manifests::default_root(),
        gauntlet::manifests::DEFAULT_VERSION,
    )
    .unwrap();
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
            "Widget",
            "mystery",
            "",
            "schema.unknown-kind",
            "example.com/v1",
        ),
        ("no-kind.yaml", false, 0, "", "nameless", "", "schema.type-meta", "no apiVersion or kind"),
    ];
    for (file, strict, document, kind, name, pointer, rule, says) in cases {
        let path = Path::new(&repo("fixtures/manifests/bad/schema")).join(file);
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
    let file = repo("fixtures/manifests/bad/schema/unknown-field.yaml");
    let (code, text) = gauntlet_manifests(&[&file]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = gauntlet_manifests(&["--strict", &file]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Deployment/typo /spec: schema.unknown-field"), "{text}");
}

#[test]
fn an_unknown_kubernetes_version_or_path_is_a_usage_error() {
    let (code, text) =
        gauntlet_manifests(&["--kubernetes-version", "1.12", &repo("manifests/k8s/base")]);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("--kubernetes-version 1.12: no schemas for it (vendored: 1.33, 1.37)"),
        "{text}"
    );
    let (code, text) = gauntlet_manifests(&["/no/such/manifests.yaml"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("/no/such/manifests.yaml"), "{text}");
}
