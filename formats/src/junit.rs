//! JUnit XML, the shape CI systems read (Jenkins, GitLab, GitHub's test
//! reporters): `<testsuites>` holding `<testsuite>`s of `<testcase>`s, each
//! passed, failed (`<failure>`) or skipped (`<skipped>`) with a message, and
//! counts and times summed on every level.

use std::fmt::Write as _;

use crate::xml::escape;

/// A whole report: `<testsuites>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Its `name` attribute.
    pub name: String,
    /// The suites, in order.
    pub suites: Vec<Suite>,
}

/// One `<testsuite>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Suite {
    /// Its `name` attribute.
    pub name: String,
    /// Its `<properties>`: name and value, in order (what produced the run).
    pub properties: Vec<(String, String)>,
    /// Its test cases, in order.
    pub cases: Vec<Case>,
}

/// One `<testcase>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Its `classname` attribute: what the case belongs to.
    pub classname: String,
    /// Its `name` attribute.
    pub name: String,
    /// How long it took, in seconds, when that was measured.
    pub seconds: Option<f64>,
    /// How it ended.
    pub result: CaseResult,
}

/// How a test case ended.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseResult {
    /// It passed.
    Passed,
    /// It failed: `message` is one line, `body` (the element's text) the whole story.
    Failed {
        /// The `message` attribute.
        message: String,
        /// The element's text, when there is more to say than the message.
        body: Option<String>,
    },
    /// It did not run, or does not gate: the message says why.
    Skipped {
        /// The `message` attribute.
        message: String,
    },
}

/// Counts of one level, as its attributes carry them.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    tests: usize,
    failures: usize,
    skipped: usize,
    seconds: Option<f64>,
}

impl Counts {
    fn of(cases: &[Case]) -> Self {
        let mut counts = Self { tests: cases.len(), ..Self::default() };
        for case in cases {
            match case.result {
                CaseResult::Passed => {}
                CaseResult::Failed { .. } => counts.failures += 1,
                CaseResult::Skipped { .. } => counts.skipped += 1,
            }
            if let Some(s) = case.seconds {
                counts.seconds = Some(counts.seconds.unwrap_or(0.0) + s);
            }
        }
        counts
    }

    fn add(self, other: Self) -> Self {
        Self {
            tests: self.tests + other.tests,
            failures: self.failures + other.failures,
            skipped: self.skipped + other.skipped,
            seconds: match (self.seconds, other.seconds) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
            },
        }
    }

    /// The attributes of a `<testsuite>`; `<testsuites>` leaves `skipped` out,
    /// as the Jenkins and Surefire schema (`schemas/junit/`) allows it only on
    /// a suite.
    fn attributes(self, skipped: bool) -> String {
        let mut out =
            format!(" tests=\"{}\" failures=\"{}\" errors=\"0\"", self.tests, self.failures);
        if skipped {
            let _ = write!(out, " skipped=\"{}\"", self.skipped);
        }
        if let Some(s) = self.seconds {
            let _ = write!(out, " time=\"{s:.3}\"");
        }
        out
    }
}

impl Report {
    /// The XML document.
    pub fn to_xml(&self) -> String {
        let per_suite: Vec<Counts> = self.suites.iter().map(|s| Counts::of(&s.cases)).collect();
        let total = per_suite.iter().fold(Counts::default(), |a, b| a.add(*b));
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"{}\"{}>",
            escape(&self.name),
            total.attributes(false)
        );
        for (suite, counts) in self.suites.iter().zip(per_suite) {
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\"{}>",
                escape(&suite.name),
                counts.attributes(true)
            );
            if !suite.properties.is_empty() {
                out.push_str("    <properties>\n");
                for (name, value) in &suite.properties {
                    let _ = writeln!(
                        out,
                        "      <property name=\"{}\" value=\"{}\"/>",
                        escape(name),
                        escape(value)
                    );
                }
                out.push_str("    </properties>\n");
            }
            for case in &suite.cases {
                case.write(&mut out);
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}

impl Case {
    fn write(&self, out: &mut String) {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\"",
            escape(&self.classname),
            escape(&self.name)
        );
        if let Some(s) = self.seconds {
            let _ = write!(out, " time=\"{s:.3}\"");
        }
        match &self.result {
            CaseResult::Passed => out.push_str("/>\n"),
            CaseResult::Failed { message, body: Some(body) } => {
                let _ = write!(
                    out,
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    escape(message),
                    escape(body)
                );
            }
            CaseResult::Failed { message, body: None } => {
                let _ = write!(
                    out,
                    ">\n      <failure message=\"{}\"/>\n    </testcase>\n",
                    escape(message)
                );
            }
            CaseResult::Skipped { message } => {
                let _ = write!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                    escape(message)
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(name: &str, seconds: Option<f64>, result: CaseResult) -> Case {
        Case { classname: "probe".into(), name: name.into(), seconds, result }
    }

    #[test]
    fn counts_and_times_are_summed_on_every_level_and_text_is_escaped() {
        let report = Report {
            name: "gauntlet".into(),
            suites: vec![Suite {
                name: "gauntlet process".into(),
                properties: vec![("gauntlet.version".into(), "0.1.0 <dev>".into())],
                cases: vec![
                    case("a", Some(0.5), CaseResult::Passed),
                    case(
                        "b",
                        Some(0.25),
                        CaseResult::Failed {
                            message: "answered 500 <html>".into(),
                            body: Some("answered 500 <html>\nand more".into()),
                        },
                    ),
                    case("c", Some(0.25), CaseResult::Skipped { message: "no \"cluster\"".into() }),
                ],
            }],
        };
        let xml = report.to_xml();
        assert!(
            xml.contains(
                "<testsuites name=\"gauntlet\" tests=\"3\" failures=\"1\" errors=\"0\" time=\"1.000\">"
            ),
            "{xml}"
        );
        assert!(xml.contains("<testcase classname=\"probe\" name=\"a\" time=\"0.500\"/>"), "{xml}");
        assert!(
            xml.contains(
                "<failure message=\"answered 500 &lt;html&gt;\">answered 500 &lt;html&gt;&#10;and more</failure>"
            ),
            "{xml}"
        );
        assert!(xml.contains("<skipped message=\"no &quot;cluster&quot;\"/>"), "{xml}");
        assert!(
            xml.contains("<properties>\n      <property name=\"gauntlet.version\" value=\"0.1.0 &lt;dev&gt;\"/>\n    </properties>"),
            "{xml}"
        );
    }

    #[test]
    fn cases_without_a_time_leave_the_time_out_and_an_empty_report_is_well_formed() {
        let report = Report {
            name: "m".into(),
            suites: vec![Suite {
                name: "s".into(),
                properties: vec![],
                cases: vec![case(
                    "x",
                    None,
                    CaseResult::Failed { message: "bad".into(), body: None },
                )],
            }],
        };
        let xml = report.to_xml();
        assert!(!xml.contains("time="), "{xml}");
        assert!(xml.contains("<failure message=\"bad\"/>"), "{xml}");
        let empty = Report {
            name: "e".into(),
            suites: vec![Suite { name: "s".into(), properties: vec![], cases: vec![] }],
        }
        .to_xml();
        assert!(empty.contains("tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\""), "{empty}");
        assert!(empty.ends_with("  </testsuite>\n</testsuites>\n"), "{empty}");
    }
}
