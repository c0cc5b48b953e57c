//! Family `probe`: startup, readiness and liveness answer with the right codes
//! and JSON bodies, and readiness tells the truth while the model loads.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::check;
use crate::check::{Check, Outcome};
use crate::http::clip;
use crate::profile::Thresholds;
use crate::profile::{Profile, Route};
use crate::target::{Http, Private, Spawner, Startup};

pub(super) const CHECKS: &[Check] = &[
    check! {
        id: "probe.startup.ok",
        family: Probe,
        level: Must,
        description: "the startup route answers 200 once the service serves",
        run: |profile, http: Http| match profile.route(Route::Startup) {
            Ok(path) => healthy(http, &path),
            Err(na) => na.into(),
        },
    },
    check! {
        id: "probe.ready.ok",
        family: Probe,
        level: Must,
        description: "GET on the profile's readiness path answers 200 on a ready server",
        run: |profile, http: Http| healthy(http, &profile.readiness_path),
    },
    check! {
        id: "probe.live.ok",
        family: Probe,
        level: Must,
        description: "the liveness route answers 200 while the service is healthy",
        run: |profile, http: Http| match profile.route(Route::Liveness) {
            Ok(path) => healthy(http, &path),
            Err(na) => na.into(),
        },
    },
    check! {
        id: "probe.ready.transitions",
        family: Probe,
        level: Must,
        description: "readiness answers 503 from the moment the port opens until the model is ready, then 200",
        run: |_profile, startup: Startup| judge_startup_transcript(startup.0),
    },
    check! {
        id: "probe.ready.time-to-ready",
        family: Probe,
        level: Must,
        description: "the time from process start to readiness 200 is within the profile's budget",
        run: |profile, startup: Startup| {
            record_readiness(startup.0);
            judge_time_to_ready(startup.0, profile.thresholds.ready_budget)
        },
    },
    check! {
        id: "probe.ready.sigterm",
        family: Probe,
        level: Must,
        description: "after SIGTERM readiness turns 503 within 1 s, requests in flight succeed and the process exits 0 within the grace period",
        run: |profile, signals: &dyn Spawner| sigterm(signals, profile),
    },
    check! {
        id: "probe.live.while-loading",
        family: Probe,
        level: Must,
        description: "while readiness still says the model is loading, liveness answers 200, so a liveness probe never kills a pod that is only loading",
        run: |profile, signals: &dyn Spawner| live_while_loading(signals, profile),
    },
    check! {
        id: "probe.ready.warm",
        family: Probe,
        level: Should,
        description: "the first inference after readiness is not much slower than the next five: the server warmed up before it said ready",
        run: |profile, signals: &dyn Spawner| warm(signals, profile),
    },
    check! {
        id: "probe.restart.after-kill",
        family: Probe,
        level: Must,
        description: "after SIGKILL a restart at the same address is ready within the ready budget and answers an embedding",
        run: |profile, signals: &dyn Spawner| restart_after_kill(signals, profile),
    },
];

