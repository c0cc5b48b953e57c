//! Family `runtime`: the service in its container, run the way an orchestrator
//! runs it: it starts hardened (read-only root, no capabilities, a memory
//! limit), logs JSON lines, drains on `docker stop` under load, stays within its
//! memory budget under load, and its own HEALTHCHECK reports healthy.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::check;
use crate::check::{Check, Outcome};
use crate::profile::Profile;
use crate::target::{ContainerView, Http};

use super::probes::{StopBy, in_flight, judge_drain, observe_drain, private_instance};

pub(super) const CHECKS: &[Check] = &[
    check! {
        id: "runtime.hardened.ready",
        family: Runtime,
        level: Must,
        description: "a fresh container with a read-only root filesystem, every capability dropped and the profile's memory limit becomes ready within the ready budget",
        run: |profile, container: &dyn ContainerView| hardened(container, profile),
    },
    check! {
        id: "runtime.logs.json",
        family: Runtime,
        level: Must,
        description: "every line the container logs is a JSON object",
        run: |_profile, container: &dyn ContainerView| judge_logs(&container.logs()),
    },
    check! {
        id: "runtime.stop.drains",
        family: Runtime,
        level: Must,
        description: "docker stop during requests in flight loses none of them and the container exits 0 within the grace period",
        run: |profile, container: &dyn ContainerView| stop_drains(container, profile),
    },
    check! {
        id: "runtime.memory.under-load",
        family: Runtime,
        level: Must,
        description: "memory in use during a load burst stays within the profile's memory budget",
        exclusive: true,
        run: |profile, http: Http, container: &dyn ContainerView| memory_under_load(http, container, profile),
    },
    check! {
        id: "runtime.healthcheck.passing",
        family: Runtime,
        level: Must,
        description: "the image's own HEALTHCHECK reports the running container healthy",
        run: |profile, container: &dyn ContainerView| healthcheck_passing(container, profile),
    },
];

fn hardened(container: &dyn ContainerView, profile: &Profile) -> Outcome {
    let limit = i64::try_from(profile.thresholds.memory_limit).unwrap_or(i64::MAX);
    let started = Instant::now();
    let budget = profile.thresholds.ready_budget;
    let instance = match container.spawn_hardened(limit, budget) {
        Ok(instance) => instance,
        Err(e) => {
            return Outcome::Fail(format!(
                "with a read-only root filesystem, no capabilities and {} MB it did not start: {e}",
                limit / 1_000_000
            ));
        }
    };
    let took = started.elapsed();
    let Some(view) = instance.container() else {
        return Outcome::Fail("the hardened instance is not a container".into());
    };
    let settings = match view.settings() {
        Ok(s) => s,
        Err(e) => return Outcome::Fail(e.to_string()),
    };
    if !settings.read_only
        || !settings.cap_drop.iter().any(|c| c == "ALL")
        || settings.memory_limit != limit
    {
        return Outcome::Fail(format!("the engine did not apply the hardening: {settings:?}"));
    }
    if took > budget {
        return Outcome::Fail(format!(
            "hardened, it took {took:?} to be ready, over the budget of {budget:?}"
        ));
    }
    Outcome::Pass(format!(
        "ready in {took:?} with a read-only root, capabilities dropped and {} MB",
        limit / 1_000_000
    ))
}

/// Every non-empty line must parse as a JSON object; there must be one.
pub fn judge_logs(lines: &[String]) -> Outcome {
    let lines: Vec<&String> = lines.iter().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return Outcome::Fail("the container logged nothing".into());
    }
    for (n, line) in lines.iter().enumerate() {
        if !serde_json::from_str::<serde_json::Value>(line).is_ok_and(|v| v.is_object()) {
            return Outcome::Fail(format!(
                "log line {} is not a JSON object: {}",
                n + 1,
                crate::http::clip(line)
            ));
        }
    }
    Outcome::Pass(format!("{} log lines, every one a JSON object", lines.len()))
}

fn stop_drains(container: &dyn ContainerView, profile: &Profile) -> Outcome {
    let instance = match private_instance(container) {
        Ok(instance) => instance,
        Err(outcome) => return outcome,
    };
    let Some(view) = instance.container() else {
        return Outcome::NotApplicable(
            "not applicable: the private instance runs in no container".into(),
        );
    };
    let request = match in_flight(instance.as_ref(), profile) {
        Ok(request) => request,
        Err(outcome) => return outcome,
    };
    let limits = &profile.thresholds;
    let drain = observe_drain(
        instance.as_ref(),
        &profile.readiness_path,
        limits,
        &request,
        StopBy::Orchestrator(view),
    );
    match judge_drain(&drain, limits) {
        Outcome::Pass(evidence) => Outcome::Pass(format!("docker stop: {evidence}")),
        Outcome::Fail(why) => Outcome::Fail(format!("docker stop: {why}")),
        other => other,
    }
}

