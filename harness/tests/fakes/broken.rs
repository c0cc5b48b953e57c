//! A fake embedding service on an ephemeral port, well-behaved unless told otherwise.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// One way for the fake service to be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Behaves.
    None,
    /// `/health/startup` answers 500.
    StartupFails,
    /// `/health/ready` answers 200 with plain text.
    ReadyNotJson,
    /// `/health/live` answers 503.
    LiveFails,
    /// Vectors are not normalized.
    Unnormalized,
    /// Vectors are random noise, different on every call.
    Noise,
    /// Vectors are unit-length but carry no meaning (a hash of the whole text).
    Unsemantic,
    /// A vector depends on the batch it came in.
    BatchDependent,
    /// `/info` reports a dimension the vectors do not have.
    WrongDimension,
    /// The OpenAI response has no `usage`.
    MissingUsage,
    /// `/embed` answers an object instead of an array of vectors.
    TeiWrongShape,
    /// Readiness answers JSON without a `status`.
    HealthWrongShape,
    /// Malformed JSON gets a 500 with plain text.
    ErrorsNotJson,
    /// The served OpenAPI document has drifted from the committed one.
    OpenapiDrift,
    /// `/metrics` lacks the batch-size histogram.
    MetricsMissingSeries,
    /// `/info` reports its dimension as a string.
    InfoWrongShape,
    /// Every third embedding request answers 500.
    Flaky,
    /// Liveness answers 503 while an embedding request is in flight.
    LiveFailsUnderLoad,
}

/// Length of the fake's vectors.
pub const DIMENSION: usize = 64;

/// Starts the fake on a background runtime; returns its base URL.
pub fn serve(fault: Fault) -> String {
    let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app(fault)).await.unwrap();
        });
    });
    format!("http://{}", rx.recv().unwrap())
}

fn app(fault: Fault) -> Router {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let health = move |name: &'static str, bad: Fault| {
        move || async move {
            if fault == bad {
                match bad {
                    Fault::ReadyNotJson => (StatusCode::OK, "ok").into_response(),
                    _ => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "down"})))
                        .into_response(),
                }
            } else {
                if fault == Fault::HealthWrongShape {
                    Json(json!({ "ok": true })).into_response()
                } else {
                    Json(json!({ "status": name })).into_response()
                }
            }
        }
    };
    let startup = move || async move {
        if fault == Fault::StartupFails {
            (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": "boom"}))).into_response()
        } else {
            Json(json!({"status": "started"})).into_response()
        }
    };
    Router::new()
        .route("/", get(|| async { "fake" }))
        .route("/health/startup", get(startup))
        .route("/health/ready", get(health("ready", Fault::ReadyNotJson)))
        .route(
            "/health/live",
            get({
                let in_flight = in_flight.clone();
                move || {
                    let busy = in_flight.load(Ordering::SeqCst) > 0;
                    async move {
                        if fault == Fault::LiveFails || (fault == Fault::LiveFailsUnderLoad && busy) {
                            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "wedged"}))).into_response()
                        } else {
                            Json(json!({"status": "alive"})).into_response()
                        }
                    }
                }
            }),
        )
        .route(
            "/v1/embeddings",
            post(move |body: Bytes| async move {
                let call = calls.fetch_add(1, Ordering::SeqCst);
                if fault == Fault::Flaky && call % 3 == 2 {
                    return error(StatusCode::INTERNAL_SERVER_ERROR, "flaky");
                }
                if fault == Fault::LiveFailsUnderLoad {
                    in_flight.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                }
                openai(fault, &body)
            }),
        )
        .route("/embed", post(move |body: Bytes| async move { tei(fault, &body) }))
        .route(
            "/openapi.json",
            get(move || async move {
                let mut doc: Value = serde_json::from_str(OPENAPI).unwrap();
                if fault == Fault::OpenapiDrift {
                    doc["info"]["version"] = json!("9.9.9");
                }
                Json(doc)
            }),
        )
        .route(
            "/metrics",
            get(move || async move {
                let mut text = String::new();
                for (family, kind, series) in [
                    ("gauntlet_http_requests_total", "counter", "gauntlet_http_requests_total{route=\"/embed\",method=\"POST\",status=\"200\"} 1"),
                    ("gauntlet_http_request_duration_seconds", "histogram", "gauntlet_http_request_duration_seconds_bucket{route=\"/embed\",le=\"+Inf\"} 1"),
                    ("gauntlet_queue_depth", "gauge", "gauntlet_queue_depth 0"),
                    ("gauntlet_batch_size", "histogram", "gauntlet_batch_size_bucket{le=\"+Inf\"} 1"),
                    ("gauntlet_tokens_total", "counter", "gauntlet_tokens_total 4"),
                    ("gauntlet_model_load_seconds", "gauge", "gauntlet_model_load_seconds 0.1"),
                    ("gauntlet_inference_errors_total", "counter", "gauntlet_inference_errors_total 0"),
                ] {
                    if !(fault == Fault::MetricsMissingSeries && family == "gauntlet_batch_size") {
                        text.push_str(&format!("# TYPE {family} {kind}\n{series}\n"));
                    }
                }
                text
            }),
        )
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such route") })
        .method_not_allowed_fallback(|| async {
            error(StatusCode::METHOD_NOT_ALLOWED, "wrong method")
        })
        .route(
            "/info",
            get(move || async move {
                let dimension = match fault {
                    Fault::WrongDimension => json!(DIMENSION + 1),
                    Fault::InfoWrongShape => json!(DIMENSION.to_string()),
                    _ => json!(DIMENSION),
                };
                Json(json!({
                    "model_id": "fake",
                    "model_type": "embedding",
                    "dimension": dimension,
                    "max_input_tokens": 128,
                    "pooling": "mean",
                    "device": "cpu",
                    "backend": "native",
                    "version": "0.0.0",
                    "build_features": [],
                    "ready": true,
                    "limits": {
                        "max_batch_size": 8,
                        "max_batch_tokens": 1024,
                        "max_concurrent_requests": 8,
                        "max_client_batch_size": 8,
                        "max_body_bytes": 65536
                    }
                }))
            }),
        )
}

