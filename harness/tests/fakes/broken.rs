//! A fake embedding service on an ephemeral port, well-behaved unless told otherwise.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::{Value, json};

/// One way for the fake service to be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Behaves.
    None,
    /// `/health/startup` answers 500.
    StartupFails,
    /// `/health/ready` answers 503.
    ReadyFails,
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
    /// `/v1/models` lists another model.
    ModelsWrong,
    /// `encoding_format: base64` is ignored: floats come back.
    Base64Ignored,
    /// base64 is big-endian, not little-endian.
    Base64BigEndian,
    /// `dimensions` is ignored: full vectors come back.
    DimensionsIgnored,
    /// Every `index` is 0.
    IndexWrong,
    /// A batch over the limit gets a 500.
    BatchLimit500,
    /// The empty string gets a 500.
    EmptyString500,
    /// An input over the limit is never answered.
    LongInputHangs,
    /// Refusals in FastAPI's shape, `{"detail": ...}`, not OpenAI's.
    ErrorsFastApi,
    /// Health answers 200 while every embedding request fails with a 500.
    InferenceDead,
    /// `usage` counts characters.
    UsageCharacters,
    /// `/v2/health/live` answers 200 `{"live": false}`.
    V2LiveFalse,
    /// `/v2` has no `version`.
    V2ServerNoVersion,
    /// The model metadata names another model.
    V2ModelMisnamed,
    /// The metadata advertises FP64 but infer answers FP32.
    V2OutputMismatch,
    /// The request's id is not echoed.
    V2IdDropped,
    /// Bad inference requests get FastAPI's 422 `{"detail": ...}`.
    V2ErrorsFastApi,
    /// A sentence over the limit gets a 500.
    V2LongInput500,
    /// `/version` has no `version`.
    VersionMissing,
    /// TEI's `normalize: false` gives a vector of another direction.
    TeiRawElsewhere,
    /// TEI's `truncate: true` is ignored: a long input is still refused.
    TeiTruncateIgnored,
    /// TEI's `/embed_all` answers pooled vectors, not token vectors.
    TeiEmbedAllPooled,
    /// TEI's `/info` lacks `max_input_length`.
    TeiInfoIncomplete,
    /// TEI's `/tokenize` gives offsets past the end of the input.
    TeiTokenizeOffsets,
    /// TEI's routes refuse in OpenAI's error shape, not TEI's.
    TeiErrorsOpenAi,
    /// `/v1/embeddings` embeds a body whose `dimensions`, `user` or `model` has the wrong type.
    AcceptsMistyped,
    /// `/v1/embeddings` refuses a body that sets `user`, which its document allows.
    RefusesUser,
}

/// The model the fake serves.
pub const MODEL: &str = "all-MiniLM-L6-v2";
/// Most inputs the fake embeds in one request.
pub const MAX_BATCH: usize = 8;

/// Length of the fake's vectors.
pub const DIMENSION: usize = 64;

/// The fake's own vectors for the reference sentences, as a `reference_vectors`
/// file: what sentence-transformers would say if the fake's model were real.
pub fn reference_vectors() -> std::path::PathBuf {
    static FILE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let fixture: Value =
            serde_json::from_str(include_str!("../../../fixtures/embeddings/expected.json"))
                .unwrap();
        let texts: Vec<String> = fixture["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["text"].as_str().unwrap().to_owned())
            .collect();
        let items: Vec<Value> = texts
            .iter()
            .zip(vectors(Fault::None, &texts))
            .map(|(text, embedding)| json!({"text": text, "embedding": embedding}))
            .collect();
        let file =
            std::env::temp_dir().join(format!("gauntlet-fake-vectors-{}.json", std::process::id()));
        let doc = json!({"model": "the fake", "tolerance": {"cosine_min": 0.9999}, "items": items});
        std::fs::write(&file, doc.to_string()).unwrap();
        file
    })
    .clone()
}

