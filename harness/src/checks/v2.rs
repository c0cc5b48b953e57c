//! The Open Inference Protocol (KServe v2) REST API, as Triton, MLServer,
//! KServe's model servers and the reference service speak it: health, server
//! and model metadata, inference with a BYTES tensor of sentences, the answer
//! held to the model's own metadata, and errors in the protocol's shape.
//! <https://github.com/kserve/open-inference-protocol/blob/main/specification/protocol/inference_rest.md>
//!
//! The embeddings family runs through the infer route too ([`embed`]) when the
//! profile serves no OpenAI route.

use serde_json::{Value, json};

use crate::check;
use crate::check::{Check, Outcome};
use crate::http::{clip, exchange, get_json};
use crate::profile::{Profile, Route, V2Format};
use crate::target::Http;
use crate::verdict::Failure;

const SERVER: &str = include_str!("../../schemas/api/v2-server-metadata.schema.json");
const MODEL: &str = include_str!("../../schemas/api/v2-model-metadata.schema.json");
const RESPONSE: &str = include_str!("../../schemas/api/v2-infer-response.schema.json");

pub(super) const CHECKS: &[Check] = &[
    check! {
        id: "api.v2.health",
        family: Api,
        level: Must,
        description: "GET /v2/health/live and /v2/health/ready answer 200 on a ready server, with an empty body or {\"live\"|\"ready\": true}",
        run: |profile, http: Http| health(http, profile),
    },
    check! {
        id: "api.v2.server",
        family: Api,
        level: Must,
        description: "GET /v2 answers the server metadata: name, version and extensions",
        run: |profile, http: Http| server(http, profile),
    },
    check! {
        id: "api.v2.model",
        family: Api,
        level: Must,
        description: "GET /v2/models/{model} answers the model metadata under the model's name, and /v2/models/{model}/ready answers 200",
        run: |profile, http: Http| model(http, profile),
    },
    check! {
        id: "api.v2.infer",
        family: Api,
        level: Must,
        description: "POST /v2/models/{model}/infer with a BYTES tensor of sentences answers per the protocol, echoes the id, and its output has the name, datatype and shape the model metadata advertises",
        run: |profile, http: Http| infer(http, profile),
    },
    check! {
        id: "api.v2.errors",
        family: Api,
        level: Must,
        description: "bad inference requests (malformed JSON, an unknown model, input or datatype, a shape the data breaks) get a 4xx with the protocol's {\"error\": message}",
        run: |profile, http: Http| errors(http, profile),
    },
    check! {
        id: "api.v2.bounded",
        family: Api,
        level: Must,
        description: "a sentence far over any token limit is refused with a 4xx or truncated within the request timeout, never a 5xx or a hang",
        run: |profile, http: Http| bounded(http, profile),
    },
];

/// A GET's status and body text.
fn get(http: Http<'_>, profile: &Profile, path: &str) -> Result<(u16, String), Failure> {
    let answer = exchange(http.base_url(), path, None, profile.thresholds.request_timeout)?;
    Ok((answer.status, answer.text))
}

/// POSTs `body` as JSON within the request timeout; the status and the body text.
fn post(
    http: Http<'_>,
    profile: &Profile,
    path: &str,
    body: &str,
) -> Result<(u16, String), Failure> {
    let bound = profile.thresholds.request_timeout;
    let answer = exchange(http.base_url(), path, Some(body.as_bytes()), bound)?;
    Ok((answer.status, answer.text))
}

