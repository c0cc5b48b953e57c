//! Prometheus metrics, kept in plain atomics and mutexes and rendered as the
//! text exposition format. No HTTP here: the route lives in `http::meta`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Latency buckets in seconds.
const LATENCY_BUCKETS: &[f64] =
    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Batch-size buckets in sentences.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// Every series the service exports.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    batch_size: Mutex<Option<Histogram>>,
    forward_seconds: Mutex<Option<Histogram>>,
    queue_depth: AtomicU64,
    tokens: AtomicU64,
    inference_errors: AtomicU64,
    model_load_ms: AtomicU64,
}

#[derive(Debug, Clone)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self { bounds, counts: vec![0; bounds.len()], sum: 0.0, count: 0 }
    }

    fn observe(&mut self, value: f64) {
        for (bound, count) in self.bounds.iter().zip(&mut self.counts) {
            if value <= *bound {
                *count += 1;
            }
        }
        self.sum += value;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (bound, count) in self.bounds.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", self.count);
        let braces = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

impl Metrics {
    /// Counts one answered HTTP request and its latency.
    pub fn observe_request(&self, route: &str, method: &str, status: u16, took: Duration) {
        let key = (route.to_owned(), method.to_owned(), status);
        *self.requests.lock().expect("metrics lock").entry(key).or_default() += 1;
        self.latency
            .lock()
            .expect("metrics lock")
            .entry(route.to_owned())
            .or_insert_with(|| Histogram::new(LATENCY_BUCKETS))
            .observe(took.as_secs_f64());
    }

    /// Records one forward pass.
    pub fn observe_batch(&self, sentences: usize, tokens: usize, took: Duration) {
        self.batch_size
            .lock()
            .expect("metrics lock")
            .get_or_insert_with(|| Histogram::new(BATCH_BUCKETS))
            .observe(sentences as f64);
        self.forward_seconds
            .lock()
            .expect("metrics lock")
            .get_or_insert_with(|| Histogram::new(LATENCY_BUCKETS))
            .observe(took.as_secs_f64());
        self.tokens.fetch_add(tokens as u64, Ordering::Relaxed);
    }

    /// Counts one failed forward pass.
    pub fn inference_error(&self) {
        self.inference_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Sets the number of requests waiting for the worker.
    pub fn set_queue_depth(&self, depth: usize) {
        self.queue_depth.store(depth as u64, Ordering::Relaxed);
    }

    /// Records how long loading the model took.
    pub fn set_model_load(&self, took: Duration) {
        self.model_load_ms.store(took.as_millis() as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP gauntlet_http_requests_total HTTP requests answered, by route, method and status.\n");
        out.push_str("# TYPE gauntlet_http_requests_total counter\n");
        for ((route, method, status), n) in self.requests.lock().expect("metrics lock").iter() {
            let _ = writeln!(
                out,
                "gauntlet_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP gauntlet_http_request_duration_seconds Time to answer HTTP requests, by route.\n");
        out.push_str("# TYPE gauntlet_http_request_duration_seconds histogram\n");
        for (route, h) in self.latency.lock().expect("metrics lock").iter() {
            h.render(
                &mut out,
                "gauntlet_http_request_duration_seconds",
                &format!("route=\"{route}\""),
            );
        }
        out.push_str("# HELP gauntlet_queue_depth Requests waiting for the inference worker.\n");
        out.push_str("# TYPE gauntlet_queue_depth gauge\n");
        let _ = writeln!(out, "gauntlet_queue_depth {}", self.queue_depth.load(Ordering::Relaxed));
        out.push_str("# HELP gauntlet_batch_size Sentences in each forward pass.\n");
        out.push_str("# TYPE gauntlet_batch_size histogram\n");
        let batch = self.batch_size.lock().expect("metrics lock").clone();
        batch.unwrap_or_else(|| Histogram::new(BATCH_BUCKETS)).render(
            &mut out,
            "gauntlet_batch_size",
            "",
        );
        out.push_str("# HELP gauntlet_forward_duration_seconds Time of each forward pass.\n");
        out.push_str("# TYPE gauntlet_forward_duration_seconds histogram\n");
        let forward = self.forward_seconds.lock().expect("metrics lock").clone();
        forward.unwrap_or_else(|| Histogram::new(LATENCY_BUCKETS)).render(
            &mut out,
            "gauntlet_forward_duration_seconds",
            "",
        );
        out.push_str("# HELP gauntlet_tokens_total Tokens run through the model.\n");
        out.push_str("# TYPE gauntlet_tokens_total counter\n");
        let _ = writeln!(out, "gauntlet_tokens_total {}", self.tokens.load(Ordering::Relaxed));
        out.push_str("# HELP gauntlet_inference_errors_total Forward passes that failed.\n");
        out.push_str("# TYPE gauntlet_inference_errors_total counter\n");
        let _ = writeln!(
            out,
            "gauntlet_inference_errors_total {}",
            self.inference_errors.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP gauntlet_model_load_seconds Time taken to load the model and warm it up.\n",
        );
        out.push_str("# TYPE gauntlet_model_load_seconds gauge\n");
        let load = self.model_load_ms.load(Ordering::Relaxed) as f64 / 1000.0;
        let _ = writeln!(out, "gauntlet_model_load_seconds {load}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.observe_batch(3, 30, Duration::from_millis(5));
        m.observe_batch(40, 400, Duration::from_millis(50));
        let text = m.render();
        assert!(text.contains("gauntlet_batch_size_bucket{le=\"4\"} 1\n"), "{text}");
        assert!(text.contains("gauntlet_batch_size_bucket{le=\"64\"} 2\n"), "{text}");
        assert!(text.contains("gauntlet_batch_size_bucket{le=\"+Inf\"} 2\n"), "{text}");
        assert!(text.contains("gauntlet_tokens_total 430\n"), "{text}");
    }

    #[test]
    fn requests_are_counted_by_route_method_and_status() {
        let m = Metrics::default();
        m.observe_request("/embed", "POST", 200, Duration::from_millis(2));
        m.observe_request("/embed", "POST", 200, Duration::from_millis(2));
        m.observe_request("/embed", "POST", 413, Duration::from_millis(1));
        let text = m.render();
        assert!(text.contains(
            "gauntlet_http_requests_total{route=\"/embed\",method=\"POST\",status=\"200\"} 2\n"
        ));
        assert!(text.contains(
            "gauntlet_http_requests_total{route=\"/embed\",method=\"POST\",status=\"413\"} 1\n"
        ));
    }
}
