//! The inference worker: candle runs on its own thread, fed by a bounded queue
//! of jobs that each carry a one-shot reply. Concurrent jobs are batched into
//! forward passes sorted by length so little work goes to padding.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use candle_core::Device;
use tokio::sync::oneshot;
use tracing::Span;

use super::model::{Backend, Model, ModelFiles, ModelInfo};
use super::{Error, Result};
use crate::metrics::Metrics;

/// How much work one forward pass and the queue may hold.
#[derive(Debug, Clone, Copy)]
pub struct BatchLimits {
    /// Most sentences in one forward pass.
    pub max_batch_size: usize,
    /// Most tokens (padding included) in one forward pass.
    pub max_batch_tokens: usize,
    /// Most requests waiting for the worker; one more is refused at once.
    pub queue_capacity: usize,
    /// Artificial pause after each forward pass (fault injection for tests).
    pub debug_delay: Duration,
}

/// Progress counters the liveness probe reads.
#[derive(Debug)]
pub struct WorkerStats {
    epoch: Instant,
    pending: AtomicUsize,
    last_progress_ms: AtomicU64,
}

impl WorkerStats {
    fn new() -> Self {
        Self {
            epoch: Instant::now(),
            pending: AtomicUsize::new(0),
            last_progress_ms: AtomicU64::new(0),
        }
    }

    fn progress(&self) {
        let now = self.epoch.elapsed().as_millis() as u64;
        self.last_progress_ms.store(now, Ordering::Relaxed);
    }

    fn job_queued(&self) {
        if self.pending.fetch_add(1, Ordering::Relaxed) == 0 {
            // Idle until now: the stall clock starts with this job, not with the last one.
            self.progress();
        }
    }

    fn job_done(&self) {
        self.pending.fetch_sub(1, Ordering::Relaxed);
    }

    /// Requests queued or being computed.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    /// How long work has waited without the worker making progress; `None` when idle.
    pub fn stalled_for(&self) -> Option<Duration> {
        if self.pending() == 0 {
            return None;
        }
        let last = self.last_progress_ms.load(Ordering::Relaxed);
        let now = self.epoch.elapsed().as_millis() as u64;
        Some(Duration::from_millis(now.saturating_sub(last)))
    }
}

struct Job {
    inputs: Vec<Vec<u32>>,
    reply: oneshot::Sender<Result<Vec<Vec<f32>>>>,
    span: Span,
}

/// The handle the HTTP layer holds: sends jobs to the worker thread.
pub struct Engine {
    tx: SyncSender<Job>,
    stats: Arc<WorkerStats>,
    info: ModelInfo,
    capacity: usize,
}

impl Engine {
    /// Starts the worker thread, loads the model there and waits for the load.
    /// Blocking: call it off the async runtime.
    pub fn start(
        files: &ModelFiles,
        device: Device,
        backend: Backend,
        limits: BatchLimits,
        metrics: Arc<Metrics>,
    ) -> Result<Self> {
        let capacity = limits.queue_capacity.max(1);
        let (tx, rx) = mpsc::sync_channel::<Job>(capacity);
        let (loaded_tx, loaded_rx) = mpsc::channel::<Result<()>>();
        let stats = Arc::new(WorkerStats::new());
        let worker_stats = stats.clone();
        let worker_files = files.clone();
        std::thread::Builder::new()
            .name("inference".into())
            .spawn(move || {
                let model = match worker_files.load(&device, backend) {
                    Ok(model) => {
                        let _ = loaded_tx.send(Ok(()));
                        model
                    }
                    Err(err) => {
                        let _ = loaded_tx.send(Err(err));
                        return;
                    }
                };
                Worker { model, rx, limits, stats: worker_stats, metrics }.run();
            })
            .map_err(|e| Error::Inference(format!("cannot spawn the inference thread: {e}")))?;
        loaded_rx.recv().map_err(|_| Error::WorkerGone)??;
        Ok(Self { tx, stats, info: files.info(), capacity })
    }

    /// Embeds token sequences; returns pooled vectors (not normalized) in input order.
    pub async fn embed(&self, inputs: Vec<Vec<u32>>) -> Result<Vec<Vec<f32>>> {
        let (reply, answer) = oneshot::channel();
        let job = Job { inputs, reply, span: Span::current() };
        self.stats.job_queued();
        if let Err(err) = self.tx.try_send(job) {
            self.stats.job_done();
            return Err(match err {
                TrySendError::Full(_) => Error::Overloaded { capacity: self.capacity },
                TrySendError::Disconnected(_) => Error::WorkerGone,
            });
        }
        answer.await.map_err(|_| Error::WorkerGone)?
    }

    /// The worker's progress counters.
    pub fn stats(&self) -> &WorkerStats {
        &self.stats
    }

    /// The loaded model's description.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }
}

struct Worker {
    model: Model,
    rx: Receiver<Job>,
    limits: BatchLimits,
    stats: Arc<WorkerStats>,
    metrics: Arc<Metrics>,
}

