//! One run held against another: every measured figure old and new with the
//! change in percent and its verdict under the tolerances, and every check whose
//! outcome changed. `gauntlet compare OLD NEW` prints it; `gauntlet run
//! --baseline OLD` writes it into every report.
//!
//! A figure the baseline has and the new run lacks is "no data", never a pass;
//! a MUST check that newly fails, or a figure beyond its tolerance, fails the
//! comparison.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use gauntlet_formats::markdown::cell;
use serde::{Deserialize, Serialize};

use crate::figures::{Better, Figure, Tolerance, Unit, show};
use crate::profile::Baselines;

/// A report as a comparison reads it: the JSON report of `gauntlet run` (or of
/// `gauntlet manifests`), only the parts compared.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Side {
    /// The gauntlet version that wrote it.
    #[serde(default)]
    pub gauntlet_version: Option<String>,
    /// The profile it ran under.
    #[serde(default)]
    pub profile: Option<String>,
    /// The target it ran against.
    #[serde(default)]
    pub target: Option<String>,
    /// Its figures.
    #[serde(default)]
    pub figures: Vec<Figure>,
    /// Its verdicts.
    #[serde(default)]
    pub checks: Vec<CheckLine>,
    /// The tolerances of the profile it ran under.
    #[serde(default)]
    pub baselines: Option<Baselines>,
}

/// One verdict of a report.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckLine {
    /// The check's id.
    pub id: String,
    /// `MUST` or `SHOULD`.
    pub level: String,
    /// `pass`, `fail` or `not-applicable`.
    pub outcome: String,
}

/// Why a report could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is not JSON, or not a report.
    #[error("{path}: not a gauntlet JSON report: {why}")]
    NotAReport {
        /// The file.
        path: String,
        /// What is wrong, naming the field.
        why: String,
    },
}

impl Side {
    /// Reads a JSON report; `path` names it in errors.
    pub fn parse(text: &str, path: &str) -> Result<Self, Error> {
        let not = |why: String| Error::NotAReport { path: path.to_owned(), why };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| not(format!("not JSON: {e}")))?;
        if value.get("figures").is_none() && value.get("checks").is_none() {
            return Err(not(
                "it has neither `figures` nor `checks` (write one with `gauntlet run --json FILE`)"
                    .into(),
            ));
        }
        serde_json::from_value(value).map_err(|e| not(e.to_string()))
    }
}

/// What happened to one figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FigureVerdict {
    /// It worsened beyond its tolerance.
    Regressed,
    /// It worsened, within its tolerance.
    Within,
    /// It did not change.
    Same,
    /// It got better.
    Improved,
    /// It changed and has no tolerance: shown, not gated.
    Ungated,
    /// The baseline has it and the new run does not: nothing says it held.
    NoData,
    /// The new run has it and the baseline does not.
    New,
}

impl FigureVerdict {
    /// The word a table shows.
    pub fn word(self) -> &'static str {
        match self {
            Self::Regressed => "REGRESSED",
            Self::Within => "within tolerance",
            Self::Same => "same",
            Self::Improved => "improved",
            Self::Ungated => "changed (no tolerance)",
            Self::NoData => "no data",
            Self::New => "new",
        }
    }
}

/// One figure, old and new.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureDelta {
    /// Its stable name.
    pub name: String,
    /// Its unit.
    pub unit: Unit,
    /// Which way it improves.
    pub better: Better,
    /// The baseline's value.
    pub old: Option<f64>,
    /// The new run's value.
    pub new: Option<f64>,
    /// `(new - old) / old` in percent; `None` when either is missing or old is 0.
    pub change_percent: Option<f64>,
    /// Its tolerance, if it has one.
    pub tolerance: Option<Tolerance>,
    /// What happened.
    pub verdict: FigureVerdict,
}

