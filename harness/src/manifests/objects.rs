//! The known kinds parsed into k8s-openapi types: workloads (whatever holds a
//! pod template), Services, PodDisruptionBudgets, HorizontalPodAutoscalers and
//! NetworkPolicies. The policy rules read these, never raw JSON.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Pod, PodSpec, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::Deserialize;

use super::{Document, Error};

/// One object of a kind the policy rules know.
#[derive(Debug)]
pub enum Object {
    /// Anything that runs pods.
    Workload(Box<Workload>),
    /// A Service.
    Service(Box<Service>),
    /// A PodDisruptionBudget.
    Pdb(Box<PodDisruptionBudget>),
    /// A HorizontalPodAutoscaler.
    Hpa(Box<HorizontalPodAutoscaler>),
    /// A NetworkPolicy.
    NetworkPolicy(Box<NetworkPolicy>),
}

/// A workload reduced to what the rules need.
#[derive(Debug)]
pub struct Workload {
    /// `Deployment`, `StatefulSet`, `DaemonSet`, `ReplicaSet`, `Job`, `CronJob` or `Pod`.
    pub kind: &'static str,
    /// Its name.
    pub name: String,
    /// Its namespace (empty when unset).
    pub namespace: String,
    /// `spec.replicas` where the kind has it (unset means 1).
    pub replicas: Option<i32>,
    /// The labels its pods get.
    pub pod_labels: BTreeMap<String, String>,
    /// The pod spec.
    pub pod: PodSpec,
    /// JSON pointer of the pod spec in the object.
    pub pod_pointer: &'static str,
}

impl Workload {
    /// Pods that serve for a long time: probes and disruption budgets matter.
    pub fn long_running(&self) -> bool {
        !matches!(self.kind, "Job" | "CronJob")
    }

    /// Whether it keeps a replica count (and so can have a PDB and an HPA).
    pub fn replicated(&self) -> bool {
        matches!(self.kind, "Deployment" | "StatefulSet" | "ReplicaSet")
    }
}

/// One parsed document.
#[derive(Debug)]
pub struct Typed<'a> {
    /// Where it came from.
    pub doc: &'a Document,
    /// What it is.
    pub object: Object,
    /// Its namespace (empty when unset).
    namespace: String,
}

impl Typed<'_> {
    /// The object's namespace (empty when unset).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }
}

/// Parses `doc` when its kind is one the rules know: `Ok(None)` for other kinds,
/// `Err` with k8s-openapi's complaint when it rejects it.
pub fn parse(doc: &Document) -> Result<Option<Typed<'_>>, Error> {
    let (api_version, kind) = (doc.api_version(), doc.kind());
    let namespace = doc.object["metadata"]["namespace"].as_str().unwrap_or_default().to_owned();
    let typed = |object| Ok(Some(Typed { doc, object, namespace: namespace.clone() }));
    let failed = |source| Error::Typed { kind: kind.to_owned(), source };
    let value: &serde_json::Value = &doc.object;
    match (api_version, kind) {
        ("apps/v1", "Deployment") => {
            let d = Deployment::deserialize(value).map_err(failed)?;
            let spec = d.spec;
            typed(Object::Workload(Box::new(template(
                "Deployment",
                d.metadata,
                spec.replicas,
                spec.template.metadata,
                spec.template.spec,
                "/spec/template/spec",
            ))))
        }
        ("apps/v1", "StatefulSet") => {
            let s = StatefulSet::deserialize(value).map_err(failed)?;
            let spec = s.spec;
            typed(Object::Workload(Box::new(template(
                "StatefulSet",
                s.metadata,
                spec.replicas,
                spec.template.metadata,
                spec.template.spec,
                "/spec/template/spec",
            ))))
        }
        ("apps/v1", "DaemonSet") => {
            let s = DaemonSet::deserialize(value).map_err(failed)?;
            let spec = s.spec;
            typed(Object::Workload(Box::new(template(
                "DaemonSet",
                s.metadata,
                None,
                spec.template.metadata,
                spec.template.spec,
                "/spec/template/spec",
            ))))
        }
        ("apps/v1", "ReplicaSet") => {
            let s = ReplicaSet::deserialize(value).map_err(failed)?;
            let spec = s.spec;
            let template_ = spec.template.unwrap_or_default();
            typed(Object::Workload(Box::new(template(
                "ReplicaSet",
                s.metadata,
                spec.replicas,
                template_.metadata,
                template_.spec,
                "/spec/template/spec",
            ))))
        }
        ("batch/v1", "Job") => {
            let j = Job::deserialize(value).map_err(failed)?;
            let spec = j.spec.unwrap_or_default();
            typed(Object::Workload(Box::new(template(
                "Job",
                j.metadata,
                None,
                spec.template.metadata,
                spec.template.spec,
                "/spec/template/spec",
            ))))
        }
        ("batch/v1", "CronJob") => {
            let c = CronJob::deserialize(value).map_err(failed)?;
            let job = c.spec.job_template.spec.unwrap_or_default();
            typed(Object::Workload(Box::new(template(
                "CronJob",
                c.metadata,
                None,
                job.template.metadata,
                job.template.spec,
                "/spec/jobTemplate/spec/template/spec",
            ))))
        }
        ("v1", "Pod") => {
            let p = Pod::deserialize(value).map_err(failed)?;
            let labels = p.metadata.labels.clone();
            typed(Object::Workload(Box::new(Workload {
                kind: "Pod",
                name: p.metadata.name.unwrap_or_default(),
                namespace: p.metadata.namespace.unwrap_or_default(),
                replicas: None,
                pod_labels: labels.unwrap_or_default(),
                pod: p.spec.unwrap_or_default(),
                pod_pointer: "/spec",
            })))
        }
        ("v1", "Service") => {
            typed(Object::Service(Box::new(Service::deserialize(value).map_err(failed)?)))
        }
        ("policy/v1", "PodDisruptionBudget") => {
            typed(Object::Pdb(Box::new(PodDisruptionBudget::deserialize(value).map_err(failed)?)))
        }
        ("autoscaling/v2", "HorizontalPodAutoscaler") => typed(Object::Hpa(Box::new(
            HorizontalPodAutoscaler::deserialize(value).map_err(failed)?,
        ))),
        ("networking.k8s.io/v1", "NetworkPolicy") => typed(Object::NetworkPolicy(Box::new(
            NetworkPolicy::deserialize(value).map_err(failed)?,
        ))),
        _ => Ok(None),
    }
}

