//! `cargo xtask peers`: gauntlet's profiles held against real servers nobody
//! here wrote. Each peer is installed at pinned versions into a venv of its own
//! (`target/peers/NAME/venv`, from `fixtures/peers/NAME/requirements.txt`),
//! started offline on a loopback port with the project's model folder, and run
//! under its profile; the reports land in `target/peers/NAME/`, and
//! `target/peers/summary.md` holds the README's table.
//!
//! The failures are real deviations gauntlet found, not tuned away. The
//! outcome of every check is held to `fixtures/peers/expected.json`: a change
//! (a fixed deviation, a new false positive) fails the run until it is reviewed
//! and the file updated (`--accept`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::Value;
use xshell::{Shell, cmd};

use crate::{flags, model, util};

/// The expected outcomes, by peer and check id.
const EXPECTED: &str = "fixtures/peers/expected.json";

/// A real server and how to hold it to a profile.
struct Peer {
    /// Its folder under `fixtures/peers/` and `target/peers/`.
    name: &'static str,
    /// What it is, for the table.
    what: &'static str,
    /// The version pinned in its requirements, for the table.
    version: &'static str,
    /// The built-in profile it is held to.
    profile: &'static str,
    /// `--set` for its routes, model name and tensors.
    sets: &'static [&'static str],
    /// Its readiness path, polled until 200.
    readiness: &'static str,
}

const PEERS: &[Peer] = &[
    Peer {
        name: "infinity",
        what: "infinity-emb (OpenAI-compatible embeddings)",
        version: "0.0.78",
        profile: "openai-compatible",
        // INFINITY_URL_PREFIX=/v1 moves its OpenAPI document under the prefix too.
        sets: &["model=all-MiniLM-L6-v2", "routes.openapi=/v1/openapi.json"],
        readiness: "/health",
    },
    Peer {
        name: "mlserver",
        what: "MLServer + mlserver-huggingface (Open Inference Protocol)",
        version: "1.7.1",
        profile: "open-inference-v2",
        sets: &[
            "model=all-MiniLM-L6-v2",
            // The advertised input `args` embeds only the first string of a batch.
            "v2.input=array_inputs",
            // The metadata advertises `outputs` FP64; the answer's tensor is `output`.
            "v2.output=output",
            "v2.output_format=token-embeddings-json",
        ],
        readiness: "/v2/health/ready",
    },
];

impl flags::Peers {
    pub fn run(&self, sh: &Shell) -> anyhow::Result<()> {
        let model_dir = model::ensure_model(sh, false)?;
        util::say("building gauntlet");
        cmd!(sh, "cargo build --release --quiet -p gauntlet-harness --bin gauntlet").run()?;
        let root = util::project_root();
        let gauntlet = root.join("target/release/gauntlet");
        let chosen: Vec<&Peer> = PEERS
            .iter()
            .filter(|p| self.only.is_empty() || self.only.iter().any(|o| o == p.name))
            .collect();
        ensure!(!chosen.is_empty(), "--only {:?} names no peer (infinity, mlserver)", self.only);
        let mut rows = Vec::new();
        let mut outcomes = BTreeMap::new();
        for peer in chosen {
            let dir = root.join("target/peers").join(peer.name);
            std::fs::create_dir_all(&dir)?;
            install(sh, peer, &dir)?;
            let started = Instant::now();
            let mut server = start(peer, &dir, &model_dir)?;
            let result =
                server.wait_ready(peer.readiness, Duration::from_secs(300)).and_then(|ready_in| {
                    util::say(format_args!("{} ready in {ready_in:.1?}", peer.name));
                    hold(&gauntlet, peer, &dir, &server.base)
                });
            server.stop();
            let (report, wall) = result.with_context(|| {
                format!("{}: see {}", peer.name, dir.join("server.log").display())
            })?;
            util::say(format_args!(
                "{}: {} in {wall:.1?} (the server's start included: {:.1?})",
                peer.name,
                counts(&report),
                started.elapsed()
            ));
            rows.push(row(peer, &report, wall));
            outcomes.insert(peer.name.to_owned(), by_id(&report));
        }
        let table = table(&rows);
        std::fs::write(root.join("target/peers/summary.md"), &table)?;
        println!("{table}");
        compare(&root.join(EXPECTED), &outcomes, self.accept)
    }
}

