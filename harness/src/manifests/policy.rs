//! Policy rules over the parsed objects: the common set that kube-score, Polaris
//! and kube-linter agree on, and a GPU set none of them has. Rules that relate
//! objects (a PDB to its pods, a Service to its ports) see every object given in
//! one run, matched within a namespace.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{Container, PodSecurityContext, Probe};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::Finding;
use super::objects::{Object, Typed, Workload, map_selects, selects};

/// Which set a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Set {
    /// What every workload should do.
    Common,
    /// What GPU workloads need.
    Gpu,
}

/// One policy rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable id, used in findings.
    pub id: &'static str,
    /// Its set.
    pub set: Set,
    /// What it asks for, one line.
    pub description: &'static str,
}

const fn rule(id: &'static str, set: Set, description: &'static str) -> Rule {
    Rule { id, set, description }
}

/// Every policy rule, in report order.
pub const RULES: &[Rule] = &[
    rule(
        "policy.image-tag-pinned",
        Set::Common,
        "images name a tag other than latest, or a digest",
    ),
    rule(
        "policy.probes-present",
        Set::Common,
        "long-running containers have readiness and liveness probes",
    ),
    rule(
        "policy.probes-distinct",
        Set::Common,
        "readiness and liveness probes do not ask the same thing",
    ),
    rule("policy.resources-set", Set::Common, "CPU and memory requests and limits are set"),
    rule("policy.run-as-non-root", Set::Common, "containers run as a non-root user"),
    rule("policy.privileged", Set::Common, "no container is privileged"),
    rule("policy.read-only-root-fs", Set::Common, "root filesystems are read-only"),
    rule("policy.privilege-escalation", Set::Common, "allowPrivilegeEscalation is false"),
    rule(
        "policy.capabilities",
        Set::Common,
        "capabilities drop ALL and add none of the dangerous ones",
    ),
    rule("policy.host-namespaces", Set::Common, "no host network, PID or IPC namespace"),
    rule(
        "policy.pdb-present",
        Set::Common,
        "replicated workloads have a PodDisruptionBudget, and every PDB selects pods",
    ),
    rule("policy.pdb-allows-eviction", Set::Common, "a PDB leaves at least one pod evictable"),
    rule("policy.hpa-target", Set::Common, "an HPA scales a workload given with it"),
    rule(
        "policy.hpa-range",
        Set::Common,
        "an HPA's minReplicas is at least 1 and at most maxReplicas",
    ),
    rule(
        "policy.service-selector",
        Set::Common,
        "a Service's selector matches a pod template's labels",
    ),
    rule(
        "policy.service-target-port",
        Set::Common,
        "a Service's targetPort names a port of the pods it selects",
    ),
    rule(
        "policy.network-policy",
        Set::Common,
        "every workload is selected by a NetworkPolicy, and every NetworkPolicy selects pods",
    ),
    rule(
        "policy.gpu-toleration",
        Set::Gpu,
        "a pod with an nvidia.com/gpu limit tolerates the nvidia.com/gpu taint",
    ),
    rule(
        "policy.gpu-limit",
        Set::Gpu,
        "nvidia.com/gpu is a whole-number limit, equal to any request",
    ),
    rule("policy.gpu-visible-devices", Set::Gpu, "no pod sets NVIDIA_VISIBLE_DEVICES by hand"),
];

/// The GPU resource the NVIDIA device plugin advertises.
pub const GPU: &str = "nvidia.com/gpu";

/// Capabilities that let a container escape or own the node.
const DANGEROUS: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "NET_ADMIN",
    "NET_RAW",
    "SYS_PTRACE",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "DAC_READ_SEARCH",
    "BPF",
    "PERFMON",
];

/// Applies every rule to `objects`.
pub fn check(objects: &[Typed<'_>]) -> Vec<Finding> {
    let mut out = Vec::new();
    for typed in objects {
        if let Object::Workload(w) = &typed.object {
            pod_rules(typed, w, &mut out);
        }
    }
    Relations::new(objects).check(&mut out);
    out
}

/// A container of a pod with its JSON pointer.
struct Slot<'a> {
    container: &'a Container,
    pointer: String,
    init: bool,
}

