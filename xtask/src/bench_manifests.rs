//! `cargo xtask bench manifests`: offline manifest validation measured side by
//! side with `kubernetes-validate` (PyPI) on a generated corpus, with every
//! schema verdict compared.
//!
//! The corpus is deterministic: `FILES` files of `PER_FILE` objects of nine
//! kinds, one object in ten carrying one schema fault (an unknown field, a
//! wrong type or, where the kind has one, a missing required field).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::Value;
use xshell::{Shell, cmd};

use crate::util;

const DIR: &str = "target/bench/manifests";
const FILES: usize = 300;
const PER_FILE: usize = 5;
const RUNS: usize = 5;
const PEER: &str = "kubernetes-validate==1.37.0";

/// Runs the benchmark and prints the table.
pub fn run(sh: &Shell, no_peer: bool) -> anyhow::Result<()> {
    let objects = write_corpus(sh)?;
    util::say(format_args!("corpus: {FILES} files, {objects} objects in {DIR}"));
    util::say("building the release gauntlet binary");
    cmd!(sh, "cargo build --release --quiet -p gauntlet-harness --bin gauntlet").run()?;
    let gauntlet = util::project_root().join("target/release/gauntlet");

    let time_ours = |extra: &[&str]| -> anyhow::Result<f64> {
        let mut walls = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let status = std::process::Command::new(&gauntlet)
                .args(["manifests", "--strict", "--quiet"])
                .args(extra)
                .arg(DIR)
                .current_dir(util::project_root())
                .stdout(std::process::Stdio::null())
                .status()?;
            walls.push(t.elapsed().as_secs_f64());
            if status.code() != Some(1) {
                bail!(
                    "gauntlet manifests exited {status}; the corpus holds faults, so 1 was expected"
                );
            }
        }
        Ok(median(walls))
    };
    util::say("timing gauntlet manifests (schema + policy, then schema only)");
    let ours_full = time_ours(&[])?;
    let ours_schema = time_ours(&["--schema-only"])?;
    let report = util::project_root().join("target/bench/manifests.json");
    let report_arg = report.display().to_string();
    let _ =
        cmd!(sh, "{gauntlet} manifests --strict --quiet --schema-only --json {report_arg} {DIR}")
            .quiet()
            .ignore_status()
            .output()?;
    let ours = our_verdicts(&std::fs::read_to_string(&report)?)?;

    let mut table = String::new();
    let _ = writeln!(
        table,
        "\nmanifest validation, {objects} objects in {FILES} files ({DIR}), Kubernetes 1.37, strict"
    );
    let _ = writeln!(table, "(median wall time of {RUNS} runs, process start included)\n");
    let _ = writeln!(table, "| tool | wall | resources/s | vs kubernetes-validate |");
    let _ = writeln!(table, "| --- | --- | --- | --- |");
    let peer = if no_peer {
        None
    } else {
        util::say(format_args!("timing the peer, {PEER} (pip install {PEER})"));
        Some(time_peer(sh)?)
    };
    let rate = |wall: f64| objects as f64 / wall;
    for (name, wall) in
        [("gauntlet, schema + policy", ours_full), ("gauntlet, schema only", ours_schema)]
    {
        let ratio = peer.as_ref().map_or("-".to_owned(), |(w, _)| format!("{:.1}x", w / wall));
        let _ = writeln!(table, "| {name} | {:.3} s | {:.0} | {ratio} |", wall, rate(wall));
    }
    if let Some((wall, verdicts)) = &peer {
        let _ = writeln!(
            table,
            "| kubernetes-validate 1.37.0 | {wall:.3} s | {:.0} | 1.0x |",
            rate(*wall)
        );
        let mut disagree = Vec::new();
        for (key, peer_fails) in verdicts {
            let ours_fails = ours.get(key).copied().unwrap_or(false);
            if ours_fails != *peer_fails {
                disagree.push(format!(
                    "{} {}/{}: gauntlet {}, kubernetes-validate {}",
                    key.0,
                    key.1,
                    key.2,
                    verdict(ours_fails),
                    verdict(*peer_fails)
                ));
            }
        }
        let failing = verdicts.values().filter(|f| **f).count();
        let _ = writeln!(
            table,
            "\nschema verdicts: {} objects judged by both, {failing} invalid; {} agree, {} disagree",
            verdicts.len(),
            verdicts.len() - disagree.len(),
            disagree.len()
        );
        if verdicts.len() != objects {
            let _ = writeln!(table, "(kubernetes-validate judged {} of {objects})", verdicts.len());
        }
        for line in &disagree {
            let _ = writeln!(table, "- {line}");
        }
    }
    real_files(sh, &gauntlet, no_peer, &mut table)?;
    println!("{table}");
    Ok(())
}