fn health(http: Http<'_>, profile: &Profile) -> Outcome {
    let routes = match (profile.route(Route::V2Live), profile.route(Route::V2Ready)) {
        (Ok(live), Ok(ready)) => [(live, "live"), (ready, "ready")],
        (Err(na), _) | (_, Err(na)) => return na.into(),
    };
    let mut seen = Vec::new();
    for (path, field) in &routes {
        let (status, text) = match get(http, profile, path) {
            Ok(answer) => answer,
            Err(e) => return Outcome::Fail(e.to_string()),
        };
        if status != 200 {
            return Outcome::Fail(format!(
                "GET {path} answered {status} on a ready server: {}",
                clip(&text)
            ));
        }
        // The protocol's first text says the body should be empty; its current one
        // gives {"live": true} and {"ready": true}. Either is kept.
        if !text.trim().is_empty() {
            let body: Option<Value> = serde_json::from_str(&text).ok();
            if body.as_ref().and_then(|b| b[*field].as_bool()) != Some(true) {
                return Outcome::Fail(format!(
                    "GET {path} answered 200 with {}, neither empty nor {{\"{field}\": true}}",
                    clip(&text)
                ));
            }
        }
        seen.push(format!(
            "{path} 200 {}",
            if text.trim().is_empty() { "(empty)" } else { text.trim() }
        ));
    }
    Outcome::Pass(seen.join("; "))
}

fn server(http: Http<'_>, profile: &Profile) -> Outcome {
    let path = match profile.route(Route::V2Server) {
        Ok(path) => path,
        Err(na) => return na.into(),
    };
    match get_json(&format!("{}{path}", http.base_url())) {
        Ok((200, body)) => match super::api::validate(SERVER, &body) {
            Ok(()) => Outcome::Pass(format!("GET {path}: {}", clip(&body.to_string()))),
            Err(e) => Outcome::Fail(format!("GET {path} breaks the server metadata schema: {e}")),
        },
        Ok((status, body)) => {
            Outcome::Fail(format!("GET {path} answered {status}: {}", clip(&body.to_string())))
        }
        Err(e) => Outcome::Fail(e.to_string()),
    }
}

/// The model metadata, validated; `Err` is the outcome.
fn metadata(http: Http<'_>, profile: &Profile) -> Result<(String, Value), Outcome> {
    let path = profile.route(Route::V2Model)?;
    match get_json(&format!("{}{path}", http.base_url())) {
        Ok((200, body)) => {
            super::api::validate(MODEL, &body).map_err(|e| {
                Outcome::Fail(format!("GET {path} breaks the model metadata schema: {e}"))
            })?;
            let model = profile.model.as_deref().unwrap_or_default();
            if body["name"] != model {
                return Err(Outcome::Fail(format!(
                    "GET {path} names the model {}, not {model:?}",
                    body["name"]
                )));
            }
            Ok((path, body))
        }
        Ok((status, body)) => {
            Err(Outcome::Fail(format!("GET {path} answered {status}: {}", clip(&body.to_string()))))
        }
        Err(e) => Err(Outcome::Fail(e.to_string())),
    }
}

fn model(http: Http<'_>, profile: &Profile) -> Outcome {
    let (path, body) = match metadata(http, profile) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let ready = match profile.route(Route::V2ModelReady) {
        Ok(ready) => ready,
        Err(na) => return na.into(),
    };
    match get(http, profile, &ready) {
        Ok((200, _)) => Outcome::Pass(format!(
            "GET {path}: {} input(s), {} output(s); GET {ready} 200",
            body["inputs"].as_array().map_or(0, Vec::len),
            body["outputs"].as_array().map_or(0, Vec::len)
        )),
        Ok((status, text)) => Outcome::Fail(format!(
            "GET {ready} answered {status} on a ready server: {}",
            clip(&text)
        )),
        Err(e) => Outcome::Fail(e.to_string()),
    }
}

