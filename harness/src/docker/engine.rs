//! Finding the Docker engine: its socket, whether it answers, which API version it
//! speaks; a bollard client at that version; and testcontainers routed to it.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use testcontainers::bollard::{API_DEFAULT_VERSION, ClientVersion, Docker};

use super::error::{Error, Result, api};
use super::shim::ApiShim;

/// The engine's socket when `DOCKER_HOST` names none.
const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// The engine found by [`connect`], or why there is none.
static ENGINE: OnceLock<std::result::Result<Engine, Arc<Error>>> = OnceLock::new();

/// A reachable Docker engine.
#[derive(Debug, Clone)]
pub struct Engine {
    /// Its Unix socket.
    pub socket: PathBuf,
    /// The API version it speaks, e.g. `(1, 41)`.
    pub api: (usize, usize),
    /// The engine's own version, e.g. `20.10.24`.
    pub version: String,
}

impl Engine {
    /// Finds the engine at `DOCKER_HOST` (a `unix://` URL) or the default socket
    /// and asks its version; `Err` says why it is not reachable.
    pub fn locate() -> Result<Self> {
        let socket = match std::env::var("DOCKER_HOST") {
            Ok(host) if host.starts_with("unix://") => PathBuf::from(&host["unix://".len()..]),
            Ok(host) if !host.is_empty() => return Err(Error::UnsupportedHost(host)),
            _ => PathBuf::from(DEFAULT_SOCKET),
        };
        let version = match get_version(&socket) {
            Ok(version) => version,
            Err(source) => return Err(Error::Unreachable { socket, source }),
        };
        let Some(api) = version["ApiVersion"].as_str().and_then(parse_api) else {
            return Err(Error::NoApiVersion { socket });
        };
        let version = version["Version"].as_str().unwrap_or("unknown").to_owned();
        Ok(Self { socket, api, version })
    }

    /// A bollard client speaking the lower of the engine's and bollard's API versions.
    pub fn client(&self) -> Result<Docker> {
        let ours = (API_DEFAULT_VERSION.major_version, API_DEFAULT_VERSION.minor_version);
        let (major_version, minor_version) = ours.min(self.api);
        let socket = self.socket.to_string_lossy();
        Docker::connect_with_unix(&socket, 120, &ClientVersion { major_version, minor_version })
            .map_err(api(format!("connecting to {socket}")))
    }

    /// Whether testcontainers (which speaks bollard's API version and never
    /// negotiates) needs the shim to talk to this engine.
    pub fn needs_shim(&self) -> bool {
        self.api < (API_DEFAULT_VERSION.major_version, API_DEFAULT_VERSION.minor_version)
    }
}

/// Finds the engine once per process, removes what runs that died left behind
/// (their harness process is gone), and arranges for SIGINT and SIGTERM to
/// remove this run's containers before the process exits. It changes no
/// environment: see [`behind_shim`] for engines older than testcontainers.
pub fn connect() -> Result<Engine> {
    ENGINE
        .get_or_init(|| {
            let engine = Engine::locate().map_err(Arc::new)?;
            super::cleanup::remove_on_interrupt(engine.clone());
            super::cleanup::sweep_dead_runs(&engine);
            Ok(engine)
        })
        .clone()
        .map_err(Error::Earlier)
}

/// Whether testcontainers, which reads `DOCKER_HOST` and speaks bollard's API
/// version without negotiating, can talk to `engine` from this process: the
/// engine speaks that version, or `DOCKER_HOST` names a live [`ApiShim`] in front
/// of it ([`behind_shim`] sets that up for a child process).
pub fn testcontainers_reach(engine: &Engine) -> Result<()> {
    if !engine.needs_shim() || shim_named_by_docker_host().is_some() {
        return Ok(());
    }
    let ours = (API_DEFAULT_VERSION.major_version, API_DEFAULT_VERSION.minor_version);
    Err(Error::TooOld { engine: engine.api, ours })
}

