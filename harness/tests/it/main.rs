//! Every check proven able to fail: each runs against a small axum server whose
//! misbehaviour is chosen per test, and against a well-behaved one.

mod broken;
mod catalog;
mod checks;
mod cli;
mod containers;
mod cross;
mod dockerfiles;
mod gpu;
mod images;
mod kube;
mod lifecycle;
mod manifests;
mod scans;
mod snapshots;
mod workflows;