/// The input tensor's name: the profile's, else the metadata's first BYTES input.
fn input_name(profile: &Profile, metadata: Option<&Value>) -> Result<String, Outcome> {
    if let Some(name) = &profile.v2.input {
        return Ok(name.clone());
    }
    let inputs = metadata.and_then(|m| m["inputs"].as_array()).cloned().unwrap_or_default();
    inputs
        .iter()
        .find(|i| i["datatype"] == "BYTES")
        .and_then(|i| i["name"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| {
            Outcome::NotApplicable(
                "not applicable: the model metadata advertises no BYTES input to send sentences in; name one with --set v2.input=NAME".into(),
            )
        })
}

/// The infer route and the input tensor sentences go in; the model metadata
/// is read only when the profile names no input.
fn infer_input(http: Http<'_>, profile: &Profile) -> Result<(String, String), Outcome> {
    let path = profile.route(Route::V2Infer)?;
    let metadata = if profile.v2.input.is_none() {
        metadata(http, profile).ok().map(|(_, m)| m)
    } else {
        None
    };
    Ok((path, input_name(profile, metadata.as_ref())?))
}

/// The infer route and a request body carrying `sentences`, the input named as the profile says.
pub(super) fn infer_request(
    http: Http<'_>,
    profile: &Profile,
    sentences: &[&str],
) -> Result<(String, Value), Outcome> {
    let (path, input) = infer_input(http, profile)?;
    Ok((path, request(&input, sentences, None)))
}

/// The request body carrying `sentences` in the BYTES tensor `input`.
fn request(input: &str, sentences: &[&str], id: Option<&str>) -> Value {
    let tensor =
        json!({"name": input, "shape": [sentences.len()], "datatype": "BYTES", "data": sentences});
    match id {
        Some(id) => json!({"id": id, "inputs": [tensor]}),
        None => json!({"inputs": [tensor]}),
    }
}

/// The output tensor the vectors come out of.
fn output<'a>(profile: &Profile, answer: &'a Value) -> Result<&'a Value, String> {
    let outputs = answer["outputs"].as_array().ok_or("the answer has no `outputs`")?;
    match &profile.v2.output {
        Some(name) => outputs
            .iter()
            .find(|o| o["name"] == name.as_str())
            .ok_or_else(|| format!("the answer has no output `{name}`: {}", names(outputs))),
        None => outputs.first().ok_or_else(|| "the answer's `outputs` is empty".to_owned()),
    }
}

fn names(tensors: &[Value]) -> String {
    let names: Vec<&str> = tensors.iter().filter_map(|t| t["name"].as_str()).collect();
    format!("{names:?}")
}

/// Embeds `sentences` through the infer route; `Err` is the outcome.
pub(super) fn embed(
    http: Http<'_>,
    profile: &Profile,
    sentences: &[&str],
) -> Result<Vec<Vec<f64>>, Outcome> {
    let (path, input) = infer_input(http, profile)?;
    let body = request(&input, sentences, None).to_string();
    let (status, text) =
        post(http, profile, &path, &body).map_err(|e| Outcome::Fail(e.to_string()))?;
    if status != 200 {
        return Err(Outcome::Fail(format!("POST {path} answered {status}: {}", clip(&text))));
    }
    let answer: Value = serde_json::from_str(&text).map_err(|_| {
        Outcome::Fail(format!(
            "POST {path} answered 200 with a body that is not JSON: {}",
            clip(&text)
        ))
    })?;
    let tensor =
        output(profile, &answer).map_err(|e| Outcome::Fail(format!("POST {path}: {e}")))?;
    let vectors = match profile.v2.output_format {
        V2Format::Vectors => vectors(tensor),
        V2Format::TokenEmbeddingsJson => pooled(tensor),
    }
    .map_err(|e| Outcome::Fail(format!("POST {path}: output {}: {e}", tensor["name"])))?;
    if vectors.len() != sentences.len() {
        return Err(Outcome::Fail(format!(
            "POST {path}: {} sentences in input `{input}` gave {} vectors",
            sentences.len(),
            vectors.len()
        )));
    }
    Ok(vectors)
}

/// Every number of a tensor's data, flat or nested, in row-major order.
fn numbers(data: &Value, into: &mut Vec<f64>) -> Result<(), String> {
    match data {
        Value::Number(n) => into.push(n.as_f64().unwrap_or(f64::NAN)),
        Value::Array(items) => {
            for item in items {
                numbers(item, into)?;
            }
        }
        other => return Err(format!("holds {}, not numbers", clip(&other.to_string()))),
    }
    Ok(())
}

