//! Reports of one run: JSON for machines, JUnit XML for CI gates, Markdown for a
//! CI step summary. Not-applicable checks are skipped with their reason, and so
//! are failed SHOULD checks (marked as such): neither fails a gate. Every report
//! says which gauntlet, profile, target and Kubernetes version produced it, and
//! carries the run's measured figures and, with a baseline, the comparison.

use std::fmt::Write as _;

use gauntlet_formats::junit;
use gauntlet_formats::markdown::cell;

use crate::check::{Level, OutcomeKind};
use crate::compare::{Comparison, FigureVerdict};
use crate::figures::{Figure, Series};
use crate::profile::Baselines;
use crate::runner::{Record, Records};

/// What produced a run, as every report's header says it.
#[derive(Debug, Clone, PartialEq)]
pub struct About {
    /// The profile's name.
    pub profile: String,
    /// The target's name.
    pub target: String,
    /// The cluster's version for a target in one; `None` for any other.
    pub kubernetes_version: Option<String>,
    /// The profile's tolerances, which a later comparison reads.
    pub baselines: Baselines,
}

impl About {
    /// This gauntlet's version.
    pub const VERSION: &str = env!("CARGO_PKG_VERSION");

    /// `Kubernetes 1.31` or why there is none.
    fn kubernetes(&self) -> String {
        match &self.kubernetes_version {
            Some(v) => format!("Kubernetes {v}"),
            None => "Kubernetes: none (the target is not in a cluster)".to_owned(),
        }
    }
}

/// A finished run, as the writers read it.
#[derive(Clone, Copy)]
pub struct Run<'a> {
    /// What produced it.
    pub about: &'a About,
    /// Its verdicts and measurements.
    pub records: &'a Records,
    /// The comparison with `--baseline`, and whether missing figures are allowed.
    pub comparison: Option<(&'a Comparison, bool)>,
}

