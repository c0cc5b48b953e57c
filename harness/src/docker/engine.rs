//! Finding the Docker engine: its socket, whether it answers, which API version it
//! speaks; a bollard client at that version; and testcontainers routed to it.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use testcontainers::bollard::{API_DEFAULT_VERSION, ClientVersion, Docker};

use super::shim::ApiShim;

/// The engine's socket when `DOCKER_HOST` names none.
const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// The shim in front of an older engine, alive for the rest of the process.
static SHIM: OnceLock<ApiShim> = OnceLock::new();
/// The engine found by [`prepare`], or why there is none.
static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();

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
    pub fn locate() -> Result<Self, String> {
        let socket = match std::env::var("DOCKER_HOST") {
            Ok(host) if host.starts_with("unix://") => PathBuf::from(&host["unix://".len()..]),
            Ok(host) if !host.is_empty() => {
                return Err(format!("DOCKER_HOST={host}: only unix:// sockets are supported"));
            }
            _ => PathBuf::from(DEFAULT_SOCKET),
        };
        let version = get_version(&socket).map_err(|e| {
            format!("the Docker engine at {} is not reachable: {e}", socket.display())
        })?;
        let api = version["ApiVersion"].as_str().and_then(parse_api).ok_or_else(|| {
            format!("the Docker engine at {} named no API version", socket.display())
        })?;
        let version = version["Version"].as_str().unwrap_or("unknown").to_owned();
        Ok(Self { socket, api, version })
    }

    /// A bollard client speaking the lower of the engine's and bollard's API versions.
    pub fn client(&self) -> Result<Docker, String> {
        let ours = (API_DEFAULT_VERSION.major_version, API_DEFAULT_VERSION.minor_version);
        let (major_version, minor_version) = ours.min(self.api);
        let socket = self.socket.to_string_lossy();
        Docker::connect_with_unix(&socket, 120, &ClientVersion { major_version, minor_version })
            .map_err(|e| format!("connecting to {socket}: {e}"))
    }

    /// Whether testcontainers (which speaks bollard's API version and never
    /// negotiates) needs the shim to talk to this engine.
    pub fn needs_shim(&self) -> bool {
        self.api < (API_DEFAULT_VERSION.major_version, API_DEFAULT_VERSION.minor_version)
    }
}

/// Finds the engine once per process; removes what runs that died left behind
/// (their harness process is gone); arranges for SIGINT and SIGTERM to remove
/// this run's containers before the process exits; and, when the engine is older
/// than the API testcontainers speaks, starts the [`ApiShim`] and points
/// `DOCKER_HOST` at it.
///
/// # Safety
///
/// It may set an environment variable: call it at the start of `main`, before
/// any other thread runs (`std::env::set_var`'s contract).
pub unsafe fn prepare() -> &'static Result<Engine, String> {
    ENGINE.get_or_init(|| {
        let engine = Engine::locate()?;
        super::cleanup::remove_on_interrupt(engine.clone());
        super::cleanup::sweep_dead_runs(&engine);
        if engine.needs_shim() && SHIM.get().is_none() {
            let from = format!(
                "{}.{}",
                API_DEFAULT_VERSION.major_version, API_DEFAULT_VERSION.minor_version
            );
            let to = format!("{}.{}", engine.api.0, engine.api.1);
            let shim = ApiShim::start(&engine.socket, &from, &to)
                .map_err(|e| format!("starting the Docker API shim: {e}"))?;
            // SAFETY: the caller promised no other thread runs yet.
            unsafe { std::env::set_var("DOCKER_HOST", shim.docker_host()) };
            let _ = SHIM.set(shim);
        }
        Ok(engine)
    })
}

/// The engine [`prepare`] found, if it ran.
pub fn prepared() -> Option<&'static Result<Engine, String>> {
    ENGINE.get()
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
