//! The inference routes: `POST /v1/embeddings` (OpenAI shape) and `POST /embed` (TEI shape).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::{ApiError, AppState};
use crate::inference::{TruncationDirection, normalize};

/// Bodies larger than this are tokenized off the async runtime.
const INLINE_TOKENIZE_BYTES: usize = 4096;

/// `POST /v1/embeddings`.
pub async fn openai(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let request = parse_object(&headers, body?)?;
    let texts = parse_inputs(&request, "input", state.config.max_client_batch_size)?;
    let base64 = match request.get("encoding_format") {
        None | Some(Value::Null) => false,
        Some(Value::String(f)) if f == "float" => false,
        Some(Value::String(f)) if f == "base64" => true,
        Some(other) => {
            return Err(ApiError::unprocessable(
                "invalid_encoding_format",
                format!("`encoding_format` must be \"float\" or \"base64\", got {other}"),
            ));
        }
    };
    optional_string(&request, "model")?;
    optional_string(&request, "user")?;
    if let Some(dimensions) = request.get("dimensions").filter(|v| !v.is_null()) {
        let Some(n) = dimensions.as_u64() else {
            return Err(ApiError::unprocessable(
                "invalid_dimensions",
                format!("`dimensions` must be a positive integer, got {dimensions}"),
            ));
        };
        if n != state.model.dimension as u64 {
            return Err(ApiError::BadRequest {
                code: "unsupported_dimensions",
                message: format!(
                    "`dimensions` is {n} but this model only produces {} dimensions",
                    state.model.dimension
                ),
            });
        }
    }
    let truncate = optional_bool(&request, "truncate")?.unwrap_or(false);
    let (vectors, tokens) =
        embed_texts(&state, texts, truncate.then_some(TruncationDirection::Right), true).await?;
    let data: Vec<Value> = vectors
        .into_iter()
        .enumerate()
        .map(|(index, v)| {
            let embedding = if base64 { Value::String(encode_base64(&v)) } else { json!(v) };
            json!({ "object": "embedding", "index": index, "embedding": embedding })
        })
        .collect();
    Ok(Json(json!({
        "object": "list",
        "data": data,
        "model": state.model_id,
        "usage": { "prompt_tokens": tokens, "total_tokens": tokens },
    })))
}

/// `POST /embed`.
pub async fn tei(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Vec<Vec<f32>>>, ApiError> {
    let request = parse_object(&headers, body?)?;
    let texts = parse_inputs(&request, "inputs", state.config.max_client_batch_size)?;
    let normalize = optional_bool(&request, "normalize")?.unwrap_or(true);
    let truncate = optional_bool(&request, "truncate")?.unwrap_or(false);
    let direction = match request.get("truncation_direction") {
        None | Some(Value::Null) => TruncationDirection::Right,
        Some(Value::String(d)) if d.eq_ignore_ascii_case("right") => TruncationDirection::Right,
        Some(Value::String(d)) if d.eq_ignore_ascii_case("left") => TruncationDirection::Left,
        Some(other) => {
            return Err(ApiError::unprocessable(
                "invalid_truncation_direction",
                format!("`truncation_direction` must be \"Left\" or \"Right\", got {other}"),
            ));
        }
    };
    optional_string(&request, "prompt_name")?;
    let (vectors, _) = embed_texts(&state, texts, truncate.then_some(direction), normalize).await?;
    Ok(Json(vectors))
}

/// Tokenizes, runs the model and (optionally) normalizes; returns the vectors
/// and the number of tokens used.
pub(super) async fn embed_texts(
    state: &Arc<AppState>,
    texts: Vec<String>,
    truncate: Option<TruncationDirection>,
    unit: bool,
) -> Result<(Vec<Vec<f32>>, usize), ApiError> {
    let engine = state.engine()?;
    let bytes: usize = texts.iter().map(String::len).sum();
    let tokenizer = state.tokenizer.clone();
    let limit = state.max_input_tokens;
    let tokenize = move || {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| tokenizer.encode(t, i, limit, truncate).map(|t| t.ids))
            .collect::<Result<Vec<_>, _>>()
    };
    let ids = if bytes <= INLINE_TOKENIZE_BYTES {
        tokenize()?
    } else {
        tokio::task::spawn_blocking(tokenize)
            .await
            .map_err(|e| ApiError::Internal(format!("tokenizer task failed: {e}")))??
    };
    let tokens = ids.iter().map(Vec::len).sum();
    let mut vectors = engine.embed(ids).await?;
    if unit {
        vectors.iter_mut().for_each(|v| normalize(v));
    }
    Ok((vectors, tokens))
}