/// Starts the fake on a background runtime; returns its base URL.
pub fn serve(fault: Fault) -> String {
    serve_router(app(fault))
}

/// Serves `app` on an ephemeral loopback port from a background runtime; returns its base URL.
pub fn serve_router(app: Router) -> String {
    let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
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
                (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "down"}))).into_response()
            } else if fault == Fault::HealthWrongShape {
                Json(json!({ "ok": true })).into_response()
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
        .route("/health/ready", get(health("ready", Fault::ReadyFails)))
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
                if (fault == Fault::Flaky && call % 3 == 2) || fault == Fault::InferenceDead {
                    return error(StatusCode::INTERNAL_SERVER_ERROR, "flaky");
                }
                if fault == Fault::LongInputHangs && body.len() > 10_000 {
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
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
            "/version",
            get(move || async move {
                if fault == Fault::VersionMissing {
                    Json(json!({"name": "fake"}))
                } else {
                    Json(json!({"version": "0.0.0"}))
                }
            }),
        )
        .nest("/tei", tei_routes(fault))
        .route("/v2/health/live", get(move || async move { Json(json!({"live": fault != Fault::V2LiveFalse})) }))
        .route("/v2/health/ready", get(|| async { Json(json!({"ready": true})) }))
        .route(
            "/v2",
            get(move || async move {
                let mut server = json!({"name": "fake", "version": "0.0.0", "extensions": []});
                if fault == Fault::V2ServerNoVersion {
                    server.as_object_mut().unwrap().remove("version");
                }
                Json(server)
            }),
        )
        .route("/v2/models/{model}", get(move |Path(model): Path<String>| async move { v2_metadata(fault, &model) }))
        .route(
            "/v2/models/{model}/ready",
            get(move |Path(model): Path<String>| async move {
                if model == MODEL {
                    Json(json!({"name": MODEL, "ready": true})).into_response()
                } else {
                    (StatusCode::NOT_FOUND, Json(json!({"error": "no such model"}))).into_response()
                }
            }),
        )
        .route(
            "/v2/models/{model}/infer",
            post(move |Path(model): Path<String>, body: Bytes| async move { v2_infer(fault, &model, &body) }),
        )
        .route(
            "/v1/models",
            get(move || async move {
                let id = if fault == Fault::ModelsWrong { "some-other-model" } else { MODEL };
                Json(json!({"object": "list", "data": [{"id": id, "object": "model", "created": 0, "owned_by": "fake"}]}))
            }),
        )
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
        .route("/fake/openapi.json", get(|| async { Json(fake_openapi()) }))
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

/// An OpenAPI document of one POST route whose body needs `field`: a sentence
/// or a batch of at most [`MAX_BATCH`]; `options` are its other properties.
fn one_route_document(openapi: &str, path: &str, field: &str, options: Value) -> Value {
    let mut properties = json!({ field: {"oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1, "maxItems": MAX_BATCH}
    ]}});
    properties.as_object_mut().unwrap().extend(options.as_object().unwrap().clone());
    json!({
        "openapi": openapi,
        "info": {"title": "fake", "version": "0.0.0"},
        "paths": {path: {"post": {
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Request"}}}},
            "responses": {"200": {"description": "vectors"}}
        }}},
        "components": {"schemas": {"Request": {"type": "object", "required": [field], "properties": properties}}}
    })
}

/// The fake TEI's OpenAPI document: its `/embed`, in TEI's 3.0 dialect
/// (`nullable`), with paths relative to the `/tei` it is served under.
fn fake_tei_openapi() -> Value {
    let options = json!({
        "normalize": {"type": "boolean", "nullable": true},
        "truncate": {"type": "boolean", "nullable": true}
    });
    one_route_document("3.0.3", "/embed", "inputs", options)
}