/// Installs the pinned requirements into the peer's venv, unless the venv
/// already holds exactly them.
fn install(sh: &Shell, peer: &Peer, dir: &Path) -> anyhow::Result<()> {
    let requirements =
        util::project_root().join("fixtures/peers").join(peer.name).join("requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)
        .with_context(|| format!("reading {}", requirements.display()))?;
    let stamp = dir.join("installed-requirements.txt");
    let venv = dir.join("venv");
    if std::fs::read_to_string(&stamp).is_ok_and(|had| had == wanted)
        && venv.join("bin/python").is_file()
    {
        util::say(format_args!("{} {} is installed", peer.name, peer.version));
        return Ok(());
    }
    util::say(format_args!(
        "installing {} {} into {} (minutes)",
        peer.name,
        peer.version,
        venv.display()
    ));
    cmd!(sh, "python3 -m venv {venv}").run()?;
    let pip = venv.join("bin/pip");
    cmd!(sh, "{pip} install --quiet --disable-pip-version-check -r {requirements}")
        .run()
        .with_context(|| format!("installing {}: is PyPI reachable?", peer.name))?;
    std::fs::write(stamp, wanted)?;
    Ok(())
}

/// A started peer.
struct Server {
    child: Child,
    base: String,
}

/// A loopback port nothing listens on now.
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `peer` offline on a free loopback port, its output in `server.log`.
fn start(peer: &Peer, dir: &Path, model_dir: &Path) -> anyhow::Result<Server> {
    let port = free_port()?;
    let venv = dir.join("venv/bin");
    let mut command = match peer.name {
        "infinity" => {
            let mut c = Command::new(venv.join("infinity_emb"));
            c.args(["v2", "--model-id"])
                .arg(model_dir)
                .args(["--served-model-name", "all-MiniLM-L6-v2", "--engine", "torch"])
                .args(["--device", "cpu", "--host", "127.0.0.1", "--port", &port.to_string()])
                .env("INFINITY_URL_PREFIX", "/v1")
                .env("INFINITY_ANONYMOUS_USAGE_STATS", "0")
                .env("DO_NOT_TRACK", "1");
            c
        }
        "mlserver" => {
            let serve = dir.join("serve");
            let model = serve.join("all-MiniLM-L6-v2");
            std::fs::create_dir_all(&model)?;
            let settings = serde_json::json!({
                "debug": false,
                "host": "127.0.0.1",
                "http_port": port,
                "grpc_port": free_port()?,
                "metrics_port": free_port()?,
                "parallel_workers": 0,
            });
            std::fs::write(serve.join("settings.json"), format!("{settings:#}\n"))?;
            let model_settings = serde_json::json!({
                "name": "all-MiniLM-L6-v2",
                "implementation": "mlserver_huggingface.HuggingFaceRuntime",
                "parameters": {"extra": {"task": "feature-extraction", "pretrained_model": model_dir}},
            });
            std::fs::write(model.join("model-settings.json"), format!("{model_settings:#}\n"))?;
            let mut c = Command::new(venv.join("mlserver"));
            c.arg("start").arg(&serve);
            c
        }
        other => bail!("no way to start {other}"),
    };
    let log = std::fs::File::create(dir.join("server.log"))?;
    let child = command
        .current_dir(dir)
        .env("HF_HUB_OFFLINE", "1")
        .env("TRANSFORMERS_OFFLINE", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| {
            format!("starting {}: is it installed in {}?", peer.name, venv.display())
        })?;
    Ok(Server { child, base: format!("http://127.0.0.1:{port}") })
}

impl Server {
    /// Polls `path` until it answers 200; how long that took.
    fn wait_ready(&mut self, path: &str, limit: Duration) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let url = format!("{}{path}", self.base);
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited ({status}) before it was ready");
            }
            if status(&url) == Some(200) {
                return Ok(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        bail!("{url} did not answer 200 within {limit:?}")
    }

    /// SIGTERM, then SIGKILL after 20 s.
    fn stop(&mut self) {
        // SAFETY: kill(2) on the pid of a child this process started and has not reaped.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status of a GET, or `None` when nothing answered.
fn status(url: &str) -> Option<u16> {
    let client =
        reqwest::blocking::Client::builder().timeout(Duration::from_secs(5)).build().ok()?;
    client.get(url).send().ok().map(|r| r.status().as_u16())
}

/// Runs gauntlet on the peer under its profile; the JSON report and the wall time.
fn hold(gauntlet: &Path, peer: &Peer, dir: &Path, base: &str) -> anyhow::Result<(Value, Duration)> {
    let (json, junit, markdown) =
        (dir.join("report.json"), dir.join("junit.xml"), dir.join("report.md"));
    let mut command = Command::new(gauntlet);
    command.args(["run", "--target", &format!("url={base}"), "--profile", peer.profile]);
    for set in peer.sets {
        command.args(["--set", set]);
    }
    command.arg("--json").arg(&json).arg("--junit").arg(&junit).arg("--markdown").arg(&markdown);
    let started = Instant::now();
    let out = command.output().context("running gauntlet")?;
    let wall = started.elapsed();
    std::fs::write(dir.join("gauntlet.log"), [out.stdout, out.stderr].concat())?;
    // 0 green, 1 a failed MUST check: both are results. 2 is gauntlet's own trouble.
    ensure!(
        matches!(out.status.code(), Some(0 | 1)),
        "gauntlet exited {:?}: see {}",
        out.status.code(),
        dir.join("gauntlet.log").display()
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json)?)?;
    ensure!(report["verified_nothing"] == false, "the run on {} verified nothing", peer.name);
    Ok((report, wall))
}

/// Each check's outcome as the table counts it: pass, fail, should-fail, not-applicable.
fn by_id(report: &Value) -> BTreeMap<String, String> {
    report["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let outcome = match (c["outcome"].as_str(), c["level"].as_str()) {
                (Some("fail"), Some("SHOULD")) => "should-fail",
                (Some(o), _) => o,
                _ => "?",
            };
            (c["id"].as_str().unwrap_or_default().to_owned(), outcome.to_owned())
        })
        .collect()
}