/// A numeric tensor `[n, dimension]` as n vectors.
fn vectors(tensor: &Value) -> Result<Vec<Vec<f64>>, String> {
    let shape: Vec<usize> = tensor["shape"]
        .as_array()
        .and_then(|s| s.iter().map(|d| d.as_u64().map(|d| d as usize)).collect())
        .ok_or("has no shape of non-negative integers")?;
    let [n, dimension] = shape[..] else {
        return Err(format!("has shape {shape:?}, not [n, dimension]"));
    };
    let mut flat = Vec::new();
    numbers(&tensor["data"], &mut flat)?;
    if flat.len() != n * dimension || dimension == 0 {
        return Err(format!("has shape {shape:?} but {} numbers", flat.len()));
    }
    Ok(flat.chunks(dimension).map(<[f64]>::to_vec).collect())
}

/// A BYTES tensor of JSON token embeddings, one element per sentence, as
/// sentence vectors: mean over the tokens, then L2-normalized (what
/// sentence-transformers does for all-MiniLM-L6-v2).
fn pooled(tensor: &Value) -> Result<Vec<Vec<f64>>, String> {
    let mut texts = Vec::new();
    strings(&tensor["data"], &mut texts)?;
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let mut tokens: Value = serde_json::from_str(text)
                .map_err(|_| format!("element {i} is not JSON: {}", clip(text)))?;
            // Leading dimensions of one ([1][T][d]) are squeezed to [T][d].
            while tokens.as_array().is_some_and(|a| {
                a.len() == 1
                    && a[0].as_array().is_some_and(|b| b.first().is_some_and(Value::is_array))
            }) {
                tokens = tokens[0].take();
            }
            let rows = tokens
                .as_array()
                .ok_or_else(|| format!("element {i} is not a list of token vectors"))?;
            let mut sum: Vec<f64> = Vec::new();
            for row in rows {
                let mut v = Vec::new();
                numbers(row, &mut v)?;
                if sum.is_empty() {
                    sum = vec![0.0; v.len()];
                }
                if v.len() != sum.len() || v.is_empty() {
                    return Err(format!("element {i} has token vectors of different lengths"));
                }
                sum.iter_mut().zip(&v).for_each(|(s, x)| *s += x);
            }
            let norm = sum.iter().map(|x| x * x).sum::<f64>().sqrt();
            if rows.is_empty() || norm == 0.0 {
                return Err(format!("element {i} has no token vectors"));
            }
            Ok(sum.iter().map(|x| x / norm).collect())
        })
        .collect()
}

fn strings(data: &Value, into: &mut Vec<String>) -> Result<(), String> {
    match data {
        Value::String(s) => into.push(s.clone()),
        Value::Array(items) => {
            for item in items {
                strings(item, into)?;
            }
        }
        other => return Err(format!("holds {}, not strings", clip(&other.to_string()))),
    }
    Ok(())
}

/// Whether an answer's output agrees with an advertised tensor: same datatype,
/// same rank, and equal dimensions where the metadata fixes one (-1 is any).
fn agrees(advertised: &Value, got: &Value) -> bool {
    let dims = |t: &Value| {
        t["shape"].as_array().map(|s| s.iter().filter_map(Value::as_i64).collect::<Vec<_>>())
    };
    advertised["datatype"] == got["datatype"]
        && match (dims(advertised), dims(got)) {
            (Some(a), Some(g)) => {
                a.len() == g.len() && a.iter().zip(&g).all(|(a, g)| *a == -1 || a == g)
            }
            _ => false,
        }
}

