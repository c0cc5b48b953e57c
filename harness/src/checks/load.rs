//! Family `load`: a bounded burst of concurrent embedding requests (concurrency and
//! duration from the profile), judged on throughput, p99 latency and error rate,
//! with 429s counted apart; and liveness watched while it runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::check;
use crate::check::{Check, Outcome};
use crate::profile::{Profile, Route, Thresholds};
use crate::target::Http;

pub(super) const CHECKS: &[Check] = &[
    check! {
        id: "load.burst",
        family: Load,
        level: Must,
        description: "a burst of concurrent requests meets the profile's throughput, p99 and error-rate limits",
        exclusive: true,
        run: |profile, http: Http| {
            let embeddings = match profile.route(Route::Embeddings) {
                Ok(path) => path,
                Err(na) => return na.into(),
            };
            let burst = burst(http, &embeddings, &profile.thresholds, None);
            record_burst(&burst);
            judge_burst(&burst, &profile.thresholds)
        },
    },
    check! {
        id: "probe.live.under-load",
        family: Probe,
        level: Must,
        description: "liveness keeps answering 200 while a load burst runs",
        exclusive: true,
        run: |profile, http: Http| live_under_load(http, profile),
    },
];

/// What a burst measured.
#[derive(Debug, Clone, Default)]
pub struct Burst {
    /// Latencies of the requests answered 2xx.
    pub ok: Vec<Duration>,
    /// When each of `ok` was sent, from the start of the burst.
    pub sent: Vec<Duration>,
    /// Requests refused with 429 (back-pressure, not an error).
    pub throttled: usize,
    /// Requests that failed: another status or a transport error, with the first reason.
    pub errors: usize,
    /// The first error seen.
    pub first_error: Option<String>,
    /// Wall time of the burst.
    pub elapsed: Duration,
    /// Liveness answers other than 200 seen during the burst, when watched.
    pub live_failures: Vec<String>,
}