/// The fake's own OpenAPI document: its OpenAI route, as strict as its handler.
fn fake_openapi() -> Value {
    let options = json!({
        "dimensions": {"type": ["integer", "null"], "minimum": DIMENSION, "maximum": DIMENSION},
        "encoding_format": {"enum": ["float", "base64", null]},
        "model": {"type": ["string", "null"]},
        "user": {"type": ["string", "null"]}
    });
    one_route_document("3.1.0", "/v1/embeddings", "input", options)
}

fn error(status: StatusCode, message: &str) -> Response {
    let body =
        json!({"error": {"message": message, "type": "invalid_request_error", "code": "bad"}});
    (status, Json(body)).into_response()
}

/// A refusal in FastAPI's shape.
fn fastapi_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"detail": [{"msg": message, "type": "value_error"}]}))).into_response()
}

/// Parses the body and reads the inputs from `field`, or answers the error.
fn inputs(fault: Fault, body: &[u8], field: &str) -> Result<Vec<String>, Box<Response>> {
    let error = |status, message: &str| {
        if fault == Fault::ErrorsFastApi {
            fastapi_error(status, message)
        } else {
            error(status, message)
        }
    };
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
    if texts.iter().any(|t| t.is_empty()) && fault == Fault::EmptyString500 {
        return Err(Box::new(error(StatusCode::INTERNAL_SERVER_ERROR, "index out of range")));
    }
    if texts.is_empty() || texts.iter().any(|t| t.is_empty()) {
        return Err(Box::new(error(StatusCode::UNPROCESSABLE_ENTITY, "empty input")));
    }
    if texts.len() > MAX_BATCH {
        let status = if fault == Fault::BatchLimit500 {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::PAYLOAD_TOO_LARGE
        };
        return Err(Box::new(error(status, "too many inputs")));
    }
    if texts.iter().any(|t| t.len() > 10_000) {
        return Err(Box::new(error(StatusCode::PAYLOAD_TOO_LARGE, "input too long")));
    }
    Ok(texts)
}

