//! Kubernetes probes: `/health/startup`, `/health/ready` (also `/health`, as TEI
//! names it) and `/health/live`, each with a JSON body.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;

/// 200 as soon as the process serves HTTP.
pub async fn startup(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({ "status": "started", "phase": state.readiness.phase().name() }))
}

/// 200 once the model is loaded and warmed up; 503 with a reason before and after (draining).
pub async fn ready(State(state): State<Arc<AppState>>) -> (StatusCode, Json<Value>) {
    let phase = state.readiness.phase();
    match phase.not_ready_reason() {
        None => (StatusCode::OK, Json(json!({ "status": "ready", "phase": phase.name() }))),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not_ready", "phase": phase.name(), "reason": reason })),
        ),
    }
}

/// 503 only when queued work has seen no progress for longer than the liveness timeout.
pub async fn live(State(state): State<Arc<AppState>>) -> (StatusCode, Json<Value>) {
    let limit = state.config.liveness_timeout;
    let stalled =
        state.engine.get().and_then(|e| e.stats().stalled_for().map(|s| (s, e.stats().pending())));
    match stalled {
        Some((stalled, pending)) if stalled > limit => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "wedged",
                "reason": format!(
                    "the inference worker made no progress for {:.1}s with {pending} requests pending (limit {:.1}s)",
                    stalled.as_secs_f64(),
                    limit.as_secs_f64()
                ),
            })),
        ),
        _ => (StatusCode::OK, Json(json!({ "status": "alive" }))),
    }
}