/// The real manifests of `fixtures/manifests/real` (custom resources, removed
/// APIs and invalid objects among them), all of them and the largest alone,
/// schema only, not strict, beside the peer.
fn real_files(
    sh: &Shell,
    gauntlet: &std::path::Path,
    no_peer: bool,
    table: &mut String,
) -> anyhow::Result<()> {
    const REAL: &str = "fixtures/manifests/real";
    let all = files_of(REAL)?;
    let largest = all
        .iter()
        .max_by_key(|f| std::fs::metadata(util::project_root().join(f)).map_or(0, |m| m.len()))
        .context("no real manifests")?
        .clone();
    for (title, files) in
        [("every real file", all.clone()), ("the largest real file", vec![largest.clone()])]
    {
        let bytes: u64 = files
            .iter()
            .map(|f| std::fs::metadata(util::project_root().join(f)).map_or(0, |m| m.len()))
            .sum();
        let report = util::project_root().join("target/bench/manifests-real.json");
        let mut walls = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            std::process::Command::new(gauntlet)
                .args(["manifests", "--quiet", "--schema-only", "--json"])
                .arg(&report)
                .args(&files)
                .current_dir(util::project_root())
                .stdout(std::process::Stdio::null())
                .status()?;
            walls.push(t.elapsed().as_secs_f64());
        }
        let ours = median(walls);
        let report: Value = serde_json::from_str(&std::fs::read_to_string(&report)?)?;
        let objects = report["objects"].as_u64().context("the report counts objects")? as f64;
        let _ = writeln!(
            table,
            "
{title}: {} file(s), {:.1} MB, {objects} objects ({REAL}{}), Kubernetes 1.37, schema only\n",
            files.len(),
            bytes as f64 / 1e6,
            if files.len() == 1 {
                format!("/{}", largest.rsplit('/').next().unwrap_or_default())
            } else {
                String::new()
            },
        );
        let _ = writeln!(table, "| tool | wall | resources/s | vs kubernetes-validate |");
        let _ = writeln!(table, "| --- | --- | --- | --- |");
        let peer = if no_peer { None } else { Some(time_peer_on(sh, &files, false)?.0) };
        let ratio = peer.map_or("-".to_owned(), |w| format!("{:.1}x", w / ours));
        let _ = writeln!(table, "| gauntlet | {ours:.3} s | {:.0} | {ratio} |", objects / ours);
        if let Some(wall) = peer {
            let _ = writeln!(
                table,
                "| kubernetes-validate 1.37.0 | {wall:.3} s | {:.0} | 1.0x |",
                objects / wall
            );
        }
    }
    Ok(())
}

fn verdict(fails: bool) -> &'static str {
    if fails { "invalid" } else { "valid" }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (file, lowercase kind, name) → whether the object failed its schema.
type Verdicts = BTreeMap<(String, String, String), bool>;

fn our_verdicts(report: &str) -> anyhow::Result<Verdicts> {
    let report: Value = serde_json::from_str(report).context("the gauntlet JSON report")?;
    let mut out = Verdicts::new();
    let findings = report["findings"].as_array().context("no findings in the report")?;
    for f in findings.iter().filter(|f| f["level"] == "error") {
        let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
        out.insert((s("file"), s("kind").to_lowercase(), s("name")), true);
    }
    Ok(out)
}

