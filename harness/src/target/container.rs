//! The `container` target: the service image started by testcontainers on the
//! local Docker engine, the way an orchestrator would (read-only root
//! filesystem, every capability dropped, a memory limit), ready when
//! `/health/ready` answers 200; bollard does the rest (signals, restarts, logs).

use std::time::{Duration, Instant};

use testcontainers::bollard::Docker;
use testcontainers::bollard::models::DeviceRequest;
use testcontainers::bollard::query_parameters::{
    InspectContainerOptions, KillContainerOptions, RestartContainerOptions, StatsOptions,
    StopContainerOptions,
};
use testcontainers::core::wait::HttpWaitStrategy;
use testcontainers::core::{ContainerPort, IntoContainerPort, WaitFor};
use testcontainers::runners::SyncRunner;
use testcontainers::{Container, Image, ImageExt};

use super::{
    ContainerView, Error, Exited, Http, ImageView, Private, Result, RuntimeSettings, SameHost,
    Spawner, Startup, Target,
};
use crate::docker::{self, Engine};
use crate::profile::Thresholds;

/// The port the service listens on inside the image.
pub const SERVICE_PORT: u16 = 8080;

/// The reference service's image for testcontainers: pinned name and tag, ready
/// on HTTP 200 from `/health/ready`.
#[derive(Debug, Clone)]
pub struct ServiceImage {
    name: String,
    tag: String,
    ports: [ContainerPort; 1],
}

impl Default for ServiceImage {
    /// `gauntlet-service:dev`, as `gauntlet image` tags it.
    fn default() -> Self {
        Self {
            name: crate::image::NAME.into(),
            tag: crate::image::DEV_TAG.into(),
            ports: [SERVICE_PORT.tcp()],
        }
    }
}

impl ServiceImage {
    /// The image `reference` (`name:tag`; the tag defaults to `dev`).
    pub fn from_reference(reference: &str) -> Self {
        let (name, tag) = match reference.rsplit_once(':') {
            Some((name, tag)) if !tag.contains('/') => (name, tag),
            _ => (reference, crate::image::DEV_TAG),
        };
        Self::default().with_name(name).with_tag(tag)
    }

    /// Another image name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Another tag.
    pub fn with_tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = tag.into();
        self
    }

    /// `name:tag`.
    pub fn reference(&self) -> String {
        format!("{}:{}", self.name, self.tag)
    }
}

impl Image for ServiceImage {
    fn name(&self) -> &str {
        &self.name
    }

    fn tag(&self) -> &str {
        &self.tag
    }

    fn ready_conditions(&self) -> Vec<WaitFor> {
        vec![WaitFor::http(
            HttpWaitStrategy::new("/health/ready")
                .with_port(SERVICE_PORT.tcp())
                .with_expected_status_code(200u16)
                .with_poll_interval(Duration::from_millis(50)),
        )]
    }

    fn expose_ports(&self) -> &[ContainerPort] {
        &self.ports
    }
}

/// How to start the container.
#[derive(Debug, Clone)]
pub struct ContainerConfig {
    /// The image.
    pub image: ServiceImage,
    /// The memory limit, in bytes.
    pub memory_limit: i64,
    /// Longest wait for readiness.
    pub ready_timeout: Duration,
    /// Extra `serve` arguments.
    pub args: Vec<String>,
    /// Whether the root filesystem is read-only.
    pub read_only: bool,
    /// A user to run as instead of the image's.
    pub user: Option<String>,
    /// Request every GPU (`docker run --gpus all`: a device request for the
    /// `gpu` capability, served by the NVIDIA container runtime).
    pub gpus: bool,
}

impl Default for ContainerConfig {
    fn default() -> Self {
        Self {
            image: ServiceImage::default(),
            memory_limit: i64::try_from(Thresholds::default().memory_limit).unwrap_or(i64::MAX),
            ready_timeout: Duration::from_secs(120),
            args: Vec::new(),
            read_only: true,
            user: None,
            gpus: false,
        }
    }
}

/// A running container, removed on drop.
pub struct ContainerTarget {
    config: ContainerConfig,
    container: Container<ServiceImage>,
    client: Docker,
    engine: Engine,
    runtime: tokio::runtime::Runtime,
    name: String,
    base: String,
    transcript: Vec<(Duration, u16)>,
}

