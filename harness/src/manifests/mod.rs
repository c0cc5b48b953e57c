//! Offline manifest validation: read manifests (`load`, `helm`), validate each
//! object against the embedded Kubernetes schemas or its CRD (`schema`, `crd`),
//! name removed and deprecated APIs (`apis`), read the known kinds with
//! k8s-openapi (`objects`), apply the policy rules (`policy`), honour ignores
//! with reasons (`ignore`), and report every finding by file, line, document,
//! object, JSON pointer and rule (`report`).

mod apis;
mod crd;
mod deployed;
mod error;
mod helm;
mod ignore;
mod load;
mod objects;
mod policy;
mod report;
mod schema;

pub use apis::{Api, Status as ApiStatus, TABLE as API_TABLE, status as api_status};
pub use crd::{CRD_API, Crds};
pub use deployed::{Deployed, HttpProbe, quantity_bytes};
pub use error::Error;
pub use helm::{Helm, render as helm_render};
pub use ignore::{ANNOTATION as IGNORE_ANNOTATION, Suppressed};
pub use load::{Broken, Document, Loaded, load, parse, read};
pub use objects::{Object, Typed, Workload};
pub use policy::{GPU, RULES, Rule, Set};
pub use report::{Render, Run, SCHEMA_RULES, json, junit, sarif};
pub use schema::{DEFAULT_VERSION, Schemas, VERSIONS, group_of, version};

use std::path::PathBuf;

use serde::Serialize;

/// How much a finding weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// It fails the run.
    Error,
    /// It is reported; it fails nothing.
    Warning,
}

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
    /// Whether it fails the run.
    pub level: Level,
    /// The line (from 1): where the document starts, or where the parser stopped.
    pub line: usize,
    /// The column (from 1) where the parser stopped; 1 for an object's findings.
    pub column: usize,
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
            level: Level::Error,
            line: doc.line,
            column: 1,
        }
    }

    /// A `yaml.syntax` finding for a document that does not parse.
    pub fn syntax(broken: &Broken) -> Self {
        Self {
            file: broken.file.clone(),
            document: broken.index,
            kind: String::new(),
            name: String::new(),
            pointer: String::new(),
            rule: "yaml.syntax".to_owned(),
            message: format!(
                "line {}, column {}: not YAML: {}",
                broken.line, broken.column, broken.message
            ),
            level: Level::Error,
            line: broken.line,
            column: broken.column,
        }
    }

    /// The same finding at warning level.
    pub fn warning(mut self) -> Self {
        self.level = Level::Warning;
        self
    }

    /// `file:line [doc] Kind/name /pointer: rule: message`, one line
    /// (`warning:` before the rule when it is a warning).
    pub fn text(&self) -> String {
        format!(
            "{}:{} [{}] {}/{} {}: {}{}: {}",
            self.file.display(),
            self.line,
            self.document,
            if self.kind.is_empty() { "?" } else { &self.kind },
            if self.name.is_empty() { "?" } else { &self.name },
            if self.pointer.is_empty() { "/" } else { &self.pointer },
            if self.level == Level::Warning { "warning: " } else { "" },
            self.rule,
            self.message
        )
    }
}

/// What to check besides the schemas, and how to count.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Unknown fields are findings.
    pub strict: bool,
    /// Skip the policy rules (schema and typed parsing only).
    pub schema_only: bool,
    /// A custom resource with no CRD is skipped (listed, never passed) instead of a finding.
    pub ignore_missing_schemas: bool,
    /// Ignore annotations are not honoured.
    pub no_ignores: bool,
    /// A deprecated API fails the run.
    pub fail_on_deprecated: bool,
}

/// What a run found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings that count, errors and warnings, in document order.
    pub findings: Vec<Finding>,
    /// Findings an ignore annotation suppressed, with its reason.
    pub suppressed: Vec<Suppressed>,
    /// Objects not validated: custom resources with no CRD, with `--ignore-missing-schemas`.
    pub skipped: Vec<Finding>,
    /// Ignores not honoured because of `--no-ignores`.
    pub refused_ignores: usize,
}

impl Outcome {
    /// How many findings fail the run.
    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.level == Level::Error).count()
    }

    /// How many findings are warnings.
    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }

    /// Whether the run fails.
    pub fn failed(&self) -> bool {
        self.errors() > 0
    }
}

