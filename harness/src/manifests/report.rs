//! The manifest findings as reports: JSON, JUnit XML (one testcase per object)
//! and SARIF 2.1.0 (for code-scanning uploads), besides the terminal lines.
//! Suppressed findings and skipped objects are in every report: JSON
//! `suppressed` and `skipped`, JUnit skipped testcases with the reason, SARIF
//! `suppressions` and `notApplicable` results.

use gauntlet_formats::{junit, sarif};
use serde_json::json;

use super::policy::RULES;
use super::{Document, Finding, Level, Outcome};

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
pub type Render = fn(&Run<'_>, &Outcome) -> String;

/// The findings as the JSON report: settings, counts, the findings count as
/// the figure `manifests.findings` (for `gauntlet compare`), and every
/// finding, suppressed finding and skipped object.
pub fn json(run: &Run<'_>, outcome: &Outcome) -> String {
    let mut findings =
        crate::figures::Figure::named("manifests.findings", outcome.findings.len() as f64);
    findings.check = "manifests".to_owned();
    let report = json!({
        "gauntlet_version": env!("CARGO_PKG_VERSION"),
        "target": "manifests",
        "kubernetes_version": run.version,
        "figures": [findings],
        "strict": run.strict,
        "policy": run.policy,
        "objects": run.documents.len(),
        "errors": outcome.errors(),
        "warnings": outcome.warnings(),
        "findings": outcome.findings,
        "suppressed": outcome.suppressed,
        "skipped": outcome.skipped,
        "refused_ignores": outcome.refused_ignores,
    });
    format!("{report:#}\n")
}

/// JUnit XML: one testcase per object, failing with its errors; a skipped
/// testcase per object not validated and per suppressed finding, with why;
/// one failing testcase per document that is not YAML.
pub fn junit(run: &Run<'_>, outcome: &Outcome) -> String {
    let mut cases: Vec<junit::Case> = run
        .documents
        .iter()
        .map(|doc| {
            let errors: Vec<&Finding> =
                of(doc, &outcome.findings).filter(|f| f.level == Level::Error).collect();
            let skipped = of(doc, &outcome.skipped).next();
            let result = match (errors.first(), skipped) {
                (Some(first), _) => junit::CaseResult::Failed {
                    message: format!(
                        "{} finding(s), first: {}: {}",
                        errors.len(),
                        first.rule,
                        first.message
                    ),
                    body: Some(
                        of(doc, &outcome.findings)
                            .map(Finding::text)
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ),
                },
                (None, Some(skip)) => junit::CaseResult::Skipped {
                    message: format!("not validated: {}", skip.message),
                },
                (None, None) => junit::CaseResult::Passed,
            };
            case(
                doc.file.display().to_string(),
                object_name(doc.index, doc.kind(), doc.name()),
                result,
            )
        })
        .collect();
    cases.extend(outcome.findings.iter().filter(|f| f.rule == "yaml.syntax").map(|f| {
        case(
            f.file.display().to_string(),
            format!("[{}] not YAML", f.document),
            junit::CaseResult::Failed { message: f.message.clone(), body: None },
        )
    }));
    cases.extend(outcome.suppressed.iter().map(|s| {
        let f = &s.finding;
        case(
            f.file.display().to_string(),
            format!("{} ignores {}", object_name(f.document, &f.kind, &f.name), f.rule),
            junit::CaseResult::Skipped {
                message: format!(
                    "ignored ({}): {}; the finding: {}",
                    s.ignored_at, s.reason, f.message
                ),
            },
        )
    }));
    junit::Report {
        name: "gauntlet manifests".into(),
        suites: vec![junit::Suite {
            name: format!(
                "gauntlet manifests (Kubernetes {}{})",
                run.version,
                if run.strict { ", strict" } else { "" }
            ),
            properties: vec![
                ("gauntlet.version".to_owned(), env!("CARGO_PKG_VERSION").to_owned()),
                ("kubernetes.version".to_owned(), run.version.to_owned()),
                ("strict".to_owned(), run.strict.to_string()),
            ],
            cases,
        }],
    }
    .to_xml()
}

fn case(classname: String, name: String, result: junit::CaseResult) -> junit::Case {
    junit::Case { classname, name, seconds: None, result }
}

fn object_name(index: usize, kind: &str, name: &str) -> String {
    format!("[{index}] {}/{}", or_unknown(kind), or_unknown(name))
}

/// SARIF 2.1.0: one result per finding, located by file, line and the
/// object's kind, name and JSON pointer; suppressed findings carry their
/// justification, skipped objects are `notApplicable` notes.
pub fn sarif(run: &Run<'_>, outcome: &Outcome) -> String {
    let rules: Vec<sarif::Rule<'_>> = SCHEMA_RULES
        .iter()
        .map(|(id, description)| sarif::Rule { id, description })
        .chain(RULES.iter().map(|r| sarif::Rule { id: r.id, description: r.description }))
        .collect();
    let cwd = std::env::current_dir().ok();
    fn result<'a>(
        f: &'a Finding,
        level: sarif::Level,
        cwd: Option<&std::path::Path>,
    ) -> sarif::Finding<'a> {
        sarif::Finding {
            rule_id: &f.rule,
            level,
            message: &f.message,
            uri: sarif::uri(&f.file, cwd),
            logical_name: Some(format!(
                "{}/{}{}",
                or_unknown(&f.kind),
                or_unknown(&f.name),
                f.pointer
            )),
            region: Some((f.line, f.column)),
            suppressed: None,
            properties: json!({"document": f.document}),
        }
    }
    let cwd = cwd.as_deref();
    let level = |f: &Finding| match f.level {
        Level::Error => sarif::Level::Error,
        Level::Warning => sarif::Level::Warning,
    };
    let mut results: Vec<sarif::Finding<'_>> =
        outcome.findings.iter().map(|f| result(f, level(f), cwd)).collect();
    results.extend(outcome.suppressed.iter().map(|s| sarif::Finding {
        suppressed: Some(&s.reason),
        ..result(&s.finding, level(&s.finding), cwd)
    }));
    results.extend(outcome.skipped.iter().map(|f| result(f, sarif::Level::Note, cwd)));
    let tool = sarif::Tool {
        name: "gauntlet",
        version: env!("CARGO_PKG_VERSION"),
        information_uri: "https://github.com/gauntlet-rs/gauntlet",
    };
    sarif::log(
        tool,
        &rules,
        &results,
        json!({
            "kubernetesVersion": run.version,
            "strict": run.strict,
            "objects": run.documents.len(),
            "skipped": outcome.skipped.len(),
            "suppressed": outcome.suppressed.len(),
        }),
    )
}

