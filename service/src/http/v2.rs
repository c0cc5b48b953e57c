//! The Open Inference Protocol (KServe v2) REST API for the one model served:
//! health, server and model metadata, model readiness, and inference with a
//! BYTES tensor of sentences in and an FP32 tensor of sentence vectors out.
//! Errors take the protocol's shape, `{"error": message}`.
//! <https://github.com/kserve/open-inference-protocol/blob/main/specification/protocol/inference_rest.md>

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::embeddings::{embed_texts, kind_of, parse_object};
use super::{ApiError, AppState};
use crate::inference::TruncationDirection;

/// The input tensor the sentences go in.
pub const INPUT: &str = "text";
/// The output tensor the sentence vectors come out of.
pub const OUTPUT: &str = "embedding";

/// `GET /v2/health/live`: `{"live": true}`, or 503 when the worker is wedged.
pub async fn live(state: State<Arc<AppState>>) -> (StatusCode, Json<Value>) {
    let (status, _) = super::health::live(state).await;
    (status, Json(json!({ "live": status == StatusCode::OK })))
}

/// `GET /v2/health/ready`: `{"ready": true}`, or 503 `{"ready": false}` while
/// the model loads and while draining.
pub async fn ready(State(state): State<Arc<AppState>>) -> (StatusCode, Json<Value>) {
    let ready = state.readiness.phase().not_ready_reason().is_none();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({ "ready": ready })))
}

/// `GET /v2`: the server's name, version and extensions.
pub async fn server() -> Json<Value> {
    Json(json!({
        "name": "gauntlet-service",
        "version": env!("CARGO_PKG_VERSION"),
        "extensions": [],
    }))
}

/// The served model's name, or the protocol's 404 for any other.
fn served(state: &AppState, model: &str) -> Result<(), ApiError> {
    if model == state.model_id {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "model `{model}` is not served here; this server serves `{}`",
            state.model_id
        )))
    }
}

/// `GET /v2/models/{model}`: the model's tensors.
pub async fn model(State(state): State<Arc<AppState>>, Path(model): Path<String>) -> Response {
    if let Err(e) = served(&state, &model) {
        return e.into_protocol_v2();
    }
    Json(json!({
        "name": state.model_id,
        "versions": [],
        "platform": "gauntlet",
        "inputs": [{ "name": INPUT, "datatype": "BYTES", "shape": [-1] }],
        "outputs": [{ "name": OUTPUT, "datatype": "FP32", "shape": [-1, state.model.dimension] }],
    }))
    .into_response()
}

/// `GET /v2/models/{model}/ready`: 200 `{"name", "ready": true}` once loaded, else 503.
pub async fn model_ready(
    State(state): State<Arc<AppState>>,
    Path(model): Path<String>,
) -> Response {
    if let Err(e) = served(&state, &model) {
        return e.into_protocol_v2();
    }
    let ready =
        state.engine.get().is_some() && state.readiness.phase().not_ready_reason().is_none();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({ "name": state.model_id, "ready": ready }))).into_response()
}

/// Ids for answers to requests that gave none.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// `POST /v2/models/{model}/infer`.
pub async fn infer(
    State(state): State<Arc<AppState>>,
    Path(model): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(e) = served(&state, &model) {
        return e.into_protocol_v2();
    }
    match infer_inner(&state, &headers, body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(e) => e.into_protocol_v2(),
    }
}

async fn infer_inner(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Value, ApiError> {
    let request = parse_object(headers, body?)?;
    let id = match request.get("id") {
        None | Some(Value::Null) => format!("gauntlet-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed)),
        Some(Value::String(id)) => id.clone(),
        Some(other) => {
            return Err(invalid(format!("`id` must be a string, got {}", kind_of(other))));
        }
    };
    if request.get("parameters").is_some_and(|p| !p.is_object() && !p.is_null()) {
        return Err(invalid("`parameters` must be an object".into()));
    }
    let truncate = match request.get("parameters").map(|p| &p["truncate"]) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(invalid(format!(
                "`parameters.truncate` must be a boolean, got {}",
                kind_of(other)
            )));
        }
    };
    check_requested_outputs(&request)?;
    let texts = sentences(&request, state.config.max_client_batch_size)?;
    let n = texts.len();
    let (vectors, _) =
        embed_texts(state, texts, truncate.then_some(TruncationDirection::Right), true).await?;
    let dimension = vectors.first().map_or(state.model.dimension, Vec::len);
    let data: Vec<f32> = vectors.into_iter().flatten().collect();
    Ok(json!({
        "model_name": state.model_id,
        "id": id,
        "outputs": [{ "name": OUTPUT, "datatype": "FP32", "shape": [n, dimension], "data": data }],
    }))
}

