//! Reports of one run: JSON for machines, JUnit XML for CI gates, Markdown for a
//! CI step summary. Not-applicable checks are skipped with their reason, and so
//! are failed SHOULD checks (marked as such): neither fails a gate.

use std::fmt::Write as _;

use gauntlet_formats::junit;
use gauntlet_formats::markdown::cell;

use crate::check::{Level, OutcomeKind};
use crate::runner::{Record, Records};

/// A report writer: target name and verdicts in, file contents out.
pub type Render = fn(&str, &Records) -> String;

/// The verdicts, sorted by id.
fn sorted(records: &Records) -> Vec<Record> {
    let mut all = records.lock().expect("records lock").clone();
    all.sort_by_key(|r| r.id);
    all
}

/// How a verdict counts at a gate.
fn gate(r: &Record) -> Gate {
    match (r.outcome, r.level) {
        (OutcomeKind::Pass, _) => Gate::Passed,
        (OutcomeKind::Fail, Level::Must) => Gate::Failed,
        (OutcomeKind::Fail, Level::Should) => Gate::Warned,
        (OutcomeKind::NotApplicable, _) => Gate::NotApplicable,
    }
}

#[derive(PartialEq)]
enum Gate {
    Passed,
    Failed,
    Warned,
    NotApplicable,
}

/// The JSON report, pretty-printed.
pub fn json(target: &str, records: &Records) -> String {
    format!("{:#}\n", json_value(target, records))
}

/// The JSON report: the target, the counts and every verdict.
pub fn json_value(target: &str, records: &Records) -> serde_json::Value {
    let all = sorted(records);
    let count = |g: Gate| all.iter().filter(|r| gate(r) == g).count();
    let verified = count(Gate::Passed) + count(Gate::Failed) + count(Gate::Warned);
    serde_json::json!({
        "target": target,
        // A run in which nothing passed or failed verified nothing: no data, not a pass.
        "verified_nothing": verified == 0,
        "summary": {
            "passed": count(Gate::Passed),
            "failed": count(Gate::Failed),
            "should_failed": count(Gate::Warned),
            "not_applicable": count(Gate::NotApplicable),
        },
        "checks": all,
    })
}

/// JUnit XML: one testcase per check, classed by family.
pub fn junit(target: &str, records: &Records) -> String {
    let cases = sorted(records)
        .iter()
        .map(|r| junit::Case {
            classname: r.family.name().to_owned(),
            name: r.id.to_owned(),
            seconds: Some(r.seconds),
            result: match gate(r) {
                Gate::Passed => junit::CaseResult::Passed,
                Gate::Failed => junit::CaseResult::Failed {
                    message: first_line(&r.detail).to_owned(),
                    body: Some(r.detail.clone()),
                },
                Gate::Warned => junit::CaseResult::Skipped {
                    message: format!("SHOULD failed: {}", first_line(&r.detail)),
                },
                Gate::NotApplicable => {
                    junit::CaseResult::Skipped { message: first_line(&r.detail).to_owned() }
                }
            },
        })
        .collect();
    junit::Report {
        name: "gauntlet".into(),
        suites: vec![junit::Suite { name: format!("gauntlet {target}"), cases }],
    }
    .to_xml()
}

/// Markdown: a counts line and one table row per check.
pub fn markdown(target: &str, records: &Records) -> String {
    let all = sorted(records);
    let count = |g: Gate| all.iter().filter(|r| gate(r) == g).count();
    let mut out = format!(
        "## gauntlet: {}\n\n{} passed, {} failed, {} SHOULD failed, {} not applicable\n\n",
        cell(target),
        count(Gate::Passed),
        count(Gate::Failed),
        count(Gate::Warned),
        count(Gate::NotApplicable)
    );
    if count(Gate::Passed) + count(Gate::Failed) + count(Gate::Warned) == 0 {
        out.push_str("**No data: this run verified nothing.** No check passed or failed.\n\n");
    }
    out.push_str("| check | level | outcome | detail |\n| --- | --- | --- | --- |\n");
    for r in &all {
        let outcome = match gate(r) {
            Gate::Passed => "✅ pass",
            Gate::Failed => "❌ FAIL",
            Gate::Warned => "⚠️ SHOULD failed",
            Gate::NotApplicable => "➖ not applicable",
        };
        let level = r.level.name();
        let _ = writeln!(out, "| `{}` | {level} | {outcome} | {} |", r.id, cell(&r.detail));
    }
    out
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::check::Family;

    fn records() -> Records {
        let r = |id, level, outcome, detail: &str| Record {
            id,
            family: Family::Probe,
            level,
            outcome,
            detail: detail.to_owned(),
            seconds: 0.5,
        };
        Arc::new(Mutex::new(vec![
            r("probe.b", Level::Must, OutcomeKind::Fail, "answered 500 <html> & \"quotes\""),
            r("probe.a", Level::Must, OutcomeKind::Pass, "ok"),
            r("probe.c", Level::Must, OutcomeKind::NotApplicable, "not applicable: no cluster"),
            r("probe.d", Level::Should, OutcomeKind::Fail, "slow | very"),
        ]))
    }

    #[test]
    fn junit_counts_and_escapes() {
        let xml = junit("process", &records());
        assert!(xml.contains("tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"2\""), "{xml}");
        assert!(
            xml.contains(
                "<failure message=\"answered 500 &lt;html&gt; &amp; &quot;quotes&quot;\">"
            ),
            "{xml}"
        );
        assert!(xml.contains("<skipped message=\"not applicable: no cluster\"/>"), "{xml}");
        assert!(xml.contains("<skipped message=\"SHOULD failed: slow | very\"/>"), "{xml}");
        assert!(xml.find("probe.a").unwrap() < xml.find("probe.b").unwrap(), "sorted by id");
    }

    #[test]
    fn markdown_has_a_row_per_check_and_counts() {
        let md = markdown("process", &records());
        assert!(md.contains("1 passed, 1 failed, 1 SHOULD failed, 1 not applicable"), "{md}");
        assert!(md.contains("| `probe.d` | SHOULD | ⚠️ SHOULD failed | slow \\| very |"), "{md}");
        assert_eq!(md.lines().filter(|l| l.starts_with("| `")).count(), 4);
    }

    #[test]
    fn a_run_that_verified_nothing_says_no_data() {
        let empty: Records = Arc::new(Mutex::new(Vec::new()));
        assert!(markdown("process", &empty).contains("No data: this run verified nothing"));
        assert_eq!(json_value("process", &empty)["verified_nothing"], true);
        assert_eq!(json_value("process", &records())["verified_nothing"], false);
        assert!(!markdown("process", &records()).contains("No data"));
    }

    #[test]
    fn json_summary_counts_each_outcome() {
        let v = json_value("process", &records());
        assert_eq!(v["summary"]["failed"], 1);
        assert_eq!(v["summary"]["not_applicable"], 1);
        assert_eq!(v["checks"][0]["id"], "probe.a");
    }
}