impl FigureDelta {
    /// One line: old and new, the change, and why the verdict is what it is.
    pub fn sentence(&self) -> String {
        let shown = |v: f64| show(v, self.unit);
        let change = self.change_percent.map(|p| format!(" ({p:+.1} %)")).unwrap_or_default();
        match (self.old, self.new) {
            (Some(old), None) => format!("{} in the baseline, no data in this run", shown(old)),
            (None, Some(new)) => format!("{}, not in the baseline", shown(new)),
            (Some(old), Some(new)) => {
                let why = match (self.verdict, self.tolerance) {
                    (FigureVerdict::Regressed, Some(t)) => {
                        format!("worse beyond the tolerance of {}", t.shown(self.unit))
                    }
                    (FigureVerdict::Within, Some(t)) => {
                        format!("worse within the tolerance of {}", t.shown(self.unit))
                    }
                    (verdict, _) => verdict.word().to_owned(),
                };
                format!("{} → {}{change}: {why}", shown(old), shown(new))
            }
            (None, None) => "no data on either side".to_owned(),
        }
    }
}

/// One check whose outcome changed, appeared or went away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckDelta {
    /// The check's id.
    pub id: String,
    /// `MUST` or `SHOULD`.
    pub level: String,
    /// The baseline's outcome; `None` when the check is new.
    pub old: Option<String>,
    /// The new outcome; `None` when the check is gone.
    pub new: Option<String>,
}

impl CheckDelta {
    /// `pass→fail`, `fail→pass`, `pass→not-applicable`, `new→fail`, `pass→removed`.
    pub fn change(&self) -> String {
        format!(
            "{}→{}",
            self.old.as_deref().unwrap_or("new"),
            self.new.as_deref().unwrap_or("removed")
        )
    }

    /// A MUST check that fails now and did not before.
    pub fn newly_fails_must(&self) -> bool {
        self.level == "MUST"
            && self.new.as_deref() == Some("fail")
            && self.old.as_deref() != Some("fail")
    }
}

/// A whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// What the baseline was: its profile, target and version.
    pub baseline: String,
    /// Every figure either side has, in name order.
    pub figures: Vec<FigureDelta>,
    /// Every check whose outcome differs, in id order.
    pub checks: Vec<CheckDelta>,
    /// Figures beyond their tolerance.
    pub regressed: usize,
    /// MUST checks that newly fail.
    pub newly_failing: usize,
    /// Gated figures the baseline has and the new run lacks.
    pub no_data: usize,
}

/// Holds `new` against `old` under `tolerances`.
pub fn compare(old: &Side, new: &Side, tolerances: &Baselines) -> Comparison {
    let olds: BTreeMap<&str, &Figure> = old.figures.iter().map(|f| (f.name.as_str(), f)).collect();
    let news: BTreeMap<&str, &Figure> = new.figures.iter().map(|f| (f.name.as_str(), f)).collect();
    let names: BTreeSet<&str> = olds.keys().chain(news.keys()).copied().collect();
    let figures: Vec<FigureDelta> = names
        .into_iter()
        .map(|name| {
            let (o, n) = (olds.get(name), news.get(name));
            let shape = n.or(o).expect("a name from either side");
            let tolerance = tolerances.tolerances.get(name).copied();
            let (old, new) = (o.map(|f| f.value), n.map(|f| f.value));
            let verdict = match (old, new) {
                (Some(_), None) => FigureVerdict::NoData,
                (None, _) => FigureVerdict::New,
                (Some(old), Some(new)) if old == new => FigureVerdict::Same,
                (Some(old), Some(new)) => {
                    let better = match shape.better {
                        Better::Lower => new < old,
                        Better::Higher => new > old,
                    };
                    match tolerance {
                        _ if better => FigureVerdict::Improved,
                        None => FigureVerdict::Ungated,
                        Some(t) if t.exceeded(old, new, shape.better) => FigureVerdict::Regressed,
                        Some(_) => FigureVerdict::Within,
                    }
                }
            };
            let change_percent = match (old, new) {
                (Some(old), Some(new)) if old != 0.0 => Some((new - old) / old.abs() * 100.0),
                _ => None,
            };
            FigureDelta {
                name: name.to_owned(),
                unit: shape.unit,
                better: shape.better,
                old,
                new,
                change_percent,
                tolerance,
                verdict,
            }
        })
        .collect();
    let old_checks: BTreeMap<&str, &CheckLine> =
        old.checks.iter().map(|c| (c.id.as_str(), c)).collect();
    let new_checks: BTreeMap<&str, &CheckLine> =
        new.checks.iter().map(|c| (c.id.as_str(), c)).collect();
    let ids: BTreeSet<&str> = old_checks.keys().chain(new_checks.keys()).copied().collect();
    let checks: Vec<CheckDelta> = ids
        .into_iter()
        .filter_map(|id| {
            let (o, n) = (old_checks.get(id), new_checks.get(id));
            if let (Some(o), Some(n)) = (o, n)
                && o.outcome == n.outcome
            {
                return None;
            }
            Some(CheckDelta {
                id: id.to_owned(),
                level: n.or(o).map(|c| c.level.clone()).unwrap_or_default(),
                old: o.map(|c| c.outcome.clone()),
                new: n.map(|c| c.outcome.clone()),
            })
        })
        .collect();
    let count = |v: FigureVerdict| figures.iter().filter(|f| f.verdict == v).count();
    Comparison {
        baseline: describe(old),
        regressed: count(FigureVerdict::Regressed),
        newly_failing: checks.iter().filter(|c| c.newly_fails_must()).count(),
        no_data: figures
            .iter()
            .filter(|f| f.verdict == FigureVerdict::NoData && f.tolerance.is_some())
            .count(),
        figures,
        checks,
    }
}

