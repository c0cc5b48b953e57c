//! The service's life phases, as the health probes report them.

use std::sync::Mutex;

/// Where the service is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Weights are being loaded.
    Loading,
    /// The model is loaded and a warm-up inference is running.
    WarmingUp,
    /// Serving.
    Ready,
    /// SIGTERM or SIGINT arrived: finishing in-flight work before exit.
    Draining,
    /// The model could not be loaded or warmed up.
    Failed(String),
}

impl Phase {
    /// Why the service is not ready, or `None` when it is.
    pub fn not_ready_reason(&self) -> Option<String> {
        match self {
            Self::Loading => Some("loading the model".into()),
            Self::WarmingUp => Some("warming up the model".into()),
            Self::Ready => None,
            Self::Draining => Some("shutting down".into()),
            Self::Failed(why) => Some(format!("model failed to load: {why}")),
        }
    }

    /// A short stable name for JSON bodies.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Loading => "loading",
            Self::WarmingUp => "warming_up",
            Self::Ready => "ready",
            Self::Draining => "draining",
            Self::Failed(_) => "failed",
        }
    }
}

/// The current phase, shared by the loader, the signal handler and the probes.
#[derive(Debug)]
pub struct Readiness {
    phase: Mutex<Phase>,
}

impl Default for Readiness {
    fn default() -> Self {
        Self { phase: Mutex::new(Phase::Loading) }
    }
}

impl Readiness {
    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase.lock().expect("readiness lock").clone()
    }

    /// Moves to `next`, unless draining already began: shutdown is final.
    pub fn advance(&self, next: Phase) {
        let mut phase = self.phase.lock().expect("readiness lock");
        if *phase != Phase::Draining || next == Phase::Draining {
            *phase = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draining_is_final() {
        let r = Readiness::default();
        r.advance(Phase::WarmingUp);
        r.advance(Phase::Draining);
        r.advance(Phase::Ready);
        assert_eq!(r.phase(), Phase::Draining);
        assert_eq!(r.phase().not_ready_reason().as_deref(), Some("shutting down"));
    }
}
