//! Turning rendered manifests into what the kube target applies: every object
//! moved into the run's namespace and labelled with the run, the serving
//! container's image overridden when asked. No cluster is needed.

use serde_json::Value;

use crate::manifests::Document;
use crate::run::RUN_LABEL;

/// Kinds that live outside namespaces: a run cannot own them, so they are refused.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "PriorityClass",
    "RuntimeClass",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
];

/// Kinds whose pod template holds the serving container, with the template's
/// pointer.
const TEMPLATES: &[(&str, &str)] = &[
    ("Deployment", "/spec/template/spec"),
    ("StatefulSet", "/spec/template/spec"),
    ("DaemonSet", "/spec/template/spec"),
    ("Pod", "/spec"),
];

/// How to render for one run.
#[derive(Debug, Clone)]
pub struct Render {
    /// The namespace every object goes into.
    pub namespace: String,
    /// The run id, set as the `gauntlet.run` label.
    pub run_id: String,
    /// An image to put in place of the serving container's.
    pub image: Option<String>,
}

/// Why the manifests cannot be applied in a run's namespace.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A cluster-scoped object: a namespace cannot hold it.
    #[error("{object}: cluster-scoped, so a run's namespace cannot hold it; apply it beforehand")]
    ClusterScoped {
        /// `file[index] Kind/name`.
        object: String,
    },
    /// A document that is not a mapping.
    #[error("{object}: not an object")]
    NotAnObject {
        /// `file[index]`.
        object: String,
    },
}

impl Render {
    /// The objects to apply, in the order given.
    pub fn objects(&self, documents: &[Document]) -> Result<Vec<Value>, Error> {
        documents.iter().map(|doc| self.object(doc)).collect()
    }

    fn object(&self, doc: &Document) -> Result<Value, Error> {
        let kind = doc.kind();
        if CLUSTER_SCOPED.contains(&kind) {
            return Err(Error::ClusterScoped {
                object: format!("{}[{}] {kind}/{}", doc.file.display(), doc.index, doc.name()),
            });
        }
        let mut object = serde_json::Value::clone(&doc.object);
        let meta = object
            .as_object_mut()
            .ok_or_else(|| Error::NotAnObject {
                object: format!("{}[{}]", doc.file.display(), doc.index),
            })?
            .entry("metadata")
            .or_insert_with(|| Value::Object(Default::default()));
        meta["namespace"] = Value::String(self.namespace.clone());
        if !meta["labels"].is_object() {
            meta["labels"] = Value::Object(Default::default());
        }
        meta["labels"][RUN_LABEL] = Value::String(self.run_id.clone());
        if let Some(image) = &self.image
            && let Some((_, pointer)) = TEMPLATES.iter().find(|(k, _)| *k == kind)
            && let Some(container) = object.pointer_mut(pointer).and_then(serving_container)
        {
            container["image"] = Value::String(image.clone());
            // A loaded image (kind load, a local build) is on the node and nowhere else.
            container["imagePullPolicy"] = Value::String("IfNotPresent".into());
        }
        Ok(object)
    }
}

/// The container that declares a port, else the first.
fn serving_container(pod: &mut Value) -> Option<&mut Value> {
    let containers = pod.get_mut("containers")?.as_array_mut()?;
    let index = containers
        .iter()
        .position(|c| c["ports"].as_array().is_some_and(|p| !p.is_empty()))
        .unwrap_or(0);
    containers.get_mut(index)
}

/// The namespace of run `run_id`: a DNS label (lowercase, at most 63 characters).
pub fn namespace_for(run_id: &str) -> String {
    let clean: String = run_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let name = format!("gauntlet-{clean}");
    name.chars().take(63).collect::<String>().trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn docs(text: &str) -> Vec<Document> {
        let mut out = Vec::new();
        crate::manifests::parse(Path::new("m.yaml"), text, &mut out).unwrap();
        out
    }

    const APP: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: prod, labels: {app: web}}
spec:
  template:
    spec:
      containers:
        - {name: sidecar, image: proxy:1.0}
        - {name: web, image: web:1.0, ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
";

    #[test]
    fn objects_move_into_the_run_namespace_with_the_run_label() {
        let render = Render { namespace: "gauntlet-1".into(), run_id: "1".into(), image: None };
        let objects = render.objects(&docs(APP)).unwrap();
        for o in &objects {
            assert_eq!(o["metadata"]["namespace"], "gauntlet-1");
            assert_eq!(o["metadata"]["labels"][RUN_LABEL], "1");
        }
        assert_eq!(objects[0]["metadata"]["labels"]["app"], "web", "labels are kept");
        assert_eq!(objects[0]["spec"]["template"]["spec"]["containers"][1]["image"], "web:1.0");
    }

    #[test]
    fn the_image_override_reaches_the_serving_container_only() {
        let render = Render {
            namespace: "n".into(),
            run_id: "1".into(),
            image: Some("gauntlet-service:dev".into()),
        };
        let objects = render.objects(&docs(APP)).unwrap();
        let containers = &objects[0]["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers[0]["image"], "proxy:1.0");
        assert_eq!(containers[1]["image"], "gauntlet-service:dev");
        assert_eq!(containers[1]["imagePullPolicy"], "IfNotPresent");
    }

    #[test]
    fn cluster_scoped_objects_are_refused_by_name() {
        let render = Render { namespace: "n".into(), run_id: "1".into(), image: None };
        let err = render.objects(&docs("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"));
        assert!(err.unwrap_err().to_string().contains("Namespace/x: cluster-scoped"));
    }

    #[test]
    fn namespaces_are_dns_labels() {
        assert_eq!(namespace_for("4242-18a3f0c2b"), "gauntlet-4242-18a3f0c2b");
        let long = namespace_for(&"X_".repeat(60));
        assert!(long.len() <= 63 && !long.ends_with('-'), "{long}");
        assert!(long.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
    }
}