fn containers(w: &Workload) -> Vec<Slot<'_>> {
    let main = w.pod.containers.iter().enumerate().map(|(i, c)| Slot {
        container: c,
        pointer: format!("{}/containers/{i}", w.pod_pointer),
        init: false,
    });
    let init = w.pod.init_containers.iter().flatten().enumerate().map(|(i, c)| Slot {
        container: c,
        pointer: format!("{}/initContainers/{i}", w.pod_pointer),
        init: true,
    });
    main.chain(init).collect()
}

fn pod_rules(typed: &Typed<'_>, w: &Workload, out: &mut Vec<Finding>) {
    let doc = typed.doc;
    let mut finding = |pointer: &str, rule: &str, message: String| {
        out.push(Finding::new(doc, pointer, rule, &message));
    };
    let pod_sc = w.pod.security_context.clone().unwrap_or_default();
    for (flag, set) in [
        ("hostNetwork", w.pod.host_network),
        ("hostPID", w.pod.host_pid),
        ("hostIPC", w.pod.host_ipc),
    ] {
        if set == Some(true) {
            finding(
                &format!("{}/{flag}", w.pod_pointer),
                "policy.host-namespaces",
                format!("{flag}: true shares the node's namespace with the pod"),
            );
        }
    }
    let gpu_pod = containers(w).iter().any(|s| quantity(s.container, "limits", GPU).is_some());
    for slot in containers(w) {
        let c = slot.container;
        let at = |suffix: &str| format!("{}{suffix}", slot.pointer);
        let name = &c.name;
        if let Some(why) = image_unpinned(c.image.as_deref()) {
            finding(&at("/image"), "policy.image-tag-pinned", format!("container {name}: {why}"));
        }
        if !slot.init && w.long_running() {
            probe_rules(c, &at(""), &mut finding);
        }
        let missing: Vec<String> =
            [("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory")]
                .iter()
                .filter(|(section, resource)| quantity(c, section, resource).is_none())
                .map(|(section, resource)| format!("{section}.{resource}"))
                .collect();
        if !missing.is_empty() {
            finding(
                &at("/resources"),
                "policy.resources-set",
                format!("container {name}: no {}", missing.join(", ")),
            );
        }
        security_rules(c, &pod_sc, &at("/securityContext"), &mut finding);
        gpu_rules(c, gpu_pod, &at(""), &mut finding);
    }
    if gpu_pod && !tolerates_gpu(w) {
        finding(
            &format!("{}/tolerations", w.pod_pointer),
            "policy.gpu-toleration",
            format!(
                "the pod asks for {GPU} but has no toleration for the {GPU} taint (key {GPU}, \
                 operator Exists, effect NoSchedule): GPU nodes will refuse it and it stays Pending"
            ),
        );
    }
}

fn image_unpinned(image: Option<&str>) -> Option<String> {
    let Some(image) = image.filter(|i| !i.is_empty()) else {
        return Some("no image".to_owned());
    };
    if image.contains('@') {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some(format!("image {image} has no tag, so it means :latest")),
        Some((_, "latest")) => Some(format!("image {image} uses the moving tag latest")),
        Some(_) => None,
    }
}

fn probe_rules(c: &Container, at: &str, finding: &mut impl FnMut(&str, &str, String)) {
    let name = &c.name;
    for (field, probe) in
        [("readinessProbe", &c.readiness_probe), ("livenessProbe", &c.liveness_probe)]
    {
        if probe.is_none() {
            finding(at, "policy.probes-present", format!("container {name}: no {field}"));
        }
    }
    if let (Some(ready), Some(live)) = (&c.readiness_probe, &c.liveness_probe)
        && same_question(ready, live)
    {
        finding(
            &format!("{at}/livenessProbe"),
            "policy.probes-distinct",
            format!(
                "container {name}: readinessProbe and livenessProbe ask the same thing ({}), \
                     so a pod that is merely busy gets restarted instead of taken out of rotation",
                describe(live)
            ),
        );
    }
}

/// Whether two probes run the same handler against the same endpoint.
fn same_question(a: &Probe, b: &Probe) -> bool {
    (a.http_get.is_some() || a.tcp_socket.is_some() || a.exec.is_some() || a.grpc.is_some())
        && a.http_get == b.http_get
        && a.tcp_socket == b.tcp_socket
        && a.exec == b.exec
        && a.grpc == b.grpc
}

