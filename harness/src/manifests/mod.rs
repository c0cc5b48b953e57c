//! Offline manifest validation: read manifests (`load`), validate each object
//! against the vendored Kubernetes schemas (`schema`), read the known kinds with
//! k8s-openapi (`objects`), apply the policy rules (`policy`), and report every
//! finding by file, document, object, JSON pointer and rule (`report`).

mod deployed;
mod error;
mod load;
mod objects;
mod policy;
mod report;
mod schema;

pub use deployed::{Deployed, HttpProbe, quantity_bytes};
pub use error::Error;
pub use load::{Document, load, parse};
pub use objects::{Object, Typed, Workload};
pub use policy::{GPU, RULES, Rule, Set};
pub use report::{Render, Run, SCHEMA_RULES, json, junit, sarif};
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

/// What to check besides the schemas.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Unknown fields are findings.
    pub strict: bool,
    /// Skip the policy rules (schema and typed parsing only).
    pub schema_only: bool,
}

/// Validates every document against `schemas`.
pub fn validate(documents: &[Document], schemas: &Schemas, strict: bool) -> Vec<Finding> {
    documents.iter().flat_map(|doc| schemas.validate(doc, strict)).collect()
}

/// Schema findings for `documents`, and the typed objects of those the schema accepted.
fn schema_and_types<'a>(
    documents: &'a [Document],
    schemas: &Schemas,
    strict: bool,
) -> (Vec<Finding>, Vec<Typed<'a>>) {
    let (mut findings, mut typed) = (Vec::new(), Vec::new());
    for doc in documents {
        let found = schemas.validate(doc, strict);
        let readable = found.iter().all(|f| f.rule == "schema.unknown-field");
        findings.extend(found);
        if !readable {
            continue;
        }
        match objects::parse(doc) {
            Ok(Some(t)) => typed.push(t),
            Ok(None) => {}
            Err(why) => findings.push(Finding::new(doc, "", "schema.typed", &why.to_string())),
        }
    }
    (findings, typed)
}

/// Everything: schema findings for each document; then each document the schema
/// accepted is read with k8s-openapi, and the policy rules run on what was read.
/// Findings come in document order, each document's sorted by rule and pointer.
pub fn check(documents: &[Document], schemas: &Schemas, options: Options) -> Vec<Finding> {
    // Each document stands alone until the policy: validate and parse them on
    // every core, in chunks that keep document order.
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = documents.len().div_ceil(threads).max(64);
    let (mut findings, mut typed) = (Vec::new(), Vec::new());
    std::thread::scope(|scope| {
        let workers: Vec<_> = documents
            .chunks(chunk)
            .map(|docs| scope.spawn(move || schema_and_types(docs, schemas, options.strict)))
            .collect();
        for worker in workers {
            let (f, t) = worker.join().expect("a validation thread panicked");
            findings.extend(f);
            typed.extend(t);
        }
    });
    if !options.schema_only {
        findings.extend(policy::check(&typed));
    }
    let position: std::collections::HashMap<(&std::path::Path, usize), usize> =
        documents.iter().enumerate().map(|(i, d)| ((d.file.as_path(), d.index), i)).collect();
    findings.sort_by_key(|f| {
        let at = position.get(&(f.file.as_path(), f.document)).copied().unwrap_or(usize::MAX);
        (at, f.rule.clone(), f.pointer.clone())
    });
    findings
}
