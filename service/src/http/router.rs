//! The route table and the layers around it.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::{get, post};

use futures_util::StreamExt as _;

use super::{ApiError, AppState, auth, embeddings, health, meta, v2};

/// Builds the service's router.
pub fn router(state: Arc<AppState>) -> Router {
    let inference = Router::new()
        .route("/v1/embeddings", post(embeddings::openai))
        .route("/embed", post(embeddings::tei))
        .route("/v1/models", get(meta::models))
        .route("/v2/models/{model}/infer", post(v2::infer))
        .route_layer(middleware::from_fn_with_state(state.clone(), drain_oversized))
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
        .route("/version", get(meta::version))
        .route("/v2", get(v2::server))
        .route("/v2/health/live", get(v2::live))
        .route("/v2/health/ready", get(v2::ready))
        .route("/v2/models/{model}", get(v2::model))
        .route("/v2/models/{model}/ready", get(v2::model_ready))
        .fallback(meta::not_found)
        .method_not_allowed_fallback(meta::method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

/// Most bytes of an oversized body read (and thrown away) before the 413.
const DRAIN_BOUND: usize = 64 * 1024 * 1024;

/// Answers a body over `max_body_bytes` with the JSON 413 only after reading
/// the rest of it, up to [`DRAIN_BOUND`]: a client that writes its whole body
/// before it reads (Python's `http.client` and `requests` do) then gets the
/// answer instead of a reset connection and a broken pipe. A body whose
/// `Content-Length` is within the limit passes untouched.
async fn drain_oversized(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let limit = state.config.max_body_bytes;
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n <= limit) {
        return next.run(request).await;
    }
    let too_large = || {
        ApiError::TooLarge {
            code: "body_too_large",
            message: format!("the request body is over the limit of {limit} bytes"),
        }
        .into_response()
    };
    if declared.is_some_and(|n| n > DRAIN_BOUND) {
        return too_large();
    }
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return ApiError::InvalidJson("cannot read the request body".into()).into_response();
        };
        total += chunk.len();
        if total <= limit {
            kept.extend_from_slice(&chunk);
        } else if total > DRAIN_BOUND {
            break;
        }
    }
    if total > limit {
        return too_large();
    }
    next.run(Request::from_parts(parts, Body::from(kept))).await
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