fn infer(http: Http<'_>, profile: &Profile) -> Outcome {
    let path = match profile.route(Route::V2Infer) {
        Ok(path) => path,
        Err(na) => return na.into(),
    };
    let (_, metadata) = match metadata(http, profile) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let input = match input_name(profile, Some(&metadata)) {
        Ok(input) => input,
        Err(outcome) => return outcome,
    };
    let sentences = ["A man is playing a guitar.", "The quarterly report is due on Friday."];
    let body = request(&input, &sentences, Some("gauntlet-42")).to_string();
    let (status, text) = match post(http, profile, &path, &body) {
        Ok(answer) => answer,
        Err(e) => return Outcome::Fail(e.to_string()),
    };
    let answer: Value = match serde_json::from_str(&text) {
        Ok(v) if status == 200 => v,
        _ => return Outcome::Fail(format!("POST {path} answered {status}: {}", clip(&text))),
    };
    if let Err(e) = super::api::validate(RESPONSE, &answer) {
        return Outcome::Fail(format!("POST {path} breaks the inference response schema: {e}"));
    }
    let mut problems = Vec::new();
    if answer["id"] != "gauntlet-42" {
        problems.push(format!("the request's id \"gauntlet-42\" came back as {}", answer["id"]));
    }
    let model = profile.model.as_deref().unwrap_or_default();
    if answer["model_name"] != model {
        problems.push(format!("model_name is {}, not {model:?}", answer["model_name"]));
    }
    let tensor = match output(profile, &answer) {
        Ok(t) => t,
        Err(e) => return Outcome::Fail(format!("POST {path}: {e}")),
    };
    let advertised = metadata["outputs"].as_array().cloned().unwrap_or_default();
    match advertised.iter().find(|o| o["name"] == tensor["name"]) {
        None => problems.push(format!(
            "the answer's output {} is not among the outputs the metadata advertises, {}",
            tensor["name"],
            names(&advertised)
        )),
        Some(meta) if !agrees(meta, tensor) => problems.push(format!(
            "output {} is {} {} but the metadata advertises {} {}",
            tensor["name"], tensor["datatype"], tensor["shape"], meta["datatype"], meta["shape"]
        )),
        Some(_) => {}
    }
    let inputs = metadata["inputs"].as_array().cloned().unwrap_or_default();
    if !inputs.iter().any(|i| i["name"] == input.as_str() && i["datatype"] == "BYTES") {
        problems.push(format!(
            "the sentences went in input {input:?}, which the metadata does not advertise as BYTES (it advertises {})",
            names(&inputs)
        ));
    }
    if problems.is_empty() {
        Outcome::Pass(format!(
            "output {} {} {} as advertised; id echoed",
            tensor["name"], tensor["datatype"], tensor["shape"]
        ))
    } else {
        Outcome::Fail(format!("POST {path}: {}", problems.join("; ")))
    }
}

fn errors(http: Http<'_>, profile: &Profile) -> Outcome {
    let (path, input) = match infer_input(http, profile) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let unknown_model = match profile.model.as_deref() {
        Some(model) => path.replacen(&format!("/{model}/"), "/gauntlet-no-such-model/", 1),
        None => return Outcome::NotApplicable("not applicable: the profile names no model".into()),
    };
    let tensor = |name: &str, datatype: &str, shape: Value, data: Value| {
        json!({"inputs": [{"name": name, "shape": shape, "datatype": datatype, "data": data}]})
            .to_string()
    };
    let cases = [
        ("malformed JSON", path.clone(), "{\"inputs\": ".to_owned()),
        ("an unknown model", unknown_model, request(&input, &["x"], None).to_string()),
        (
            "an unknown input",
            path.clone(),
            tensor("gauntlet_no_such_input", "BYTES", json!([1]), json!(["x"])),
        ),
        (
            "numbers in a BYTES input",
            path.clone(),
            tensor(&input, "BYTES", json!([1]), json!([1.5])),
        ),
        (
            "a shape the data breaks",
            path.clone(),
            tensor(&input, "BYTES", json!([3]), json!(["x"])),
        ),
    ];
    let mut problems = Vec::new();
    for (what, at, body) in &cases {
        match post(http, profile, at, body) {
            Ok((status, text)) => {
                let shaped = serde_json::from_str::<Value>(&text)
                    .ok()
                    .is_some_and(|b| b["error"].is_string());
                if !(400..500).contains(&status) || !shaped {
                    problems.push(format!("{what} answered {status} {}", clip(&text)));
                }
            }
            Err(e) => problems.push(format!("{what}: {e}")),
        }
    }
    if problems.is_empty() {
        Outcome::Pass(format!("{} bad requests answered 4xx with {{\"error\": ...}}", cases.len()))
    } else {
        Outcome::Fail(format!(
            "{} of {} bad requests did not get a 4xx with the protocol's {{\"error\": message}}: {}",
            problems.len(),
            cases.len(),
            problems.join("; ")
        ))
    }
}

