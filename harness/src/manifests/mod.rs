//! Offline manifest validation: read manifests (`load`), validate each object
//! against the vendored Kubernetes schemas (`schema`), and report every finding
//! by file, document, object, JSON pointer and rule.

mod load;
mod schema;

pub use load::{Document, Error, load, parse};
pub use schema::{DEFAULT_VERSION, Schemas, VERSIONS, default_root};

use std::path::PathBuf;

use serde::Serialize;

/// One problem with one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The file (or kustomize folder) it came from.
    pub file: PathBuf,
    /// The document's index in it, from 0.
    pub document: usize,
    /// The object's kind.
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// JSON pointer into the object (empty for the whole object).
    pub pointer: String,
    /// Stable rule id, e.g. `schema.unknown-field`.
    pub rule: String,
    /// What is wrong.
    pub message: String,
}

impl Finding {
    /// A finding about `doc` at `pointer`.
    pub fn new(doc: &Document, pointer: &str, rule: &str, message: &str) -> Self {
        Self {
            file: doc.file.clone(),
            document: doc.index,
            kind: doc.kind().to_owned(),
            name: doc.name().to_owned(),
            pointer: pointer.to_owned(),
            rule: rule.to_owned(),
            message: message.to_owned(),
        }
    }

    /// `file[doc] Kind/name /pointer: rule: message`, one line.
    pub fn line(&self) -> String {
        format!(
            "{}[{}] {}/{} {}: {}: {}",
            self.file.display(),
            self.document,
            if self.kind.is_empty() { "?" } else { &self.kind },
            if self.name.is_empty() { "?" } else { &self.name },
            if self.pointer.is_empty() { "/" } else { &self.pointer },
            self.rule,
            self.message
        )
    }
}

/// Validates every document against `schemas`.
pub fn validate(documents: &[Document], schemas: &Schemas, strict: bool) -> Vec<Finding> {
    documents.iter().flat_map(|doc| schemas.validate(doc, strict)).collect()
}

/// The findings as the JSON report: version, counts and every finding.
pub fn json_report(version: &str, documents: usize, findings: &[Finding]) -> String {
    let report = serde_json::json!({
        "kubernetes_version": version,
        "objects": documents,
        "findings": findings,
    });
    format!("{report:#}\n")
}