/// For the start of `main`, in a program that starts containers through
/// testcontainers: when the engine is older than the API testcontainers speaks
/// and `DOCKER_HOST` names no shim yet, starts an [`ApiShim`] in this process,
/// runs this same program again as a child with `DOCKER_HOST` naming the shim
/// (an environment given to a child, never changed in a running process), and
/// returns the child's exit code for `main` to return. SIGINT and SIGTERM sent
/// to this process are passed on to the child, which cleans up after itself.
/// `None` when this process can go on by itself (no engine, a new enough one, or
/// already behind a shim).
pub fn behind_shim() -> Option<ExitCode> {
    if shim_named_by_docker_host().is_some() {
        return None;
    }
    let engine = Engine::locate().ok().filter(Engine::needs_shim)?;
    let from =
        format!("{}.{}", API_DEFAULT_VERSION.major_version, API_DEFAULT_VERSION.minor_version);
    let to = format!("{}.{}", engine.api.0, engine.api.1);
    let shim = match ApiShim::start(&engine.socket, &from, &to) {
        Ok(shim) => shim,
        Err(e) => {
            eprintln!("gauntlet: starting the Docker API shim ({from} to {to}): {e}");
            return Some(ExitCode::from(2));
        }
    };
    let program = match std::env::current_exe() {
        Ok(program) => program,
        Err(e) => {
            eprintln!("gauntlet: finding this program to run it behind the Docker API shim: {e}");
            return Some(ExitCode::from(2));
        }
    };
    let mut command = std::process::Command::new(program);
    command
        .args(std::env::args_os().skip(1))
        .env("DOCKER_HOST", shim.docker_host())
        .env(crate::run::RUN_ENV[0], crate::run::run_id())
        .env(crate::run::RUN_ENV[1], crate::run::run_pid().to_string());
    // The child carries on this run: killed with this process, it leaves what a
    // killed run leaves, for the next run's sweep (its labels name this pid).
    // SAFETY: prctl only sets a flag of the child; it allocates nothing and is
    // async-signal-safe.
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            eprintln!("gauntlet: running this program again behind the Docker API shim: {e}");
            return Some(ExitCode::from(2));
        }
    };
    let pid = child.id() as i32;
    let hook = crate::run::on_interrupt(move || {
        // SAFETY: kill(2) on the child spawned above; it is reaped only below.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while crate::run::process_alive(pid) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    crate::run::handle_interrupts();
    let waited = child.wait();
    // Reaped, its pid may be reused: a later signal must not reach it.
    crate::run::forget_on_interrupt(hook);
    // An interrupt passed on to the child ends this process too, with its own
    // code (128 + the signal this process got), once its hook saw the child go.
    crate::run::settle();
    let status = match waited {
        Ok(status) => status,
        Err(e) => {
            eprintln!("gauntlet: waiting for this program run behind the Docker API shim: {e}");
            return Some(ExitCode::from(1));
        }
    };
    drop(shim);
    // Killed by a signal, the child is reported as a shell reports it: 128 + the signal.
    let code = status.code().or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        status.signal().map(|signal| 128 + signal)
    });
    Some(ExitCode::from(code.and_then(|c| u8::try_from(c).ok()).unwrap_or(1)))
}

/// The shim socket `DOCKER_HOST` names, when it names one.
fn shim_named_by_docker_host() -> Option<PathBuf> {
    let host = std::env::var("DOCKER_HOST").ok()?;
    let path = PathBuf::from(host.strip_prefix("unix://")?);
    super::shim::is_shim_socket(&path).then_some(path)
}

/// `GET /version` without an API prefix (every engine answers it), over HTTP/1.0
/// so the engine closes the connection after the answer.
fn get_version(socket: &Path) -> std::io::Result<serde_json::Value> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"GET /version HTTP/1.0\r\nHost: docker\r\n\r\n")?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    serde_json::from_str(body).map_err(|e| std::io::Error::other(format!("not JSON: {e}")))
}

fn parse_api(text: &str) -> Option<(usize, usize)> {
    let (major, minor) = text.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_parse_and_order() {
        assert_eq!(parse_api("1.41"), Some((1, 41)));
        assert_eq!(parse_api("1.x"), None);
        assert!((1, 41) < (1, 53) && (1, 53) > (1, 9));
    }
}
