//! Family `manifest`: the deployment manifests (the profile's `manifests:`)
//! held against the live service and its image: every probe path is served
//! with the semantics its probe needs, the startup budget covers the measured
//! time to ready, the container port is the image's EXPOSE and the service's
//! port, runAsUser is the image's USER, and the memory limit sits above the
//! memory used under load.
//!
//! The judgements are functions of [`Deployed`] and measured facts, so
//! recorded image facts prove them as well as live targets do.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::check;
use crate::check::{Check, Outcome};
use crate::image::ImageFacts;
use crate::manifests::{self, Deployed};
use crate::profile::Profile;
use crate::target::{ContainerView, Http, ImageView, Spawner, Startup};

use super::image::with_facts;
use super::probes::{StopBy, in_flight, observe_drain, private_instance};

pub(super) const CHECKS: &[Check] = &[
    check! {
        id: "manifest.probes.served",
        family: Manifest,
        level: Must,
        description: "every httpGet probe path of the manifests answers 200 on the healthy, ready service",
        run: |profile, http: Http| with_deployed(profile, |d| probes_served(http, d)),
    },
    check! {
        id: "manifest.probes.readiness-drains",
        family: Manifest,
        level: Must,
        description: "the manifests' readiness path answers 503 within the drain budget after SIGTERM, so a draining pod leaves rotation",
        exclusive: true,
        run: |profile, signals: &dyn Spawner| {
            with_deployed(profile, |d| readiness_drains(signals, profile, d))
        },
    },
    check! {
        id: "manifest.startup.budget",
        family: Manifest,
        level: Must,
        description: "the startup probe's budget (initialDelaySeconds + failureThreshold × periodSeconds) covers the measured time to ready with the profile's margin",
        run: |profile, startup: Startup| {
            with_deployed(profile, |d| match ready_after(startup.0) {
                Some(ready) => judge_startup_budget(d, ready, profile.thresholds.startup_margin),
                None => Outcome::Fail("the service was never seen ready".into()),
            })
        },
    },
    check! {
        id: "manifest.port.matches",
        family: Manifest,
        level: Must,
        description: "the container port is the image's EXPOSE and the port the service listens on, and every Service and probe port resolves to it",
        run: |profile, image: &dyn ImageView| {
            with_deployed(profile, |d| {
                with_facts(image, |view, facts| judge_port(d, facts, view.listening_port()))
            })
        },
    },
    check! {
        id: "manifest.user.matches",
        family: Manifest,
        level: Must,
        description: "runAsUser (and runAsGroup) agree with the image's numeric USER",
        run: |profile, image: &dyn ImageView| {
            with_deployed(profile, |d| with_facts(image, |_, facts| judge_user(d, facts)))
        },
    },
    check! {
        id: "manifest.memory.headroom",
        family: Manifest,
        level: Must,
        description: "the memory limit is above the memory the service uses under a load burst",
        exclusive: true,
        run: |profile, http: Http, container: &dyn ContainerView| {
            with_deployed(profile, |d| {
                let (peak, error) =
                    match super::runtime::peak_memory_under_load(http, container, profile) {
                        Ok(measured) => measured,
                        Err(outcome) => return outcome,
                    };
                match error {
                    Some(e) if peak == 0 => Outcome::Fail(format!("memory could not be read: {e}")),
                    _ => judge_memory_headroom(d, peak),
                }
            })
        },
    },
];

/// Runs `judge` on the profile's manifests, or says why it cannot.
fn with_deployed(profile: &Profile, judge: impl FnOnce(&Deployed) -> Outcome) -> Outcome {
    let Some(path) = &profile.manifests else {
        return Outcome::NotApplicable(
            "not applicable: the profile names no manifests (`manifests:`)".into(),
        );
    };
    match deployed(path) {
        Ok(d) => judge(&d),
        Err(Unreadable::NoKubectl(why)) => Outcome::NotApplicable(format!("not applicable: {why}")),
        Err(Unreadable::Broken(why)) => Outcome::Fail(why),
    }
}

#[derive(Debug, Clone)]
enum Unreadable {
    NoKubectl(String),
    Broken(String),
}