/// Checks the content type and parses the body as a JSON object.
pub(super) fn parse_object(
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Map<String, Value>, ApiError> {
    if let Some(kind) = headers.get(CONTENT_TYPE) {
        let kind = kind.to_str().unwrap_or_default().to_ascii_lowercase();
        let essence = kind.split(';').next().unwrap_or_default().trim();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(ApiError::UnsupportedMediaType(format!(
                "content type `{essence}` is not supported: send `application/json`"
            )));
        }
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ApiError::unprocessable(
            "invalid_body",
            format!("the request body must be a JSON object, got {}", kind_of(&other)),
        )),
        Err(e) => Err(ApiError::InvalidJson(format!("the request body is not valid JSON: {e}"))),
    }
}

/// Reads `field` as one non-empty string or a non-empty array of them.
fn parse_inputs(
    request: &Map<String, Value>,
    field: &str,
    max_inputs: usize,
) -> Result<Vec<String>, ApiError> {
    let value = request.get(field).ok_or_else(|| {
        ApiError::unprocessable("missing_field", format!("missing field `{field}`"))
    })?;
    let texts = match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => {
            if items.is_empty() {
                return Err(ApiError::unprocessable(
                    "empty_input",
                    format!("`{field}` must not be an empty array"),
                ));
            }
            if items.len() > max_inputs {
                return Err(ApiError::TooLarge {
                    code: "too_many_inputs",
                    message: format!(
                        "`{field}` has {} inputs, more than the limit of {max_inputs}",
                        items.len()
                    ),
                });
            }
            items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(ApiError::unprocessable(
                        "invalid_type",
                        format!("`{field}[{i}]` must be a string, got {}", kind_of(other)),
                    )),
                })
                .collect::<Result<_, _>>()?
        }
        other => {
            return Err(ApiError::unprocessable(
                "invalid_type",
                format!(
                    "`{field}` must be a string or an array of strings, got {}",
                    kind_of(other)
                ),
            ));
        }
    };
    if let Some(i) = texts.iter().position(|t| t.trim().is_empty()) {
        let at = if value.is_array() { format!("{field}[{i}]") } else { field.to_owned() };
        return Err(ApiError::unprocessable("empty_input", format!("`{at}` must not be empty")));
    }
    Ok(texts)
}

fn optional_bool(request: &Map<String, Value>, field: &str) -> Result<Option<bool>, ApiError> {
    match request.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(ApiError::unprocessable(
            "invalid_type",
            format!("`{field}` must be a boolean, got {}", kind_of(other)),
        )),
    }
}

fn optional_string(request: &Map<String, Value>, field: &str) -> Result<(), ApiError> {
    match request.get(field) {
        None | Some(Value::Null | Value::String(_)) => Ok(()),
        Some(other) => Err(ApiError::unprocessable(
            "invalid_type",
            format!("`{field}` must be a string, got {}", kind_of(other)),
        )),
    }
}

pub(super) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Little-endian f32 bytes in standard base64, as OpenAI's `encoding_format: base64`.
fn encode_base64(v: &[f32]) -> String {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn inputs_accept_a_string_or_an_array_of_strings() {
        let one = parse_inputs(&object(json!({"input": "hi"})), "input", 8).unwrap();
        assert_eq!(one, vec!["hi"]);
        let two = parse_inputs(&object(json!({"input": ["a", "b"]})), "input", 8).unwrap();
        assert_eq!(two, vec!["a", "b"]);
    }

    #[test]
    fn bad_inputs_name_the_field() {
        let cases = [
            (json!({}), "missing field `input`"),
            (json!({"input": 3}), "`input` must be a string or an array of strings, got a number"),
            (json!({"input": []}), "`input` must not be an empty array"),
            (json!({"input": ["a", 1]}), "`input[1]` must be a string, got a number"),
            (json!({"input": ["a", " "]}), "`input[1]` must not be empty"),
            (json!({"input": ""}), "`input` must not be empty"),
        ];
        for (body, want) in cases {
            match parse_inputs(&object(body.clone()), "input", 8) {
                Err(ApiError::Unprocessable { message, .. }) => assert_eq!(message, want, "{body}"),
                other => panic!("{body}: expected a 422, got {other:?}"),
            }
        }
    }

    #[test]
    fn too_many_inputs_is_too_large() {
        let err = parse_inputs(&object(json!({"input": ["a", "b", "c"]})), "input", 2).unwrap_err();
        assert!(matches!(err, ApiError::TooLarge { code: "too_many_inputs", .. }), "{err:?}");
    }

    #[test]
    fn base64_is_little_endian_f32() {
        assert_eq!(encode_base64(&[1.0]), "AACAPw==");
    }
}