fn memory_under_load(http: Http<'_>, container: &dyn ContainerView, profile: &Profile) -> Outcome {
    let (peak, error) = match peak_memory_under_load(http, container, profile) {
        Ok(measured) => measured,
        Err(outcome) => return outcome,
    };
    if peak > 0 {
        crate::figures::record("runtime.memory.under_load", peak as f64);
    }
    judge_memory(peak, profile.thresholds.memory_budget, error)
}

/// The most memory `container` used during a load burst (`load_concurrency`
/// clients for `load_duration`), sampled every 100 ms; the error of the last
/// failed sample, if any.
pub(super) fn peak_memory_under_load(
    http: Http<'_>,
    container: &dyn ContainerView,
    profile: &crate::profile::Profile,
) -> Result<(u64, Option<String>), Outcome> {
    let t = &profile.thresholds;
    let sentences = ["Memory is measured while this sentence is embedded again and again."; 32];
    let (path, body) = super::embeddings::inference_request(http, profile, &sentences)?;
    let stop = Arc::new(AtomicBool::new(false));
    let url = format!("{}{path}", http.base_url());
    let clients: Vec<_> = (0..t.load_concurrency)
        .map(|_| {
            let (url, body, stop) = (url.clone(), body.clone(), stop.clone());
            std::thread::spawn(move || {
                let client = crate::http::client();
                while !stop.load(Ordering::Relaxed) {
                    let _ = client.post(&url).json(&body).send();
                }
            })
        })
        .collect();
    let started = Instant::now();
    let mut peak = 0u64;
    let mut error = None;
    while started.elapsed() < t.load_duration {
        match container.memory_bytes() {
            Ok(bytes) => peak = peak.max(bytes),
            Err(e) => error = Some(e.to_string()),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        let _ = client.join();
    }
    Ok((peak, error))
}

/// Holds the peak memory seen under load against the budget.
pub fn judge_memory(peak: u64, budget: u64, error: Option<String>) -> Outcome {
    let mb = |b: u64| b as f64 / 1e6;
    match error {
        Some(e) if peak == 0 => Outcome::Fail(e.to_string()),
        _ if peak <= budget => Outcome::Pass(format!(
            "peak {:.1} MB under load (budget {:.1} MB)",
            mb(peak),
            mb(budget)
        )),
        _ => Outcome::Fail(format!(
            "peak memory under load was {:.1} MB, over the budget of {:.1} MB",
            mb(peak),
            mb(budget)
        )),
    }
}

fn healthcheck_passing(container: &dyn ContainerView, profile: &Profile) -> Outcome {
    // The first healthcheck runs one interval after start; allow the ready
    // budget on top of a minute for it.
    let deadline = Instant::now() + profile.thresholds.ready_budget + Duration::from_secs(60);
    loop {
        match container.health() {
            Ok(None) => return Outcome::Fail("the container has no HEALTHCHECK".into()),
            Ok(Some(status)) if status == "healthy" => {
                return Outcome::Pass("docker reports the container healthy".into());
            }
            Ok(Some(status)) if status == "unhealthy" => {
                return Outcome::Fail(
                    "docker reports the container unhealthy: its HEALTHCHECK fails".into(),
                );
            }
            Ok(Some(status)) if Instant::now() >= deadline => {
                return Outcome::Fail(format!("the health status is still `{status}`"));
            }
            Ok(Some(_)) => std::thread::sleep(Duration::from_millis(250)),
            Err(e) => return Outcome::Fail(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_must_all_be_json_objects() {
        let json = |s: &str| s.to_owned();
        assert!(matches!(judge_logs(&[json(r#"{"a":1}"#), json("")]), Outcome::Pass(_)));
        match judge_logs(&[json(r#"{"a":1}"#), json("2026-11-24 INFO listening")]) {
            Outcome::Fail(m) => assert!(m.contains("log line 2"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(judge_logs(&[]), Outcome::Fail(_)));
        assert!(matches!(judge_logs(&[json("[1]")]), Outcome::Fail(_)));
    }

    #[test]
    fn memory_is_held_to_the_budget() {
        assert!(matches!(judge_memory(100_000_000, 512_000_000, None), Outcome::Pass(_)));
        match judge_memory(600_000_000, 512_000_000, None) {
            Outcome::Fail(m) => assert!(m.contains("600.0 MB, over the budget of 512.0 MB"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(judge_memory(0, 512, Some("no stats".into())), Outcome::Fail(_)));
    }
}