/// The manifests at `path`, read (and rendered) once per run.
fn deployed(path: &Path) -> Result<Arc<Deployed>, Unreadable> {
    type Cache = Mutex<HashMap<PathBuf, Result<Arc<Deployed>, Unreadable>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(found) = cache.lock().expect("manifest cache").get(path) {
        return found.clone();
    }
    let read = match manifests::load(&[path.to_owned()]) {
        Ok(documents) => Deployed::find(&documents)
            .map(Arc::new)
            .map_err(|e| Unreadable::Broken(format!("{}: {e}", path.display()))),
        Err(e @ manifests::Error::NoKubectl { .. }) => Err(Unreadable::NoKubectl(e.to_string())),
        Err(e) => Err(Unreadable::Broken(e.to_string())),
    };
    cache.lock().expect("manifest cache").insert(path.to_owned(), read.clone());
    read
}

/// When readiness first answered 200.
fn ready_after(transcript: &[(Duration, u16)]) -> Option<Duration> {
    transcript.iter().find(|(_, s)| *s == 200).map(|(at, _)| *at)
}

fn probes_served(http: Http<'_>, d: &Deployed) -> Outcome {
    let probes = d.http_probes();
    if probes.is_empty() {
        return Outcome::Fail(format!(
            "{} container {}: no httpGet probe to hold against the service",
            d.workload,
            d.name()
        ));
    }
    let mut seen = Vec::new();
    let mut problems = Vec::new();
    for probe in &probes {
        let url = format!("{}{}", http.base_url(), probe.path);
        match crate::http::client().get(&url).send() {
            Ok(r) if r.status() == 200 => seen.push(format!("{} {} 200", probe.field, probe.path)),
            Ok(r) => problems.push(format!(
                "{} GET {} answered {} on the healthy, ready service",
                probe.field,
                probe.path,
                r.status().as_u16()
            )),
            Err(e) => problems.push(format!("{} GET {}: {e}", probe.field, probe.path)),
        }
    }
    if problems.is_empty() {
        Outcome::Pass(seen.join(", "))
    } else {
        Outcome::Fail(format!("{}: {}", d.workload, problems.join("; ")))
    }
}

fn readiness_drains(signals: &dyn Spawner, profile: &Profile, d: &Deployed) -> Outcome {
    let Some(readiness) = d.http_probes().into_iter().find(|p| p.field == "readinessProbe") else {
        return Outcome::Fail(format!(
            "{} container {}: no httpGet readinessProbe, so nothing takes a draining pod out of rotation",
            d.workload,
            d.name()
        ));
    };
    let instance = match private_instance(signals) {
        Ok(instance) => instance,
        Err(outcome) => return outcome,
    };
    let request = match in_flight(instance.as_ref(), profile) {
        Ok(request) => request,
        Err(outcome) => return outcome,
    };
    let limits = &profile.thresholds;
    let drain = observe_drain(instance.as_ref(), &readiness.path, limits, &request, StopBy::Signal);
    judge_readiness_drain(&readiness.path, drain.flipped_after, limits.drain_flip)
}

/// Holds when the readiness path was seen answering 503 after SIGTERM.
pub fn judge_readiness_drain(path: &str, flipped: Option<Duration>, budget: Duration) -> Outcome {
    match flipped {
        Some(at) if at <= budget => Outcome::Pass(format!(
            "readinessProbe GET {path} answered 503 {} ms after SIGTERM",
            at.as_millis()
        )),
        Some(at) => Outcome::Fail(format!(
            "readinessProbe GET {path} answered 503 only {} ms after SIGTERM, over the budget of {} ms",
            at.as_millis(),
            budget.as_millis()
        )),
        None => Outcome::Fail(format!(
            "readinessProbe GET {path} never answered 503 after SIGTERM (within {} ms): a draining pod \
             stays in rotation and its clients see refused connections",
            budget.as_millis() + 500
        )),
    }
}

/// Holds the startup budget against the measured time to ready × `margin`.
pub fn judge_startup_budget(d: &Deployed, ready: Duration, margin: f64) -> Outcome {
    let Some((budget, how)) = d.startup_budget() else {
        return Outcome::Pass(format!(
            "no startupProbe or livenessProbe: nothing kills a slow start (ready after {} ms)",
            ready.as_millis()
        ));
    };
    let needed = ready.mul_f64(margin);
    if budget >= needed {
        Outcome::Pass(format!(
            "{how} covers {margin}x the measured {} ms to ready",
            ready.as_millis()
        ))
    } else {
        Outcome::Fail(format!(
            "{how}, but the service took {} ms to be ready and the profile asks for {margin}x that \
             ({} ms): the kubelet would kill it while it starts",
            ready.as_millis(),
            needed.as_millis()
        ))
    }
}

