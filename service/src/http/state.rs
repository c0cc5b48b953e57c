//! What every handler shares.

use std::sync::{Arc, OnceLock};

use crate::config::ServeConfig;
use crate::inference::{Backend, Engine, ModelInfo, Tokenizer};
use crate::metrics::Metrics;
use crate::readiness::Readiness;

use super::ApiError;

/// Shared state of the HTTP layer.
pub struct AppState {
    /// The settings the service started with.
    pub config: ServeConfig,
    /// Name reported as `model`.
    pub model_id: String,
    /// The model's description (known before the weights load).
    pub model: ModelInfo,
    /// Most tokens in one input.
    pub max_input_tokens: usize,
    /// `cpu` or `cuda:N`.
    pub device: String,
    /// The forward-pass implementation in use.
    pub backend: Backend,
    /// Why `--device auto` fell back to the CPU, when it did.
    pub device_fallback: Option<String>,
    /// The tokenizer, loaded before the server binds.
    pub tokenizer: Arc<Tokenizer>,
    /// The inference engine, set once the model is loaded.
    pub engine: OnceLock<Engine>,
    /// The life phase the probes report.
    pub readiness: Readiness,
    /// Prometheus series.
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// The engine, or a 503 while the model is still loading.
    pub fn engine(&self) -> Result<&Engine, ApiError> {
        self.engine.get().ok_or_else(|| {
            let reason = self.readiness.phase().not_ready_reason().unwrap_or_default();
            ApiError::NotReady(format!("the model is not ready: {reason}"))
        })
    }
}
