//! The project's deployment manifests render and validate: both kustomize
//! overlays through `kubectl kustomize` into the objects the base declares, the
//! GPU overlay with its GPU limit, toleration and node selector, and both
//! validate clean in strict mode for every vendored version.

use std::process::Command;

use serde::Deserialize;
use serde_yaml::Value;

use crate::common::{gauntlet, repo, repo_arg};

/// The rendered objects of `overlay`, or `None` after saying why not.
fn render(overlay: &str) -> Option<Vec<Value>> {
    let dir = repo("manifests/k8s/overlays").join(overlay);
    let out = match Command::new("kubectl").arg("kustomize").arg(&dir).output() {
        Ok(out) => out,
        Err(e) if gauntlet::run::in_ci() => panic!("CI=true and kubectl cannot run: {e}"),
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
    gauntlet(&[&["manifests"], args].concat())
}

#[test]
fn the_projects_overlays_validate_clean_and_strict_for_every_vendored_version() {
    if render("cpu").is_none() {
        return;
    }
    for version in gauntlet::manifests::VERSIONS {
        for overlay in ["manifests/k8s/overlays/cpu", "manifests/k8s/overlays/gpu"] {
            let (code, text) = gauntlet_manifests(&[
                "--strict",
                "--kubernetes-version",
                version,
                &repo_arg(overlay),
            ]);
            assert_eq!(code, Some(0), "{overlay} on {version}: {text}");
            assert!(text.contains("7 objects checked"), "{text}");
        }
    }
}
