//! A socket in front of the Docker engine that lowers the API version in request
//! paths. testcontainers speaks the Docker API version its bollard was built for
//! (`/v1.53/...`) and never negotiates; an older engine (20.10 speaks 1.41)
//! refuses every such request. The shim rewrites ` /v1.53/` to ` /v1.41/` in the
//! request lines of every connection, byte for byte (both are eight bytes, so
//! no framing moves), and passes everything else through untouched.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// Shim sockets are `<temp>/gauntlet-docker-<pid>.sock`.
const PREFIX: &str = "gauntlet-docker-";

/// Whether `path` is a shim's socket (by its name) and the shim lives.
pub(super) fn is_shim_socket(path: &Path) -> bool {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.strip_prefix(PREFIX)
        .and_then(|rest| rest.strip_suffix(".sock"))
        .and_then(|pid| pid.parse::<i32>().ok())
        .is_some_and(crate::run::process_alive)
}

/// Removes the sockets of shims whose process is gone (a process killed with its
/// shim alive leaves its socket behind).
fn sweep_stale_sockets() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name.strip_prefix(PREFIX).and_then(|rest| rest.strip_suffix(".sock"));
        if let Some(pid) = pid.and_then(|p| p.parse::<i32>().ok())
            && !crate::run::process_alive(pid)
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A running shim; its socket is removed on drop, or by the next run's sweep.
#[derive(Debug)]
pub struct ApiShim {
    socket: PathBuf,
}

impl ApiShim {
    /// Listens on a fresh socket in the temp folder and forwards each connection to
    /// `engine`, rewriting API version `from` (e.g. `1.53`) to `to` (e.g. `1.41`).
    pub fn start(engine: &Path, from: &str, to: &str) -> std::io::Result<Self> {
        let pattern = format!(" /v{from}/").into_bytes();
        let replacement = format!(" /v{to}/").into_bytes();
        if pattern.len() != replacement.len() {
            return Err(std::io::Error::other(format!(
                "cannot rewrite API version {from} to {to}: their lengths differ"
            )));
        }
        sweep_stale_sockets();
        let socket = std::env::temp_dir().join(format!("{PREFIX}{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&socket);
        let listener = UnixListener::bind(&socket)?;
        let engine = engine.to_owned();
        std::thread::Builder::new().name("docker-api-shim".into()).spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let Ok(upstream) = UnixStream::connect(&engine) else { continue };
                let (pattern, replacement) = (pattern.clone(), replacement.clone());
                let _ = relay(client, upstream, pattern, replacement);
            }
        })?;
        Ok(Self { socket })
    }

    /// `unix://` URL of the shim's socket, for `DOCKER_HOST`.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }
}

impl Drop for ApiShim {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// Copies both ways on two threads: requests rewritten, answers as they come.
fn relay(
    client: UnixStream,
    upstream: UnixStream,
    pattern: Vec<u8>,
    replacement: Vec<u8>,
) -> std::io::Result<()> {
    let (mut client_in, mut upstream_out) = (client.try_clone()?, upstream.try_clone()?);
    std::thread::spawn(move || {
        let mut rewriter = Rewriter::new(pattern, replacement);
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = client_in.read(&mut buf) {
            if n == 0 || upstream_out.write_all(&rewriter.feed(&buf[..n])).is_err() {
                break;
            }
        }
        let _ = upstream_out.write_all(&rewriter.finish());
        let _ = upstream_out.shutdown(Shutdown::Write);
    });
    let (mut upstream_in, mut client_out) = (upstream, client);
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut upstream_in, &mut client_out);
        let _ = client_out.shutdown(Shutdown::Write);
    });
    Ok(())
}

/// Replaces `pattern` by `replacement` in a byte stream that arrives in pieces,
/// holding back only a tail that could still become the pattern.
#[derive(Debug)]
pub struct Rewriter {
    pattern: Vec<u8>,
    replacement: Vec<u8>,
    held: Vec<u8>,
}

impl Rewriter {
    /// A rewriter; `pattern` and `replacement` have the same length.
    pub fn new(pattern: Vec<u8>, replacement: Vec<u8>) -> Self {
        Self { pattern, replacement, held: Vec::new() }
    }

    /// Takes the next piece; returns what can be sent now.
    pub fn feed(&mut self, piece: &[u8]) -> Vec<u8> {
        let mut data = std::mem::take(&mut self.held);
        data.extend_from_slice(piece);
        let p = self.pattern.len();
        let mut i = 0;
        while i + p <= data.len() {
            if data[i..i + p] == self.pattern[..] {
                data[i..i + p].copy_from_slice(&self.replacement);
                i += p;
            } else {
                i += 1;
            }
        }
        // Hold back the longest tail that is a proper prefix of the pattern.
        let keep = (1..p.min(data.len() + 1))
            .rev()
            .find(|&k| data[data.len() - k..] == self.pattern[..k])
            .unwrap_or(0);
        self.held = data.split_off(data.len() - keep);
        data
    }

    /// What is still held back, at the end of the stream.
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewriter() -> Rewriter {
        Rewriter::new(b" /v1.53/".to_vec(), b" /v1.41/".to_vec())
    }

    #[test]
    fn rewrites_request_lines_split_anywhere() {
        let stream =
            b"GET /v1.53/version HTTP/1.1\r\n\r\nPOST /v1.53/containers/create HTTP/1.1\r\n";
        for cut in 0..stream.len() {
            let mut r = rewriter();
            let mut out = r.feed(&stream[..cut]);
            out.extend(r.feed(&stream[cut..]));
            out.extend(r.finish());
            assert_eq!(
                String::from_utf8(out).unwrap(),
                "GET /v1.41/version HTTP/1.1\r\n\r\nPOST /v1.41/containers/create HTTP/1.1\r\n",
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn holds_back_nothing_that_cannot_become_the_pattern() {
        let mut r = rewriter();
        assert_eq!(r.feed(b"{\"a\":1}"), b"{\"a\":1}");
        assert_eq!(r.feed(b"x /v1"), b"x");
        assert_eq!(r.finish(), b" /v1");
    }
}
