//! `cargo xtask validate`: every gate in order, each timed, with one summary
//! printed and written as JSON, JUnit and Markdown under `target/validate/`.
//!
//! Steps that cannot run here are reported as not applicable with the reason;
//! they never count as passed. While a step runs, a progress line every
//! [`TICK`] says which step it is and how long it has taken.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use xshell::{Shell, cmd};

use crate::{flags, image, model, tools, util};

/// The steps, in the order they run.
const STEPS: &[(&str, &str)] = &[
    ("fmt", "cargo fmt --check"),
    ("lint", "cargo clippy --all-targets -- -D warnings"),
    ("build", "release binaries"),
    ("model", "all-MiniLM-L6-v2 present and verified"),
    ("service", "the reference service's tests against the real model"),
    (
        "scan",
        "cargo deny (licences, bans, sources), the CycloneDX SBOM, Dockerfile rules, secrets in the tracked files",
    ),
    ("advisories", "cargo deny check advisories, when the RustSec database can be fetched"),
    ("manifests", "gauntlet manifests: both overlays, strict, every vendored Kubernetes version"),
    (
        "image",
        "the service image FROM scratch and a secrets scan of its layers, when Docker is reachable",
    ),
    (
        "conformance",
        "gauntlet run against the process target, held to baselines/reference.json, reports under target/validate/",
    ),
    ("container", "gauntlet run against the container target, when Docker is reachable"),
    ("kube", "gauntlet run against the kube target, when GAUNTLET_KUBE names a cluster"),
];

/// How often the progress line repeats while a step runs.
const TICK: Duration = Duration::from_secs(20);

/// How a step ended; `Passed` may carry a note (a part that could not run).
#[derive(Debug, PartialEq)]
enum Outcome {
    Passed(String),
    Failed(String),
    NotApplicable(String),
    Skipped,
}

impl Outcome {
    fn word(&self) -> &'static str {
        match self {
            Outcome::Passed(_) => "passed",
            Outcome::Failed(_) => "FAILED",
            Outcome::NotApplicable(_) => "not applicable",
            Outcome::Skipped => "skipped",
        }
    }

    fn note(&self) -> &str {
        match self {
            Outcome::Passed(note) | Outcome::Failed(note) | Outcome::NotApplicable(note) => note,
            Outcome::Skipped => "",
        }
    }
}

/// One line of the summary.
struct StepResult {
    name: &'static str,
    what: &'static str,
    outcome: Outcome,
    took: Duration,
}

impl flags::Validate {
    pub fn run(&self, sh: &Shell) -> anyhow::Result<()> {
        for name in self.only.iter().chain(&self.skip) {
            if !STEPS.iter().any(|(step, _)| step == name) {
                let known: Vec<_> = STEPS.iter().map(|(s, _)| *s).collect();
                eprintln!("xtask: unknown step `{name}` (steps: {})", known.join(", "));
                std::process::exit(2);
            }
        }
        let started = Instant::now();
        let mut results = Vec::new();
        let mut failed = false;
        for (n, (name, what)) in STEPS.iter().enumerate() {
            let selected = (self.only.is_empty() || self.only.iter().any(|s| s == name))
                && !self.skip.iter().any(|s| s == name);
            if !selected || (failed && !self.keep_going) {
                results.push(StepResult {
                    name,
                    what,
                    outcome: Outcome::Skipped,
                    took: Duration::ZERO,
                });
                continue;
            }
            let position = format!("step {}/{}: {name}", n + 1, STEPS.len());
            util::say(format_args!("{position} ({what}), {} elapsed", clock(started.elapsed())));
            let t = Instant::now();
            let ticker = Ticker::start(position, started);
            let outcome = match run_step(sh, name) {
                Ok(outcome) => outcome,
                Err(err) => Outcome::Failed(format!("{err:#}")),
            };
            drop(ticker);
            failed |= matches!(outcome, Outcome::Failed(_));
            results.push(StepResult { name, what, outcome, took: t.elapsed() });
        }
        let total = started.elapsed();
        let markdown = markdown(&results, total);
        println!("\n{markdown}");
        write_reports(sh, &results, total, &markdown)?;
        match verdict(&results) {
            Verdict::Passed => Ok(()),
            // The table says what failed or why nothing could run; exit 1
            // without a backtrace of this frame.
            Verdict::Failed => {
                eprintln!("xtask: validate failed (reports in target/validate/)");
                std::process::exit(1);
            }
            Verdict::NothingRan => {
                eprintln!(
                    "xtask: validate verified nothing: no selected step could run here (reports in target/validate/)"
                );
                std::process::exit(1);
            }
        }
    }
}

