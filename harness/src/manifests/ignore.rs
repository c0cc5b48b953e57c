//! Ignores with reasons: the annotation `gauntlet.dev/ignore` on an object, or
//! on its pod template, reads `RULE: reason; RULE: reason` and suppresses those
//! rules for that object. An ignore without a reason, or naming a rule that
//! does not exist, is itself a finding (`ignore.invalid`). Suppressed findings
//! stay in every report with their reason.

use serde::Serialize;
use serde_json::Value;

use super::{Document, Finding};

/// The annotation.
pub const ANNOTATION: &str = "gauntlet.dev/ignore";
/// The rule an ill-formed ignore breaks; it cannot itself be ignored.
pub const INVALID: &str = "ignore.invalid";

/// Where an ignore can sit: the object, and the pod template of the kinds that have one.
const PLACES: &[&str] = &[
    "/metadata/annotations",
    "/spec/template/metadata/annotations",
    "/spec/jobTemplate/spec/template/metadata/annotations",
];

/// One rule ignored for one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    /// The rule.
    pub rule: String,
    /// Why.
    pub reason: String,
    /// JSON pointer of the annotation that says so.
    pub at: String,
}

/// A finding an ignore suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppressed {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// The ignore's reason.
    pub reason: String,
    /// JSON pointer of the annotation that suppressed it.
    pub ignored_at: String,
}

/// The ignores of `doc`, and a finding for each ill-formed one. `known` says
/// whether a rule id exists.
pub fn read(doc: &Document, known: &dyn Fn(&str) -> bool) -> (Vec<Ignore>, Vec<Finding>) {
    let (mut ignores, mut findings) = (Vec::new(), Vec::new());
    for place in PLACES {
        let Some(Value::String(text)) = doc.object.pointer(place).and_then(|a| a.get(ANNOTATION))
        else {
            continue;
        };
        let at = format!("{place}/{}", ANNOTATION.replace('~', "~0").replace('/', "~1"));
        for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let (rule, reason) = match entry.split_once(':') {
                Some((rule, reason)) => (rule.trim(), reason.trim()),
                None => (entry, ""),
            };
            let problem = if rule == INVALID {
                Some(format!("{INVALID} cannot be ignored"))
            } else if !known(rule) {
                Some(format!(
                    "ignores `{rule}`, which is not a rule (`gauntlet manifests --rules` lists them)"
                ))
            } else if reason.is_empty() {
                Some(format!("ignores `{rule}` without a reason: write `{rule}: why`"))
            } else {
                None
            };
            match problem {
                Some(problem) => findings.push(Finding::new(doc, &at, INVALID, &problem)),
                None => ignores.push(Ignore {
                    rule: rule.to_owned(),
                    reason: reason.to_owned(),
                    at: at.clone(),
                }),
            }
        }
    }
    (ignores, findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn doc(object: Value) -> Document {
        Document { file: PathBuf::from("x.yaml"), index: 0, line: 1, object: object.into() }
    }

    #[test]
    fn ignores_are_read_from_the_object_and_its_pod_template() {
        let d = doc(serde_json::json!({
            "kind": "Deployment",
            "metadata": {"name": "web", "annotations": {ANNOTATION: "a.rule: load-tested; b.rule : owned by team X"}},
            "spec": {"template": {"metadata": {"annotations": {ANNOTATION: "c.rule: GPU node pool has no zones"}}}}
        }));
        let (ignores, findings) = read(&d, &|_| true);
        assert!(findings.is_empty(), "{findings:?}");
        let rules: Vec<(&str, &str, &str)> =
            ignores.iter().map(|i| (i.rule.as_str(), i.reason.as_str(), i.at.as_str())).collect();
        assert_eq!(
            rules,
            [
                ("a.rule", "load-tested", "/metadata/annotations/gauntlet.dev~1ignore"),
                ("b.rule", "owned by team X", "/metadata/annotations/gauntlet.dev~1ignore"),
                (
                    "c.rule",
                    "GPU node pool has no zones",
                    "/spec/template/metadata/annotations/gauntlet.dev~1ignore"
                ),
            ]
        );
    }

    #[test]
    fn an_ignore_without_a_reason_or_of_an_unknown_rule_is_a_finding() {
        let d = doc(serde_json::json!({
            "kind": "CronJob",
            "metadata": {"name": "nightly", "annotations": {ANNOTATION: "a.rule; no.such: because; b.rule:  ;ignore.invalid: no"}},
            "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"annotations": {ANNOTATION: "a.rule: batch job"}}}}}}
        }));
        let (ignores, findings) = read(&d, &|rule| rule != "no.such");
        assert_eq!(ignores.len(), 1);
        assert_eq!(
            ignores[0].at,
            "/spec/jobTemplate/spec/template/metadata/annotations/gauntlet.dev~1ignore"
        );
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(findings.len(), 4, "{messages:?}");
        assert!(findings.iter().all(|f| f.rule == INVALID));
        assert!(messages[0].contains("`a.rule` without a reason"), "{}", messages[0]);
        assert!(messages[1].contains("`no.such`, which is not a rule"), "{}", messages[1]);
        assert!(messages[2].contains("`b.rule` without a reason"), "{}", messages[2]);
        assert!(messages[3].contains("cannot be ignored"), "{}", messages[3]);
    }
}
