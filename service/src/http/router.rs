//! The route table and the layers around it.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use super::{AppState, auth, embeddings, health, meta};

/// Builds the service's router.
pub fn router(state: Arc<AppState>) -> Router {
    let inference = Router::new()
        .route("/v1/embeddings", post(embeddings::openai))
        .route("/embed", post(embeddings::tei))
        .route("/v1/models", get(meta::models))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require_key));
    Router::new()
        .merge(inference)
        .route("/health", get(health::ready))
        .route("/health/startup", get(health::startup))
        .route("/health/ready", get(health::ready))
        .route("/health/live", get(health::live))
        .route("/info", get(meta::info))
        .route("/metrics", get(meta::metrics))
        .route("/gpu", get(meta::gpu))
        .route("/openapi.json", get(meta::openapi))
        .fallback(meta::not_found)
        .method_not_allowed_fallback(meta::method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

/// Counts every answer by route, method and status, with its latency.
async fn track(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics.observe_request(&route, &method, response.status().as_u16(), started.elapsed());
    response
}