fn openai(fault: Fault, body: &[u8]) -> Response {
    let texts = match inputs(fault, body, "input") {
        Ok(t) => t,
        Err(answer) => return *answer,
    };
    let request = serde_json::from_slice::<Value>(body).unwrap_or_default();
    let encoding = request["encoding_format"].as_str();
    if !(request["encoding_format"].is_null() || matches!(encoding, Some("float" | "base64"))) {
        return error(StatusCode::BAD_REQUEST, "unsupported encoding_format");
    }
    let kinds =
        [("dimensions", "uint"), ("user", "string"), ("model", "string"), ("truncate", "bool")];
    if let Some(why) = mistyped(&request, &kinds)
        && fault != Fault::AcceptsMistyped
    {
        return error(StatusCode::BAD_REQUEST, &why);
    }
    if fault == Fault::RefusesUser && request.get("user").is_some() {
        return error(StatusCode::BAD_REQUEST, "user is not supported");
    }
    let dimensions = request["dimensions"].as_u64();
    // 384 too: the reference document the fake serves allows only the reference model's dimension.
    if dimensions.is_some_and(|d| d != DIMENSION as u64 && d != 384)
        && fault != Fault::DimensionsIgnored
    {
        return error(StatusCode::BAD_REQUEST, "unsupported dimensions");
    }
    let data: Vec<Value> = vectors(fault, &texts)
        .into_iter()
        .enumerate()
        .map(|(index, v)| {
            let index = if fault == Fault::IndexWrong { 0 } else { index };
            let embedding = match encoding {
                Some("base64") if fault != Fault::Base64Ignored => {
                    let bytes: Vec<u8> = v
                        .iter()
                        .flat_map(|x| {
                            if fault == Fault::Base64BigEndian {
                                (*x as f32).to_be_bytes()
                            } else {
                                (*x as f32).to_le_bytes()
                            }
                        })
                        .collect();
                    json!(base64::engine::general_purpose::STANDARD.encode(bytes))
                }
                _ => json!(v),
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    let tokens: usize = if fault == Fault::UsageCharacters {
        texts.iter().map(|t| t.chars().count()).sum()
    } else {
        texts.iter().map(|t| t.split_whitespace().count() + 2).sum()
    };
    let mut answer = json!({
        "object": "list",
        "data": data,
        "model": MODEL,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    });
    if fault == Fault::MissingUsage {
        answer.as_object_mut().unwrap().remove("usage");
    }
    Json(answer).into_response()
}

/// TEI's `/embed` options, typed as the documents the fake serves say.
const TEI_KINDS: [(&str, &str); 4] = [
    ("normalize", "bool"),
    ("truncate", "bool"),
    ("prompt_name", "string"),
    ("truncation_direction", "direction"),
];

/// The first field of `request` whose value is not of its kind, or null: the
/// fake is as strict as the documents it serves.
fn mistyped(request: &Value, kinds: &[(&str, &str)]) -> Option<String> {
    kinds
        .iter()
        .find(|(field, kind)| {
            let v = &request[*field];
            !(v.is_null()
                || match *kind {
                    "bool" => v.is_boolean(),
                    "string" => v.is_string(),
                    "uint" => v.is_u64(),
                    "object" => v.is_object(),
                    "array" => v.is_array(),
                    "direction" => matches!(v.as_str(), Some("Left" | "Right" | "left" | "right")),
                    _ => true,
                })
        })
        .map(|(field, kind)| format!("`{field}` must be a {kind}"))
}

fn tei(fault: Fault, body: &[u8]) -> Response {
    let request = serde_json::from_slice::<Value>(body).unwrap_or_default();
    if let Some(why) = mistyped(&request, &TEI_KINDS) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, &why);
    }
    match inputs(fault, body, "inputs") {
        Ok(texts) if fault == Fault::TeiWrongShape => {
            Json(json!({"embeddings": vectors(fault, &texts)})).into_response()
        }
        Ok(texts) => Json(vectors(fault, &texts)).into_response(),
        Err(answer) => *answer,
    }
}

/// TEI's routes, as its OpenAPI document describes them, under `/tei`.
fn tei_routes(fault: Fault) -> Router {
    Router::new()
        .route("/health", get(|| async { StatusCode::OK }))
        .route("/embed", post(move |body: Bytes| async move { tei_embed(fault, &body) }))
        .route("/embed_all", post(move |body: Bytes| async move { tei_embed_all(fault, &body) }))
        .route("/v1/embeddings", post(move |body: Bytes| async move { openai(fault, &body) }))
        .route("/api-doc/openapi.json", get(|| async { Json(fake_tei_openapi()) }))
        .route(
            "/info",
            get(move || async move {
                let mut info = json!({
                    "model_id": "fake/all-MiniLM-L6-v2", "model_dtype": "float32",
                    "model_type": {"embedding": {"pooling": "mean"}},
                    "max_concurrent_requests": 8, "max_input_length": 2048, "max_batch_tokens": 16384,
                    "max_client_batch_size": MAX_BATCH, "auto_truncate": false,
                    "tokenization_workers": 1, "version": "1.7.1",
                });
                if fault == Fault::TeiInfoIncomplete {
                    info.as_object_mut().unwrap().remove("max_input_length");
                }
                Json(info)
            }),
        )
        .route(
            "/tokenize",
            post(move |body: Bytes| async move {
                let request: Value = serde_json::from_slice(&body).unwrap_or_default();
                let text = request["inputs"].as_str().unwrap_or_default().to_owned();
                let mut tokens = vec![json!({"id": 101, "text": "[CLS]", "special": true, "start": null, "stop": null})];
                let mut at = 0;
                for word in text.split(' ') {
                    let stop = if fault == Fault::TeiTokenizeOffsets { at + word.len() + 100 } else { at + word.len() };
                    tokens.push(json!({"id": hash(word) % 30000, "text": word, "special": false, "start": at, "stop": stop}));
                    at += word.len() + 1;
                }
                tokens.push(json!({"id": 102, "text": "[SEP]", "special": true, "start": null, "stop": null}));
                Json(json!([tokens]))
            }),
        )
        .route(
            "/metrics",
            get(move || async move {
                let mut text = String::new();
                for (family, kind, series) in [
                    ("te_request_count", "counter", "te_request_count{method=\"batch\"} 2"),
                    ("te_request_success", "counter", "te_request_success{method=\"batch\"} 2"),
                    ("te_embed_count", "counter", "te_embed_count 2"),
                    ("te_embed_success", "counter", "te_embed_success 2"),
                    ("te_request_duration", "histogram", "te_request_duration_bucket{le=\"+Inf\"} 2"),
                    ("te_embed_inference_duration", "histogram", "te_embed_inference_duration_bucket{le=\"+Inf\"} 2"),
                    ("te_queue_size", "gauge", "te_queue_size 0"),
                ] {
                    if !(fault == Fault::MetricsMissingSeries && family == "te_embed_count") {
                        text.push_str(&format!("# TYPE {family} {kind}\n{series}\n"));
                    }
                }
                text
            }),
        )
}

/// TEI's error object.
fn tei_error(fault: Fault, status: StatusCode, message: &str, kind: &str) -> Response {
    if fault == Fault::TeiErrorsOpenAi {
        error(status, message)
    } else {
        (status, Json(json!({"error": message, "error_type": kind}))).into_response()
    }
}

/// TEI's inputs: a string or a list of them, within the batch and length limits.
fn tei_inputs(fault: Fault, request: &Value, truncate: bool) -> Result<Vec<String>, Box<Response>> {
    let texts: Vec<String> = match &request["inputs"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect(),
        _ => {
            return Err(Box::new(tei_error(
                fault,
                StatusCode::UNPROCESSABLE_ENTITY,
                "bad inputs",
                "Validation",
            )));
        }
    };
    if texts.is_empty() {
        return Err(Box::new(tei_error(
            fault,
            StatusCode::BAD_REQUEST,
            "`inputs` cannot be empty",
            "Empty",
        )));
    }
    if texts.len() > MAX_BATCH {
        return Err(Box::new(tei_error(
            fault,
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch size too large",
            "Validation",
        )));
    }
    let too_long = texts.iter().any(|t| t.len() > 10_000);
    if too_long && (!truncate || fault == Fault::TeiTruncateIgnored) {
        return Err(Box::new(tei_error(
            fault,
            StatusCode::PAYLOAD_TOO_LARGE,
            "input too long",
            "Validation",
        )));
    }
    Ok(texts.into_iter().map(|t| t.chars().take(10_000).collect()).collect())
}

fn tei_embed(fault: Fault, body: &[u8]) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return tei_error(fault, StatusCode::UNPROCESSABLE_ENTITY, "not JSON", "Validation");
    };
    if let Some(why) = mistyped(&request, &TEI_KINDS) {
        return tei_error(fault, StatusCode::UNPROCESSABLE_ENTITY, &why, "Validation");
    }
    let texts = match tei_inputs(fault, &request, request["truncate"] == true) {
        Ok(texts) => texts,
        Err(answer) => return *answer,
    };
    let mut vectors = vectors(fault, &texts);
    if request["normalize"] == false {
        for v in &mut vectors {
            v.iter_mut().for_each(|x| *x *= 2.5);
            if fault == Fault::TeiRawElsewhere {
                v.reverse();
            }
        }
    }
    Json(vectors).into_response()
}

