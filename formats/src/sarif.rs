//! SARIF 2.1.0, the format code-scanning services read: one run of one tool,
//! its rules, and a result per finding located by file and, within it, by a
//! logical name.

use serde_json::{Value, json};

/// The tool that found the results.
#[derive(Debug, Clone, Copy)]
pub struct Tool<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its version.
    pub version: &'a str,
    /// Where to read about it.
    pub information_uri: &'a str,
}

/// A rule results refer to by id.
#[derive(Debug, Clone, Copy)]
pub struct Rule<'a> {
    /// Its id.
    pub id: &'a str,
    /// One line saying what it holds.
    pub description: &'a str,
}

/// How severe a result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// It fails the gate.
    Error,
    /// It is reported but does not gate.
    Warning,
    /// It records something not checked (a skipped object).
    Note,
}

/// One result.
#[derive(Debug, Clone)]
pub struct Finding<'a> {
    /// The rule it breaks.
    pub rule_id: &'a str,
    /// How severe it is.
    pub level: Level,
    /// What is wrong.
    pub message: &'a str,
    /// The file, as a URI relative to the checkout.
    pub uri: String,
    /// Where in the file, by name (`Deployment/web/spec/replicas`), when known.
    pub logical_name: Option<String>,
    /// The line and column (from 1), when known.
    pub region: Option<(usize, usize)>,
    /// Why it is suppressed in the source (an ignore with its reason), if it is.
    pub suppressed: Option<&'a str>,
    /// More about it, as the result's `properties`.
    pub properties: Value,
}

/// The SARIF log, pretty-printed: `rules` listed once each, `results` in order,
/// `properties` on the run.
pub fn log(
    tool: Tool<'_>,
    rules: &[Rule<'_>],
    results: &[Finding<'_>],
    properties: Value,
) -> String {
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| json!({"id": r.id, "shortDescription": {"text": r.description}}))
        .collect();
    let results: Vec<Value> = results
        .iter()
        .map(|f| {
            let mut location = json!({"physicalLocation": {"artifactLocation": {"uri": f.uri}}});
            if let Some(name) = &f.logical_name {
                location["logicalLocations"] =
                    json!([{"fullyQualifiedName": name, "kind": "object"}]);
            }
            if let Some((line, column)) = f.region {
                location["physicalLocation"]["region"] =
                    json!({"startLine": line, "startColumn": column});
            }
            let level = match f.level {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Note => "note",
            };
            let mut result = json!({
                "ruleId": f.rule_id,
                "level": level,
                "message": {"text": f.message},
                "locations": [location],
                "properties": f.properties,
            });
            if f.level == Level::Note {
                result["kind"] = json!("notApplicable");
            }
            if let Some(reason) = f.suppressed {
                result["suppressions"] = json!([{"kind": "inSource", "justification": reason}]);
            }
            result
        })
        .collect();
    let report = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": tool.name,
                "informationUri": tool.information_uri,
                "version": tool.version,
                "rules": rules,
            }},
            "properties": properties,
            "results": results,
        }],
    });
    format!("{report:#}\n")
}

/// A path as a relative URI: relative to `base` when it lies below it, with
/// spaces percent-encoded.
pub fn uri(path: &std::path::Path, base: Option<&std::path::Path>) -> String {
    let relative = base.and_then(|b| path.strip_prefix(b).ok()).unwrap_or(path);
    relative.display().to_string().replace(' ', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_has_one_run_with_the_tool_rules_and_located_results() {
        let tool =
            Tool { name: "gauntlet", version: "0.1.0", information_uri: "https://example.org" };
        let rules = [Rule { id: "a.rule", description: "holds" }];
        let results = [Finding {
            rule_id: "a.rule",
            level: Level::Error,
            message: "broke",
            uri: "k8s/web.yaml".into(),
            logical_name: Some("Deployment/web/spec".into()),
            region: Some((3, 5)),
            suppressed: None,
            properties: json!({"document": 0}),
        }];
        let log: Value =
            serde_json::from_str(&log(tool, &rules, &results, json!({"k": 1}))).unwrap();
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "a.rule");
        assert_eq!(run["results"][0]["level"], "error");
        assert_eq!(
            run["results"][0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "Deployment/web/spec"
        );
        assert_eq!(run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"], 3);
        assert!(run["results"][0].get("suppressions").is_none());
        assert_eq!(run["properties"]["k"], 1);
    }

    #[test]
    fn a_suppressed_result_carries_its_justification_and_a_note_is_not_applicable() {
        let tool =
            Tool { name: "gauntlet", version: "0.1.0", information_uri: "https://example.org" };
        let base = Finding {
            rule_id: "a.rule",
            level: Level::Error,
            message: "broke",
            uri: "k8s/web.yaml".into(),
            logical_name: None,
            region: None,
            suppressed: Some("accepted: see ADR 7"),
            properties: json!({}),
        };
        let note = Finding { level: Level::Note, suppressed: None, ..base.clone() };
        let log: Value = serde_json::from_str(&log(tool, &[], &[base, note], json!({}))).unwrap();
        let results = &log["runs"][0]["results"];
        assert_eq!(results[0]["suppressions"][0]["kind"], "inSource");
        assert_eq!(results[0]["suppressions"][0]["justification"], "accepted: see ADR 7");
        assert_eq!(
            (results[1]["level"].as_str(), results[1]["kind"].as_str()),
            (Some("note"), Some("notApplicable"))
        );
    }

    #[test]
    fn uris_are_relative_to_the_base_and_encode_spaces() {
        let base = std::path::Path::new("/repo");
        assert_eq!(
            uri(std::path::Path::new("/repo/k8s/my app.yaml"), Some(base)),
            "k8s/my%20app.yaml"
        );
        assert_eq!(uri(std::path::Path::new("/elsewhere/x.yaml"), Some(base)), "/elsewhere/x.yaml");
    }
}