fn describe(p: &Probe) -> String {
    if let Some(h) = &p.http_get {
        return format!("httpGet {}", h.path.as_deref().unwrap_or("/"));
    }
    if p.tcp_socket.is_some() {
        return "tcpSocket".to_owned();
    }
    if p.grpc.is_some() {
        return "grpc".to_owned();
    }
    "exec".to_owned()
}

fn security_rules(
    c: &Container,
    pod: &PodSecurityContext,
    at: &str,
    finding: &mut impl FnMut(&str, &str, String),
) {
    let name = &c.name;
    let sc = c.security_context.clone().unwrap_or_default();
    let user = sc.run_as_user.or(pod.run_as_user);
    let non_root = sc.run_as_non_root.or(pod.run_as_non_root);
    if user == Some(0) {
        finding(
            &format!("{at}/runAsUser"),
            "policy.run-as-non-root",
            format!("container {name}: runAsUser 0 runs it as root"),
        );
    } else if non_root != Some(true) && user.is_none() {
        finding(
            at,
            "policy.run-as-non-root",
            format!(
                "container {name}: neither runAsNonRoot: true nor a non-zero runAsUser, so it runs \
                 as whatever user the image says, root included"
            ),
        );
    }
    if sc.privileged == Some(true) {
        finding(
            &format!("{at}/privileged"),
            "policy.privileged",
            format!(
                "container {name}: privileged: true gives it every device and capability of the node"
            ),
        );
    }
    if sc.read_only_root_filesystem != Some(true) {
        finding(
            &format!("{at}/readOnlyRootFilesystem"),
            "policy.read-only-root-fs",
            format!("container {name}: readOnlyRootFilesystem is not true"),
        );
    }
    if sc.allow_privilege_escalation != Some(false) {
        finding(
            &format!("{at}/allowPrivilegeEscalation"),
            "policy.privilege-escalation",
            format!(
                "container {name}: allowPrivilegeEscalation is not false (unset means true: setuid \
                 binaries can gain privileges)"
            ),
        );
    }
    let caps = sc.capabilities.unwrap_or_default();
    let plain = |c: &String| c.trim_start_matches("CAP_").to_ascii_uppercase();
    if !caps.drop.iter().flatten().any(|c| plain(c) == "ALL") {
        finding(
            &format!("{at}/capabilities/drop"),
            "policy.capabilities",
            format!("container {name}: capabilities.drop does not hold ALL"),
        );
    }
    let added: Vec<String> =
        caps.add.iter().flatten().map(plain).filter(|c| DANGEROUS.contains(&c.as_str())).collect();
    if !added.is_empty() {
        finding(
            &format!("{at}/capabilities/add"),
            "policy.capabilities",
            format!("container {name}: adds dangerous capabilities {}", added.join(", ")),
        );
    }
}

fn gpu_rules(c: &Container, gpu_pod: bool, at: &str, finding: &mut impl FnMut(&str, &str, String)) {
    let name = &c.name;
    let limit = quantity(c, "limits", GPU);
    let request = quantity(c, "requests", GPU);
    match (limit, request) {
        (None, Some(r)) => finding(
            &format!("{at}/resources/requests"),
            "policy.gpu-limit",
            format!(
                "container {name}: requests {GPU} {r} without a limit; extended resources must be \
                 set as limits"
            ),
        ),
        (Some(l), request) => {
            if !whole_positive(l) {
                finding(
                    &format!("{at}/resources/limits"),
                    "policy.gpu-limit",
                    format!(
                        "container {name}: {GPU} limit {l} is not a whole number of GPUs; GPUs \
                         are not shared by fractions"
                    ),
                );
            } else if let Some(r) = request.filter(|r| r != &l) {
                finding(
                    &format!("{at}/resources/requests"),
                    "policy.gpu-limit",
                    format!("container {name}: {GPU} request {r} differs from its limit {l}"),
                );
            }
        }
        (None, None) => {}
    }
    for (i, env) in c.env.iter().flatten().enumerate() {
        if env.name == "NVIDIA_VISIBLE_DEVICES" {
            let why = if gpu_pod {
                "the device plugin sets it to the GPUs the pod was given; a hand-set value can \
                 point at GPUs given to another pod"
            } else {
                "without an nvidia.com/gpu limit it reaches GPUs the scheduler never gave it"
            };
            finding(
                &format!("{at}/env/{i}"),
                "policy.gpu-visible-devices",
                format!("container {name}: sets NVIDIA_VISIBLE_DEVICES by hand: {why}"),
            );
        }
    }
}