/// The run as a whole: a run in which no step passed (every selected step not
/// applicable) proved nothing, and is not a pass.
#[derive(Debug, PartialEq)]
enum Verdict {
    Passed,
    Failed,
    NothingRan,
}

impl Verdict {
    fn word(&self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::NothingRan => "verified nothing (no selected step could run)",
        }
    }
}

fn verdict(results: &[StepResult]) -> Verdict {
    if results.iter().any(|r| matches!(r.outcome, Outcome::Failed(_))) {
        Verdict::Failed
    } else if results.iter().any(|r| matches!(r.outcome, Outcome::Passed(_))) {
        Verdict::Passed
    } else {
        Verdict::NothingRan
    }
}

/// Prints `xtask: step n/N: NAME still running, ...` every [`TICK`] until dropped.
struct Ticker {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Ticker {
    fn start(position: String, started: Instant) -> Self {
        let (stop, stopped) = mpsc::channel::<()>();
        let step_started = Instant::now();
        let thread = std::thread::spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                util::say(format_args!(
                    "{position} still running: {} in this step, {} elapsed",
                    clock(step_started.elapsed()),
                    clock(started.elapsed())
                ));
            }
        });
        Self { stop: Some(stop), thread: Some(thread) }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `1m05s` or `42s`.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 { format!("{}m{:02}s", s / 60, s % 60) } else { format!("{s}s") }
}

fn run_step(sh: &Shell, name: &str) -> anyhow::Result<Outcome> {
    match name {
        "fmt" => cmd!(sh, "cargo fmt --all --check").run()?,
        "lint" => cmd!(sh, "cargo clippy --workspace --all-targets -- -D warnings").run()?,
        "build" => cmd!(sh, "cargo build --release --workspace --bins").run()?,
        "model" => {
            model::ensure_model(sh, false)?;
        }
        "service" => cmd!(sh, "cargo test --package gauntlet-service --all-targets").run()?,
        "scan" => scan(sh)?,
        "advisories" => return advisories(sh),
        "manifests" => manifests(sh)?,
        "image" => {
            if let Some(why) = image::docker_unreachable(sh) {
                return Ok(Outcome::NotApplicable(why));
            }
            cmd!(sh, "cargo build --release --quiet --workspace --bins").run()?;
            image::build_release_image(sh)?;
            let reference = format!("gauntlet-service:{}", env!("CARGO_PKG_VERSION"));
            cmd!(sh, "target/release/gauntlet secrets --image {reference}")
                .run()
                .context("secrets in the image's layers")?;
        }
        "conformance" => conformance(sh, "process", "conformance")?,
        "container" => {
            if let Some(why) = image::docker_unreachable(sh) {
                return Ok(Outcome::NotApplicable(why));
            }
            conformance(sh, "container", "conformance-container")?;
        }
        "kube" => {
            let Ok(context) = std::env::var("GAUNTLET_KUBE") else {
                return Ok(Outcome::NotApplicable(
                    "no cluster: set GAUNTLET_KUBE=<context> to deploy to one (or run cargo xtask kind)"
                        .into(),
                ));
            };
            let target = format!("kube={context}");
            conformance(sh, &target, "conformance-kube")?;
        }
        other => return Ok(Outcome::NotApplicable(format!("no runner for step {other}"))),
    }
    Ok(Outcome::Passed(String::new()))
}

