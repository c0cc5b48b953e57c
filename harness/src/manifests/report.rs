//! The manifest findings as reports: JSON, JUnit XML (one testcase per object)
//! and SARIF 2.1.0 (for code-scanning uploads), besides the terminal lines.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::policy::RULES;
use super::{Document, Finding};
use crate::report::escape;

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
    let failed = run.documents.iter().filter(|d| of(d, findings).next().is_some()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"gauntlet manifests\" tests=\"{}\" failures=\"{failed}\">",
        run.documents.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"gauntlet manifests (Kubernetes {}{})\" tests=\"{}\" failures=\"{failed}\">",
        escape(run.version),
        if run.strict { ", strict" } else { "" },
        run.documents.len()
    );
    for doc in run.documents {
        let head = format!(
            "    <testcase classname=\"{}\" name=\"[{}] {}/{}\"",
            escape(&doc.file.display().to_string()),
            doc.index,
            escape(or_unknown(doc.kind())),
            escape(or_unknown(doc.name()))
        );
        let mine: Vec<&Finding> = of(doc, findings).collect();
        if mine.is_empty() {
            let _ = writeln!(out, "{head}/>");
            continue;
        }
        let body: Vec<String> = mine.iter().map(|f| f.line()).collect();
        let _ = writeln!(
            out,
            "{head}>\n      <failure message=\"{} finding(s), first: {}: {}\">{}</failure>\n    </testcase>",
            mine.len(),
            escape(&mine[0].rule),
            escape(&mine[0].message),
            escape(&body.join("\n"))
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// SARIF 2.1.0: one result per finding, located by file and by the object's
/// kind, name and JSON pointer.
pub fn sarif(run: &Run<'_>, findings: &[Finding]) -> String {
    let mut rules: Vec<Value> = SCHEMA_RULES
        .iter()
        .map(|(id, text)| json!({"id": id, "shortDescription": {"text": text}}))
        .collect();
    rules.extend(
        RULES.iter().map(|r| json!({"id": r.id, "shortDescription": {"text": r.description}})),
    );
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            json!({
                "ruleId": f.rule,
                "level": "error",
                "message": {"text": f.message},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": uri(f)}},
                    "logicalLocations": [{
                        "fullyQualifiedName": format!("{}/{}{}", or_unknown(&f.kind), or_unknown(&f.name), f.pointer),
                        "kind": "object",
                    }],
                }],
                "properties": {"document": f.document},
            })
        })
        .collect();
    let report = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "gauntlet",
                "informationUri": "https://github.com/gauntlet-rs/gauntlet",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "properties": {"kubernetesVersion": run.version, "strict": run.strict},
            "results": results,
        }],
    });
    format!("{report:#}\n")
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

/// A relative URI for the file, as SARIF viewers resolve against the checkout.
fn uri(f: &Finding) -> String {
    let path = f.file.display().to_string();
    let path = std::env::current_dir()
        .ok()
        .and_then(|cwd| f.file.strip_prefix(cwd).ok().map(|p| p.display().to_string()))
        .unwrap_or(path);
    path.replace(' ', "%20")
}