/// `resources.<section>[resource]`, as written.
fn quantity<'a>(c: &'a Container, section: &str, resource: &str) -> Option<&'a str> {
    let resources = c.resources.as_ref()?;
    let map = if section == "limits" { &resources.limits } else { &resources.requests };
    map.as_ref()?.get(resource).map(|q| q.0.as_str())
}

fn whole_positive(q: &str) -> bool {
    q.parse::<u64>().is_ok_and(|n| n > 0)
}

fn tolerates_gpu(w: &Workload) -> bool {
    w.pod.tolerations.iter().flatten().any(|t| {
        let exists = t.operator.as_deref() == Some("Exists");
        let key = match t.key.as_deref() {
            None | Some("") => exists,
            Some(k) => k == GPU,
        };
        key && t.effect.as_deref().is_none_or(|e| e.is_empty() || e == "NoSchedule")
    })
}

/// The objects of one run, indexed by namespace for the rules that relate them.
struct Relations<'a, 'b> {
    objects: &'b [Typed<'a>],
    /// The workloads of each namespace.
    workloads: HashMap<&'b str, Vec<&'b Workload>>,
    /// `(namespace, kind, name)` of each HPA's target → its minReplicas.
    hpa_min: HashMap<(&'b str, &'b str, &'b str), i32>,
    /// The PDB selectors of each namespace.
    pdbs: HashMap<&'b str, Vec<Option<&'b LabelSelector>>>,
    /// The NetworkPolicy pod selectors of each namespace (absent selects all).
    network_policies: HashMap<&'b str, Vec<LabelSelector>>,
}