/// `gauntlet run --target {target}` with the three reports as `target/validate/{stem}.*`.
fn conformance(sh: &Shell, target: &str, stem: &str) -> anyhow::Result<()> {
    sh.create_dir("target/validate")?;
    cmd!(sh, "cargo build --release --quiet --workspace --bins").run()?;
    let (json, junit, md) = (
        format!("target/validate/{stem}.json"),
        format!("target/validate/{stem}.xml"),
        format!("target/validate/{stem}.md"),
    );
    // The process target is the one the committed baseline was taken on.
    let baseline: Vec<String> = if target == "process" && Path::new(BASELINE).is_file() {
        util::say(format_args!(
            "holding the run to {BASELINE} (cargo xtask baseline refreshes it)"
        ));
        vec!["--baseline".into(), BASELINE.into()]
    } else {
        Vec::new()
    };
    cmd!(
        sh,
        "target/release/gauntlet run --target {target} --json {json} --junit {junit} --markdown {md} {baseline...}"
    )
    .run()?;
    Ok(())
}

/// The committed baseline of the reference service on the process target.
pub const BASELINE: &str = "baselines/reference.json";

impl flags::Baseline {
    /// Runs the reference service on the process target and writes its JSON
    /// report as the baseline, then shows how it compares with the one before.
    pub fn run(&self, sh: &Shell) -> anyhow::Result<()> {
        model::ensure_model(sh, false)?;
        util::say("building the release binaries");
        cmd!(sh, "cargo build --release --quiet --workspace --bins").run()?;
        sh.create_dir("target/validate")?;
        let fresh = "target/validate/baseline.json";
        cmd!(sh, "target/release/gauntlet run --target process --json {fresh}")
            .run()
            .context("the baseline is taken from a green run: fix the failure first")?;
        if Path::new(BASELINE).is_file() {
            util::say(format_args!("the new baseline against {BASELINE}:"));
            // A regression is what a refresh is for: it is shown, not refused.
            let _ = cmd!(sh, "target/release/gauntlet compare {BASELINE} {fresh}").quiet().run();
        }
        sh.create_dir("baselines")?;
        sh.copy_file(fresh, BASELINE)?;
        util::say(format_args!("wrote {BASELINE}: review the figures and commit it"));
        Ok(())
    }
}

/// cargo deny (licences, bans and sources), the CycloneDX SBOM of the service,
/// `gauntlet dockerfile` on the project's Dockerfiles and `gauntlet secrets` on
/// every tracked file.
fn scan(sh: &Shell) -> anyhow::Result<()> {
    sh.create_dir("target/validate")?;
    tools::CARGO_DENY.ensure(sh)?;
    tools::CARGO_CYCLONEDX.ensure(sh)?;
    let path = tools::path_env();
    let _path = sh.push_env("PATH", &path);
    cmd!(sh, "cargo deny --all-features check licenses bans sources")
        .run()
        .context("cargo deny: licences, bans or sources (deny.toml)")?;
    sbom(sh)?;
    cmd!(sh, "cargo build --release --quiet --workspace --bins").run()?;
    cmd!(sh, "target/release/gauntlet dockerfile manifests/Dockerfile manifests/Dockerfile.gpu")
        .run()?;
    let tracked = cmd!(sh, "git ls-files").read()?;
    let files: Vec<&str> =
        tracked.lines().filter(|f| util::project_root().join(f).is_file()).collect();
    cmd!(sh, "target/release/gauntlet secrets --allow .secrets-allow {files...}").quiet().run()?;
    Ok(())
}

/// `cargo deny check advisories` against a freshly fetched RustSec database.
/// Where it cannot be fetched (no network), the step is not applicable and
/// says why; a finding fails it.
fn advisories(sh: &Shell) -> anyhow::Result<Outcome> {
    tools::CARGO_DENY.ensure(sh)?;
    let path = tools::path_env();
    let _path = sh.push_env("PATH", &path);
    let fetched = cmd!(sh, "timeout 120 cargo deny fetch db").quiet().ignore_status().output()?;
    if !fetched.status.success() {
        let stderr = String::from_utf8_lossy(&fetched.stderr);
        let why = stderr
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("cargo deny fetch db failed")
            .to_owned();
        return Ok(Outcome::NotApplicable(format!(
            "the RustSec advisory database could not be fetched ({why})"
        )));
    }
    cmd!(sh, "cargo deny check --disable-fetch advisories")
        .run()
        .context("cargo deny: advisories")?;
    Ok(Outcome::Passed(String::new()))
}