/// `profile reference, target process, gauntlet 0.1.0`, as far as the report says.
fn describe(side: &Side) -> String {
    let parts: Vec<String> = [
        ("profile", &side.profile),
        ("target", &side.target),
        ("gauntlet", &side.gauntlet_version),
    ]
    .iter()
    .filter_map(|(what, value)| value.as_ref().map(|v| format!("{what} {v}")))
    .collect();
    if parts.is_empty() {
        "a report that does not say what produced it".into()
    } else {
        parts.join(", ")
    }
}

impl Comparison {
    /// Whether the comparison fails a gate: a figure beyond its tolerance, a
    /// MUST check newly failing, or (unless `allow_missing`) a gated figure the
    /// new run did not measure.
    pub fn fails(&self, allow_missing: bool) -> bool {
        self.regressed > 0 || self.newly_failing > 0 || (self.no_data > 0 && !allow_missing)
    }

    /// One line: what failed it, or that it held.
    pub fn verdict_line(&self, allow_missing: bool) -> String {
        let mut problems = Vec::new();
        if self.regressed > 0 {
            problems.push(format!("{} figure(s) regressed beyond tolerance", self.regressed));
        }
        if self.newly_failing > 0 {
            problems.push(format!("{} MUST check(s) newly fail", self.newly_failing));
        }
        if self.no_data > 0 {
            problems.push(format!(
                "{} gated figure(s) have no data in the new run{}",
                self.no_data,
                if allow_missing { " (allowed by --allow-missing)" } else { "" }
            ));
        }
        if problems.is_empty() {
            "no regression against the baseline".to_owned()
        } else if self.fails(allow_missing) {
            format!("regression against the baseline: {}", problems.join("; "))
        } else {
            problems.join("; ")
        }
    }