const OPENAPI: &str = include_str!("../../../schemas/openapi.json");

fn error(status: StatusCode, message: &str) -> Response {
    let body =
        json!({"error": {"message": message, "type": "invalid_request_error", "code": "bad"}});
    (status, Json(body)).into_response()
}

/// Parses the body and reads the inputs from `field`, or answers the error.
fn inputs(fault: Fault, body: &[u8], field: &str) -> Result<Vec<String>, Box<Response>> {
    let body: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) if fault == Fault::ErrorsNotJson => {
            return Err(Box::new((StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response()));
        }
        Err(_) => return Err(Box::new(error(StatusCode::BAD_REQUEST, "malformed JSON"))),
    };
    let texts: Vec<String> = match &body[field] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) if a.iter().all(Value::is_string) => {
            a.iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect()
        }
        _ => return Err(Box::new(error(StatusCode::UNPROCESSABLE_ENTITY, "bad input"))),
    };
    if texts.is_empty() || texts.iter().any(|t| t.is_empty()) {
        return Err(Box::new(error(StatusCode::UNPROCESSABLE_ENTITY, "empty input")));
    }
    Ok(texts)
}

fn openai(fault: Fault, body: &[u8]) -> Response {
    let texts = match inputs(fault, body, "input") {
        Ok(t) => t,
        Err(answer) => return *answer,
    };
    let encoding = serde_json::from_slice::<Value>(body).ok().map(|b| b["encoding_format"].clone());
    if !matches!(encoding.as_ref().and_then(Value::as_str), None | Some("float" | "base64")) {
        return error(StatusCode::BAD_REQUEST, "unsupported encoding_format");
    }
    let data: Vec<Value> = vectors(fault, &texts)
        .into_iter()
        .enumerate()
        .map(|(index, v)| json!({"object": "embedding", "index": index, "embedding": v}))
        .collect();
    let mut answer = json!({
        "object": "list",
        "data": data,
        "model": "fake",
        "usage": {"prompt_tokens": 1, "total_tokens": 1},
    });
    if fault == Fault::MissingUsage {
        answer.as_object_mut().unwrap().remove("usage");
    }
    Json(answer).into_response()
}

fn tei(fault: Fault, body: &[u8]) -> Response {
    match inputs(fault, body, "inputs") {
        Ok(texts) if fault == Fault::TeiWrongShape => {
            Json(json!({"embeddings": vectors(fault, &texts)})).into_response()
        }
        Ok(texts) => Json(vectors(fault, &texts)).into_response(),
        Err(answer) => *answer,
    }
}

/// A bag-of-words vector per input (words hashed into `DIMENSION` slots), unit
/// length, so paraphrases sharing words come out close; faults bend it.
fn vectors(fault: Fault, inputs: &[String]) -> Vec<Vec<f64>> {
    let batch = inputs.len();
    inputs
        .iter()
        .map(|text| {
            let mut v = vec![0.0f64; DIMENSION];
            match fault {
                Fault::Unsemantic | Fault::Noise => {
                    let mut seed = hash(text);
                    if fault == Fault::Noise {
                        seed ^= std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_nanos() as u64;
                    }
                    for x in &mut v {
                        seed = seed
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        *x = ((seed >> 33) as f64 / (1u64 << 31) as f64) - 0.5;
                    }
                }
                _ => {
                    for word in text
                        .to_lowercase()
                        .split(|c: char| !c.is_alphanumeric())
                        .filter(|w| !w.is_empty())
                    {
                        v[(hash(word) % DIMENSION as u64) as usize] += 1.0;
                    }
                }
            }
            if fault == Fault::BatchDependent {
                v[0] += batch as f64;
            }
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
            let scale = if fault == Fault::Unnormalized { 3.0 } else { 1.0 };
            v.iter_mut().for_each(|x| *x *= scale / norm);
            v
        })
        .collect()
}

fn hash(text: &str) -> u64 {
    text.bytes().fold(1469598103934665603, |h, b| (h ^ b as u64).wrapping_mul(1099511628211))
}