/// The container port must be the image's one EXPOSE, the port the service
/// listens on (when known) and what every Service targetPort and probe port
/// resolves to.
pub fn judge_port(d: &Deployed, facts: &ImageFacts, listening: Option<u16>) -> Outcome {
    let ports = d.container_ports();
    let Some(&port) = ports.first() else {
        return Outcome::Fail(format!(
            "{} container {} declares no containerPort",
            d.workload,
            d.name()
        ));
    };
    let mut problems = Vec::new();
    let exposed: Vec<i32> = facts
        .exposed_ports
        .iter()
        .filter_map(|p| p.split('/').next().and_then(|n| n.parse().ok()))
        .collect();
    if exposed != [port] {
        problems.push(format!(
            "containerPort {port}, but the image {} exposes {}",
            facts.reference,
            if exposed.is_empty() { "nothing".to_owned() } else { format!("{exposed:?}") }
        ));
    }
    if let Some(listening) = listening.filter(|l| i32::from(*l) != port) {
        problems.push(format!("containerPort {port}, but the service listens on {listening}"));
    }
    for service in &d.services {
        let name = service.metadata.name.as_deref().unwrap_or("?");
        for sp in service.spec.iter().flat_map(|s| s.ports.iter().flatten()) {
            let target = sp.target_port.clone().unwrap_or(IntOrString::Int(sp.port));
            if d.resolve(&target) != Some(port) {
                problems.push(format!(
                    "Service {name} port {} targets {}, not containerPort {port}",
                    sp.port,
                    match &target {
                        IntOrString::Int(n) => n.to_string(),
                        IntOrString::String(s) => format!("`{s}`"),
                    }
                ));
            }
        }
    }
    for probe in d.http_probes() {
        if probe.port != Some(port) {
            problems.push(format!(
                "{} port {} is not containerPort {port}",
                probe.field, probe.port_written
            ));
        }
    }
    if problems.is_empty() {
        Outcome::Pass(format!(
            "containerPort {port} = EXPOSE {port}{}; {} Service(s) and every probe target it",
            listening.map(|l| format!(" = listening {l}")).unwrap_or_default(),
            d.services.len()
        ))
    } else {
        Outcome::Fail(format!("{}: {}", d.workload, problems.join("; ")))
    }
}

/// `runAsUser`/`runAsGroup` must be the image's numeric USER where set.
pub fn judge_user(d: &Deployed, facts: &ImageFacts) -> Outcome {
    let Some((uid, gid)) = facts.numeric_user() else {
        return Outcome::Fail(format!(
            "the image {} has USER {:?}, not numeric, so runAsNonRoot cannot verify it",
            facts.reference, facts.user
        ));
    };
    let mut problems = Vec::new();
    match d.run_as_user() {
        Some(user) if user != i64::from(uid) => problems.push(format!(
            "runAsUser {user}, but the image's USER is {uid}: files the image gives {uid} are not its own"
        )),
        _ => {}
    }
    match d.run_as_group() {
        Some(group) if group != i64::from(gid) => {
            problems.push(format!("runAsGroup {group}, but the image's group is {gid}"));
        }
        _ => {}
    }
    if problems.is_empty() {
        Outcome::Pass(format!(
            "the pod runs as {}:{} and the image's USER is {uid}:{gid}",
            d.run_as_user().map_or("(image's)".to_owned(), |u| u.to_string()),
            d.run_as_group().map_or("(image's)".to_owned(), |g| g.to_string()),
        ))
    } else {
        Outcome::Fail(format!("{} container {}: {}", d.workload, d.name(), problems.join("; ")))
    }
}

/// The memory limit must be above `peak` bytes.
pub fn judge_memory_headroom(d: &Deployed, peak: u64) -> Outcome {
    let mb = |b: u64| b as f64 / 1e6;
    match d.memory_limit() {
        None => Outcome::Fail(format!(
            "{} container {}: no memory limit, or one that cannot be read",
            d.workload,
            d.name()
        )),
        Some((limit, written)) if limit > peak => Outcome::Pass(format!(
            "memory limit {written} ({:.1} MB) is above the {:.1} MB used under load",
            mb(limit),
            mb(peak)
        )),
        Some((limit, written)) => Outcome::Fail(format!(
            "{} container {}: memory limit {written} ({:.1} MB) is not above the {:.1} MB the \
             service used under load: it would be OOM-killed",
            d.workload,
            d.name(),
            mb(limit),
            mb(peak)
        )),
    }
}
