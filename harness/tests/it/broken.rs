//! A fake embedding service on an ephemeral port, well-behaved unless told otherwise.

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
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
    let health = move |name: &'static str, bad: Fault| {
        move || async move {
            if fault == bad {
                match bad {
                    Fault::ReadyNotJson => (StatusCode::OK, "ok").into_response(),
                    _ => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "down"})))
                        .into_response(),
                }
            } else {
                Json(json!({ "status": name })).into_response()
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
        .route("/health/live", get(health("alive", Fault::LiveFails)))
        .route(
            "/v1/embeddings",
            post(move |Json(body): Json<Value>| async move { embeddings(fault, &body) }),
        )
        .route(
            "/info",
            get(move || async move {
                let dimension =
                    if fault == Fault::WrongDimension { DIMENSION + 1 } else { DIMENSION };
                Json(json!({ "model_id": "fake", "dimension": dimension }))
            }),
        )
}

/// A bag-of-words vector per input (words hashed into `DIMENSION` slots), unit
/// length, so paraphrases sharing words come out close; faults bend it.
fn embeddings(fault: Fault, body: &Value) -> Response {
    let inputs: Vec<String> = match &body["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect(),
        _ => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"error": {"message": "bad input"}})),
            )
                .into_response();
        }
    };
    let batch = inputs.len();
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, text)| {
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
            json!({"object": "embedding", "index": index, "embedding": v})
        })
        .collect();
    Json(json!({"object": "list", "data": data, "model": "fake", "usage": {"prompt_tokens": 1, "total_tokens": 1}}))
        .into_response()
}

fn hash(text: &str) -> u64 {
    text.bytes().fold(1469598103934665603, |h, b| (h ^ b as u64).wrapping_mul(1099511628211))
}