/// One vector per token: zero for [CLS] and [SEP], a word's slot for each word,
/// so their mean points where `/embed`'s vector does.
fn tei_embed_all(fault: Fault, body: &[u8]) -> Response {
    let request = serde_json::from_slice::<Value>(body).unwrap_or_default();
    let texts = match tei_inputs(fault, &request, true) {
        Ok(texts) => texts,
        Err(answer) => return *answer,
    };
    if fault == Fault::TeiEmbedAllPooled {
        return Json(vectors(fault, &texts)).into_response();
    }
    let all: Vec<Vec<Vec<f64>>> = texts
        .iter()
        .map(|text| {
            let mut tokens = vec![vec![0.0; DIMENSION]];
            for word in
                text.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
            {
                let mut v = vec![0.0; DIMENSION];
                v[(hash(word) % DIMENSION as u64) as usize] = 1.0;
                tokens.push(v);
            }
            tokens.push(vec![0.0; DIMENSION]);
            tokens
        })
        .collect();
    Json(all).into_response()
}

fn v2_error(fault: Fault, status: StatusCode, message: &str) -> Response {
    if fault == Fault::V2ErrorsFastApi {
        (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"detail": [{"msg": message}]})))
            .into_response()
    } else {
        (status, Json(json!({"error": message}))).into_response()
    }
}

