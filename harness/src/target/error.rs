//! Why a target could not be opened.

/// Why a target could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The target's settings are wrong (a usage error: exit code 2).
    #[error("{0}")]
    Config(String),
    /// The service did not come up.
    #[error("{0}")]
    Start(String),
}

/// Result of target set-up.
pub type Result<T, E = Error> = std::result::Result<T, E>;