impl ContainerTarget {
    /// Starts the image on `engine` (from [`docker::connect`]), labelled with
    /// this run's id, and waits until `/health/ready` answers 200.
    pub fn start(engine: &Engine, config: &ContainerConfig) -> Result<Self> {
        docker::testcontainers_reach(engine)
            .map_err(|e| Error::unavailable("--target container", e))?;
        let engine = engine.clone();
        let client = engine.client()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(docker::Error::Runtime)?;
        let host_port = free_port()?;
        let base = format!("http://127.0.0.1:{host_port}");
        let instance = format!("{}-{host_port}", crate::run::run_id());
        let watcher = watch_readiness(engine.clone(), instance.clone(), config.ready_timeout);
        let memory = config.memory_limit;
        let gpus = config.gpus.then(|| {
            vec![DeviceRequest {
                count: Some(-1),
                capabilities: Some(vec![vec!["gpu".to_owned()]]),
                ..DeviceRequest::default()
            }]
        });
        let mut cmd = vec!["serve".to_owned()];
        cmd.extend(config.args.iter().cloned());
        let mut request = config.image.clone().with_cmd(cmd);
        if let Some(user) = &config.user {
            request = request.with_user(user.clone());
        }
        let container = request
            .with_mapped_port(host_port, SERVICE_PORT.tcp())
            .with_labels(crate::run::labels())
            .with_label(docker::INSTANCE_LABEL, instance)
            .with_readonly_rootfs(config.read_only)
            .with_cap_drop("ALL")
            .with_security_opt("no-new-privileges")
            .with_host_config_modifier(move |host| {
                host.memory = Some(memory);
                host.device_requests = gpus.clone();
            })
            .with_startup_timeout(config.ready_timeout)
            .start()
            .map_err(|e| Error::Start(format!("starting {}: {e}", config.image.reference())))?;
        let transcript = watcher.join().unwrap_or_default();
        Ok(Self {
            config: config.clone(),
            container,
            client,
            engine,
            runtime,
            name: format!("container={}", config.image.reference()),
            base,
            transcript,
        })
    }

    /// The container's id.
    pub fn id(&self) -> &str {
        self.container.id()
    }

    /// The container's log lines so far, stdout then stderr.
    pub fn logs(&self) -> Vec<String> {
        [self.container.stdout_to_vec(), self.container.stderr_to_vec()]
            .into_iter()
            .flat_map(|bytes| {
                String::from_utf8_lossy(&bytes.unwrap_or_default())
                    .lines()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn inspect_state(&self) -> Option<(bool, Option<i64>)> {
        let inspect = self
            .runtime
            .block_on(self.client.inspect_container(self.id(), None::<InspectContainerOptions>))
            .ok()?;
        let state = inspect.state?;
        Some((state.running.unwrap_or(false), state.exit_code))
    }
}

impl Target for ContainerTarget {
    fn name(&self) -> &str {
        &self.name
    }

    fn http(&self) -> Option<Http<'_>> {
        Some(Http::new(&self.base))
    }

    fn startup(&self) -> Option<Startup<'_>> {
        Some(Startup(&self.transcript)).filter(|t| !t.0.is_empty())
    }

    fn signals(&self) -> Option<&dyn Spawner> {
        Some(self)
    }

    fn same_host(&self) -> Option<SameHost> {
        // The engine is reached through a local Unix socket: its containers run here.
        Some(SameHost::here())
    }

    fn image(&self) -> Option<&dyn ImageView> {
        Some(self)
    }

    fn container(&self) -> Option<&dyn ContainerView> {
        Some(self)
    }
}

impl Spawner for ContainerTarget {
    fn spawn_private(&self) -> Result<Box<dyn Private>> {
        ContainerTarget::start(&self.engine, &self.config).map(|t| Box::new(t) as Box<dyn Private>)
    }
}

impl ImageView for ContainerTarget {
    fn facts(&self) -> Result<crate::image::ImageFacts> {
        Ok(docker::image_facts(&self.engine, &self.config.image.reference())?)
    }

    fn path_exists(&self, path: &str) -> Result<bool> {
        Ok(docker::path_exists(&self.engine, self.id(), path)?)
    }

    fn listening_port(&self) -> Option<u16> {
        let logged = self.logs().iter().find_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).ok()?;
            (v["message"] == "listening")
                .then(|| v["addr"].as_str()?.rsplit(':').next()?.parse().ok())?
        });
        logged.or(Some(SERVICE_PORT))
    }
}

impl ContainerView for ContainerTarget {
    fn settings(&self) -> Result<RuntimeSettings> {
        let inspect = self
            .runtime
            .block_on(self.client.inspect_container(self.id(), None::<InspectContainerOptions>))
            .map_err(docker::api("docker inspect"))?;
        let host = inspect.host_config.unwrap_or_default();
        Ok(RuntimeSettings {
            read_only: host.readonly_rootfs.unwrap_or(false),
            cap_drop: host.cap_drop.unwrap_or_default(),
            memory_limit: host.memory.unwrap_or(0),
        })
    }

    fn logs(&self) -> Vec<String> {
        ContainerTarget::logs(self)
    }