    /// The comparison as Markdown tables: figures, then changed checks.
    pub fn markdown(&self, allow_missing: bool) -> String {
        let mut out = format!(
            "### Against the baseline ({})\n\n**{}**\n\n",
            cell(&self.baseline),
            self.verdict_line(allow_missing)
        );
        out.push_str("| figure | old | new | change | tolerance | verdict |\n");
        out.push_str("| --- | --- | --- | --- | --- | --- |\n");
        if self.figures.is_empty() {
            out.push_str("| (no figures on either side) | | | | | no data |\n");
        }
        for f in &self.figures {
            let value =
                |v: Option<f64>| v.map_or_else(|| "no data".to_owned(), |v| show(v, f.unit));
            let change = f.change_percent.map_or_else(
                || match (f.old, f.new) {
                    (Some(o), Some(n)) if o == 0.0 && n != 0.0 => "from 0".to_owned(),
                    (Some(_), Some(_)) => "0 %".to_owned(),
                    _ => "–".to_owned(),
                },
                |p| format!("{p:+.1} %"),
            );
            let tolerance = f.tolerance.map_or_else(|| "none".to_owned(), |t| t.shown(f.unit));
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {change} | {tolerance} | {} |",
                f.name,
                value(f.old),
                value(f.new),
                f.verdict.word()
            );
        }
        if self.checks.is_empty() {
            out.push_str("\nNo check changed its outcome.\n");
        } else {
            out.push_str("\n| check | level | change |\n| --- | --- | --- |\n");
            for c in &self.checks {
                let mark = if c.newly_fails_must() { " ❌" } else { "" };
                let _ = writeln!(out, "| `{}` | {} | {}{mark} |", c.id, c.level, c.change());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(figures: &[(&str, f64)], checks: &[(&str, &str, &str)]) -> Side {
        Side {
            profile: Some("reference".into()),
            target: Some("process".into()),
            figures: figures.iter().map(|(n, v)| Figure::named(n, *v)).collect(),
            checks: checks
                .iter()
                .map(|(id, level, outcome)| CheckLine {
                    id: (*id).into(),
                    level: (*level).into(),
                    outcome: (*outcome).into(),
                })
                .collect(),
            ..Side::default()
        }
    }

    fn delta<'a>(c: &'a Comparison, name: &str) -> &'a FigureDelta {
        c.figures.iter().find(|f| f.name == name).unwrap()
    }

    #[test]
    fn regressions_improvements_and_changes_within_tolerance() {
        let old = side(
            &[
                ("load.latency.p99", 0.100),
                ("load.throughput", 40.0),
                ("image.size", 80e6),
                ("ready.seconds", 1.0),
            ],
            &[],
        );
        let new = side(
            &[
                ("load.latency.p99", 0.300),
                ("load.throughput", 60.0),
                ("image.size", 84e6),
                ("ready.seconds", 1.0),
            ],
            &[],
        );
        let c = compare(&old, &new, &Baselines::reference());
        let p99 = delta(&c, "load.latency.p99");
        assert_eq!(p99.verdict, FigureVerdict::Regressed, "+200 % over a 150 % tolerance");
        assert_eq!(p99.change_percent.map(|p| p.round()), Some(200.0));
        assert_eq!(delta(&c, "load.throughput").verdict, FigureVerdict::Improved);
        assert_eq!(delta(&c, "image.size").verdict, FigureVerdict::Within, "+5 % of 10 %");
        assert_eq!(delta(&c, "ready.seconds").verdict, FigureVerdict::Same);
        assert_eq!(c.regressed, 1);
        assert!(c.fails(false));
        let md = c.markdown(false);
        assert!(
            md.contains(
                "| `load.latency.p99` | 100.0 ms | 300.0 ms | +200.0 % | 150 % | REGRESSED |"
            ),
            "{md}"
        );
        assert!(md.contains("regression against the baseline: 1 figure(s) regressed"), "{md}");
        assert_eq!(
            p99.sentence(),
            "100.0 ms → 300.0 ms (+200.0 %): worse beyond the tolerance of 150 %"
        );
        assert_eq!(
            delta(&c, "image.size").sentence(),
            "80.0 MB → 84.0 MB (+5.0 %): worse within the tolerance of 10 %"
        );
        // The same pair with a wider tolerance holds.
        let wide = Baselines {
            tolerances: [("load.latency.p99".to_owned(), Tolerance::Percent(250.0))].into(),
        }
        .over(&Baselines::reference());
        assert!(!compare(&old, &new, &wide).fails(false));
    }

