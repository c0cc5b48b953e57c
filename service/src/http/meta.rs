//! Descriptive routes: `/info`, `/metrics`, `/gpu` and `/openapi.json`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::{ApiError, AppState};
use crate::device::CUDA_BUILT;
use crate::gpu::{self, GpuReport};

/// The OpenAPI 3.1 document; `schemas/openapi.json` is this very file.
pub const OPENAPI: &str = include_str!("../../../schemas/openapi.json");

/// `GET /info`: model, device, version, build features and limits.
pub async fn info(State(state): State<Arc<AppState>>) -> Json<Value> {
    let c = &state.config;
    let features: Vec<&str> = if CUDA_BUILT { vec!["cuda"] } else { vec![] };
    Json(json!({
        "model_id": state.model_id,
        "model_type": "embedding",
        "dimension": state.model.dimension,
        "max_input_tokens": state.max_input_tokens,
        "pooling": state.model.pooling,
        "normalized": true,
        "device": state.device,
        "backend": state.backend,
        "device_fallback": state.device_fallback,
        "version": env!("CARGO_PKG_VERSION"),
        "build_features": features,
        "ready": state.readiness.phase().not_ready_reason().is_none(),
        "auth": c.api_key.is_some(),
        "limits": {
            "max_batch_size": c.max_batch_size,
            "max_batch_tokens": c.max_batch_tokens,
            "max_concurrent_requests": c.max_concurrent_requests,
            "max_client_batch_size": c.max_client_batch_size,
            "max_body_bytes": c.max_body_bytes,
        },
    }))
}

/// `GET /v1/models`: the one model served, in OpenAI's list shape.
pub async fn models(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({
        "object": "list",
        "data": [{
            "id": state.model_id,
            "object": "model",
            "created": 0,
            "owned_by": "gauntlet",
        }],
    }))
}

/// `GET /version`: the service's version, as vLLM answers it.
pub async fn version() -> Json<Value> {
    Json(json!({ "version": env!("CARGO_PKG_VERSION") }))
}

/// `GET /metrics`: Prometheus text exposition.
pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render())
}

/// `GET /gpu`: the NVML report, or `available: false` with the reason. Never a 5xx.
pub async fn gpu() -> Json<GpuReport> {
    let report = tokio::task::spawn_blocking(gpu::report)
        .await
        .unwrap_or_else(|e| GpuReport::unavailable(format!("the NVML task failed: {e}")));
    Json(report)
}

/// `GET /openapi.json`.
pub async fn openapi() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], OPENAPI)
}

/// Any unknown route.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {}", uri.path()))
}

/// A known route with the wrong method.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path()))
}
