//! `gauntlet-service serve`: checks the settings, binds, loads the model in the
//! background, serves, and shuts down gracefully on SIGTERM or SIGINT.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::ServeConfig;
use crate::device;
use crate::http::{AppState, router};
use crate::inference::{self, BatchLimits, Engine, ModelFiles, Tokenizer};
use crate::metrics::Metrics;
use crate::readiness::{Phase, Readiness};

/// The sentence embedded once after loading, before the service says it is ready.
const WARM_UP: &str = "gauntlet warm-up sentence";

/// Why `serve` stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A setting is wrong; the message names it (exit code 2).
    #[error("{0}")]
    Config(String),
    /// The service failed while running (exit code 1).
    #[error("{0}")]
    Runtime(String),
}

impl ServeError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Config(_) => 2,
            Self::Runtime(_) => 1,
        }
    }
}

/// Everything `serve` prepares before it binds.
fn prepare(config: ServeConfig) -> Result<(AppState, ModelFiles, candle_core::Device), ServeError> {
    if let Some(path) = &config.debug_scratch_file {
        std::fs::write(path, b"scratch").map_err(|e| {
            ServeError::Runtime(format!("--debug-scratch-file {}: {e}", path.display()))
        })?;
    }
    let files = ModelFiles::open(&config.model_dir).map_err(|e| {
        ServeError::Config(format!("--model-dir {}: {e}", config.model_dir.display()))
    })?;
    let max_input_tokens = match config.max_input_tokens {
        Some(n) if n < 2 || n > files.config.max_position_embeddings => {
            return Err(ServeError::Config(format!(
                "--max-input-tokens {n}: must be between 2 and the model's max_position_embeddings ({})",
                files.config.max_position_embeddings
            )));
        }
        Some(n) => n,
        None => files.max_seq_length,
    };
    for (flag, value) in [
        ("--max-batch-size", config.max_batch_size),
        ("--max-batch-tokens", config.max_batch_tokens),
        ("--max-concurrent-requests", config.max_concurrent_requests),
        ("--max-client-batch-size", config.max_client_batch_size),
        ("--max-body-bytes", config.max_body_bytes),
    ] {
        if value == 0 {
            return Err(ServeError::Config(format!("{flag}: must be at least 1")));
        }
    }
    let selected = device::select(config.device).map_err(|e| ServeError::Config(e.to_string()))?;
    let backend = config
        .backend
        .resolve(&selected.device)
        .map_err(|e| ServeError::Config(format!("--backend: {e}")))?;
    if let Some(why) = &selected.fallback {
        tracing::warn!(reason = %why, "--device auto: running on the CPU");
    }
    let tokenizer = Tokenizer::from_file(&files.tokenizer_path()).map_err(|e| {
        ServeError::Config(format!("--model-dir {}: {e}", config.model_dir.display()))
    })?;
    let model_id = config.model_id.clone().unwrap_or_else(|| {
        config
            .model_dir
            .file_name()
            .map_or_else(|| "model".to_owned(), |n| n.to_string_lossy().into_owned())
    });
    let state = AppState {
        model_id,
        model: files.info(),
        max_input_tokens,
        device: selected.name,
        backend,
        device_fallback: selected.fallback,
        tokenizer: Arc::new(tokenizer),
        engine: OnceLock::new(),
        readiness: Readiness::default(),
        metrics: Arc::new(Metrics::default()),
        config,
    };
    Ok((state, files, selected.device))
}