    #[test]
    fn a_figure_missing_from_the_new_run_is_no_data_never_a_pass() {
        let old = side(&[("load.latency.p50", 0.01), ("load.error_rate", 0.0)], &[]);
        let new = side(&[("load.error_rate", 0.0)], &[]);
        let c = compare(&old, &new, &Baselines::reference());
        let p50 = delta(&c, "load.latency.p50");
        assert_eq!((p50.verdict, p50.new), (FigureVerdict::NoData, None));
        assert_eq!(c.no_data, 1);
        assert!(c.fails(false), "nothing says p50 held");
        assert!(!c.fails(true), "--allow-missing accepts it");
        let md = c.markdown(false);
        assert!(
            md.contains("| `load.latency.p50` | 10.0 ms | no data | – | 100 % | no data |"),
            "{md}"
        );
        assert!(md.contains("1 gated figure(s) have no data"), "{md}");
        assert_eq!(p50.sentence(), "10.0 ms in the baseline, no data in this run");
        // An ungated figure missing is still no data, shown, but does not gate.
        let none = Baselines::default();
        let c = compare(&old, &new, &none);
        assert_eq!(delta(&c, "load.latency.p50").verdict, FigureVerdict::NoData);
        assert!(!c.fails(false));
    }

    #[test]
    fn new_figures_and_worsening_from_zero() {
        let old = side(&[("load.error_rate", 0.0)], &[]);
        let new = side(&[("load.error_rate", 0.05), ("runtime.memory.under_load", 3e8)], &[]);
        let c = compare(&old, &new, &Baselines::reference());
        assert_eq!(
            delta(&c, "load.error_rate").verdict,
            FigureVerdict::Regressed,
            "0.05 over 0.01"
        );
        assert_eq!(delta(&c, "runtime.memory.under_load").verdict, FigureVerdict::New);
        assert!(c.markdown(false).contains("| 0.00 % | 5.00 % | from 0 | 1.00 % | REGRESSED |"));
    }

    #[test]
    fn changed_new_and_removed_checks_are_listed_and_a_must_newly_failing_fails() {
        let old = side(
            &[],
            &[
                ("probe.a", "MUST", "pass"),
                ("probe.b", "MUST", "fail"),
                ("probe.c", "SHOULD", "pass"),
                ("probe.d", "MUST", "pass"),
                ("probe.e", "MUST", "pass"),
                ("probe.same", "MUST", "pass"),
            ],
        );
        let new = side(
            &[],
            &[
                ("probe.a", "MUST", "fail"),
                ("probe.b", "MUST", "pass"),
                ("probe.c", "SHOULD", "fail"),
                ("probe.d", "MUST", "not-applicable"),
                ("probe.f", "MUST", "fail"),
                ("probe.same", "MUST", "pass"),
            ],
        );
        let c = compare(&old, &new, &Baselines::default());
        let changes: Vec<(String, String)> =
            c.checks.iter().map(|d| (d.id.clone(), d.change())).collect();
        let want = [
            ("probe.a", "pass→fail"),
            ("probe.b", "fail→pass"),
            ("probe.c", "pass→fail"),
            ("probe.d", "pass→not-applicable"),
            ("probe.e", "pass→removed"),
            ("probe.f", "new→fail"),
        ];
        assert_eq!(changes, want.map(|(a, b)| (a.to_owned(), b.to_owned())));
        assert_eq!(c.newly_failing, 2, "probe.a and the new probe.f; probe.c is SHOULD");
        assert!(c.fails(false));
        assert!(c.markdown(false).contains("| `probe.a` | MUST | pass→fail ❌ |"));
        let same = compare(&old, &old, &Baselines::reference());
        assert!(!same.fails(false) && same.checks.is_empty());
        assert!(same.markdown(false).contains("No check changed its outcome."));
    }

    #[test]
    fn a_file_that_is_not_a_report_is_refused_by_name() {
        let e = Side::parse("{\"kind\": \"Deployment\"}", "old.json").unwrap_err().to_string();
        assert!(
            e.starts_with("old.json: not a gauntlet JSON report: it has neither `figures`"),
            "{e}"
        );
        assert!(Side::parse("nope", "x.json").unwrap_err().to_string().contains("not JSON"));
        let e = Side::parse("{\"figures\": [{\"name\": 1}]}", "x.json").unwrap_err().to_string();
        assert!(e.contains("x.json"), "{e}");
    }
}