fn invalid(message: String) -> ApiError {
    ApiError::BadRequest { code: "invalid_inference_request", message }
}

/// Refuses a request for an output this model does not have.
fn check_requested_outputs(request: &Map<String, Value>) -> Result<(), ApiError> {
    let Some(outputs) = request.get("outputs").filter(|o| !o.is_null()) else { return Ok(()) };
    let outputs = outputs
        .as_array()
        .ok_or_else(|| invalid(format!("`outputs` must be an array, got {}", kind_of(outputs))))?;
    for (i, output) in outputs.iter().enumerate() {
        match output["name"].as_str() {
            Some(OUTPUT) => {}
            Some(other) => {
                return Err(invalid(format!(
                    "`outputs[{i}].name` is `{other}`: this model's only output is `{OUTPUT}`"
                )));
            }
            None => return Err(invalid(format!("`outputs[{i}].name` must be a string"))),
        }
    }
    Ok(())
}

/// The sentences of the one BYTES input named [`INPUT`], checked against its
/// shape: `[n]` or `[n, 1]`, the data flat or nested, n from 1 to `max`.
fn sentences(request: &Map<String, Value>, max: usize) -> Result<Vec<String>, ApiError> {
    let inputs = request
        .get("inputs")
        .ok_or_else(|| invalid("missing field `inputs`".into()))?
        .as_array()
        .ok_or_else(|| invalid("`inputs` must be an array of tensors".into()))?;
    let [input] = inputs.as_slice() else {
        return Err(invalid(format!(
            "`inputs` has {} tensors: this model takes exactly one, `{INPUT}`",
            inputs.len()
        )));
    };
    match input["name"].as_str() {
        Some(INPUT) => {}
        Some(other) => {
            return Err(invalid(format!(
                "input `{other}` is unknown: this model's only input is `{INPUT}` (BYTES)"
            )));
        }
        None => return Err(invalid("`inputs[0].name` must be a string".into())),
    }
    if input.get("parameters").is_some_and(|p| !p.is_object() && !p.is_null()) {
        return Err(invalid(format!("input `{INPUT}` has `parameters` that are not an object")));
    }
    if input["datatype"] != "BYTES" {
        return Err(invalid(format!(
            "input `{INPUT}` has datatype {}, but it is BYTES",
            input["datatype"]
        )));
    }
    let shape: Vec<u64> =
        input["shape"].as_array().and_then(|s| s.iter().map(Value::as_u64).collect()).ok_or_else(
            || invalid(format!("input `{INPUT}` needs a `shape` of non-negative integers")),
        )?;
    let n = match shape.as_slice() {
        [n] | [n, 1] => *n as usize,
        other => {
            return Err(invalid(format!(
                "input `{INPUT}` has shape {other:?}: use [n] or [n, 1] for n sentences"
            )));
        }
    };
    if !input["data"].is_array() {
        return Err(invalid(format!(
            "input `{INPUT}` needs `data`, an array of its strings, got {}",
            kind_of(&input["data"])
        )));
    }
    let mut texts = Vec::new();
    flatten(&input["data"], &mut texts)?;
    if texts.len() != n {
        return Err(invalid(format!(
            "input `{INPUT}` has shape {shape:?} but {} data elements",
            texts.len()
        )));
    }
    if n == 0 {
        return Err(ApiError::unprocessable("empty_input", format!("input `{INPUT}` is empty")));
    }
    if n > max {
        return Err(ApiError::TooLarge {
            code: "too_many_inputs",
            message: format!("input `{INPUT}` has {n} sentences, more than the limit of {max}"),
        });
    }
    Ok(texts)
}

/// The strings of a BYTES tensor's data, flat or nested, in row-major order.
fn flatten(data: &Value, into: &mut Vec<String>) -> Result<(), ApiError> {
    match data {
        Value::String(s) => into.push(s.clone()),
        Value::Array(items) => {
            for item in items {
                flatten(item, into)?;
            }
        }
        other => {
            return Err(invalid(format!(
                "input `{INPUT}` is BYTES, so its data must be strings, got {}",
                kind_of(other)
            )));
        }
    }
    Ok(())
}
