//! Removed and deprecated Kubernetes APIs: every group/version/kind the
//! Kubernetes deprecated-API migration guide
//! (<https://kubernetes.io/docs/reference/using-api/deprecation-guide/>) lists
//! as removed since 1.16, the release that removed it and what replaces it;
//! the beta APIs the vendored schemas show removed that the guide does not list
//! (their release read off the schemas); and APIs deprecated but still served.
//! A test holds the table to the vendored schemas: every removal it names is
//! gone from that release on, and every beta or GA kind that disappears between
//! two vendored versions is in it.

/// One API's life: deprecated in `1.{deprecated}`, no longer served from
/// `1.{removed}` (`None`: still served).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Api {
    /// `policy/v1beta1`.
    pub api_version: &'static str,
    /// `PodDisruptionBudget`.
    pub kind: &'static str,
    /// The minor version that deprecated it.
    pub deprecated: u32,
    /// The minor version that stopped serving it.
    pub removed: Option<u32>,
    /// What to use instead.
    pub replacement: &'static str,
}

impl Api {
    /// "policy/v1beta1 PodDisruptionBudget was removed in Kubernetes 1.25: use policy/v1".
    pub fn removed_message(&self) -> String {
        format!(
            "{} {} was removed in Kubernetes 1.{}: {}",
            self.api_version,
            self.kind,
            self.removed.unwrap_or_default(),
            self.replacement
        )
    }

    /// "… is deprecated since Kubernetes 1.23 and removed in 1.26: use autoscaling/v2".
    pub fn deprecated_message(&self) -> String {
        let until = match self.removed {
            Some(minor) => format!(" and removed in 1.{minor}"),
            None => String::new(),
        };
        format!(
            "{} {} is deprecated since Kubernetes 1.{}{until}: {}",
            self.api_version, self.kind, self.deprecated, self.replacement
        )
    }
}