fn template(
    kind: &'static str,
    meta: ObjectMeta,
    replicas: Option<i32>,
    pod_meta: Option<ObjectMeta>,
    pod: Option<PodSpec>,
    pod_pointer: &'static str,
) -> Workload {
    Workload {
        kind,
        name: meta.name.unwrap_or_default(),
        namespace: meta.namespace.unwrap_or_default(),
        replicas,
        pod_labels: pod_meta.and_then(|m| m.labels).unwrap_or_default(),
        pod: pod.unwrap_or_default(),
        pod_pointer,
    }
}

/// Whether `selector` selects pods labelled `labels`, as the API server decides:
/// every `matchLabels` pair and every `matchExpressions` term must hold. An empty
/// selector selects every pod; `None` selects none.
pub fn selects(selector: Option<&LabelSelector>, labels: &BTreeMap<String, String>) -> bool {
    let Some(selector) = selector else { return false };
    let pairs = selector.match_labels.iter().flatten();
    let labels_hold = pairs.into_iter().all(|(k, v)| labels.get(k) == Some(v));
    let expressions_hold = selector.match_expressions.iter().flatten().all(|e| {
        let value = labels.get(&e.key);
        let values = e.values.as_deref().unwrap_or_default();
        match e.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    });
    labels_hold && expressions_hold
}

/// Whether a Service's plain `selector` map selects pods labelled `labels`; a
/// Service without a selector selects nothing (its endpoints are managed by hand).
pub fn map_selects(
    selector: Option<&BTreeMap<String, String>>,
    labels: &BTreeMap<String, String>,
) -> bool {
    selector.is_some_and(|s| !s.is_empty() && s.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn requirement(key: &str, operator: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.to_owned(),
            operator: operator.to_owned(),
            values: Some(values.iter().map(|v| (*v).to_owned()).collect()),
        }
    }

    #[test]
    fn selectors_follow_the_api_servers_rules() {
        let pod = labels(&[("app", "web"), ("tier", "front")]);
        let by_labels = |pairs: &[(&str, &str)]| LabelSelector {
            match_labels: Some(labels(pairs)),
            ..Default::default()
        };
        assert!(selects(Some(&by_labels(&[("app", "web")])), &pod));
        assert!(!selects(Some(&by_labels(&[("app", "db")])), &pod));
        assert!(selects(Some(&LabelSelector::default()), &pod), "empty selects all");
        assert!(!selects(None, &pod), "absent selects none");
        let by_expr = |r| LabelSelector { match_expressions: Some(vec![r]), ..Default::default() };
        assert!(selects(Some(&by_expr(requirement("tier", "In", &["front", "x"]))), &pod));
        assert!(!selects(Some(&by_expr(requirement("tier", "NotIn", &["front"]))), &pod));
        assert!(selects(Some(&by_expr(requirement("app", "Exists", &[]))), &pod));
        assert!(!selects(Some(&by_expr(requirement("app", "DoesNotExist", &[]))), &pod));
        assert!(!selects(Some(&by_expr(requirement("app", "Sideways", &[]))), &pod));
    }

    #[test]
    fn a_service_without_a_selector_selects_nothing() {
        let pod = labels(&[("app", "web")]);
        assert!(map_selects(Some(&labels(&[("app", "web")])), &pod));
        assert!(!map_selects(Some(&labels(&[("app", "db")])), &pod));
        assert!(!map_selects(Some(&BTreeMap::new()), &pod));
        assert!(!map_selects(None, &pod));
    }
}