impl Burst {
    /// The `q` quantile of the successful latencies; `None` when none succeeded.
    fn percentile(&self, q: f64) -> Option<Duration> {
        let mut sorted = self.ok.clone();
        sorted.sort();
        if sorted.is_empty() {
            return None;
        }
        Some(sorted[((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1])
    }
}

/// Runs the burst at `embeddings`; with `live_path`, also polls liveness every 100 ms throughout.
fn burst(http: Http<'_>, embeddings: &str, limits: &Thresholds, live_path: Option<&str>) -> Burst {
    let base = http.base_url().to_owned();
    let deadline = Instant::now() + limits.load_duration;
    let started = Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let watcher = live_path.map(|path| {
        let (url, done) = (format!("{base}{path}"), done.clone());
        std::thread::spawn(move || {
            let client = crate::http::client();
            let mut failures = Vec::new();
            while !done.load(Ordering::Relaxed) {
                match client.get(&url).send() {
                    Ok(r) if r.status() == 200 => {}
                    Ok(r) => failures.push(format!("{} answered {}", url, r.status().as_u16())),
                    Err(e) => failures.push(format!("{url}: {e}")),
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            failures
        })
    });
    let workers: Vec<_> = (0..limits.load_concurrency)
        .map(|c| {
            let url = format!("{base}{embeddings}");
            std::thread::spawn(move || {
                let client = crate::http::client();
                let body = json!({ "input": format!("Load burst sentence number {c}, sent again and again.") });
                let mut part = Burst::default();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match client.post(&url).json(&body).send() {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes();
                            part.ok.push(t.elapsed());
                            part.sent.push(t - started);
                        }
                        Ok(r) if r.status() == 429 => part.throttled += 1,
                        Ok(r) => {
                            part.errors += 1;
                            part.first_error.get_or_insert_with(|| format!("answered {}", r.status().as_u16()));
                        }
                        Err(e) => {
                            part.errors += 1;
                            part.first_error.get_or_insert_with(|| e.to_string());
                        }
                    }
                }
                part
            })
        })
        .collect();
    let mut total = Burst::default();
    for worker in workers {
        let part = worker.join().unwrap_or_default();
        total.ok.extend(part.ok);
        total.sent.extend(part.sent);
        total.throttled += part.throttled;
        total.errors += part.errors;
        if total.first_error.is_none() {
            total.first_error = part.first_error;
        }
    }
    total.elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    if let Some(watcher) = watcher {
        total.live_failures = watcher.join().unwrap_or_default();
    }
    total
}

/// Records what a burst measured: latency percentiles, throughput and error
/// rate as figures, each successful request as a point of `load.requests`.
/// A figure with no data (no request succeeded) is not recorded.
fn record_burst(b: &Burst) {
    use crate::figures::record;
    let sent = b.ok.len() + b.throttled + b.errors;
    if sent == 0 {
        return;
    }
    record("load.error_rate", b.errors as f64 / sent as f64);
    record("load.throughput", b.ok.len() as f64 / b.elapsed.as_secs_f64().max(1e-9));
    if let (Some(p50), Some(p99)) = (b.percentile(0.50), b.percentile(0.99)) {
        record("load.latency.p50", p50.as_secs_f64());
        record("load.latency.p99", p99.as_secs_f64());
    }
    let points = b.sent.iter().zip(&b.ok).map(|(at, took)| [at.as_secs_f64(), took.as_secs_f64()]);
    crate::figures::record_series("load.requests", points.collect(), Vec::new());
}

/// Judges a burst against the profile's limits.
pub fn judge_burst(b: &Burst, limits: &Thresholds) -> Outcome {
    let sent = b.ok.len() + b.throttled + b.errors;
    if sent == 0 {
        return Outcome::Fail("the burst sent no request".into());
    }
    let error_rate = b.errors as f64 / sent as f64;
    let throughput = b.ok.len() as f64 / b.elapsed.as_secs_f64().max(1e-9);
    // With no successful request there is no latency: "no data", never 0.
    let shown =
        |d: Option<Duration>| d.map_or_else(|| "no data".to_owned(), |d| format!("{d:.1?}"));
    let (p50, p99) = (b.percentile(0.50), b.percentile(0.99));
    let summary = format!(
        "{sent} requests in {:.1?}: {throughput:.1} ok/s, p50 {}, p99 {}, error rate {:.3}, {} throttled (429)",
        b.elapsed,
        shown(p50),
        shown(p99),
        error_rate,
        b.throttled
    );
    let mut problems = Vec::new();
    if error_rate > limits.load_max_error_rate {
        problems.push(format!(
            "error rate {error_rate:.3} over {:.3} (first: {})",
            limits.load_max_error_rate,
            b.first_error.as_deref().unwrap_or("?")
        ));
    }
    match p99 {
        Some(p99) if p99 > limits.load_p99 => {
            problems.push(format!("p99 {p99:.1?} over {:.1?}", limits.load_p99))
        }
        Some(_) => {}
        None => problems.push("no request succeeded, so p99 is no data".to_owned()),
    }
    if throughput < limits.load_min_throughput {
        problems.push(format!(
            "throughput {throughput:.1}/s under {:.1}/s",
            limits.load_min_throughput
        ));
    }
    if problems.is_empty() {
        Outcome::Pass(summary)
    } else {
        Outcome::Fail(format!("{}; {summary}", problems.join("; ")))
    }
}

fn live_under_load(http: Http<'_>, profile: &Profile) -> Outcome {
    let (embeddings, live) =
        match (profile.route(Route::Embeddings), profile.route(Route::Liveness)) {
            (Ok(embeddings), Ok(live)) => (embeddings, live),
            (Err(na), _) | (_, Err(na)) => return na.into(),
        };
    let b = burst(http, &embeddings, &profile.thresholds, Some(&live));
    match b.live_failures.first() {
        Some(first) => Outcome::Fail(format!(
            "liveness failed {} time(s) during the burst: {first}",
            b.live_failures.len()
        )),
        None if b.ok.is_empty() => {
            Outcome::Fail("the burst got no successful request to watch liveness under".into())
        }
        None => Outcome::Pass(format!("liveness stayed 200 through {} requests", b.ok.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn burst_of(ok_ms: &[u64], throttled: usize, errors: usize) -> Burst {
        Burst {
            ok: ok_ms.iter().map(|m| Duration::from_millis(*m)).collect(),
            sent: ok_ms.iter().map(|_| Duration::ZERO).collect(),
            throttled,
            errors,
            first_error: (errors > 0).then(|| "answered 500".to_owned()),
            elapsed: Duration::from_secs(1),
            live_failures: Vec::new(),
        }
    }

    #[test]
    fn throttling_is_not_an_error() {
        let limits = Thresholds::default();
        assert!(matches!(judge_burst(&burst_of(&[10; 20], 30, 0), &limits), Outcome::Pass(_)));
    }

    #[test]
    fn each_limit_is_named_when_broken() {
        let limits = Thresholds::default();
        let cases = [
            (burst_of(&[10; 20], 0, 1), "error rate 0.048 over 0.000 (first: answered 500)"),
            (burst_of(&[10, 10, 3000], 0, 0), "p99 3.0s over 2.0s"),
            (burst_of(&[10; 2], 0, 0), "throughput 2.0/s under 5.0/s"),
            (burst_of(&[], 10, 0), "p99 is no data"),
            (burst_of(&[], 0, 0), "no request"),
        ];
        for (b, says) in cases {
            match judge_burst(&b, &limits) {
                Outcome::Fail(m) => assert!(m.contains(says), "`{m}` should say `{says}`"),
                other => panic!("expected a failure, got {other:?}"),
            }
        }
    }
}
