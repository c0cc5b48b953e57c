//! `cargo xtask validate`: every gate in order, each timed, with one summary.
//!
//! Steps that cannot run here are reported as not applicable with the reason;
//! they never count as passed.

use std::time::{Duration, Instant};

use anyhow::bail;
use xshell::{Shell, cmd};

use crate::{flags, image, model, util};

/// The steps, in the order they run.
const STEPS: &[(&str, &str)] = &[
    ("fmt", "cargo fmt --check"),
    ("lint", "cargo clippy --all-targets -- -D warnings"),
    ("build", "release binaries"),
    ("model", "all-MiniLM-L6-v2 present and verified"),
    ("service", "the reference service's tests against the real model"),
    ("scan", "Dockerfile rules, and secrets in the tracked files outside .secrets-allow"),
    ("manifests", "gauntlet manifests: both overlays, strict, every vendored Kubernetes version"),
    ("image", "the service image FROM scratch, when Docker is reachable"),
    ("conformance", "gauntlet run against the process target, reports under target/validate/"),
    ("container", "gauntlet run against the container target, when Docker is reachable"),
    ("kube", "gauntlet run against the kube target, when GAUNTLET_KUBE names a cluster"),
];

enum Outcome {
    Passed,
    Failed(String),
    NotApplicable(String),
    Skipped,
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
        let mut results: Vec<(&str, Outcome, Duration)> = Vec::new();
        let mut failed = false;
        for (n, (name, what)) in STEPS.iter().enumerate() {
            let selected = (self.only.is_empty() || self.only.iter().any(|s| s == name))
                && !self.skip.iter().any(|s| s == name);
            if !selected || (failed && !self.keep_going) {
                results.push((name, Outcome::Skipped, Duration::ZERO));
                continue;
            }
            util::say(format_args!(
                "step {}/{}: {name} ({what}), {:.0}s elapsed",
                n + 1,
                STEPS.len(),
                started.elapsed().as_secs_f64()
            ));
            let t = Instant::now();
            let outcome = match run_step(sh, name) {
                Ok(outcome) => outcome,
                Err(err) => Outcome::Failed(format!("{err:#}")),
            };
            failed |= matches!(outcome, Outcome::Failed(_));
            results.push((name, outcome, t.elapsed()));
        }
        print_summary(&results, started.elapsed());
        if failed {
            bail!("validate failed");
        }
        Ok(())
    }
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
        "manifests" => manifests(sh)?,
        "image" => {
            if let Some(why) = image::docker_unreachable(sh) {
                return Ok(Outcome::NotApplicable(why));
            }
            cmd!(sh, "cargo build --release --quiet --workspace --bins").run()?;
            image::build_release_image(sh)?;
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
    Ok(Outcome::Passed)
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
    cmd!(sh, "target/release/gauntlet run --target {target} --json {json} --junit {junit} --markdown {md}")
        .run()?;
    Ok(())
}

/// The scans that need no extra tools: `gauntlet dockerfile` on the project's
/// Dockerfile and `gauntlet secrets` on every tracked file.
fn scan(sh: &Shell) -> anyhow::Result<()> {
    cmd!(sh, "cargo build --release --quiet --workspace --bins").run()?;
    cmd!(sh, "target/release/gauntlet dockerfile manifests/Dockerfile").run()?;
    let tracked = cmd!(sh, "git ls-files").read()?;
    let files: Vec<&str> =
        tracked.lines().filter(|f| util::project_root().join(f).is_file()).collect();
    cmd!(sh, "target/release/gauntlet secrets --allow .secrets-allow {files...}").quiet().run()?;
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
        for version in ["1.33", "1.37"] {
            let reports: Vec<String> = if version == "1.37" {
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

fn print_summary(results: &[(&str, Outcome, Duration)], total: Duration) {
    println!("\n| step | outcome | duration | note |");
    println!("| --- | --- | --- | --- |");
    for (name, outcome, took) in results {
        let (word, note) = match outcome {
            Outcome::Passed => ("passed", String::new()),
            Outcome::Failed(why) => ("FAILED", why.lines().next().unwrap_or_default().to_owned()),
            Outcome::NotApplicable(why) => ("not applicable", why.clone()),
            Outcome::Skipped => ("skipped", String::new()),
        };
        println!("| {name} | {word} | {:.1}s | {note} |", took.as_secs_f64());
    }
    println!("\ntotal {:.1}s", total.as_secs_f64());
}
