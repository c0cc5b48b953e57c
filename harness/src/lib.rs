//! gauntlet: targets, the check catalog, the runner and its reports.
//!
//! The harness grows in its own issue; for now it only names the crate so the
//! workspace has its final shape.
