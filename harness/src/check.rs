//! What a check is: a stable id, a family, a level, a one-line description, the
//! capabilities it needs and the function that judges the target.

use std::fmt;
use std::time::Duration;

use crate::profile::Profile;
use crate::target::Target;

/// The numbers checks are held to, from the profile; the defaults fit the
/// reference service.
#[derive(Debug, Clone)]
pub struct Thresholds {
    /// Longest start-up, from process start to readiness 200.
    pub ready_budget: Duration,
    /// Readiness must turn 503 this soon after SIGTERM.
    pub drain_flip: Duration,
    /// Longest wait for the process to exit after SIGTERM.
    pub shutdown_grace: Duration,
    /// Concurrent clients in the load burst.
    pub load_concurrency: usize,
    /// How long the load burst lasts.
    pub load_duration: Duration,
    /// Highest p99 latency accepted during the burst.
    pub load_p99: Duration,
    /// Highest share of failed requests (429s are counted apart).
    pub load_max_error_rate: f64,
    /// Lowest requests per second accepted during the burst.
    pub load_min_throughput: f64,
    /// Generated bodies per fuzzed route.
    pub fuzz_cases: u32,
    /// Largest image accepted, in bytes.
    pub image_size: u64,
    /// The container memory limit an orchestrator would set, in bytes.
    pub memory_limit: u64,
    /// Most memory the service may use under load, in bytes.
    pub memory_budget: u64,
    /// How many times the measured time to ready a startup probe must allow.
    pub startup_margin: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            ready_budget: Duration::from_secs(30),
            drain_flip: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(30),
            load_concurrency: 8,
            load_duration: Duration::from_secs(3),
            load_p99: Duration::from_secs(2),
            load_max_error_rate: 0.0,
            load_min_throughput: 5.0,
            fuzz_cases: 64,
            image_size: 120_000_000,
            memory_limit: 1_000_000_000,
            memory_budget: 512_000_000,
            startup_margin: 3.0,
        }
    }
}

/// How binding a check is (RFC 2119).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// A failure fails the run.
    Must,
    /// A failure is reported but does not fail the run.
    Should,
}

/// The group a check belongs to; the first part of its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Startup, readiness and liveness probes.
    Probe,
    /// The vectors themselves.
    Embeddings,
    /// Response shapes, error answers and the OpenAPI document.
    Api,
    /// Behaviour under a bounded burst of concurrent requests.
    Load,
    /// Generated request bodies.
    Fuzz,
    /// The image the service ships in.
    Image,
    /// How the service behaves in its container.
    Runtime,
    /// Answers held against reviewed insta snapshots.
    Snapshot,
    /// The deployment manifests held against the live service and its image.
    Manifest,
    /// The deployment as a Kubernetes cluster runs it.
    Kube,
    /// The service reaches the GPU and runs the model there.
    Gpu,
}

impl Level {
    /// `MUST` or `SHOULD`, as reports print it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Must => "MUST",
            Self::Should => "SHOULD",
        }
    }
}

impl Family {
    /// The family's name: the first part of its checks' ids.
    pub fn name(self) -> &'static str {
        match self {
            Self::Probe => "probe",
            Self::Embeddings => "embeddings",
            Self::Api => "api",
            Self::Load => "load",
            Self::Fuzz => "fuzz",
            Self::Image => "image",
            Self::Runtime => "runtime",
            Self::Snapshot => "snapshot",
            Self::Manifest => "manifest",
            Self::Kube => "kube",
            Self::Gpu => "gpu",
        }
    }
}

/// Something a target may or may not be able to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// The service answers HTTP at the target's base URL.
    Http,
    /// The harness started the service and watched its readiness from the first moment.
    StartupObserved,
    /// The harness can start private instances and signal them.
    Signals,
    /// The target is an image whose metadata and files the harness can read.
    Image,
    /// The service runs in a container the harness started and can steer.
    Container,
    /// The service is deployed to a Kubernetes cluster the harness can read.
    Kube,
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Http => f.write_str("http"),
            Self::StartupObserved => f.write_str("startup-observed"),
            Self::Signals => f.write_str("signals"),
            Self::Image => f.write_str("image"),
            Self::Container => f.write_str("container"),
            Self::Kube => f.write_str("kube"),
        }
    }
}

/// The verdict of one check on one target.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The behaviour holds; the text is the evidence.
    Pass(String),
    /// The behaviour does not hold; the text says what was seen.
    Fail(String),
    /// The check could not run here; the text says why. Never a pass.
    NotApplicable(String),
}

/// One entry of the catalog.
#[derive(Clone, Copy)]
pub struct Check {
    /// Stable id, `family.subject.property`.
    pub id: &'static str,
    /// Its family.
    pub family: Family,
    /// MUST or SHOULD.
    pub level: Level,
    /// One line saying what is checked.
    pub description: &'static str,
    /// Capabilities the target must have.
    pub needs: &'static [Capability],
    /// Whether it disturbs the shared target (load): it then runs with no other check alongside.
    pub exclusive: bool,
    /// The judgement.
    pub run: fn(&dyn Target, &Profile) -> Outcome,
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check").field("id", &self.id).field("level", &self.level).finish()
    }
}

impl Check {
    /// Runs the check, or says why it cannot run on `target`.
    pub fn judge(&self, target: &dyn Target, profile: &Profile) -> Outcome {
        if let Some(missing) = self.needs.iter().find(|c| !target.capabilities().contains(c)) {
            return Outcome::NotApplicable(format!(
                "not applicable: target `{}` lacks the capability `{missing}`",
                target.name()
            ));
        }
        (self.run)(target, profile)
    }
}