/// Every rule id a finding can carry.
pub fn rule_ids() -> impl Iterator<Item = &'static str> {
    SCHEMA_RULES.iter().map(|(id, _)| *id).chain(RULES.iter().map(|r| r.id))
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
        let readable =
            found.iter().all(|f| f.rule == "schema.unknown-field" || f.level == Level::Warning);
        findings.extend(found);
        if !readable || !schemas.is_built_in(doc.api_version(), doc.kind()) {
            continue;
        }
        match objects::parse(doc) {
            Ok(Some(t)) => typed.push(t),
            Ok(None) => {}
            // The schema alone decides validity: k8s-openapi knows one
            // Kubernetes version, so an object it cannot read only goes
            // without the policy rules, and says so.
            Err(why) => findings.push(
                Finding::new(
                    doc,
                    "",
                    "schema.typed",
                    &format!("the policy rules did not run on this object: {why}"),
                )
                .warning(),
            ),
        }
    }
    (findings, typed)
}

/// Everything: schema findings for each document (and `yaml.syntax` for each
/// of `broken`); then each document the schema accepted is read with
/// k8s-openapi, and the policy rules run on what was read; last, ignores are
/// honoured. Findings come in document order, each document's sorted by rule
/// and pointer.
pub fn check(
    documents: &[Document],
    broken: &[Broken],
    schemas: &Schemas,
    options: Options,
) -> Outcome {
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
    findings.extend(broken.iter().map(Finding::syntax));
    let mut outcome = Outcome::default();
    if options.fail_on_deprecated {
        for f in findings.iter_mut().filter(|f| f.rule == "api.deprecated") {
            f.level = Level::Error;
        }
    }
    if options.ignore_missing_schemas {
        let (skipped, kept) = findings.into_iter().partition(|f| f.rule == "schema.no-crd");
        outcome.skipped = skipped;
        findings = kept;
    }
    honour_ignores(documents, findings, options.no_ignores, &mut outcome);
    in_document_order(documents, &mut outcome);
    outcome
}

/// Moves the findings each document's ignores name into `outcome.suppressed`;
/// the rest, and a finding per ill-formed ignore, into `outcome.findings`.
fn honour_ignores(
    documents: &[Document],
    findings: Vec<Finding>,
    refuse: bool,
    outcome: &mut Outcome,
) {
    let known = |rule: &str| rule_ids().any(|id| id == rule);
    let mut ignores = std::collections::HashMap::new();
    let mut invalid = Vec::new();
    for doc in documents {
        let (found, bad) = ignore::read(doc, &known);
        invalid.extend(bad);
        if refuse {
            outcome.refused_ignores += found.len();
        } else if !found.is_empty() {
            ignores.insert((doc.file.as_path(), doc.index), found);
        }
    }
    for finding in findings {
        let ignore = ignores
            .get(&(finding.file.as_path(), finding.document))
            .and_then(|list| list.iter().find(|i| i.rule == finding.rule));
        match ignore {
            Some(i) if finding.rule != "yaml.syntax" => outcome.suppressed.push(Suppressed {
                reason: i.reason.clone(),
                ignored_at: i.at.clone(),
                finding,
            }),
            _ => outcome.findings.push(finding),
        }
    }
    outcome.findings.extend(invalid);
}

/// Puts every list of `outcome` in document order: files in the order they
/// were read, documents in file order, each document's by rule and pointer.
fn in_document_order(documents: &[Document], outcome: &mut Outcome) {
    let mut files: std::collections::HashMap<&std::path::Path, usize> =
        std::collections::HashMap::new();
    for doc in documents {
        let next = files.len();
        files.entry(doc.file.as_path()).or_insert(next);
    }
    let order = |a: &Finding, b: &Finding| {
        let file = |f: &Finding| files.get(f.file.as_path()).copied().unwrap_or(usize::MAX);
        (file(a), &a.file, a.document, &a.rule, &a.pointer).cmp(&(
            file(b),
            &b.file,
            b.document,
            &b.rule,
            &b.pointer,
        ))
    };
    outcome.findings.sort_by(|a, b| order(a, b));
    outcome.suppressed.sort_by(|a, b| order(&a.finding, &b.finding));
    outcome.skipped.sort_by(|a, b| order(a, b));
}