/// The peer: `target/venvs/kubernetes-validate` (as `fixtures/manifests/real/record.py`
/// sets it up), else `kubernetes-validate` on PATH.
fn peer(sh: &Shell) -> anyhow::Result<String> {
    let venv =
        util::project_root().join("target/venvs/kubernetes-validate/bin/kubernetes-validate");
    let program =
        if venv.is_file() { venv.display().to_string() } else { "kubernetes-validate".into() };
    if cmd!(sh, "{program} --version").quiet().ignore_stdout().run().is_err() {
        bail!("kubernetes-validate is not installed: pip install {PEER}, or pass --no-peer");
    }
    Ok(program)
}

/// The YAML files of `dir`, in name order.
fn files_of(dir: &str) -> anyhow::Result<Vec<String>> {
    let mut files: Vec<String> = std::fs::read_dir(util::project_root().join(dir))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml") && name != "differences.yaml")
        .map(|name| format!("{dir}/{name}"))
        .collect();
    files.sort();
    Ok(files)
}

fn time_peer(sh: &Shell) -> anyhow::Result<(f64, Verdicts)> {
    time_peer_on(sh, &files_of(DIR)?, true)
}

fn time_peer_on(sh: &Shell, files: &[String], strict: bool) -> anyhow::Result<(f64, Verdicts)> {
    let program = peer(sh)?;
    let strict: &[&str] = if strict { &["--strict"] } else { &[] };
    let mut walls = Vec::new();
    let mut text = String::new();
    for _ in 0..3 {
        let t = Instant::now();
        let out = cmd!(sh, "{program} {strict...} -k 1.37.0 {files...}")
            .quiet()
            .ignore_status()
            .output()?;
        walls.push(t.elapsed().as_secs_f64());
        text = String::from_utf8_lossy(&out.stdout).into_owned();
    }
    let mut verdicts = Verdicts::new();
    for line in text.lines() {
        // `INFO F passed for resource kind/name against ...` or
        // `ERROR F did not validate for resource kind/name against ...`.
        let mut words = line.split_whitespace();
        let (Some(level), Some(file)) = (words.next(), words.next()) else { continue };
        let Some(resource) = line.split(" for resource ").nth(1).and_then(|r| r.split(' ').next())
        else {
            continue;
        };
        let Some((kind, name)) = resource.split_once('/') else { continue };
        let fails = level == "ERROR";
        let entry =
            verdicts.entry((file.to_owned(), kind.to_owned(), name.to_owned())).or_insert(false);
        *entry |= fails;
    }
    Ok((median(walls), verdicts))
}

/// Writes the corpus; returns how many objects it holds.
fn write_corpus(sh: &Shell) -> anyhow::Result<usize> {
    let dir = util::project_root().join(DIR);
    if dir.exists() {
        sh.remove_path(&dir)?;
    }
    sh.create_dir(&dir)?;
    let mut n = 0;
    for file in 0..FILES {
        let mut text = String::new();
        for slot in 0..PER_FILE {
            let fault = (n % 10 == 7).then_some((n / 10) % 3);
            let kind = (file + slot * 2) % KINDS;
            let name = format!("app-{file}-{slot}");
            if slot > 0 {
                text.push_str("---\n");
            }
            text.push_str(&object(kind, &name, file, fault));
            n += 1;
        }
        std::fs::write(dir.join(format!("m{file:04}.yaml")), text)?;
    }
    Ok(n)
}

const KINDS: usize = 9;

