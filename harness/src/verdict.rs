//! What a judgement finds: evidence that a behaviour holds, or a [`Failure`]
//! that says what was seen instead. Judgement functions return a [`Verdict`];
//! a check turns it into its outcome. A failure is a finding about the service,
//! not an error of the harness: its text is what the report shows.

/// What was seen where a behaviour does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Failure(pub String);

/// Evidence that the behaviour holds, or the failure.
pub type Verdict = Result<String, Failure>;

impl From<String> for Failure {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl From<&str> for Failure {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl std::ops::Deref for Failure {
    type Target = str;

    /// A failure is its text.
    fn deref(&self) -> &str {
        &self.0
    }
}