fn counts(report: &Value) -> String {
    let s = &report["summary"];
    format!(
        "{} passed, {} failed, {} SHOULD failed, {} not applicable",
        s["passed"], s["failed"], s["should_failed"], s["not_applicable"]
    )
}

/// One row of the README's table.
fn row(peer: &Peer, report: &Value, wall: Duration) -> String {
    let checks = report["checks"].as_array().cloned().unwrap_or_default();
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| c["outcome"] == "fail")
        .map(|c| {
            let level = if c["level"] == "SHOULD" { " (SHOULD)" } else { "" };
            let why = c["detail"].as_str().unwrap_or_default();
            let why: String = why.chars().take(140).collect::<String>().replace('|', "\\|");
            format!("`{}`{level}: {why}", c["id"].as_str().unwrap_or_default())
        })
        .collect();
    let s = &report["summary"];
    let passed = s["passed"].as_u64().unwrap_or(0);
    let failed_n = s["failed"].as_u64().unwrap_or(0) + s["should_failed"].as_u64().unwrap_or(0);
    let na = s["not_applicable"].as_u64().unwrap_or(0);
    format!(
        "| {} {} | `{}` | {} | {passed} | {failed_n} | {na} | {:.1} s | {} |",
        peer.what,
        peer.version,
        peer.profile,
        checks.len(),
        wall.as_secs_f64(),
        if failed.is_empty() { "none".to_owned() } else { failed.join("<br>") }
    )
}

fn table(rows: &[String]) -> String {
    let mut out = String::from(
        "| peer | profile | checks | passed | failed | not applicable | wall | what failed, and why |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for row in rows {
        out.push_str(row);
        out.push('\n');
    }
    out
}

/// Holds the outcomes to the reviewed ones; `accept` writes them instead.
fn compare(
    path: &Path,
    got: &BTreeMap<String, BTreeMap<String, String>>,
    accept: bool,
) -> anyhow::Result<()> {
    let mut expected: BTreeMap<String, BTreeMap<String, String>> =
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .with_context(|| format!("{} is not valid", path.display()))?,
            Err(_) => BTreeMap::new(),
        };
    if accept {
        for (peer, outcomes) in got {
            expected.insert(peer.clone(), outcomes.clone());
        }
        std::fs::write(path, format!("{:#}\n", serde_json::to_value(&expected)?))?;
        util::say(format_args!("wrote {}", path.display()));
        return Ok(());
    }
    let mut drift = Vec::new();
    for (peer, outcomes) in got {
        let want = expected.get(peer).cloned().unwrap_or_default();
        let ids: std::collections::BTreeSet<&String> = want.keys().chain(outcomes.keys()).collect();
        for id in ids {
            let (w, g) = (
                want.get(id).map_or("absent", String::as_str),
                outcomes.get(id).map_or("absent", String::as_str),
            );
            if w != g {
                drift.push(format!("{peer} {id}: expected {w}, got {g}"));
            }
        }
    }
    if drift.is_empty() {
        util::say(format_args!("every outcome is as {} expects", path.display()));
        Ok(())
    } else {
        bail!(
            "outcomes differ from {}:\n  {}\nreview the reports under target/peers/, then `cargo xtask peers --accept`",
            path.display(),
            drift.join("\n  ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_peer_has_pins_and_the_expected_outcomes_name_only_peers() {
        let root = util::project_root();
        for peer in PEERS {
            let pins = root.join("fixtures/peers").join(peer.name).join("requirements.txt");
            let text = std::fs::read_to_string(&pins).unwrap();
            assert!(
                text.lines().filter(|l| !l.starts_with('#')).all(|l| l.contains("==")),
                "{}: every requirement is pinned",
                pins.display()
            );
        }
        let expected: BTreeMap<String, Value> =
            serde_json::from_str(&std::fs::read_to_string(root.join(EXPECTED)).unwrap()).unwrap();
        for name in expected.keys() {
            assert!(PEERS.iter().any(|p| p.name == name), "{EXPECTED} names {name}, no peer");
        }
    }

    #[test]
    fn a_changed_outcome_is_drift_and_should_failures_are_told_apart() {
        let report = serde_json::json!({"checks": [
            {"id": "a.x", "level": "MUST", "outcome": "pass"},
            {"id": "a.y", "level": "SHOULD", "outcome": "fail"},
        ]});
        let got = by_id(&report);
        assert_eq!(got["a.y"], "should-fail");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("expected.json");
        let mut all = BTreeMap::from([("peer".to_owned(), got.clone())]);
        compare(&path, &all, true).unwrap();
        compare(&path, &all, false).unwrap();
        all.get_mut("peer").unwrap().insert("a.x".into(), "fail".into());
        let drift = compare(&path, &all, false).unwrap_err().to_string();
        assert!(drift.contains("peer a.x: expected pass, got fail"), "{drift}");
    }
}