/// One object of kind `kind` (0..KINDS); `fault` 0 adds an unknown field, 1
/// puts a string where a number belongs, 2 drops a required field.
fn object(kind: usize, name: &str, seed: usize, fault: Option<usize>) -> String {
    let replicas = 2 + seed % 4;
    let port = 8000 + seed % 1000;
    let extra = if fault == Some(0) { "  replica: 3\n" } else { "" };
    let number = |n: usize| if fault == Some(1) { format!("\"n{n}\"") } else { n.to_string() };
    let container = |fault: Option<usize>| {
        let name_line =
            if fault == Some(2) { String::new() } else { format!("name: {name}\n          ") };
        format!(
            "      containers:
        - {name_line}image: registry.example/{name}:1.{seed}.0
          ports: [{{name: http, containerPort: {}}}]
          readinessProbe: {{httpGet: {{path: /ready, port: http}}, periodSeconds: 5}}
          livenessProbe: {{httpGet: {{path: /live, port: http}}, periodSeconds: 10}}
          resources: {{requests: {{cpu: 100m, memory: 128Mi}}, limits: {{cpu: \"1\", memory: 256Mi}}}}
          securityContext: {{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {{drop: [ALL]}}}}
",
            number(port)
        )
    };
    let pod_spec = |fault| {
        format!(
            "    metadata: {{labels: {{app: {name}}}}}
    spec:
      securityContext: {{runAsNonRoot: true, runAsUser: 65532}}
{}",
            container(fault)
        )
    };
    match kind {
        0 => format!(
            "apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, labels: {{app: {name}}}}}
spec:
{extra}  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
{}",
            pod_spec(fault)
        ),
        1 => format!(
            "apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: {name}}}
spec:
{extra}  serviceName: {name}
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
{}",
            pod_spec(fault)
        ),
        2 => {
            let selector = if fault == Some(2) { "" } else { "  selector: {app: web}\n" };
            format!(
                "apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec:
{extra}{selector}  ports: [{{name: http, port: {}, targetPort: http}}]
",
                number(80)
            )
        }
        3 => {
            let data = if fault == Some(1) { "  LOG_LEVEL: 3\n" } else { "  LOG_LEVEL: info\n" };
            let extra = if fault == Some(0) { "datum: {x: y}\n" } else { "" };
            let data = if fault == Some(2) { "  LOG_LEVEL: [info]\n" } else { data };
            format!(
                "apiVersion: v1
kind: ConfigMap
metadata: {{name: {name}}}
{extra}data:
{data}  PORT: \"{port}\"
"
            )
        }
        4 => {
            let target = if fault == Some(2) {
                String::new()
            } else {
                format!(
                    "  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {name}}}\n"
                )
            };
            format!(
                "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: {name}}}
spec:
{extra}{target}  minReplicas: 2
  maxReplicas: {}
",
                number(6 + seed % 5)
            )
        }
        5 => format!(
            "apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: {name}}}
spec:
{extra}  minAvailable: {}
  selector: {{matchLabels: {{app: {name}}}}}
",
            if fault == Some(1) { "[1]".to_owned() } else { "1".to_owned() }
        ),
        6 => {
            let types =
                if fault == Some(1) { "policyTypes: Ingress" } else { "policyTypes: [Ingress]" };
            let selector =
                if fault == Some(2) { "" } else { "  podSelector: {matchLabels: {app: web}}\n" };
            format!(
                "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: {name}}}
spec:
{extra}{selector}  {types}
  ingress: [{{ports: [{{port: http, protocol: TCP}}]}}]
"
            )
        }
        7 => format!(
            "apiVersion: batch/v1
kind: Job
metadata: {{name: {name}}}
spec:
{extra}  backoffLimit: 2
  template:
{}      restartPolicy: Never
",
            pod_spec(fault)
        ),
        _ => {
            let extra =
                if fault == Some(0) { "secrets: [{name: a}]\nautomount: false\n" } else { "" };
            let automount = if fault == Some(1) { "\"no\"" } else { "false" };
            let extra = if fault == Some(2) { "imagePullSecrets: [pull-secret]\n" } else { extra };
            format!(
                "apiVersion: v1
kind: ServiceAccount
metadata: {{name: {name}}}
{extra}automountServiceAccountToken: {automount}
"
            )
        }
    }
}
