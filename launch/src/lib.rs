//! Starting `gauntlet-service serve`: the one place anything starts the
//! service. The harness's process target, the service's own tests and
//! `cargo xtask bench` all start it here, so every started service logs JSON
//! lines that are kept, is reached at the address it logged, and is killed by
//! the kernel when the thread that started it ends (`PR_SET_PDEATHSIG` follows
//! the spawning thread, not the process: start long-lived services from a
//! thread that lives as long as they should). A crate of its own so xtask can
//! start the service without building the harness.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// Why the service could not be started or steered.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The binary or the model is not where it was looked for (a usage error).
    #[error("{0}")]
    Config(String),
    /// The service did not come up.
    #[error("{0}")]
    Start(String),
    /// A system call on it failed.
    #[error("{what}: {source}")]
    Io {
        /// What was done.
        what: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
}

/// The result of starting or steering the service.
pub type Result<T> = std::result::Result<T, Error>;

/// How to start the service.
#[derive(Debug, Clone)]
pub struct ProcessConfig {
    /// The `gauntlet-service` binary.
    pub binary: PathBuf,
    /// The model folder.
    pub model_dir: PathBuf,
    /// Extra `serve` arguments.
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Longest wait for `listening`, and then for readiness.
    pub ready_timeout: Duration,
}

impl ProcessConfig {
    /// Finds the binary (`GAUNTLET_SERVICE_BIN`, else beside this executable or one
    /// folder up, as cargo lays out `target/<profile>`) and the model
    /// (`GAUNTLET_MODEL_DIR`, else the nearest `models/all-MiniLM-L6-v2` above this
    /// executable or the current directory, as a checkout lays them out).
    pub fn locate() -> Result<Self> {
        let binary = match std::env::var_os("GAUNTLET_SERVICE_BIN") {
            Some(path) => PathBuf::from(path),
            None => {
                let exe = std::env::current_exe().map_err(|e| {
                    Error::Config(format!("--target process: finding this executable: {e}"))
                })?;
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
        let model_dir = match std::env::var_os("GAUNTLET_MODEL_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => find_model().ok_or_else(|| {
                Error::Config(
                    "--target process: no models/all-MiniLM-L6-v2 above this executable or the \
                     current directory; run `cargo xtask model` or set GAUNTLET_MODEL_DIR"
                        .into(),
                )
            })?,
        };
        Self::new(binary, model_dir)
    }

    /// `binary` serving the model in `model_dir`, with nothing extra; the model
    /// must be there.
    pub fn new(binary: PathBuf, model_dir: PathBuf) -> Result<Self> {
        if !model_dir.join("model.safetensors").is_file() {
            return Err(Error::Config(format!(
                "--target process: no model at {}: run `cargo xtask model` or set GAUNTLET_MODEL_DIR",
                model_dir.display()
            )));
        }
        Ok(Self {
            binary,
            model_dir,
            args: Vec::new(),
            env: Vec::new(),
            ready_timeout: Duration::from_secs(60),
        })
    }
}

/// The nearest `models/all-MiniLM-L6-v2` with weights above this executable
/// (`target/<profile>/…` in a checkout), else above the current directory.
fn find_model() -> Option<PathBuf> {
    let starts = [std::env::current_exe().ok(), std::env::current_dir().ok()];
    starts.into_iter().flatten().find_map(|start| {
        start
            .ancestors()
            .map(|dir| dir.join("models/all-MiniLM-L6-v2"))
            .find(|model| model.join("model.safetensors").is_file())
    })
}

/// A `gauntlet-service serve` process, listening; killed on drop, and by the
/// kernel when the process that started it dies.
pub struct Launched {
    child: Child,
    addr: String,
}

impl std::fmt::Debug for Launched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Launched").field("pid", &self.child.id()).field("addr", &self.addr).finish()
    }
}

impl Launched {
    /// Starts `serve` on 127.0.0.1:`port` (0 for an ephemeral port), feeding its
    /// stdout into `logs` line by line, and returns once it logged `listening`.
    pub fn start(
        config: &ProcessConfig,
        port: u16,
        logs: &Arc<Mutex<Vec<String>>>,
    ) -> Result<Self> {
        let mut command = Command::new(&config.binary);
        command
            .args(["serve", "--host", "127.0.0.1", "--log-format", "json", "--port"])
            .arg(port.to_string())
            .arg("--model-dir")
            .arg(&config.model_dir)
            .args(&config.args)
            .envs(config.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        // SAFETY: prctl only sets a flag of the child process; it allocates
        // nothing and is async-signal-safe.
        unsafe {
            use std::os::unix::process::CommandExt;
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command
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
            Ok(addr) => Ok(Self { child, addr }),
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

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(0)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends it a Unix signal (`libc::SIGTERM`, ...).
    pub fn signal(&self, signal: i32) -> Result<()> {
        let pid = self.child.id() as i32;
        // SAFETY: kill(2) on the pid of a child this launcher spawned and has not reaped.
        match unsafe { libc::kill(pid, signal) } {
            0 => Ok(()),
            _ => Err(Error::Io {
                what: format!("kill({pid}, {signal})"),
                source: std::io::Error::last_os_error(),
            }),
        }
    }

    /// Kills it (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// How it exited, if it has.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits up to `timeout` for it to exit; `None` when it still runs.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Launched {
    fn drop(&mut self) {
        self.kill();
    }
}
