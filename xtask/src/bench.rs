//! `cargo xtask bench service`: the reference service measured side by side with
//! sentence-transformers on the same corpus, machine and thread count.
//!
//! Absolute figures drift on shared machines; the ratios taken in one run hold.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use xshell::{Shell, cmd};

use crate::{flags, model, util};

const CORPUS: &str = "fixtures/bench/corpus.txt";
const BATCH: usize = 32;
const PASSES: usize = 3;
const SINGLE_CALLS: usize = 200;
const CLIENTS: usize = 8;

impl flags::Bench {
    pub fn run(&self, sh: &Shell) -> anyhow::Result<()> {
        match self.what {
            flags::BenchTarget::Service => self.service(sh),
            flags::BenchTarget::Manifests => crate::bench_manifests::run(sh, self.no_peer),
        }
    }

    fn service(&self, sh: &Shell) -> anyhow::Result<()> {
        let model_dir = model::ensure_model(sh, false)?;
        let corpus: Vec<String> = sh
            .read_file(CORPUS)?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect();
        util::say("building the release binary");
        cmd!(sh, "cargo build --release --quiet -p gauntlet-service").run()?;
        let ours = measure_service(&model_dir, &corpus, self.threads)?;
        let peer = if self.no_peer {
            None
        } else {
            util::say("running the sentence-transformers peer (fixtures/bench/st_bench.py)");
            let threads = self.threads.to_string();
            let out = cmd!(
                sh,
                "python3 fixtures/bench/st_bench.py --model-dir {model_dir} --corpus {CORPUS} --threads {threads}"
            )
            .read()
            .context("the peer failed: `pip install sentence-transformers`, or pass --no-peer")?;
            Some(serde_json::from_str::<Value>(out.lines().last().unwrap_or_default())?)
        };
        report(&ours, peer.as_ref(), self.threads);
        Ok(())
    }
}

struct Figures {
    ready_s: f64,
    first_embedding_s: f64,
    batch_throughput: f64,
    single_p50_ms: f64,
    single_p99_ms: f64,
    concurrent_throughput: f64,
    rss_mb: f64,
}

fn measure_service(
    model_dir: &std::path::Path,
    corpus: &[String],
    threads: usize,
) -> anyhow::Result<Figures> {
    use gauntlet_launch::{Launched, ProcessConfig};

    let binary = util::project_root().join("target/release/gauntlet-service");
    let mut config = ProcessConfig::new(binary, model_dir.to_owned())?;
    config.env = vec![
        ("RAYON_NUM_THREADS".into(), threads.to_string()),
        ("GAUNTLET_THREADS".into(), threads.to_string()),
    ];
    let started = Instant::now();
    let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let service = Launched::start(&config, 0, &logs).context("starting gauntlet-service")?;
    let base = service.base_url();
    let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(120)).build()?;
    while client
        .get(format!("{base}/health/ready"))
        .send()
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("not ready within 60 s");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let ready_s = started.elapsed().as_secs_f64();
    let url = format!("{base}/v1/embeddings");
    let embed = |client: &reqwest::blocking::Client, inputs: &[String]| -> anyhow::Result<()> {
        let r = client.post(&url).json(&json!({ "input": inputs })).send()?;
        if r.status() != 200 {
            bail!("the service answered {}: {}", r.status(), r.text()?);
        }
        r.bytes()?;
        Ok(())
    };
    embed(&client, &corpus[..1])?;
    let first_embedding_s = started.elapsed().as_secs_f64();

    util::say("batch throughput: requests of 32 sentences in corpus order");
    for chunk in corpus.chunks(BATCH) {
        embed(&client, chunk)?;
    }
    let mut best = f64::MAX;
    for _ in 0..PASSES {
        let t = Instant::now();
        for chunk in corpus.chunks(BATCH) {
            embed(&client, chunk)?;
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    let batch_throughput = corpus.len() as f64 / best;

    util::say("single-sentence latency: 200 calls");
    let mut latencies: Vec<f64> = (0..SINGLE_CALLS)
        .map(|i| {
            let t = Instant::now();
            embed(&client, std::slice::from_ref(&corpus[i % corpus.len()]))?;
            Ok(t.elapsed().as_secs_f64() * 1000.0)
        })
        .collect::<anyhow::Result<_>>()?;
    latencies.sort_by(f64::total_cmp);
    let pct = |q: f64| latencies[((latencies.len() as f64 * q).ceil() as usize).max(1) - 1];

    util::say("8 concurrent clients, one sentence a request, the whole corpus");
    let t = Instant::now();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let client = client.clone();
                let embed = &embed;
                scope.spawn(move || -> anyhow::Result<()> {
                    for sentence in corpus.iter().skip(c).step_by(CLIENTS) {
                        embed(&client, std::slice::from_ref(sentence))?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| h.join().expect("client thread"))
    })?;
    let concurrent_throughput = corpus.len() as f64 / t.elapsed().as_secs_f64();
    let rss_mb = rss_kb(service.pid())? as f64 / 1024.0;
    Ok(Figures {
        ready_s,
        first_embedding_s,
        batch_throughput,
        single_p50_ms: pct(0.50),
        single_p99_ms: pct(0.99),
        concurrent_throughput,
        rss_mb,
    })
}

fn rss_kb(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc/PID/status")
}

fn report(ours: &Figures, peer: Option<&Value>, threads: usize) {
    let p = |key: &str| peer.and_then(|p| p[key].as_f64());
    let row = |name: &str, ours: f64, peer: Option<f64>, higher_is_better: bool, unit: &str| {
        let (peer_text, ratio) = match peer {
            Some(v) => {
                let r = if higher_is_better { ours / v } else { v / ours };
                (format!("{v:.2}"), format!("{r:.2}x"))
            }
            None => ("-".into(), "-".into()),
        };
        println!("| {name} | {ours:.2} {unit} | {peer_text} | {ratio} |");
    };
    println!("\nreference service vs sentence-transformers, {threads} threads, corpus {CORPUS}");
    println!("(ratio > 1 means the service is better)\n");
    println!("| figure | gauntlet-service | sentence-transformers | ratio |");
    println!("| --- | --- | --- | --- |");
    row(
        "batch throughput (32/request)",
        ours.batch_throughput,
        p("batch_throughput"),
        true,
        "sent/s",
    );
    row("single sentence p50", ours.single_p50_ms, p("single_p50_ms"), false, "ms");
    row("single sentence p99", ours.single_p99_ms, p("single_p99_ms"), false, "ms");
    row(
        "start to first embedding",
        ours.first_embedding_s,
        p("start_to_first_embedding_s"),
        false,
        "s",
    );
    println!(
        "| throughput, {CLIENTS} concurrent clients | {:.2} sent/s | - | - |",
        ours.concurrent_throughput
    );
    println!("| start to ready | {:.3} s | - | - |", ours.ready_s);
    println!("| RSS after load | {:.1} MB | - | - |", ours.rss_mb);
}
