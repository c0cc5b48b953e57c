//! The `process` target: `gauntlet-service serve` started by the harness on an
//! ephemeral port, its readiness polled from the first moment, its logs kept.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use super::{Error, Http, Private, Result, SameHost, Spawner, Startup, Target};

/// How to start the service.
#[derive(Debug, Clone)]
pub struct ProcessConfig {
    /// The `gauntlet-service` binary.
    pub binary: PathBuf,
    /// The model folder.
    pub model_dir: PathBuf,
    /// Extra `serve` arguments.
    pub args: Vec<String>,
    /// Longest wait for readiness.
    pub ready_timeout: Duration,
}

impl ProcessConfig {
    /// Finds the binary (`GAUNTLET_SERVICE_BIN`, else beside this executable or one
    /// folder up, as cargo lays out `target/<profile>`) and the model
    /// (`GAUNTLET_MODEL_DIR`, else `models/all-MiniLM-L6-v2` in the workspace).
    pub fn locate() -> Result<Self> {
        let binary = match std::env::var_os("GAUNTLET_SERVICE_BIN") {
            Some(path) => PathBuf::from(path),
            None => {
                let exe = std::env::current_exe().map_err(Error::io("finding this executable"))?;
                exe.ancestors()
                    .skip(1)
                    .take(2)
                    .map(|dir| dir.join("gauntlet-service"))
                    .find(|p| p.is_file())
                    .ok_or_else(|| {
                        Error::Config(
                            "--target process: no gauntlet-service binary next to this one; build it with \
                             `cargo build -p gauntlet-service` or set GAUNTLET_SERVICE_BIN"
                                .into(),
                        )
                    })?
            }
        };
        let model_dir =
            std::env::var_os("GAUNTLET_MODEL_DIR").map(PathBuf::from).unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/all-MiniLM-L6-v2")
            });
        if !model_dir.join("model.safetensors").is_file() {
            return Err(Error::Config(format!(
                "--target process: no model at {}: run `cargo xtask model` or set GAUNTLET_MODEL_DIR",
                model_dir.display()
            )));
        }
        Ok(Self { binary, model_dir, args: Vec::new(), ready_timeout: Duration::from_secs(60) })
    }
}

/// A running service process, killed on drop.
pub struct ProcessTarget {
    config: ProcessConfig,
    child: Mutex<Child>,
    base: String,
    port: u16,
    transcript: Vec<(Duration, u16)>,
    logs: Arc<Mutex<Vec<String>>>,
}

impl ProcessTarget {
    /// Starts the service on an ephemeral port, waits until it listens, then polls
    /// `/health/ready` every 5 ms until it answers 200, keeping every answer.
    pub fn start(config: &ProcessConfig) -> Result<Self> {
        let started = Instant::now();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (child, addr) = launch(config, 0, &logs)?;
        let port = addr.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let mut target = Self {
            config: config.clone(),
            child: Mutex::new(child),
            base: format!("http://{addr}"),
            port,
            transcript: Vec::new(),
            logs,
        };
        target.transcript = target.await_ready(started)?;
        Ok(target)
    }

    /// The service's log lines so far, across restarts.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().expect("log lock").clone()
    }

    /// The process id of the running instance.
    pub fn pid(&self) -> u32 {
        self.child.lock().expect("child lock").id()
    }

    /// Polls readiness every 5 ms until 200 or the ready timeout; returns every answer.
    fn await_ready(&self, started: Instant) -> Result<Vec<(Duration, u16)>> {
        let url = format!("{}/health/ready", self.base);
        let client = crate::http::client();
        let mut transcript = Vec::new();
        loop {
            let status = client.get(&url).send().map(|r| r.status().as_u16()).unwrap_or(0);
            transcript.push((started.elapsed(), status));
            if status == 200 {
                return Ok(transcript);
            }
            if started.elapsed() > self.config.ready_timeout {
                return Err(Error::Start(format!(
                    "not ready within {:?}; logs: {:?}",
                    self.config.ready_timeout,
                    self.logs()
                )));
            }
            if let Ok(Some(status)) = self.child.lock().expect("child lock").try_wait() {
                return Err(Error::Start(format!(
                    "the service exited ({status}) before it was ready; logs: {:?}",
                    self.logs()
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Spawns `serve` on `port` (0 for an ephemeral one), feeding its stdout into
/// `logs`; returns the child once it logged `listening`, with the address.
fn launch(
    config: &ProcessConfig,
    port: u16,
    logs: &Arc<Mutex<Vec<String>>>,
) -> Result<(Child, String)> {
    let mut child = Command::new(&config.binary)
        .args(["serve", "--host", "127.0.0.1", "--log-format", "json", "--port"])
        .arg(port.to_string())
        .arg("--model-dir")
        .arg(&config.model_dir)
        .args(&config.args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Error::Start(format!("starting {}: {e}", config.binary.display())))?;
    let stdout = child.stdout.take().ok_or_else(|| Error::Start("no stdout".into()))?;
    let (addr_tx, addr_rx) = mpsc::channel();
    let sink = logs.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(std::result::Result::ok) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                && v["message"] == "listening"
            {
                let _ = addr_tx.send(v["addr"].as_str().unwrap_or_default().to_owned());
            }
            sink.lock().expect("log lock").push(line);
        }
    });
    match addr_rx.recv_timeout(config.ready_timeout) {
        Ok(addr) => Ok((child, addr)),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(Error::Start(format!(
                "the service never logged `listening`; logs: {:?}",
                logs.lock().expect("log lock")
            )))
        }
    }
}

impl Drop for ProcessTarget {
    fn drop(&mut self) {
        let mut child = self.child.lock().expect("child lock");
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Target for ProcessTarget {
    fn name(&self) -> &str {
        "process"
    }

    fn http(&self) -> Option<Http<'_>> {
        Some(Http::new(&self.base))
    }

    fn startup(&self) -> Option<Startup<'_>> {
        Some(Startup(&self.transcript))
    }

    fn signals(&self) -> Option<&dyn Spawner> {
        Some(self)
    }

    fn same_host(&self) -> Option<SameHost> {
        Some(SameHost::here())
    }
}

impl Spawner for ProcessTarget {
    fn spawn_private(&self) -> Result<Box<dyn Private>> {
        ProcessTarget::start(&self.config).map(|t| Box::new(t) as Box<dyn Private>)
    }
}

impl Private for ProcessTarget {
    fn base_url(&self) -> &str {
        &self.base
    }

    fn host_pid(&self) -> Option<u32> {
        Some(self.pid())
    }

    fn signal(&self, signal: i32) -> Result<()> {
        let pid = self.child.lock().expect("child lock").id() as i32;
        // SAFETY: kill(2) on the pid of a child this target spawned and has not reaped.
        match unsafe { libc::kill(pid, signal) } {
            0 => Ok(()),
            _ => Err(Error::io(format!("kill({pid}, {signal})"))(std::io::Error::last_os_error())),
        }
    }

    fn wait_exit(&self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.lock().expect("child lock").try_wait() {
                return status.code();
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn restart(&self) -> Result<Duration> {
        let started = Instant::now();
        {
            let mut child = self.child.lock().expect("child lock");
            let _ = child.kill();
            let _ = child.wait();
            let (fresh, _) = launch(&self.config, self.port, &self.logs)
                .map_err(|e| Error::Start(format!("restarting on port {}: {e}", self.port)))?;
            *child = fresh;
        }
        self.await_ready(started)?;
        Ok(started.elapsed())
    }
}