/// The rules that are not policy rules, for the rule list.
pub const SCHEMA_RULES: &[(&str, &str)] = &[
    ("yaml.syntax", "every document parses as YAML"),
    ("schema.invalid", "the object follows its kind's schema, or its CRD's"),
    ("schema.unknown-field", "the object has no field its schema lacks (strict mode)"),
    ("schema.unknown-kind", "a built-in API group has the object's kind and version"),
    ("schema.no-crd", "a custom resource's CRD is in the input, --crds or --schema-location"),
    ("schema.type-meta", "the object has apiVersion and kind"),
    ("schema.typed", "k8s-openapi reads the object, so the policy rules run on it (warning)"),
    ("schema.unreadable", "the schema for the object loads"),
    ("api.removed", "the object's API is still served in the Kubernetes version"),
    ("api.deprecated", "the object's API is not deprecated (warning; --fail-on-deprecated fails)"),
    ("ignore.invalid", "every gauntlet.dev/ignore names a rule and gives a reason"),
];

fn of<'a>(doc: &'a Document, findings: &'a [Finding]) -> impl Iterator<Item = &'a Finding> {
    findings.iter().filter(|f| f.file == doc.file && f.document == doc.index)
}

fn or_unknown(text: &str) -> &str {
    if text.is_empty() { "?" } else { text }
}
