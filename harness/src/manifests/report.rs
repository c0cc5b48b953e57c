//! The manifest findings as reports: JSON, JUnit XML (one testcase per object)
//! and SARIF 2.1.0 (for code-scanning uploads), besides the terminal lines.

use gauntlet_formats::{junit, sarif};
use serde_json::json;

use super::policy::RULES;
use super::{Document, Finding};

/// What was checked, for the report headers.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    /// The Kubernetes version whose schemas applied.
    pub version: &'a str,
    /// Whether unknown fields counted.
    pub strict: bool,
    /// Whether the policy rules ran.
    pub policy: bool,
    /// Every object checked.
    pub documents: &'a [Document],
}

/// A report writer: `json`, `junit` or `sarif`.
pub type Render = fn(&Run<'_>, &[Finding]) -> String;

/// The findings as the JSON report: settings, counts and every finding.
pub fn json(run: &Run<'_>, findings: &[Finding]) -> String {
    let report = json!({
        "kubernetes_version": run.version,
        "strict": run.strict,
        "policy": run.policy,
        "objects": run.documents.len(),
        "findings": findings,
    });
    format!("{report:#}\n")
}

/// JUnit XML: one testcase per object, failing with its findings.
pub fn junit(run: &Run<'_>, findings: &[Finding]) -> String {
    let cases = run
        .documents
        .iter()
        .map(|doc| {
            let mine: Vec<&Finding> = of(doc, findings).collect();
            let result = match mine.first() {
                None => junit::CaseResult::Passed,
                Some(first) => junit::CaseResult::Failed {
                    message: format!(
                        "{} finding(s), first: {}: {}",
                        mine.len(),
                        first.rule,
                        first.message
                    ),
                    body: Some(mine.iter().map(|f| f.line()).collect::<Vec<_>>().join("\n")),
                },
            };
            junit::Case {
                classname: doc.file.display().to_string(),
                name: format!(
                    "[{}] {}/{}",
                    doc.index,
                    or_unknown(doc.kind()),
                    or_unknown(doc.name())
                ),
                seconds: None,
                result,
            }
        })
        .collect();
    junit::Report {
        name: "gauntlet manifests".into(),
        suites: vec![junit::Suite {
            name: format!(
                "gauntlet manifests (Kubernetes {}{})",
                run.version,
                if run.strict { ", strict" } else { "" }
            ),
            cases,
        }],
    }
    .to_xml()
}

/// SARIF 2.1.0: one result per finding, located by file and by the object's
/// kind, name and JSON pointer.
pub fn sarif(run: &Run<'_>, findings: &[Finding]) -> String {
    let rules: Vec<sarif::Rule<'_>> = SCHEMA_RULES
        .iter()
        .map(|(id, description)| sarif::Rule { id, description })
        .chain(RULES.iter().map(|r| sarif::Rule { id: r.id, description: r.description }))
        .collect();
    let cwd = std::env::current_dir().ok();
    let results: Vec<sarif::Finding<'_>> = findings
        .iter()
        .map(|f| sarif::Finding {
            rule_id: &f.rule,
            level: sarif::Level::Error,
            message: &f.message,
            uri: sarif::uri(&f.file, cwd.as_deref()),
            logical_name: Some(format!(
                "{}/{}{}",
                or_unknown(&f.kind),
                or_unknown(&f.name),
                f.pointer
            )),
            properties: json!({"document": f.document}),
        })
        .collect();
    let tool = sarif::Tool {
        name: "gauntlet",
        version: env!("CARGO_PKG_VERSION"),
        information_uri: "https://github.com/gauntlet-rs/gauntlet",
    };
    sarif::log(
        tool,
        &rules,
        &results,
        json!({"kubernetesVersion": run.version, "strict": run.strict}),
    )
}

/// The schema rules, for the SARIF rule list.
pub const SCHEMA_RULES: &[(&str, &str)] = &[
    ("schema.invalid", "the object follows its kind's schema"),
    ("schema.unknown-field", "the object has no field its schema lacks (strict mode)"),
    ("schema.unknown-kind", "a schema exists for the object's apiVersion and kind"),
    ("schema.type-meta", "the object has apiVersion and kind"),
    ("schema.typed", "k8s-openapi reads the object"),
    ("schema.unreadable", "the vendored schema loads"),
];

fn of<'a>(doc: &'a Document, findings: &'a [Finding]) -> impl Iterator<Item = &'a Finding> {
    findings.iter().filter(|f| f.file == doc.file && f.document == doc.index)
}

fn or_unknown(text: &str) -> &str {
    if text.is_empty() { "?" } else { text }
}