impl<'a, 'b> Relations<'a, 'b> {
    fn new(objects: &'b [Typed<'a>]) -> Self {
        let mut relations = Self {
            objects,
            workloads: HashMap::new(),
            hpa_min: HashMap::new(),
            pdbs: HashMap::new(),
            network_policies: HashMap::new(),
        };
        for t in objects {
            let ns = t.namespace();
            match &t.object {
                Object::Workload(w) => relations.workloads.entry(ns).or_default().push(w),
                Object::Hpa(h) => {
                    let target = &h.spec.scale_target_ref;
                    relations
                        .hpa_min
                        .entry((ns, target.kind.as_str(), target.name.as_str()))
                        .or_insert(h.spec.min_replicas.unwrap_or(1));
                }
                Object::Pdb(p) => relations
                    .pdbs
                    .entry(ns)
                    .or_default()
                    .push(p.spec.as_ref().and_then(|s| s.selector.as_ref())),
                Object::NetworkPolicy(np) => {
                    relations.network_policies.entry(ns).or_default().push(
                        np.spec.as_ref().and_then(|s| s.pod_selector.clone()).unwrap_or_default(),
                    )
                }
                Object::Service(_) => {}
            }
        }
        relations
    }

    /// The workloads in `namespace`.
    fn in_namespace(&self, namespace: &str) -> impl Iterator<Item = &'b Workload> + '_ {
        self.workloads.get(namespace).into_iter().flatten().copied()
    }

    /// The replicas a workload keeps at least: its HPA's minReplicas when one
    /// scales it, else `spec.replicas` (unset is 1).
    fn min_replicas(&self, namespace: &str, w: &Workload) -> i32 {
        let scaled = self.hpa_min.get(&(namespace, w.kind, w.name.as_str())).copied();
        scaled.unwrap_or(w.replicas.unwrap_or(1))
    }

    fn check(&self, out: &mut Vec<Finding>) {
        for typed in self.objects {
            let ns = typed.namespace();
            let has_workloads = self.in_namespace(ns).next().is_some();
            let mut finding = |pointer: &str, rule: &str, message: String| {
                out.push(Finding::new(typed.doc, pointer, rule, &message));
            };
            match &typed.object {
                Object::Workload(w) => self.workload(ns, w, &mut finding),
                Object::Pdb(pdb) if has_workloads => {
                    let spec = pdb.spec.clone().unwrap_or_default();
                    let selected: Vec<&Workload> = self
                        .in_namespace(ns)
                        .filter(|w| selects(spec.selector.as_ref(), &w.pod_labels))
                        .collect();
                    if selected.is_empty() {
                        finding(
                            "/spec/selector",
                            "policy.pdb-present",
                            "the PodDisruptionBudget selects no pods of these manifests".to_owned(),
                        );
                    }
                    for w in selected {
                        let replicas = self.min_replicas(ns, w);
                        if let Some(why) = blocks_eviction(
                            spec.min_available.as_ref(),
                            spec.max_unavailable.as_ref(),
                            replicas,
                        ) {
                            finding(
                                "/spec",
                                "policy.pdb-allows-eviction",
                                format!(
                                    "{why} for {} {} with {replicas} replica(s): no pod can ever be \
                                     evicted, so node drains hang",
                                    w.kind, w.name
                                ),
                            );
                        }
                    }
                }
                Object::Hpa(hpa) => {
                    let spec = &hpa.spec;
                    let min = spec.min_replicas.unwrap_or(1);
                    if min < 1 || min > spec.max_replicas {
                        finding(
                            "/spec/minReplicas",
                            "policy.hpa-range",
                            format!("minReplicas {min} with maxReplicas {}", spec.max_replicas),
                        );
                    }
                    let target = &spec.scale_target_ref;
                    let found = self
                        .in_namespace(ns)
                        .any(|w| w.replicated() && w.kind == target.kind && w.name == target.name);
                    if has_workloads && !found {
                        finding(
                            "/spec/scaleTargetRef",
                            "policy.hpa-target",
                            format!(
                                "scales {} {}, which these manifests do not hold",
                                target.kind, target.name
                            ),
                        );
                    }
                }
                Object::Service(service) if has_workloads => {
                    let spec = service.spec.clone().unwrap_or_default();
                    if spec.selector.as_ref().is_none_or(BTreeMap::is_empty) {
                        continue;
                    }
                    let selected: Vec<&Workload> = self
                        .in_namespace(ns)
                        .filter(|w| map_selects(spec.selector.as_ref(), &w.pod_labels))
                        .collect();
                    if selected.is_empty() {
                        finding(
                            "/spec/selector",
                            "policy.service-selector",
                            format!(
                                "selector {} matches no pod template of these manifests",
                                labels(spec.selector.as_ref())
                            ),
                        );
                        continue;
                    }
                    for (i, port) in spec.ports.iter().flatten().enumerate() {
                        let target =
                            port.target_port.clone().unwrap_or(IntOrString::Int(port.port));
                        if !selected.iter().any(|w| serves(w, &target)) {
                            let shown = match &target {
                                IntOrString::Int(n) => n.to_string(),
                                IntOrString::String(s) => s.clone(),
                            };
                            finding(
                                &format!("/spec/ports/{i}/targetPort"),
                                "policy.service-target-port",
                                format!(
                                    "targetPort {shown} is not a container port of the pods it selects"
                                ),
                            );
                        }
                    }
                }
                Object::NetworkPolicy(np) if has_workloads => {
                    let selector =
                        np.spec.as_ref().and_then(|s| s.pod_selector.clone()).unwrap_or_default();
                    if !self.in_namespace(ns).any(|w| selects(Some(&selector), &w.pod_labels)) {
                        finding(
                            "/spec/podSelector",
                            "policy.network-policy",
                            "the NetworkPolicy selects no pods of these manifests".to_owned(),
                        );
                    }
                }
                _ => {}
            }
        }
    }

    fn workload(&self, ns: &str, w: &Workload, finding: &mut impl FnMut(&str, &str, String)) {
        if !w.long_running() {
            return;
        }
        let replicas = self.min_replicas(ns, w);
        if w.replicated()
            && replicas >= 2
            && !self.pdbs.get(ns).into_iter().flatten().any(|s| selects(*s, &w.pod_labels))
        {
            finding(
                "",
                "policy.pdb-present",
                format!(
                    "{} replicas and no PodDisruptionBudget selects its pods: a node drain may take \
                     them all at once",
                    replicas
                ),
            );
        }
        let mut covered = self.network_policies.get(ns).into_iter().flatten();
        if !covered.any(|s| selects(Some(s), &w.pod_labels)) {
            finding(
                "",
                "policy.network-policy",
                "no NetworkPolicy selects its pods, so they accept traffic from anywhere"
                    .to_owned(),
            );
        }
    }
}

