//! Family `probe`: startup, readiness and liveness answer with the right codes
//! and JSON bodies, and readiness tells the truth while the model loads.

use std::time::Duration;

use crate::check::{Capability, Check, Family, Level, Outcome};
use crate::http::get_json;
use crate::target::Target;

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "probe.startup.ok",
        family: Family::Probe,
        level: Level::Must,
        description: "GET /health/startup answers 200 with a JSON object once the service serves",
        needs: &[],
        run: |t| healthy(t, "/health/startup"),
    },
    Check {
        id: "probe.ready.ok",
        family: Family::Probe,
        level: Level::Must,
        description: "GET /health/ready answers 200 with a JSON object when the service is ready",
        needs: &[],
        run: |t| healthy(t, "/health/ready"),
    },
    Check {
        id: "probe.live.ok",
        family: Family::Probe,
        level: Level::Must,
        description: "GET /health/live answers 200 with a JSON object while the service is healthy",
        needs: &[],
        run: |t| healthy(t, "/health/live"),
    },
    Check {
        id: "probe.ready.transitions",
        family: Family::Probe,
        level: Level::Must,
        description: "readiness answers 503 from the moment the port opens until the model is ready, then 200",
        needs: &[Capability::StartupObserved],
        run: |t| match t.startup_transcript() {
            Some(transcript) => judge_startup_transcript(transcript),
            None => Outcome::NotApplicable("not applicable: the target recorded no startup".into()),
        },
    },
];

fn healthy(target: &dyn Target, path: &str) -> Outcome {
    let url = format!("{}{path}", target.base_url());
    match get_json(&url) {
        Ok((200, body)) if body.is_object() => Outcome::Pass(format!("{path} answered 200 {body}")),
        Ok((200, body)) => {
            Outcome::Fail(format!("{path} answered 200 but its body is not a JSON object: {body}"))
        }
        Ok((status, body)) => {
            Outcome::Fail(format!("{path} answered {status}, expected 200: {body}"))
        }
        Err(e) => Outcome::Fail(e),
    }
}

/// Judges the readiness answers polled from process start: they must be 503
/// (never 200, never a connection failure once listening) before the first 200,
/// and the first poll must not already be 200, since no model loads that fast.
pub fn judge_startup_transcript(transcript: &[(Duration, u16)]) -> Outcome {
    let Some(first_ok) = transcript.iter().position(|(_, s)| *s == 200) else {
        return Outcome::Fail(format!(
            "readiness never answered 200 in {} polls",
            transcript.len()
        ));
    };
    if first_ok == 0 {
        return Outcome::Fail(format!(
            "readiness answered 200 at the first poll, {:?} after start: it cannot have loaded a model yet",
            transcript[0].0
        ));
    }
    if let Some((at, status)) = transcript[..first_ok].iter().find(|(_, s)| *s != 503) {
        return Outcome::Fail(format!(
            "before it was ready, readiness answered {status} at {at:?}; expected 503{}",
            if *status == 0 { " (the connection failed)" } else { "" }
        ));
    }
    Outcome::Pass(format!(
        "{first_ok} polls answered 503, then 200 at {:?} after start",
        transcript[first_ok].0
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_truthful_startup_passes() {
        let t = [(ms(5), 503), (ms(10), 503), (ms(160), 200)];
        assert!(matches!(judge_startup_transcript(&t), Outcome::Pass(_)));
    }

    #[test]
    fn ready_at_once_fails() {
        match judge_startup_transcript(&[(ms(3), 200)]) {
            Outcome::Fail(m) => assert!(m.contains("first poll"), "{m}"),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn a_wrong_code_before_ready_fails() {
        match judge_startup_transcript(&[(ms(3), 503), (ms(8), 500), (ms(20), 200)]) {
            Outcome::Fail(m) => assert!(m.contains("answered 500"), "{m}"),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn never_ready_fails() {
        match judge_startup_transcript(&[(ms(3), 503)]) {
            Outcome::Fail(m) => assert!(m.contains("never answered 200"), "{m}"),
            other => panic!("expected a failure, got {other:?}"),
        }
    }
}