fn bounded(http: Http<'_>, profile: &Profile) -> Outcome {
    let (path, input) = match infer_input(http, profile) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let long = "limits ".repeat(40_000);
    match post(http, profile, &path, &request(&input, &[&long], None).to_string()) {
        Ok((status @ 400..=499, text)) => Outcome::Pass(format!(
            "a sentence of {} bytes refused with {status}: {}",
            long.len(),
            clip(&text)
        )),
        Ok((200, _)) => {
            Outcome::Pass(format!("a sentence of {} bytes truncated and embedded", long.len()))
        }
        Ok((status, text)) => Outcome::Fail(format!(
            "a sentence of {} bytes answered {status}: {}",
            long.len(),
            clip(&text)
        )),
        Err(e) => Outcome::Fail(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_embeddings_are_pooled_whatever_the_nesting() {
        // The shapes MLServer 1.7.1's HuggingFace runtime answered (recorded in
        // target/peers/mlserver/FACTS.md): `array_inputs` gives [1][T][d] per
        // sentence, `args` gives [T][d].
        let tensor = json!({
            "name": "output", "datatype": "BYTES", "shape": [2, 1],
            "parameters": {"content_type": "hg_jsonlist"},
            "data": ["[[[1.0, 0.0], [0.0, 1.0]]]", "[[2.0, 2.0], [2.0, -2.0]]"],
        });
        let v = pooled(&tensor).unwrap();
        let s = std::f64::consts::FRAC_1_SQRT_2;
        assert!((v[0][0] - s).abs() < 1e-12 && (v[0][1] - s).abs() < 1e-12, "{v:?}");
        assert_eq!(v[1], vec![1.0, 0.0]);
        let broken = json!({"data": ["not json"]});
        assert!(pooled(&broken).unwrap_err().contains("not JSON"));
        let ragged = json!({"data": ["[[1.0, 2.0], [1.0]]"]});
        assert!(pooled(&ragged).unwrap_err().contains("different lengths"));
    }

    #[test]
    fn vector_tensors_are_flat_or_nested_and_held_to_their_shape() {
        let flat = json!({"shape": [2, 2], "data": [1.0, 2.0, 3.0, 4.0]});
        let nested = json!({"shape": [2, 2], "data": [[1.0, 2.0], [3.0, 4.0]]});
        assert_eq!(vectors(&flat).unwrap(), vectors(&nested).unwrap());
        assert!(
            vectors(&json!({"shape": [2, 3], "data": [1.0]}))
                .unwrap_err()
                .contains("but 1 numbers")
        );
        assert!(
            vectors(&json!({"shape": [4], "data": [1.0]}))
                .unwrap_err()
                .contains("not [n, dimension]")
        );
    }

    #[test]
    fn an_output_agrees_with_its_metadata_where_the_metadata_fixes_it() {
        let advertised = json!({"datatype": "FP32", "shape": [-1, 384]});
        assert!(agrees(&advertised, &json!({"datatype": "FP32", "shape": [7, 384]})));
        assert!(!agrees(&advertised, &json!({"datatype": "FP64", "shape": [7, 384]})));
        assert!(!agrees(&advertised, &json!({"datatype": "FP32", "shape": [7, 383]})));
        assert!(!agrees(&advertised, &json!({"datatype": "FP32", "shape": [7, 1, 384]})));
    }
}