/// Why a PDB with these bounds blocks every eviction of `replicas` pods, if it does.
fn blocks_eviction(
    min_available: Option<&IntOrString>,
    max_unavailable: Option<&IntOrString>,
    replicas: i32,
) -> Option<String> {
    let count = |v: &IntOrString, round_up: bool| -> i32 {
        match v {
            IntOrString::Int(n) => *n,
            IntOrString::String(s) => {
                let percent: i64 = s.trim_end_matches('%').parse().unwrap_or(0);
                let scaled = percent * i64::from(replicas);
                let n = if round_up { (scaled + 99) / 100 } else { scaled / 100 };
                i32::try_from(n).unwrap_or(i32::MAX)
            }
        }
    };
    let show = |v: &IntOrString| match v {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    };
    if let Some(min) = min_available {
        // The disruption controller rounds minAvailable percentages up.
        if count(min, true) >= replicas {
            return Some(format!("minAvailable {}", show(min)));
        }
    }
    if let Some(max) = max_unavailable {
        // And maxUnavailable percentages up as well; 0 (or 0%) allows nothing.
        if count(max, true) <= 0 {
            return Some(format!("maxUnavailable {}", show(max)));
        }
    }
    None
}

/// Whether `w`'s containers have the port `target` names.
fn serves(w: &Workload, target: &IntOrString) -> bool {
    w.pod.containers.iter().flat_map(|c| c.ports.iter().flatten()).any(|p| match target {
        IntOrString::Int(n) => p.container_port == *n,
        IntOrString::String(name) => p.name.as_deref() == Some(name.as_str()),
    })
}

fn labels(map: Option<&BTreeMap<String, String>>) -> String {
    let pairs: Vec<String> =
        map.iter().flat_map(|m| m.iter()).map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_pins() {
        assert_eq!(image_unpinned(Some("gauntlet-service:0.1.0")), None);
        assert_eq!(image_unpinned(Some("registry:5000/team/app@sha256:abc")), None);
        assert!(image_unpinned(Some("registry:5000/team/app")).unwrap().contains("no tag"));
        assert!(image_unpinned(Some("app:latest")).unwrap().contains("latest"));
        assert!(image_unpinned(None).is_some());
    }

    #[test]
    fn eviction_bounds_round_as_the_disruption_controller_does() {
        let int = IntOrString::Int;
        let pct = |s: &str| IntOrString::String(s.to_owned());
        assert_eq!(blocks_eviction(Some(&int(1)), None, 2), None);
        assert!(blocks_eviction(Some(&int(2)), None, 2).is_some());
        assert!(blocks_eviction(Some(&pct("100%")), None, 3).is_some());
        assert!(blocks_eviction(Some(&pct("60%")), None, 2).is_some(), "60% of 2 rounds up to 2");
        assert_eq!(blocks_eviction(Some(&pct("50%")), None, 2), None);
        assert!(blocks_eviction(None, Some(&int(0)), 5).is_some());
        assert!(blocks_eviction(None, Some(&pct("0%")), 5).is_some());
        assert_eq!(blocks_eviction(None, Some(&pct("10%")), 2), None, "10% of 2 rounds up to 1");
    }

    #[test]
    fn gpu_limits_are_whole_numbers() {
        assert!(whole_positive("1"));
        assert!(whole_positive("8"));
        for q in ["0", "0.5", "500m", "1.5", "", "-1"] {
            assert!(!whole_positive(q), "{q}");
        }
    }

    #[test]
    fn rule_ids_are_unique_and_namespaced() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        assert!(ids.iter().all(|id| id.starts_with("policy.")));
    }
}