impl Worker {
    fn run(self) {
        while let Ok(first) = self.rx.recv() {
            self.stats.progress();
            let mut jobs = vec![first];
            let mut sentences = jobs[0].inputs.len();
            while sentences < self.limits.max_batch_size {
                match self.rx.try_recv() {
                    Ok(job) => {
                        sentences += job.inputs.len();
                        jobs.push(job);
                    }
                    Err(_) => break,
                }
            }
            self.metrics.set_queue_depth(self.stats.pending().saturating_sub(jobs.len()));
            let results = self.compute(&jobs);
            for (job, result) in jobs.into_iter().zip(results) {
                tracing::debug!(parent: &job.span, sentences = job.inputs.len(), ok = result.is_ok(), "embedded");
                let _ = job.reply.send(result);
                self.stats.job_done();
            }
            self.metrics.set_queue_depth(self.stats.pending());
        }
    }

    /// Runs every sentence of `jobs` through the model in length-sorted chunks.
    fn compute(&self, jobs: &[Job]) -> Vec<Result<Vec<Vec<f32>>>> {
        let mut order: Vec<(usize, usize)> = jobs
            .iter()
            .enumerate()
            .flat_map(|(j, job)| (0..job.inputs.len()).map(move |i| (j, i)))
            .collect();
        order.sort_by_key(|&(j, i)| std::cmp::Reverse(jobs[j].inputs[i].len()));
        let mut out: Vec<Vec<Vec<f32>>> =
            jobs.iter().map(|job| vec![Vec::new(); job.inputs.len()]).collect();
        for chunk in chunks(&order, |&(j, i)| jobs[j].inputs[i].len(), &self.limits) {
            let batch: Vec<&[u32]> =
                chunk.iter().map(|&(j, i)| jobs[j].inputs[i].as_slice()).collect();
            let started = Instant::now();
            match self.model.embed(&batch) {
                Ok(vectors) => {
                    let tokens = batch.iter().map(|s| s.len()).sum::<usize>();
                    self.metrics.observe_batch(batch.len(), tokens, started.elapsed());
                    for (&(j, i), v) in chunk.iter().zip(vectors) {
                        out[j][i] = v;
                    }
                }
                Err(err) => {
                    self.metrics.inference_error();
                    tracing::error!(error = %err, sentences = batch.len(), "forward pass failed");
                    let msg = err.to_string();
                    return jobs.iter().map(|_| Err(Error::Inference(msg.clone()))).collect();
                }
            }
            self.stats.progress();
            if !self.limits.debug_delay.is_zero() {
                std::thread::sleep(self.limits.debug_delay);
            }
        }
        out.into_iter().map(Ok).collect()
    }
}

/// Splits length-sorted (longest first) items into forward passes that respect
/// both the sentence and the padded-token limits.
fn chunks<'a, T>(sorted: &'a [T], len: impl Fn(&T) -> usize, limits: &BatchLimits) -> Vec<&'a [T]> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < sorted.len() {
        let width = len(&sorted[start]).max(1);
        let by_tokens = (limits.max_batch_tokens / width).max(1);
        let take = by_tokens.min(limits.max_batch_size.max(1)).min(sorted.len() - start);
        out.push(&sorted[start..start + take]);
        start += take;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(size: usize, tokens: usize) -> BatchLimits {
        BatchLimits {
            max_batch_size: size,
            max_batch_tokens: tokens,
            queue_capacity: 1,
            debug_delay: Duration::ZERO,
        }
    }

    #[test]
    fn a_job_after_a_long_idle_spell_is_not_a_stall() {
        let stats = WorkerStats::new();
        let long_ago =
            Instant::now().checked_sub(Duration::from_secs(120)).expect("uptime over 2 min");
        let stats = WorkerStats { epoch: long_ago, ..stats };
        assert_eq!(stats.stalled_for(), None, "idle is never stalled");
        stats.job_queued();
        let stalled = stats.stalled_for().expect("work is pending");
        assert!(
            stalled < Duration::from_secs(60),
            "the idle spell counted as a stall: {stalled:?}"
        );
        stats.job_done();
        assert_eq!(stats.stalled_for(), None);
    }

    #[test]
    fn chunks_respect_both_limits() {
        let lens = [100, 50, 50, 10, 10, 10, 10];
        let got: Vec<Vec<usize>> =
            chunks(&lens, |&l| l, &limits(3, 150)).into_iter().map(<[_]>::to_vec).collect();
        // 100 goes alone (two would be 200 padded tokens); then at most 3 a pass.
        assert_eq!(got, vec![vec![100], vec![50, 50, 10], vec![10, 10, 10]]);
    }

    #[test]
    fn an_input_longer_than_the_token_limit_still_gets_a_pass() {
        let lens = [500, 5];
        let got = chunks(&lens, |&l| l, &limits(8, 100));
        assert_eq!(got.len(), 2);
    }
}