    fn health(&self) -> Result<Option<String>> {
        let inspect = self
            .runtime
            .block_on(self.client.inspect_container(self.id(), None::<InspectContainerOptions>))
            .map_err(docker::api("docker inspect"))?;
        let status = inspect.state.and_then(|s| s.health).and_then(|h| h.status);
        Ok(status
            .and_then(|s| serde_json::to_value(s).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
            .filter(|s| !s.is_empty() && s != "none"))
    }

    fn memory_bytes(&self) -> Result<u64> {
        use futures_util::StreamExt;
        let options = StatsOptions { stream: false, one_shot: true };
        let stats = self
            .runtime
            .block_on(self.client.stats(self.id(), Some(options)).next())
            .ok_or_else(|| Error::Unexpected("docker stats answered nothing".into()))?
            .map_err(docker::api("docker stats"))?;
        let memory = serde_json::to_value(stats.memory_stats)
            .map_err(|source| docker::Error::Json { what: "docker stats".into(), source })?;
        let usage = memory["usage"]
            .as_u64()
            .ok_or_else(|| Error::Unexpected("docker stats reported no memory usage".into()))?;
        // As `docker stats` shows it: the page cache the kernel may drop is not counted.
        let cache = ["inactive_file", "total_inactive_file", "cache"]
            .iter()
            .find_map(|k| memory["stats"][*k].as_u64())
            .unwrap_or(0);
        Ok(usage.saturating_sub(cache))
    }

    fn stop(&self, grace: Duration) -> Result<i64> {
        let t = i32::try_from(grace.as_secs()).unwrap_or(i32::MAX);
        let options = StopContainerOptions { t: Some(t), signal: None };
        self.runtime
            .block_on(self.client.stop_container(self.id(), Some(options)))
            .map_err(docker::api("docker stop"))?;
        match self.inspect_state() {
            Some((false, Some(code))) => Ok(code),
            _ => Err(Error::Unexpected(
                "the container did not report an exit code after docker stop".into(),
            )),
        }
    }

    fn spawn_hardened(
        &self,
        memory_limit: i64,
        ready_timeout: Duration,
    ) -> Result<Box<dyn Private>> {
        let config = ContainerConfig {
            read_only: true,
            user: None,
            memory_limit,
            ready_timeout,
            ..self.config.clone()
        };
        ContainerTarget::start(&self.engine, &config).map(|t| Box::new(t) as Box<dyn Private>)
    }

    fn run_without_gpus(&self, args: &[&str]) -> Result<Exited> {
        let shot = docker::run_once(&self.engine, &self.config.image.reference(), args)?;
        Ok(Exited { exit_code: shot.exit_code, stdout: shot.stdout, stderr: shot.stderr })
    }

    fn gpus_requested(&self) -> bool {
        self.config.gpus
    }
}

impl Private for ContainerTarget {
    fn base_url(&self) -> &str {
        &self.base
    }

    fn host_pid(&self) -> Option<u32> {
        let inspect = self
            .runtime
            .block_on(self.client.inspect_container(self.id(), None::<InspectContainerOptions>))
            .ok()?;
        inspect.state?.pid.and_then(|pid| u32::try_from(pid).ok()).filter(|pid| *pid > 0)
    }

    fn signal(&self, signal: i32) -> Result<()> {
        let options = KillContainerOptions { signal: signal.to_string() };
        self.runtime
            .block_on(self.client.kill_container(self.id(), Some(options)))
            .map_err(docker::api(format!("docker kill --signal {signal}")))?;
        Ok(())
    }

    fn wait_exit(&self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.inspect_state() {
                Some((false, code)) => {
                    // Docker reports 128 + n for a death by signal n.
                    return code.filter(|c| *c < 128).map(|c| c as i32);
                }
                _ if Instant::now() >= deadline => return None,
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    fn restart(&self) -> Result<Duration> {
        let started = Instant::now();
        self.runtime
            .block_on(self.client.restart_container(self.id(), None::<RestartContainerOptions>))
            .map_err(docker::api("docker restart"))?;
        let url = format!("{}/health/ready", self.base);
        let client = crate::http::client();
        loop {
            if client.get(&url).send().is_ok_and(|r| r.status() == 200) {
                return Ok(started.elapsed());
            }
            if started.elapsed() > self.config.ready_timeout {
                return Err(Error::Unexpected(format!(
                    "not ready within {:?} after the restart",
                    self.config.ready_timeout
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Polls the readiness of the container labelled `instance` every 5 ms, on its
/// own thread, from before it is created until it answers 200 (or `timeout`).
/// It polls the container's bridge address, not the published port: the port
/// proxy holds early connections open and would hide the 503s. Times count from
/// the start request; polls before the service first answers (the container not
/// yet running or listening) are left out, as the process target starts polling
/// once the service logged `listening`. Empty when the bridge address cannot be
/// reached from here (Docker Desktop, for one).
fn watch_readiness(
    engine: Engine,
    instance: String,
    timeout: Duration,
) -> std::thread::JoinHandle<Vec<(Duration, u16)>> {
    std::thread::spawn(move || {
        let started = Instant::now();
        let client = crate::http::client();
        let mut url = None;
        let mut transcript = Vec::new();
        while started.elapsed() < timeout {
            let Some(ready_url) = &url else {
                url = docker::bridge_address(&engine, &instance)
                    .map(|ip| format!("http://{ip}:{SERVICE_PORT}/health/ready"));
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            let status = client
                .get(ready_url)
                .timeout(Duration::from_secs(2))
                .send()
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            if status != 0 || !transcript.is_empty() {
                transcript.push((started.elapsed(), status));
            }
            if status == 200 {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        transcript
    })
}

/// A port on 127.0.0.1 that is free now, so the mapping (and the base URL)
/// survives restarts.
fn free_port() -> Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(Error::io("finding a free port"))
}

impl std::fmt::Debug for ContainerTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerTarget").field("id", &self.id()).field("base", &self.base).finish()
    }
}
