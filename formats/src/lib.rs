//! The report formats gauntlet writes, one writer each: JUnit XML (`junit`),
//! SARIF 2.1.0 (`sarif`) and Markdown table cells (`markdown`), with the one XML
//! escape (`xml`). The conformance runner, `gauntlet manifests` and
//! `cargo xtask validate` all build their reports here, so a fix to a format
//! reaches every report at once. No dependency beyond serde_json: xtask uses it
//! without building the harness.

pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod xml;