/// What an API is in one Kubernetes version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not served any more.
    Removed(&'static Api),
    /// Served, deprecated.
    Deprecated(&'static Api),
}

/// The status of `api_version` `kind` in Kubernetes `1.{minor}`, if it is
/// removed or deprecated there.
pub fn status(api_version: &str, kind: &str, minor: u32) -> Option<Status> {
    let api = TABLE.iter().find(|a| a.api_version == api_version && a.kind == kind)?;
    match api.removed {
        Some(removed) if minor >= removed => Some(Status::Removed(api)),
        _ if minor >= api.deprecated => Some(Status::Deprecated(api)),
        _ => None,
    }
}

const fn api(
    api_version: &'static str,
    kind: &'static str,
    deprecated: u32,
    removed: u32,
    replacement: &'static str,
) -> Api {
    Api { api_version, kind, deprecated, removed: Some(removed), replacement }
}

/// The table, by release of removal.
#[rustfmt::skip]
pub const TABLE: &[Api] = &[
    // 1.16
    api("extensions/v1beta1", "NetworkPolicy", 9, 16, "use networking.k8s.io/v1"),
    api("extensions/v1beta1", "PodSecurityPolicy", 10, 16, "use policy/v1beta1 (itself removed in 1.25: use Pod Security Admission)"),
    api("extensions/v1beta1", "DaemonSet", 9, 16, "use apps/v1"),
    api("apps/v1beta2", "DaemonSet", 9, 16, "use apps/v1"),
    api("extensions/v1beta1", "Deployment", 9, 16, "use apps/v1"),
    api("apps/v1beta1", "Deployment", 9, 16, "use apps/v1"),
    api("apps/v1beta2", "Deployment", 9, 16, "use apps/v1"),
    api("apps/v1beta1", "StatefulSet", 9, 16, "use apps/v1"),
    api("apps/v1beta2", "StatefulSet", 9, 16, "use apps/v1"),
    api("extensions/v1beta1", "ReplicaSet", 9, 16, "use apps/v1"),
    api("apps/v1beta1", "ReplicaSet", 9, 16, "use apps/v1"),
    api("apps/v1beta2", "ReplicaSet", 9, 16, "use apps/v1"),
    // 1.22
    api("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration", 16, 22, "use admissionregistration.k8s.io/v1"),
    api("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration", 16, 22, "use admissionregistration.k8s.io/v1"),
    api("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", 16, 22, "use apiextensions.k8s.io/v1"),
    api("apiregistration.k8s.io/v1beta1", "APIService", 19, 22, "use apiregistration.k8s.io/v1"),
    api("authentication.k8s.io/v1beta1", "TokenReview", 19, 22, "use authentication.k8s.io/v1"),
    api("authorization.k8s.io/v1beta1", "SubjectAccessReview", 19, 22, "use authorization.k8s.io/v1"),
    api("authorization.k8s.io/v1beta1", "LocalSubjectAccessReview", 19, 22, "use authorization.k8s.io/v1"),
    api("authorization.k8s.io/v1beta1", "SelfSubjectAccessReview", 19, 22, "use authorization.k8s.io/v1"),
    api("certificates.k8s.io/v1beta1", "CertificateSigningRequest", 19, 22, "use certificates.k8s.io/v1"),
    api("coordination.k8s.io/v1beta1", "Lease", 19, 22, "use coordination.k8s.io/v1"),
    api("extensions/v1beta1", "Ingress", 14, 22, "use networking.k8s.io/v1"),
    api("networking.k8s.io/v1beta1", "Ingress", 19, 22, "use networking.k8s.io/v1"),
    api("networking.k8s.io/v1beta1", "IngressClass", 19, 22, "use networking.k8s.io/v1"),
    api("rbac.authorization.k8s.io/v1beta1", "ClusterRole", 17, 22, "use rbac.authorization.k8s.io/v1"),
    api("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding", 17, 22, "use rbac.authorization.k8s.io/v1"),
    api("rbac.authorization.k8s.io/v1beta1", "Role", 17, 22, "use rbac.authorization.k8s.io/v1"),
    api("rbac.authorization.k8s.io/v1beta1", "RoleBinding", 17, 22, "use rbac.authorization.k8s.io/v1"),
    api("scheduling.k8s.io/v1beta1", "PriorityClass", 14, 22, "use scheduling.k8s.io/v1"),
    api("storage.k8s.io/v1beta1", "CSIDriver", 19, 22, "use storage.k8s.io/v1"),
    api("storage.k8s.io/v1beta1", "CSINode", 17, 22, "use storage.k8s.io/v1"),
    api("storage.k8s.io/v1beta1", "StorageClass", 19, 22, "use storage.k8s.io/v1"),
    api("storage.k8s.io/v1beta1", "VolumeAttachment", 19, 22, "use storage.k8s.io/v1"),
    // 1.25
    api("batch/v1beta1", "CronJob", 21, 25, "use batch/v1"),
    api("discovery.k8s.io/v1beta1", "EndpointSlice", 21, 25, "use discovery.k8s.io/v1"),
    api("events.k8s.io/v1beta1", "Event", 22, 25, "use events.k8s.io/v1"),
    api("autoscaling/v2beta1", "HorizontalPodAutoscaler", 22, 25, "use autoscaling/v2"),
    api("policy/v1beta1", "PodDisruptionBudget", 21, 25, "use policy/v1"),
    api("policy/v1beta1", "PodSecurityPolicy", 21, 25, "no replacement: use Pod Security Admission"),
    api("node.k8s.io/v1beta1", "RuntimeClass", 22, 25, "use node.k8s.io/v1"),
    // 1.26
    api("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", 23, 26, "use flowcontrol.apiserver.k8s.io/v1"),
    api("flowcontrol.apiserver.k8s.io/v1beta1", "PriorityLevelConfiguration", 23, 26, "use flowcontrol.apiserver.k8s.io/v1"),
    api("autoscaling/v2beta2", "HorizontalPodAutoscaler", 23, 26, "use autoscaling/v2"),
    // 1.27
    api("storage.k8s.io/v1beta1", "CSIStorageCapacity", 24, 27, "use storage.k8s.io/v1"),
    // 1.29
    api("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", 26, 29, "use flowcontrol.apiserver.k8s.io/v1"),
    api("flowcontrol.apiserver.k8s.io/v1beta2", "PriorityLevelConfiguration", 26, 29, "use flowcontrol.apiserver.k8s.io/v1"),
    // 1.32
    api("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", 29, 32, "use flowcontrol.apiserver.k8s.io/v1"),
    api("flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration", 29, 32, "use flowcontrol.apiserver.k8s.io/v1"),
    // Beta APIs the vendored schemas show removed; deprecated when their GA version came.
    api("authentication.k8s.io/v1beta1", "SelfSubjectReview", 28, 33, "use authentication.k8s.io/v1"),
    api("admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicy", 30, 34, "use admissionregistration.k8s.io/v1"),
    api("admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicyBinding", 30, 34, "use admissionregistration.k8s.io/v1"),
    api("networking.k8s.io/v1beta1", "IPAddress", 33, 37, "use networking.k8s.io/v1"),
    api("networking.k8s.io/v1beta1", "ServiceCIDR", 33, 37, "use networking.k8s.io/v1"),
    api("storage.k8s.io/v1beta1", "VolumeAttributesClass", 34, 37, "use storage.k8s.io/v1"),
    // Deprecated, still served.
    Api { api_version: "v1", kind: "ComponentStatus", deprecated: 19, removed: None, replacement: "read the components' own health endpoints" },
    Api { api_version: "v1", kind: "Endpoints", deprecated: 33, removed: None, replacement: "use discovery.k8s.io/v1 EndpointSlice" },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removed_api_says_when_and_what_replaces_it() {
        let Some(Status::Removed(api)) = status("policy/v1beta1", "PodDisruptionBudget", 25) else {
            panic!("policy/v1beta1 PodDisruptionBudget is removed in 1.25");
        };
        assert_eq!(
            api.removed_message(),
            "policy/v1beta1 PodDisruptionBudget was removed in Kubernetes 1.25: use policy/v1"
        );
        let Some(Status::Deprecated(api)) =
            status("autoscaling/v2beta2", "HorizontalPodAutoscaler", 25)
        else {
            panic!("autoscaling/v2beta2 is deprecated, still served, in 1.25");
        };
        assert!(api.deprecated_message().contains("removed in 1.26: use autoscaling/v2"));
        assert_eq!(status("autoscaling/v2beta2", "HorizontalPodAutoscaler", 22), None);
        assert_eq!(status("apps/v1", "Deployment", 37), None);
        assert!(matches!(status("v1", "Endpoints", 37), Some(Status::Deprecated(_))));
    }

    #[test]
    fn each_api_is_listed_once_and_deprecated_before_it_is_removed() {
        for (i, a) in TABLE.iter().enumerate() {
            assert!(a.removed.is_none_or(|r| a.deprecated < r), "{a:?}");
            assert!(
                !TABLE[..i].iter().any(|b| b.api_version == a.api_version && b.kind == a.kind),
                "{a:?} twice"
            );
        }
    }
}