/// Runs the service until a signal (exit 0) or a failure.
pub async fn run(config: ServeConfig) -> Result<(), ServeError> {
    let (state, files, device) = prepare(config)?;
    let state = Arc::new(state);
    let addr = SocketAddr::new(state.config.host, state.config.port);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| ServeError::Config(format!("--host/--port {addr}: cannot listen: {e}")))?;
    let local = listener.local_addr().map_err(|e| ServeError::Runtime(e.to_string()))?;
    tracing::info!(addr = %local, model_dir = %files.dir.display(), device = %state.device, "listening");

    let (failed_tx, mut failed_rx) = watch::channel(None::<String>);
    tokio::spawn(load(state.clone(), files, device, failed_tx));

    let (drain_tx, mut drain_rx) = watch::channel(false);
    let shutdown_state = state.clone();
    let app = router(state.clone());
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        tokio::select! {
            signal = wait_for_signal(shutdown_state.config.debug_ignore_sigterm) => {
                tracing::info!(signal, "shutdown requested: readiness is now 503");
            }
            _ = async {
                // The loader drops its sender once the model is ready: then only a signal ends the wait.
                if failed_rx.wait_for(Option::is_some).await.is_err() {
                    std::future::pending::<()>().await;
                }
            } => {}
        }
        shutdown_state.readiness.advance(Phase::Draining);
        let _ = drain_tx.send(true);
        tokio::time::sleep(shutdown_state.config.shutdown_delay).await;
        tracing::info!("closing the listener; finishing in-flight requests");
    });
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        result = &mut server => {
            return result.map_err(|e| ServeError::Runtime(format!("server error: {e}")));
        }
        _ = drain_rx.wait_for(|d| *d) => {}
    }
    let grace = state.config.shutdown_grace;
    match tokio::time::timeout(grace, server).await {
        Ok(result) => result.map_err(|e| ServeError::Runtime(format!("server error: {e}")))?,
        Err(_) => {
            return Err(ServeError::Runtime(format!(
                "requests still in flight after the {:.1}s shutdown grace",
                grace.as_secs_f64()
            )));
        }
    }
    if let Phase::Failed(why) = state.readiness.phase() {
        return Err(ServeError::Runtime(format!("model failed to load: {why}")));
    }
    tracing::info!("shut down cleanly");
    Ok(())
}

/// Loads the model on the worker thread, warms it up and marks the service ready.
async fn load(
    state: Arc<AppState>,
    files: ModelFiles,
    device: candle_core::Device,
    failed: watch::Sender<Option<String>>,
) {
    let started = Instant::now();
    let c = &state.config;
    let limits = BatchLimits {
        max_batch_size: c.max_batch_size,
        max_batch_tokens: c.max_batch_tokens,
        queue_capacity: c.max_concurrent_requests,
        debug_delay: c.debug_batch_delay,
    };
    let metrics = state.metrics.clone();
    let backend = state.backend;
    tokio::time::sleep(c.debug_load_delay).await;
    let loaded = tokio::task::spawn_blocking(move || {
        Engine::start(&files, device, backend, limits, metrics)
    })
    .await;
    let result: Result<(), String> = async {
        let engine = loaded.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
        state.readiness.advance(Phase::WarmingUp);
        let engine = state.engine.get_or_init(|| engine);
        let ids = state
            .tokenizer
            .encode(WARM_UP, 0, state.max_input_tokens, None)
            .map_err(|e| e.to_string())?
            .ids;
        let vectors: Vec<Vec<f32>> =
            engine.embed(vec![ids]).await.map_err(|e: inference::Error| e.to_string())?;
        if vectors.first().map(Vec::len) != Some(state.model.dimension) {
            return Err("the warm-up embedding has the wrong dimension".to_owned());
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => {
            state.metrics.set_model_load(started.elapsed());
            state.readiness.advance(Phase::Ready);
            tracing::info!(
                seconds = started.elapsed().as_secs_f64(),
                "model loaded and warmed up: ready"
            );
        }
        Err(why) => {
            tracing::error!(error = %why, "model failed to load");
            state.readiness.advance(Phase::Failed(why.clone()));
            let _ = failed.send(Some(why));
        }
    }
}

/// Resolves on SIGTERM or SIGINT with the signal's name. With `ignore_term` (a
/// fault for tests) SIGTERM is received and dropped.
async fn wait_for_signal(ignore_term: bool) -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("installing the SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("installing the SIGINT handler");
    loop {
        tokio::select! {
            _ = term.recv() => {
                if !ignore_term {
                    return "SIGTERM";
                }
                tracing::warn!("SIGTERM ignored (--debug-ignore-sigterm)");
            }
            _ = int.recv() => return "SIGINT",
        }
    }
}
