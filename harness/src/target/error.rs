//! Why a target could not be opened or steered.

use crate::docker;
use crate::verdict::Failure;

/// A target that could not be opened, or a view that could not do what a check asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The target's settings are wrong, or what it needs is not there (a usage
    /// error: exit code 2); the text names the flag or setting.
    #[error("{0}")]
    Config(String),
    /// What the target needs is not there (the Docker engine, a cluster): a usage
    /// error too, with its cause.
    #[error("{what}: {source}")]
    Unavailable {
        /// The flag or setting that needed it (`--target container`).
        what: String,
        /// Why it is not there.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The service did not come up.
    #[error("{0}")]
    Start(String),
    /// The Docker engine refused or failed a call.
    #[error(transparent)]
    Docker(#[from] docker::Error),
    /// The cluster's API server refused or failed a call.
    #[error("{what}: {source}")]
    Cluster {
        /// What was asked (`listing pods`).
        what: String,
        /// What kube said.
        #[source]
        source: kube::Error,
    },
    /// A system call failed.
    #[error("{what}: {source}")]
    Io {
        /// What was done.
        what: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// The service could not be started or steered as a process.
    #[error(transparent)]
    Launch(gauntlet_launch::Error),
    /// The service did something its view cannot make sense of (no exit code
    /// after a stop, a restart that never got ready).
    #[error("{0}")]
    Unexpected(String),
}

impl Error {
    /// Whether it is the user's to fix (exit code 2) rather than a failure of the
    /// service (exit code 1).
    pub fn is_usage(&self) -> bool {
        matches!(self, Self::Config(_) | Self::Unavailable { .. })
    }

    /// What `what` needs is not there, because of `source`: a usage error.
    pub(super) fn unavailable(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Unavailable { what: what.into(), source: Box::new(source) }
    }

    /// `map_err` for a kube call: the error, with what was asked.
    pub(super) fn cluster(what: impl Into<String>) -> impl FnOnce(kube::Error) -> Self {
        let what = what.into();
        move |source| Self::Cluster { what, source }
    }

    /// `map_err` for a system call: the error, with what was done.
    pub(super) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.into();
        move |source| Self::Io { what, source }
    }
}

impl From<gauntlet_launch::Error> for Error {
    /// A binary or model that is not there is a usage error; a service that did
    /// not come up is a start failure, as for every target.
    fn from(e: gauntlet_launch::Error) -> Self {
        match e {
            gauntlet_launch::Error::Config(why) => Self::Config(why),
            gauntlet_launch::Error::Start(why) => Self::Start(why),
            other => Self::Launch(other),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self(e.to_string())
    }
}

/// Result of opening or steering a target.
pub type Result<T, E = Error> = std::result::Result<T, E>;