/// The service's CycloneDX 1.5 JSON, as `target/validate/gauntlet-service.cdx.json`.
fn sbom(sh: &Shell) -> anyhow::Result<()> {
    cmd!(
        sh,
        "cargo cyclonedx --manifest-path service/Cargo.toml --format json --spec-version 1.5 --override-filename gauntlet-service.cdx"
    )
    .quiet()
    .run()
    .context("cargo cyclonedx")?;
    let root = util::project_root();
    let written = root.join("service/gauntlet-service.cdx.json");
    let kept = root.join("target/validate/gauntlet-service.cdx.json");
    std::fs::rename(&written, &kept).with_context(|| format!("moving {}", written.display()))?;
    // It writes one for every workspace member, all under the overridden name.
    for other in ["harness", "xtask"] {
        let _ = std::fs::remove_file(root.join(other).join("gauntlet-service.cdx.json"));
    }
    let sbom: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&kept)?).context("the SBOM is not JSON")?;
    let components = sbom["components"].as_array().map_or(0, Vec::len);
    if sbom["bomFormat"] != "CycloneDX" || components == 0 {
        bail!("{} is not a CycloneDX SBOM with components", kept.display());
    }
    util::say(format_args!("SBOM: {} ({components} components)", kept.display()));
    Ok(())
}

/// `gauntlet manifests --strict` on each overlay (apart: cross-object rules
/// relate the objects of one run) for each vendored Kubernetes version, with the
/// JSON, JUnit and SARIF reports of the newest under `target/validate/`.
fn manifests(sh: &Shell) -> anyhow::Result<()> {
    sh.create_dir("target/validate")?;
    cmd!(sh, "cargo build --release --quiet --workspace --bins").run()?;
    for overlay in ["cpu", "gpu"] {
        let dir = format!("manifests/k8s/overlays/{overlay}");
        for version in crate::kube_schemas::VERSIONS {
            let newest = crate::kube_schemas::VERSIONS.last() == Some(version);
            let reports: Vec<String> = if newest {
                ["json", "junit", "sarif"]
                    .iter()
                    .flat_map(|kind| {
                        let ext = if *kind == "junit" { "xml" } else { kind };
                        [format!("--{kind}"), format!("target/validate/manifests-{overlay}.{ext}")]
                    })
                    .collect()
            } else {
                Vec::new()
            };
            cmd!(
                sh,
                "target/release/gauntlet manifests --strict --kubernetes-version {version} {dir} {reports...}"
            )
            .run()?;
        }
    }
    Ok(())
}

/// The summary table as Markdown: printed, written, and shown by CI.
fn markdown(results: &[StepResult], total: Duration) -> String {
    let mut out = String::from(
        "## cargo xtask validate\n\n| step | outcome | duration | note |\n| --- | --- | --- | --- |\n",
    );
    for r in results {
        let note = gauntlet_formats::markdown::cell(r.outcome.note());
        let _ = writeln!(
            out,
            "| {} | {} | {:.1}s | {note} |",
            r.name,
            r.outcome.word(),
            r.took.as_secs_f64()
        );
    }
    let _ = writeln!(out, "\n{} in {:.1}s", verdict(results).word(), total.as_secs_f64());
    out
}

/// `target/validate/validate.{json,xml,md}`.
fn write_reports(
    sh: &Shell,
    results: &[StepResult],
    total: Duration,
    markdown: &str,
) -> anyhow::Result<()> {
    let dir = util::project_root().join("target/validate");
    sh.create_dir(&dir)?;
    let steps: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            serde_json::json!({
                "step": r.name,
                "what": r.what,
                "outcome": match r.outcome {
                    Outcome::Passed(_) => "passed",
                    Outcome::Failed(_) => "failed",
                    Outcome::NotApplicable(_) => "not-applicable",
                    Outcome::Skipped => "skipped",
                },
                "seconds": (r.took.as_secs_f64() * 10.0).round() / 10.0,
                "note": r.outcome.note(),
            })
        })
        .collect();
    let json = serde_json::json!({
        "passed": verdict(results) == Verdict::Passed,
        "seconds": (total.as_secs_f64() * 10.0).round() / 10.0,
        "steps": steps,
    });
    std::fs::write(dir.join("validate.json"), serde_json::to_string_pretty(&json)? + "\n")?;
    std::fs::write(dir.join("validate.xml"), junit(results))?;
    std::fs::write(dir.join("validate.md"), markdown)?;
    Ok(())
}

