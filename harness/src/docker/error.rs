//! Why the Docker engine could not do what the harness asked.

use std::path::PathBuf;
use std::sync::Arc;

use testcontainers::bollard;

/// An engine that cannot be reached, or a call it refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `DOCKER_HOST` names something other than a Unix socket.
    #[error("DOCKER_HOST={0}: only unix:// sockets are supported")]
    UnsupportedHost(String),
    /// Nothing answers on the engine's socket.
    #[error("the Docker engine at {} is not reachable: {source}", socket.display())]
    Unreachable {
        /// The socket.
        socket: PathBuf,
        /// Why the connection or the version request failed.
        #[source]
        source: std::io::Error,
    },
    /// The engine answered `/version` without an API version.
    #[error("the Docker engine at {} named no API version", socket.display())]
    NoApiVersion {
        /// The socket.
        socket: PathBuf,
    },
    /// The engine refused a call, or the connection broke during it.
    #[error("{what}: {source}")]
    Api {
        /// What was asked (`inspecting image gauntlet-service:dev`).
        what: String,
        /// What bollard said.
        #[source]
        source: bollard::errors::Error,
    },
    /// An answer could not be read as the harness needs it.
    #[error("{what}: {source}")]
    Json {
        /// What was read.
        what: String,
        /// Why it did not convert.
        #[source]
        source: serde_json::Error,
    },
    /// No runtime could be made to drive bollard.
    #[error("a runtime for bollard: {0}")]
    Runtime(#[source] std::io::Error),
    /// The engine is older than the API testcontainers speaks, and `DOCKER_HOST`
    /// names no shim in front of it.
    #[error(
        "the Docker engine speaks API {}.{}, older than the {}.{} testcontainers speaks, and \
         DOCKER_HOST names no API shim: start the program through `gauntlet::docker::behind_shim` \
         (the `gauntlet` binary and the test binaries do)",
        engine.0, engine.1, ours.0, ours.1
    )]
    TooOld {
        /// The engine's API version.
        engine: (usize, usize),
        /// The version testcontainers speaks.
        ours: (usize, usize),
    },
    /// The engine could not be reached the first time this process looked.
    #[error(transparent)]
    Earlier(#[from] Arc<Error>),
}

/// The result of an engine call.
pub type Result<T> = std::result::Result<T, Error>;

/// `map_err` for a bollard call: the error, with what was asked.
pub fn api(what: impl Into<String>) -> impl FnOnce(bollard::errors::Error) -> Error {
    let what = what.into();
    move |source| Error::Api { what, source }
}
