//! Starting the real binary and talking to it.

use std::path::PathBuf;
use std::process::ExitStatus;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use gauntlet::target::{Launched, ProcessConfig};
use serde_json::Value;

/// The model folder `cargo xtask model` fills.
pub fn model_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/all-MiniLM-L6-v2");
    assert!(
        dir.join("model.safetensors").is_file(),
        "the model is missing at {}: run `cargo xtask model` (or `cargo xtask test`)",
        dir.display()
    );
    dir
}

/// A repository file.
pub fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// A running service process, started by the harness's launcher (the one place
/// anything starts `gauntlet-service`), killed on drop and when the tests die.
pub struct Service {
    process: Launched,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    logs: Arc<Mutex<Vec<String>>>,
}

impl Service {
    /// Starts `gauntlet-service serve` on an ephemeral port, on the CPU, with
    /// extra `args`, and waits until it listens (not until it is ready).
    pub fn start(args: &[&str]) -> Service {
        let binary = PathBuf::from(env!("CARGO_BIN_EXE_gauntlet-service"));
        let mut config = ProcessConfig::new(binary, model_dir()).unwrap_or_else(|e| panic!("{e}"));
        config.args = ["--device", "cpu"].iter().chain(args).map(|a| (*a).to_owned()).collect();
        config.ready_timeout = Duration::from_secs(30);
        let logs = Arc::new(Mutex::new(Vec::new()));
        let process = Launched::start(&config, 0, &logs).unwrap_or_else(|e| panic!("{e}"));
        Service { base: process.base_url(), process, logs }
    }

    /// One service shared by the read-only tests, started once from a thread that
    /// lives as long as the test process (so the child dies with the process).
    pub fn shared() -> &'static Service {
        static SHARED: OnceLock<&'static Service> = OnceLock::new();
        SHARED.get_or_init(|| {
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let service: &'static Service = Box::leak(Box::new(Service::start(&[])));
                service.wait_ready(Duration::from_secs(60));
                tx.send(service).unwrap();
                loop {
                    std::thread::park();
                }
            });
            rx.recv().expect("the shared service started")
        })
    }

    /// The URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Polls `/health/ready` until 200 or `timeout`.
    pub fn wait_ready(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(r) = client().get(self.url("/health/ready")).send()
                && r.status() == 200
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("not ready within {timeout:?}; logs: {:?}", self.logs());
    }

    /// Sends a Unix signal.
    pub fn signal(&self, signal: i32) {
        self.process.signal(signal).unwrap_or_else(|e| panic!("{e}"));
    }

    /// Waits for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        self.process.wait_exit(timeout).unwrap_or_else(|| panic!("did not exit within {timeout:?}"))
    }

    /// Log lines so far.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }
}

/// A blocking HTTP client with a generous timeout.
pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("building the HTTP client")
}

/// POSTs JSON and returns the status and the parsed body.
pub fn post_json(url: &str, body: &Value) -> (u16, Value) {
    let r = client().post(url).json(body).send().expect("POST");
    let status = r.status().as_u16();
    let text = r.text().expect("body");
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")))
}

/// GETs and returns the status and the parsed JSON body.
pub fn get_json(url: &str) -> (u16, Value) {
    let r = client().get(url).send().expect("GET");
    let status = r.status().as_u16();
    let text = r.text().expect("body");
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")))
}

/// Asserts the `{error: {message, type, code}}` shape and returns the code.
pub fn error_code(body: &Value) -> String {
    let e = &body["error"];
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "no error.message in {body}");
    assert!(e["type"].is_string(), "no error.type in {body}");
    e["code"].as_str().unwrap_or_else(|| panic!("no error.code in {body}")).to_owned()
}

/// Reads a JSON array of numbers.
pub fn floats(v: &Value) -> Vec<f32> {
    v.as_array().expect("an array").iter().map(|x| x.as_f64().expect("a number") as f32).collect()
}

/// Cosine similarity.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}