/// 200 is healthy, whatever the body: TEI's `/health` and the Open Inference
/// Protocol's health routes may answer an empty one, and Kubernetes reads only
/// the status. The reference service's JSON bodies are api.health.schema's concern.
fn healthy(http: Http<'_>, path: &str) -> Outcome {
    let url = format!("{}{path}", http.base_url());
    let response = match crate::http::client().get(&url).send() {
        Ok(r) => r,
        Err(e) => return Outcome::Fail(format!("GET {path}: {e}")),
    };
    let status = response.status().as_u16();
    let body = response.text().unwrap_or_default();
    let shown = if body.trim().is_empty() { "(empty body)".to_owned() } else { clip(body.trim()) };
    if status == 200 {
        Outcome::Pass(format!("{path} answered 200 {shown}"))
    } else {
        Outcome::Fail(format!("{path} answered {status}, expected 200: {shown}"))
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

/// Records the readiness polls as the series `ready.timeline` and the first
/// 200 as the figure `ready.seconds`; never ready records no figure: no data.
fn record_readiness(transcript: &[(Duration, u16)]) {
    let ready = transcript.iter().find(|(_, s)| *s == 200).map(|(at, _)| at.as_secs_f64());
    if let Some(ready) = ready {
        crate::figures::record("ready.seconds", ready);
    }
    let points = transcript.iter().map(|(at, s)| [at.as_secs_f64(), f64::from(*s)]).collect();
    let marks =
        ready.map(|x| crate::figures::Mark { label: "ready".into(), x }).into_iter().collect();
    crate::figures::record_series("ready.timeline", points, marks);
}

/// Judges the time from process start to the first readiness 200 against `budget`.
pub fn judge_time_to_ready(transcript: &[(Duration, u16)], budget: Duration) -> Outcome {
    match transcript.iter().find(|(_, s)| *s == 200) {
        Some((at, _)) if *at <= budget => {
            Outcome::Pass(format!("ready {at:?} after start (budget {budget:?})"))
        }
        Some((at, _)) => {
            Outcome::Fail(format!("ready only {at:?} after start, over the budget of {budget:?}"))
        }
        None => Outcome::Fail(format!(
            "never ready; last poll {:?} after start",
            transcript.last().map(|p| p.0)
        )),
    }
}

/// What happened around a SIGTERM.
#[derive(Debug, Clone, Default)]
pub struct Drain {
    /// When readiness first answered 503 after the signal.
    pub flipped_after: Option<Duration>,
    /// Requests that were accepted and answered, by status.
    pub answered: Vec<u16>,
    /// Requests that were accepted but lost (the connection broke mid-request).
    pub lost: Vec<String>,
    /// The exit code, if the process exited within the grace period.
    pub exit_code: Option<i32>,
    /// Readiness just before the signal (at 0), then the polls after it until
    /// the first 503: when and the status.
    pub polls: Vec<(Duration, u16)>,
}

/// Judges a SIGTERM: readiness 503 within `limits.drain_flip`, every accepted
/// request a 200, and exit code 0 within the grace period.
pub fn judge_drain(d: &Drain, limits: &Thresholds) -> Outcome {
    let (flip, grace) = (limits.drain_flip, limits.shutdown_grace);
    let mut problems = Vec::new();
    match d.flipped_after {
        Some(at) if at <= flip => {}
        Some(at) => problems
            .push(format!("readiness turned 503 only {at:?} after SIGTERM (limit {flip:?})")),
        None => {
            problems.push(format!("readiness never answered 503 in the {flip:?} after SIGTERM"))
        }
    }
    if let Some(status) = d.answered.iter().find(|s| **s != 200) {
        problems.push(format!("a request in flight during shutdown answered {status}"));
    }
    if let Some(why) = d.lost.first() {
        problems.push(format!("{} request(s) in flight were lost: {why}", d.lost.len()));
    }
    match d.exit_code {
        Some(0) => {}
        Some(code) => problems.push(format!("the process exited with code {code}, not 0")),
        None => problems
            .push(format!("the process did not exit within {grace:?} (or died by a signal)")),
    }
    if problems.is_empty() {
        Outcome::Pass(format!(
            "readiness 503 after {:?}, {} requests in flight answered 200, exit 0",
            d.flipped_after.unwrap_or_default(),
            d.answered.len()
        ))
    } else {
        Outcome::Fail(problems.join("; "))
    }
}

fn sigterm(signals: &dyn Spawner, profile: &Profile) -> Outcome {
    let instance = match private_instance(signals) {
        Ok(instance) => instance,
        Err(outcome) => return outcome,
    };
    let request = match in_flight(instance.as_ref(), profile) {
        Ok(request) => request,
        Err(outcome) => return outcome,
    };
    let limits = &profile.thresholds;
    let drain =
        observe_drain(instance.as_ref(), &profile.readiness_path, limits, &request, StopBy::Signal);
    record_drain(&drain);
    judge_drain(&drain, limits)
}

/// Records the readiness polls after SIGTERM as the series `drain.timeline`
/// (x: seconds since the signal), SIGTERM marked at 0 and the flip to 503 where seen.
fn record_drain(drain: &Drain) {
    let points = drain.polls.iter().map(|(at, s)| [at.as_secs_f64(), f64::from(*s)]).collect();
    let mark = |label: &str, x: f64| crate::figures::Mark { label: label.into(), x };
    let mut marks = vec![mark("SIGTERM", 0.0)];
    marks.extend(drain.flipped_after.map(|at| mark("503", at.as_secs_f64())));
    crate::figures::record_series("drain.timeline", points, marks);
}

/// The request a drain keeps in flight: 32 sentences at the profile's inference route.
pub(super) fn in_flight(
    instance: &dyn Private,
    profile: &Profile,
) -> Result<(String, serde_json::Value), Outcome> {
    let sentences = ["A sentence kept in flight while the service shuts down."; 32];
    super::embeddings::inference_request(Http::new(instance.base_url()), profile, &sentences)
}

/// A private instance of the target, or the failure that says why it would not start.
pub(super) fn private_instance(signals: &dyn Spawner) -> Result<Box<dyn Private>, Outcome> {
    signals
        .spawn_private()
        .map_err(|e| Outcome::Fail(format!("could not start a private instance: {e}")))
}

/// Kills a private instance with SIGKILL, restarts it and holds the time to ready
/// against the budget; the restarted instance must answer an embedding.
fn restart_after_kill(signals: &dyn Spawner, profile: &Profile) -> Outcome {
    let instance = match private_instance(signals) {
        Ok(instance) => instance,
        Err(outcome) => return outcome,
    };
    if let Err(e) = instance.signal(libc::SIGKILL) {
        return Outcome::Fail(format!("SIGKILL: {e}"));
    }
    if instance.wait_exit(Duration::from_secs(10)).is_some() {
        return Outcome::Fail(
            "the instance exited with a code after SIGKILL, not by the signal".into(),
        );
    }
    let budget = profile.thresholds.ready_budget;
    let took = match instance.restart() {
        Ok(took) => took,
        Err(e) => return Outcome::Fail(format!("after SIGKILL the restart failed: {e}")),
    };
    if took > budget {
        return Outcome::Fail(format!(
            "after SIGKILL the restart took {} ms to be ready, over the budget of {} ms",
            took.as_millis(),
            budget.as_millis()
        ));
    }
    let (path, body) = match super::embeddings::inference_request(
        Http::new(instance.base_url()),
        profile,
        &["Back after a crash."],
    ) {
        Ok(request) => request,
        Err(outcome) => return outcome,
    };
    let url = format!("{}{path}", instance.base_url());
    match crate::http::post_json(&url, &body) {
        Ok((200, _)) => Outcome::Pass(format!(
            "after SIGKILL the restart was ready in {} ms (budget {} ms) and answered an embedding",
            took.as_millis(),
            budget.as_millis()
        )),
        Ok((status, body)) => Outcome::Fail(format!(
            "the restarted instance answered {status} to an embedding request: {body}"
        )),
        Err(e) => Outcome::Fail(format!("the restarted instance: {e}")),
    }
}

/// One poll of a starting instance: when, and what liveness and readiness
/// answered (`None`: no answer, e.g. the port was not open yet).
#[derive(Debug, Clone, Copy)]
pub struct Poll {
    /// Since the restart began.
    pub at: Duration,
    /// Liveness's status.
    pub live: Option<u16>,
    /// Readiness's status.
    pub ready: Option<u16>,
}

/// Restarts a private instance while polling its liveness and readiness.
fn live_while_loading(signals: &dyn Spawner, profile: &Profile) -> Outcome {
    let live = match profile.route(Route::Liveness) {
        Ok(path) => path,
        Err(na) => return na.into(),
    };
    let instance = match private_instance(signals) {
        Ok(instance) => instance,
        Err(outcome) => return outcome,
    };
    let base = instance.base_url().to_owned();
    let stop = AtomicBool::new(false);
    let (restarted, polls) = std::thread::scope(|scope| {
        let poller = scope.spawn(|| {
            let client = crate::http::client_within(Duration::from_secs(2));
            let status = |path: &str| {
                client.get(format!("{base}{path}")).send().ok().map(|r| r.status().as_u16())
            };
            let started = Instant::now();
            let mut polls = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let live = status(&live);
                let ready = status(&profile.readiness_path);
                polls.push(Poll { at: started.elapsed(), live, ready });
                std::thread::sleep(Duration::from_millis(20));
            }
            polls
        });
        let restarted = instance.restart();
        stop.store(true, Ordering::Relaxed);
        (restarted, poller.join().unwrap_or_default())
    });
    if let Err(e) = restarted {
        return Outcome::Fail(format!("the restart failed: {e}"));
    }
    judge_live_while_loading(&live, &profile.readiness_path, &polls)
}

/// Liveness must answer 200 at every poll where readiness answered but was not
/// yet 200; with no such poll, loading was never seen, which is not a pass.
pub fn judge_live_while_loading(live: &str, ready: &str, polls: &[Poll]) -> Outcome {
    let loading: Vec<&Poll> = polls.iter().filter(|p| p.ready.is_some_and(|s| s != 200)).collect();
    if loading.is_empty() {
        return Outcome::NotApplicable(format!(
            "not verified: in {} polls {ready} never answered anything but 200 before the instance was ready, so no loading was seen",
            polls.len()
        ));
    }
    match loading.iter().find(|p| p.live != Some(200)) {
        Some(p) => Outcome::Fail(format!(
            "at {} ms, while {ready} answered {} (still loading), {live} {}: a liveness probe there kills a pod that is only loading",
            p.at.as_millis(),
            p.ready.unwrap_or_default(),
            p.live.map_or("did not answer".to_owned(), |s| format!("answered {s}"))
        )),
        None => Outcome::Pass(format!(
            "{} polls while loading ({} ms to {} ms): {live} answered 200 each time",
            loading.len(),
            loading[0].at.as_millis(),
            loading[loading.len() - 1].at.as_millis()
        )),
    }
}

/// The first request after readiness may take this many times the warm median...
const WARM_RATIO: u32 = 10;
/// ...and must also be this much slower before it counts: a few milliseconds
/// of noise on a fast model is not a cold start.
const WARM_FLOOR: Duration = Duration::from_millis(250);

fn warm(signals: &dyn Spawner, profile: &Profile) -> Outcome {
    let instance = match private_instance(signals) {
        Ok(instance) => instance,
        Err(outcome) => return outcome,
    };
    let http = Http::new(instance.base_url());
    let sentence = ["The first request after the service said it was ready."];
    let (path, body) = match super::embeddings::inference_request(http, profile, &sentence) {
        Ok(request) => request,
        Err(outcome) => return outcome,
    };
    let client = crate::http::client_within(profile.thresholds.request_timeout);
    let url = format!("{}{path}", instance.base_url());
    let mut took = Vec::new();
    for _ in 0..6 {
        let started = Instant::now();
        match client.post(&url).json(&body).send() {
            Ok(r) if r.status().is_success() => took.push(started.elapsed()),
            Ok(r) => {
                let status = r.status().as_u16();
                return Outcome::Fail(format!(
                    "POST {path} answered {status}: {}",
                    clip(&r.text().unwrap_or_default())
                ));
            }
            Err(e) => return Outcome::Fail(format!("POST {path}: {e}")),
        }
    }
    judge_warm(&path, &took)
}

/// The first time against the median of the rest.
pub fn judge_warm(path: &str, took: &[Duration]) -> Outcome {
    let Some((first, rest)) = took.split_first().filter(|(_, rest)| !rest.is_empty()) else {
        return Outcome::NotApplicable("not verified: no timings".into());
    };
    let mut rest = rest.to_vec();
    rest.sort();
    let median = rest[rest.len() / 2];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    if *first > median * WARM_RATIO && *first > median + WARM_FLOOR {
        Outcome::Fail(format!(
            "the first POST {path} after readiness took {:.0} ms, {:.0} times the {:.1} ms median of the next {}: warm the model up before readiness answers 200",
            ms(*first),
            ms(*first) / ms(median).max(0.001),
            ms(median),
            rest.len()
        ))
    } else {
        Outcome::Pass(format!(
            "the first POST {path} after readiness took {:.1} ms; the next {} a median of {:.1} ms",
            ms(*first),
            rest.len(),
            ms(median)
        ))
    }
}

/// How a drain is started: a bare SIGTERM to the instance, or an orchestrator's
/// stop (`docker stop`: SIGTERM, then SIGKILL after the grace period).
pub(super) enum StopBy<'a> {
    /// `kill -TERM`.
    Signal,
    /// The container's stop, which returns the exit code once it exited.
    Orchestrator(&'a dyn crate::target::ContainerView),
}

/// Keeps embedding requests in flight, stops the instance, and watches readiness
/// and the exit.
pub(super) fn observe_drain(
    instance: &dyn Private,
    readiness_path: &str,
    limits: &Thresholds,
    request: &(String, serde_json::Value),
    by: StopBy<'_>,
) -> Drain {
    std::thread::scope(|scope| {
        let base = instance.base_url().to_owned();
        let stop = Arc::new(AtomicBool::new(false));
        // A burst: `load_concurrency` clients, each keeping a request in flight.
        let load: Vec<_> = (0..limits.load_concurrency.max(1))
            .map(|_| {
                let (stop, (path, body)) = (stop.clone(), request.clone());
                let url = format!("{base}{path}");
                std::thread::spawn(move || {
                    let client = crate::http::client();
                    let (mut answered, mut lost) = (Vec::new(), Vec::new());
                    while !stop.load(Ordering::Relaxed) {
                        match client.post(&url).json(&body).send() {
                            Ok(r) => answered.push(r.status().as_u16()),
                            // Refused: the listener had closed, so the request was never in flight.
                            Err(e) if e.is_connect() => break,
                            Err(e) => lost.push(e.to_string()),
                        }
                    }
                    (answered, lost)
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        let mut drain = Drain::default();
        let grace = limits.shutdown_grace;
        let client = crate::http::client();
        // Readiness just before the signal: the timeline's first point, at 0.
        if let Ok(r) = client.get(format!("{base}{readiness_path}")).send() {
            drain.polls.push((Duration::ZERO, r.status().as_u16()));
        }
        let stopped = match by {
            StopBy::Signal => {
                if let Err(e) = instance.signal(libc::SIGTERM) {
                    stop.store(true, Ordering::Relaxed);
                    drain.lost.push(e.to_string());
                    return drain;
                }
                None
            }
            StopBy::Orchestrator(view) => Some(scope.spawn(move || {
                let started = Instant::now();
                (view.stop(grace), started.elapsed())
            })),
        };
        let signalled = Instant::now();
        while signalled.elapsed() <= limits.drain_flip + Duration::from_millis(500) {
            if let Ok(r) = client.get(format!("{base}{readiness_path}")).send() {
                let (at, status) = (signalled.elapsed(), r.status().as_u16());
                drain.polls.push((at, status));
                if status == 503 {
                    drain.flipped_after = Some(at);
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        stop.store(true, Ordering::Relaxed);
        for client in load {
            let (answered, lost) = client.join().unwrap_or_default();
            drain.answered.extend(answered);
            drain.lost.extend(lost);
        }
        match stopped {
            None => {
                drain.exit_code = instance.wait_exit(grace);
                if drain.exit_code.is_none() {
                    let _ = instance.signal(libc::SIGKILL);
                }
            }
            Some(stopping) => match stopping.join() {
                Ok((Ok(code), took)) if took <= grace + Duration::from_secs(1) => {
                    drain.exit_code = i32::try_from(code).ok();
                }
                Ok((Ok(_), took)) => drain.lost.push(format!("the stop took {took:?}")),
                Ok((Err(e), _)) => drain.lost.push(e.to_string()),
                Err(_) => drain.lost.push("the stop panicked".into()),
            },
        }
        drain
    })
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
    fn time_to_ready_is_held_against_the_budget() {
        let t = [(ms(5), 503), (ms(900), 200)];
        assert!(matches!(judge_time_to_ready(&t, ms(1000)), Outcome::Pass(_)));
        match judge_time_to_ready(&t, ms(500)) {
            Outcome::Fail(m) => assert!(m.contains("over the budget"), "{m}"),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn a_clean_drain_passes_and_each_fault_is_named() {
        let good = Drain {
            flipped_after: Some(ms(30)),
            answered: vec![200, 200],
            lost: vec![],
            exit_code: Some(0),
            polls: vec![(ms(10), 200), (ms(30), 503)],
        };
        let limits = Thresholds::default();
        assert!(matches!(judge_drain(&good, &limits), Outcome::Pass(_)));
        let cases = [
            (Drain { flipped_after: None, ..good.clone() }, "never answered 503"),
            (Drain { flipped_after: Some(ms(1500)), ..good.clone() }, "only 1.5s"),
            (Drain { answered: vec![200, 500], ..good.clone() }, "answered 500"),
            (
                Drain { lost: vec!["connection reset".into()], ..good.clone() },
                "were lost: connection reset",
            ),
            (Drain { exit_code: Some(1), ..good.clone() }, "exited with code 1"),
            (Drain { exit_code: None, ..good.clone() }, "did not exit"),
        ];
        for (drain, says) in cases {
            match judge_drain(&drain, &limits) {
                Outcome::Fail(m) => assert!(m.contains(says), "`{m}` should say `{says}`"),
                other => panic!("{drain:?}: expected a failure, got {other:?}"),
            }
        }
    }

    #[test]
    fn liveness_failing_while_loading_is_caught_and_no_loading_is_not_a_pass() {
        let poll = |at, live, ready| Poll { at: ms(at), live, ready };
        let good =
            [poll(0, None, None), poll(20, Some(200), Some(503)), poll(40, Some(200), Some(200))];
        assert!(matches!(judge_live_while_loading("/live", "/ready", &good), Outcome::Pass(_)));
        let wedged =
            [poll(0, None, None), poll(20, Some(503), Some(503)), poll(40, Some(200), Some(200))];
        match judge_live_while_loading("/ready", "/ready", &wedged) {
            Outcome::Fail(why) => {
                assert!(why.contains("kills a pod that is only loading"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        let unseen = [poll(0, None, None), poll(20, Some(200), Some(200))];
        assert!(matches!(
            judge_live_while_loading("/live", "/ready", &unseen),
            Outcome::NotApplicable(_)
        ));
    }

    #[test]
    fn a_cold_first_request_is_caught_and_noise_is_not() {
        let warm = [ms(40), ms(20), ms(21), ms(19), ms(22), ms(20)];
        assert!(matches!(judge_warm("/v1/embeddings", &warm), Outcome::Pass(_)));
        let cold = [ms(2400), ms(20), ms(21), ms(19), ms(22), ms(20)];
        match judge_warm("/v1/embeddings", &cold) {
            Outcome::Fail(why) => assert!(why.contains("warm the model up"), "{why}"),
            other => panic!("{other:?}"),
        }
        // Ten times a 1 ms median is still only noise.
        let fast = [ms(30), ms(1), ms(1), ms(1), ms(1), ms(1)];
        assert!(matches!(judge_warm("/v1/embeddings", &fast), Outcome::Pass(_)));
        assert!(matches!(judge_warm("/v1/embeddings", &[ms(1)]), Outcome::NotApplicable(_)));
    }

    #[test]
    fn never_ready_fails() {
        match judge_startup_transcript(&[(ms(3), 503)]) {
            Outcome::Fail(m) => assert!(m.contains("never answered 200"), "{m}"),
            other => panic!("expected a failure, got {other:?}"),
        }
    }
}
