//! The `process` target: `gauntlet-service serve` started by the harness on an
//! ephemeral port, its readiness polled from the first moment, its logs kept.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{
    Error, Http, Launched, Private, ProcessConfig, Result, SameHost, Spawner, Startup, Target,
};

/// A running service process ([`Launched`]), killed on drop.
pub struct ProcessTarget {
    config: ProcessConfig,
    process: Mutex<Launched>,
    base: String,
    port: u16,
    transcript: Vec<(Duration, u16)>,
    logs: Arc<Mutex<Vec<String>>>,
}

impl std::fmt::Debug for ProcessTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessTarget").field("base", &self.base).finish()
    }
}

impl ProcessTarget {
    /// Starts the service on an ephemeral port, waits until it listens, then polls
    /// `/health/ready` every 5 ms until it answers 200, keeping every answer.
    pub fn start(config: &ProcessConfig) -> Result<Self> {
        let started = Instant::now();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let process = Launched::start(config, 0, &logs)?;
        let mut target = Self {
            config: config.clone(),
            base: process.base_url(),
            port: process.port(),
            process: Mutex::new(process),
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
        self.process.lock().expect("process lock").pid()
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
            if let Some(status) = self.process.lock().expect("process lock").try_wait() {
                return Err(Error::Start(format!(
                    "the service exited ({status}) before it was ready; logs: {:?}",
                    self.logs()
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
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
        Ok(self.process.lock().expect("process lock").signal(signal)?)
    }

    fn wait_exit(&self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.process.lock().expect("process lock").try_wait() {
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
            let mut process = self.process.lock().expect("process lock");
            // The old instance goes first: the new one takes its port.
            process.kill();
            *process = Launched::start(&self.config, self.port, &self.logs)
                .map_err(|e| Error::Start(format!("restarting on port {}: {e}", self.port)))?;
        }
        self.await_ready(started)?;
        Ok(started.elapsed())
    }
}
