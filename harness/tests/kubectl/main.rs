//! Tier 3 of the integration tests: kubectl (its built-in kustomize) renders
//! the project's overlays. Without kubectl these tests say why they did not
//! run; in CI (`CI=true`) they fail.

#[path = "../common/mod.rs"]
mod common;

mod cross;
mod manifests;