/// One testsuite, one testcase a step: failed steps carry `<failure>`, steps
/// that did not run `<skipped>` with the reason.
fn junit(results: &[StepResult]) -> String {
    use gauntlet_formats::junit::{Case, CaseResult, Report, Suite};
    let cases = results
        .iter()
        .map(|r| Case {
            classname: "validate".into(),
            name: r.name.to_owned(),
            seconds: Some(r.took.as_secs_f64()),
            result: match &r.outcome {
                Outcome::Passed(_) => CaseResult::Passed,
                Outcome::Failed(why) => CaseResult::Failed { message: why.clone(), body: None },
                Outcome::NotApplicable(why) => {
                    CaseResult::Skipped { message: format!("not applicable: {why}") }
                }
                Outcome::Skipped => {
                    CaseResult::Skipped { message: "not selected, or after a failed step".into() }
                }
            },
        })
        .collect();
    Report {
        name: "cargo xtask validate".into(),
        suites: vec![Suite {
            name: "validate".into(),
            properties: vec![("gauntlet.version".into(), env!("CARGO_PKG_VERSION").into())],
            cases,
        }],
    }
    .to_xml()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results() -> Vec<StepResult> {
        vec![
            StepResult {
                name: "fmt",
                what: "",
                outcome: Outcome::Passed(String::new()),
                took: Duration::from_millis(1200),
            },
            StepResult {
                name: "scan",
                what: "",
                outcome: Outcome::Passed("checked on the cached copy".into()),
                took: Duration::from_secs(3),
            },
            StepResult {
                name: "image",
                what: "",
                outcome: Outcome::Failed("size <over> \"goal\"\nmore".into()),
                took: Duration::from_secs(2),
            },
            StepResult {
                name: "kube",
                what: "",
                outcome: Outcome::NotApplicable("no cluster".into()),
                took: Duration::ZERO,
            },
            StepResult {
                name: "container",
                what: "",
                outcome: Outcome::Skipped,
                took: Duration::ZERO,
            },
        ]
    }

    #[test]
    fn the_markdown_table_has_a_row_a_step_and_the_verdict() {
        let md = markdown(&results(), Duration::from_secs(7));
        assert!(md.contains("| fmt | passed | 1.2s |  |"), "{md}");
        assert!(md.contains("| scan | passed | 3.0s | checked on the cached copy |"), "{md}");
        assert!(md.contains("| image | FAILED | 2.0s | size <over> \"goal\" |"), "{md}");
        assert!(md.contains("| kube | not applicable | 0.0s | no cluster |"), "{md}");
        assert!(md.ends_with("failed in 7.0s\n"), "{md}");
    }

    #[test]
    fn junit_fails_failed_steps_and_skips_the_rest_with_the_reason() {
        let xml = junit(&results());
        assert!(xml.contains("tests=\"5\" failures=\"1\" errors=\"0\" skipped=\"2\""), "{xml}");
        assert!(
            xml.contains("<testcase classname=\"validate\" name=\"fmt\" time=\"1.200\"/>"),
            "{xml}"
        );
        assert!(
            xml.contains("<failure message=\"size &lt;over&gt; &quot;goal&quot;&#10;more\"/>"),
            "{xml}"
        );
        assert!(xml.contains("<skipped message=\"not applicable: no cluster\"/>"), "{xml}");
    }

    #[test]
    fn a_run_in_which_no_step_passed_verified_nothing() {
        let mut all = results();
        assert_eq!(verdict(&all), Verdict::Failed);
        all.retain(|r| !matches!(r.outcome, Outcome::Failed(_)));
        assert_eq!(verdict(&all), Verdict::Passed);
        all.retain(|r| !matches!(r.outcome, Outcome::Passed(_)));
        assert_eq!(verdict(&all), Verdict::NothingRan);
        let md = markdown(&all, Duration::from_secs(1));
        assert!(md.ends_with("verified nothing (no selected step could run) in 1.0s\n"), "{md}");
    }

    #[test]
    fn clock_reads_minutes_and_seconds() {
        assert_eq!(clock(Duration::from_secs(42)), "42s");
        assert_eq!(clock(Duration::from_secs(125)), "2m05s");
    }
}
