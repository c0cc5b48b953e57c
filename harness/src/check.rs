//! What a check is: a stable id, a family, a level, a one-line description, the
//! capabilities it needs and the function that judges the target.
//!
//! A check is declared with [`check!`](crate::check!), which states each
//! capability once: as the type of a view the judgement receives. The same
//! declaration yields the `needs` list the catalog prints and the code that
//! reaches each view, so a check can neither use what it did not declare nor
//! declare what it does not use; a target without one of the views makes the
//! check not applicable, never passed.

use std::fmt;

use crate::profile::Profile;
use crate::target::{Capability, Target};

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

impl Outcome {
    /// Not applicable because `target` cannot give the view `missing` stands for.
    pub fn lacks(target: &dyn Target, missing: Capability) -> Self {
        Self::NotApplicable(format!(
            "not applicable: target `{}` lacks the capability `{missing}`",
            target.name()
        ))
    }

    /// The kind of outcome, without its text.
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Self::Pass(_) => OutcomeKind::Pass,
            Self::Fail(_) => OutcomeKind::Fail,
            Self::NotApplicable(_) => OutcomeKind::NotApplicable,
        }
    }

    /// The evidence, the failure or the reason.
    pub fn detail(&self) -> &str {
        match self {
            Self::Pass(text) | Self::Fail(text) | Self::NotApplicable(text) => text,
        }
    }
}

impl From<crate::profile::Unserved> for Outcome {
    /// A route the profile does not serve makes the check not applicable.
    fn from(unserved: crate::profile::Unserved) -> Self {
        Self::NotApplicable(unserved.0)
    }
}

/// The kind of an [`Outcome`], as the reports name it (`pass`, `fail`,
/// `not-applicable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeKind {
    /// The behaviour holds.
    Pass,
    /// The behaviour does not hold.
    Fail,
    /// The check could not run.
    NotApplicable,
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
    /// The capabilities whose views the judgement receives, in its order.
    pub needs: &'static [Capability],
    /// Whether it disturbs the shared target (load): it then runs with no other check alongside.
    pub exclusive: bool,
    /// The judgement, reaching each view it needs or saying which one is missing;
    /// written by [`check!`](crate::check!).
    pub run: fn(&dyn Target, &Profile) -> Outcome,
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check").field("id", &self.id).field("level", &self.level).finish()
    }
}

impl Check {
    /// Runs the check, or says which capability `target` lacks for it.
    pub fn judge(&self, target: &dyn Target, profile: &Profile) -> Outcome {
        (self.run)(target, profile)
    }
}

/// Declares a [`Check`]. The judgement is written like a closure whose first
/// parameter is the profile and whose others are views of the target, each with
/// its type ([`Http`](crate::target::Http), `&dyn ContainerView`, ...): a view's
/// type is the one statement of the capability it needs.
///
/// ```ignore
/// check! {
///     id: "probe.ready.sigterm",
///     family: Probe,
///     level: Must,
///     description: "after SIGTERM readiness turns 503 ...",
///     run: |profile, http: Http, signals: &dyn Spawner| sigterm(http, signals, profile),
/// }
/// ```
#[macro_export]
macro_rules! check {
    (
        id: $id:literal,
        family: $family:ident,
        level: $level:ident,
        description: $description:literal,
        $(exclusive: $exclusive:literal,)?
        run: |$profile:pat_param $(, $view:ident : $ty:ty)* $(,)?| $body:expr $(,)?
    ) => {
        $crate::check::Check {
            id: $id,
            family: $crate::check::Family::$family,
            level: $crate::check::Level::$level,
            description: $description,
            needs: &[$(<$ty as $crate::target::View>::CAPABILITY),*],
            exclusive: $crate::check!(@exclusive $($exclusive)?),
            run: |target, $profile| {
                $(
                    let Some($view) = <$ty as $crate::target::View>::of(target) else {
                        return $crate::check::Outcome::lacks(
                            target,
                            <$ty as $crate::target::View>::CAPABILITY,
                        );
                    };
                )*
                $body
            },
        }
    };
    (@exclusive) => { false };
    (@exclusive $exclusive:literal) => { $exclusive };
}
