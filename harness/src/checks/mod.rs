//! The check catalog, one module per family.

mod embeddings;
mod probes;

use crate::check::Check;

/// Every check, sorted by id.
pub fn catalog() -> Vec<Check> {
    let mut all: Vec<Check> = probes::CHECKS.iter().chain(embeddings::CHECKS).copied().collect();
    all.sort_by_key(|c| c.id);
    all
}

pub use probes::judge_startup_transcript;