fn v2_metadata(fault: Fault, model: &str) -> Response {
    if model != MODEL {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "no such model"}))).into_response();
    }
    let name = if fault == Fault::V2ModelMisnamed { "other" } else { MODEL };
    let datatype = if fault == Fault::V2OutputMismatch { "FP64" } else { "FP32" };
    Json(json!({
        "name": name,
        "platform": "fake",
        "inputs": [{"name": "text", "datatype": "BYTES", "shape": [-1]}],
        "outputs": [{"name": "embedding", "datatype": datatype, "shape": [-1, DIMENSION]}],
    }))
    .into_response()
}

/// The Open Inference Protocol's infer route: sentences in the BYTES input
/// `text`, vectors out of the FP32 output `embedding`.
fn v2_infer(fault: Fault, model: &str, body: &[u8]) -> Response {
    if model != MODEL {
        return v2_error(fault, StatusCode::NOT_FOUND, "no such model");
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return v2_error(fault, StatusCode::BAD_REQUEST, "malformed JSON");
    };
    let kinds = [("id", "string"), ("parameters", "object"), ("outputs", "array")];
    if let Some(why) = mistyped(&request, &kinds)
        .or_else(|| mistyped(&request["parameters"], &[("truncate", "bool")]))
        .or_else(|| mistyped(&request["inputs"][0], &[("parameters", "object")]))
    {
        return v2_error(fault, StatusCode::BAD_REQUEST, &why);
    }
    if request["inputs"].as_array().is_none_or(|i| i.len() != 1)
        || request["outputs"].as_array().is_some_and(|o| o.iter().any(|o| o["name"] != "embedding"))
    {
        return v2_error(
            fault,
            StatusCode::BAD_REQUEST,
            "one input, `text`, and one output, `embedding`",
        );
    }
    let input = &request["inputs"][0];
    if input["name"] != "text" || input["datatype"] != "BYTES" {
        return v2_error(fault, StatusCode::BAD_REQUEST, "unknown input or datatype");
    }
    let Some(texts) = input["data"]
        .as_array()
        .and_then(|d| d.iter().map(|t| t.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>())
    else {
        return v2_error(fault, StatusCode::BAD_REQUEST, "BYTES data must be strings");
    };
    if input["shape"] != json!([texts.len()]) || texts.is_empty() {
        return v2_error(fault, StatusCode::BAD_REQUEST, "the shape disagrees with the data");
    }
    if texts.iter().any(|t| t.len() > 10_000) {
        let status = if fault == Fault::V2LongInput500 {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::PAYLOAD_TOO_LARGE
        };
        return v2_error(fault, status, "sentence too long");
    }
    let vectors = vectors(fault, &texts);
    let data: Vec<f64> = vectors.iter().flatten().copied().collect();
    let id = if fault == Fault::V2IdDropped { json!("made-up") } else { request["id"].clone() };
    let mut answer = json!({
        "model_name": MODEL,
        "outputs": [{"name": "embedding", "datatype": "FP32", "shape": [texts.len(), DIMENSION], "data": data}],
    });
    if !id.is_null() {
        answer["id"] = id;
    }
    Json(answer).into_response()
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