/// A report writer: a run in, file contents out.
pub type Render = fn(&Run<'_>) -> String;

/// The verdicts, sorted by id.
fn sorted(records: &Records) -> Vec<Record> {
    let mut all = records.lock().expect("records lock").clone();
    all.sort_by_key(|r| r.id);
    all
}

/// Every figure and series the run measured, in check order.
pub fn measured(records: &Records) -> (Vec<Figure>, Vec<Series>) {
    let all = sorted(records);
    let figures = all.iter().flat_map(|r| r.measured.figures.clone()).collect();
    let series = all.iter().flat_map(|r| r.measured.series.clone()).collect();
    (figures, series)
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
pub fn json(run: &Run<'_>) -> String {
    format!("{:#}\n", json_value(run))
}

/// The JSON report: what produced it, the counts, every figure and series,
/// every verdict, and the comparison when there is one.
pub fn json_value(run: &Run<'_>) -> serde_json::Value {
    let all = sorted(run.records);
    let count = |g: Gate| all.iter().filter(|r| gate(r) == g).count();
    let verified = count(Gate::Passed) + count(Gate::Failed) + count(Gate::Warned);
    let (figures, series) = measured(run.records);
    let mut report = serde_json::json!({
        "gauntlet_version": About::VERSION,
        "profile": run.about.profile,
        "target": run.about.target,
        "kubernetes_version": run.about.kubernetes_version,
        // A run in which nothing passed or failed verified nothing: no data, not a pass.
        "verified_nothing": verified == 0,
        "summary": {
            "passed": count(Gate::Passed),
            "failed": count(Gate::Failed),
            "should_failed": count(Gate::Warned),
            "not_applicable": count(Gate::NotApplicable),
        },
        "figures": figures,
        "series": series,
        "baselines": run.about.baselines,
        "checks": all,
    });
    if let Some((comparison, allow_missing)) = run.comparison {
        report["comparison"] = serde_json::to_value(comparison).expect("plain data");
        report["comparison"]["fails"] = comparison.fails(allow_missing).into();
    }
    report
}

/// JUnit XML: one testcase per check, classed by family, under a suite whose
/// properties say what produced it; with a baseline, a second suite holds one
/// testcase per figure, failing where it regressed or has no data.
pub fn junit(run: &Run<'_>) -> String {
    let cases = sorted(run.records)
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
    let about = run.about;
    let properties = vec![
        ("gauntlet.version".to_owned(), About::VERSION.to_owned()),
        ("gauntlet.profile".to_owned(), about.profile.clone()),
        ("gauntlet.target".to_owned(), about.target.clone()),
        (
            "kubernetes.version".to_owned(),
            about.kubernetes_version.clone().unwrap_or_else(|| "none".to_owned()),
        ),
    ];
    let mut suites =
        vec![junit::Suite { name: format!("gauntlet {}", about.target), properties, cases }];
    if let Some((comparison, allow_missing)) = run.comparison {
        suites.push(junit::Suite {
            name: format!("gauntlet {} against the baseline", about.target),
            properties: vec![("baseline".to_owned(), comparison.baseline.clone())],
            cases: baseline_cases(comparison, allow_missing),
        });
    }
    junit::Report { name: "gauntlet".into(), suites }.to_xml()
}

/// One testcase per figure of a comparison.
fn baseline_cases(comparison: &Comparison, allow_missing: bool) -> Vec<junit::Case> {
    comparison
        .figures
        .iter()
        .map(|f| {
            let text = f.sentence();
            let result = match f.verdict {
                FigureVerdict::Regressed => {
                    junit::CaseResult::Failed { message: text.clone(), body: None }
                }
                FigureVerdict::NoData if f.tolerance.is_some() && !allow_missing => {
                    junit::CaseResult::Failed { message: text, body: None }
                }
                FigureVerdict::NoData | FigureVerdict::New | FigureVerdict::Ungated => {
                    junit::CaseResult::Skipped { message: text }
                }
                FigureVerdict::Within | FigureVerdict::Same | FigureVerdict::Improved => {
                    junit::CaseResult::Passed
                }
            };
            junit::Case {
                classname: "baseline".to_owned(),
                name: f.name.clone(),
                seconds: None,
                result,
            }
        })
        .collect()
}

/// Markdown: what produced it, a counts line, one table row per check, the
/// figures, and the comparison when there is one.
pub fn markdown(run: &Run<'_>) -> String {
    let all = sorted(run.records);
    let about = run.about;
    let count = |g: Gate| all.iter().filter(|r| gate(r) == g).count();
    let mut out = format!(
        "## gauntlet: {}\n\ngauntlet {}, profile `{}`, {}\n\n{} passed, {} failed, {} SHOULD failed, {} not applicable\n\n",
        cell(&about.target),
        About::VERSION,
        cell(&about.profile),
        about.kubernetes(),
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
    let (figures, _) = measured(run.records);
    if !figures.is_empty() {
        out.push_str("\n### Measured\n\n| figure | value | check |\n| --- | --- | --- |\n");
        for f in &figures {
            let _ = writeln!(out, "| `{}` | {} | `{}` |", f.name, f.shown(), f.check);
        }
    }
    if let Some((comparison, allow_missing)) = run.comparison {
        out.push('\n');
        out.push_str(&comparison.markdown(allow_missing));
    }
    out
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
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
            measured: Default::default(),
        };
        Arc::new(Mutex::new(vec![
            r("probe.b", Level::Must, OutcomeKind::Fail, "answered 500 <html> & \"quotes\""),
            r("probe.a", Level::Must, OutcomeKind::Pass, "ok"),
            r("probe.c", Level::Must, OutcomeKind::NotApplicable, "not applicable: no cluster"),
            r("probe.d", Level::Should, OutcomeKind::Fail, "slow | very"),
        ]))
    }

    /// The About of the reference profile on the process target.
    pub(crate) fn about() -> About {
        About {
            profile: "reference".into(),
            target: "process".into(),
            kubernetes_version: None,
            baselines: Baselines::reference(),
        }
    }

    fn run(records: &Records) -> Run<'_> {
        // One About for every test run: the reports borrow it.
        static ABOUT: std::sync::OnceLock<About> = std::sync::OnceLock::new();
        Run { about: ABOUT.get_or_init(about), records, comparison: None }
    }

    #[test]
    fn junit_counts_and_escapes() {
        let xml = junit(&run(&records()));
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
        let md = markdown(&run(&records()));
        assert!(md.contains("1 passed, 1 failed, 1 SHOULD failed, 1 not applicable"), "{md}");
        assert!(md.contains("| `probe.d` | SHOULD | ⚠️ SHOULD failed | slow \\| very |"), "{md}");
        assert_eq!(md.lines().filter(|l| l.starts_with("| `")).count(), 4);
    }

    #[test]
    fn a_run_that_verified_nothing_says_no_data() {
        let empty: Records = Arc::new(Mutex::new(Vec::new()));
        assert!(markdown(&run(&empty)).contains("No data: this run verified nothing"));
        assert_eq!(json_value(&run(&empty))["verified_nothing"], true);
        assert_eq!(json_value(&run(&records()))["verified_nothing"], false);
        assert!(!markdown(&run(&records())).contains("No data"));
    }

    #[test]
    fn json_summary_counts_each_outcome() {
        let v = json_value(&run(&records()));
        assert_eq!(v["summary"]["failed"], 1);
        assert_eq!(v["summary"]["not_applicable"], 1);
        assert_eq!(v["checks"][0]["id"], "probe.a");
    }

    #[test]
    fn every_report_says_what_produced_it() {
        let records = records();
        let md = markdown(&run(&records));
        assert!(
            md.contains(&format!(
                "gauntlet {}, profile `reference`, Kubernetes: none",
                About::VERSION
            )),
            "{md}"
        );
        let xml = junit(&run(&records));
        assert!(xml.contains("<property name=\"gauntlet.profile\" value=\"reference\"/>"), "{xml}");
        assert!(xml.contains("<property name=\"kubernetes.version\" value=\"none\"/>"), "{xml}");
        let v = json_value(&run(&records));
        assert_eq!(
            (v["gauntlet_version"].as_str(), v["profile"].as_str()),
            (Some(About::VERSION), Some("reference"))
        );
        assert_eq!(v["target"], "process");
        assert!(v["kubernetes_version"].is_null());
        let mut in_cluster = about();
        in_cluster.kubernetes_version = Some("1.31".into());
        let r = Run { about: &in_cluster, records: &records, comparison: None };
        assert!(markdown(&r).contains("Kubernetes 1.31"));
        assert_eq!(json_value(&r)["kubernetes_version"], "1.31");
    }

    #[test]
    fn figures_are_data_with_units_and_a_comparison_reaches_every_report() {
        use crate::figures::Figure;
        let records = records();
        let mut with_figure = Figure::named("load.latency.p99", 0.3);
        with_figure.check = "load.burst".into();
        records.lock().unwrap()[0].measured.figures.push(with_figure);
        let v = json_value(&run(&records));
        assert_eq!(v["figures"][0]["name"], "load.latency.p99");
        assert_eq!(v["figures"][0]["unit"], "seconds");
        assert_eq!(v["figures"][0]["better"], "lower");
        assert_eq!(v["figures"][0]["check"], "load.burst");
        assert_eq!(v["baselines"]["tolerances"]["load.latency.p99"], "150%");
        assert!(
            markdown(&run(&records)).contains("| `load.latency.p99` | 300.0 ms | `load.burst` |")
        );
        // Against a baseline where p99 was 100 ms: +200 %, beyond 150 %.
        let old =
            crate::compare::Side::parse(&json(&run(&records)).replace("0.3", "0.1"), "old.json")
                .unwrap();
        let new = crate::compare::Side::parse(&json(&run(&records)), "new.json").unwrap();
        let comparison = crate::compare::compare(&old, &new, &Baselines::reference());
        let about = about();
        let r = Run { about: &about, records: &records, comparison: Some((&comparison, false)) };
        assert_eq!(json_value(&r)["comparison"]["regressed"], 1);
        assert_eq!(json_value(&r)["comparison"]["fails"], true);
        assert!(markdown(&r).contains("| REGRESSED |"), "{}", markdown(&r));
        let xml = junit(&r);
        assert!(xml.contains("against the baseline\" tests=\"1\" failures=\"1\""), "{xml}");
        assert!(xml.contains("<failure message=\"100.0 ms → 300.0 ms (+200.0 %): worse beyond the tolerance of 150 %\"/>"), "{xml}");
    }
}
