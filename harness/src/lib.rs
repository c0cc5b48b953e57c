//! gauntlet: targets, the check catalog, the runner and its reports.
//!
//! A target says how to reach a service and what it can do; a check judges one
//! behaviour through the target's capabilities only; the runner turns checks ×
//! target into libtest-mimic trials.

pub mod check;
pub mod checks;
pub mod cluster;
pub mod compare;
pub mod docker;
pub mod dockerfile;
pub mod figures;
pub mod gpu;
pub mod html;
pub mod http;
pub mod image;
pub mod manifests;
pub mod profile;
pub mod report;
pub mod run;
pub mod runner;
pub mod secrets;
pub mod target;
pub mod verdict;

pub use check::{Check, Family, Level, Outcome, OutcomeKind};
pub use profile::{Profile, Thresholds};
pub use target::{Capability, Target};
