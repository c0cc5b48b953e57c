//! Tier 1 of the integration tests: fakes and recordings only. Every check is
//! run against a small axum server whose misbehaviour each test chooses
//! (`broken`), against recorded object states, images and GPU reports, and the
//! `gauntlet` binary against those and against fixture files. Nothing here
//! needs the model, Docker or kubectl.

#[path = "../common/mod.rs"]
mod common;

mod broken;
mod catalog;
mod checks;
mod cli;
mod compare;
mod cross;
mod dockerfiles;
mod documented;
mod gpu;
mod init;
mod kube;
mod manifests;
mod real;
mod reports;
mod secrets;
mod snapshots;
mod wild;
mod xsd;
