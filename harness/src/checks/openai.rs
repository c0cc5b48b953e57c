//! The OpenAI embeddings contract beyond the response schema: the models list,
//! both encodings, `dimensions`, `index` and `usage`, batch limits, the empty
//! string, an input over the limit, the error shape, and readiness that tells
//! the truth about inference. Every route comes from the profile.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::check;
use crate::check::{Check, Outcome};
use crate::http::{Answer, client_within, clip, exchange, get_json};
use crate::profile::{Profile, Route};
use crate::target::Http;

use super::embeddings::{cosine, embed, norm};

pub(super) const CHECKS: &[Check] = &[
    check! {
        id: "api.models.list",
        family: Api,
        level: Must,
        description: "the models route lists the served model (the profile's `model`, else the one embeddings answers name) in OpenAI's list shape",
        run: |profile, http: Http| models_list(http, profile),
    },
    check! {
        id: "api.embeddings.base64",
        family: Api,
        level: Must,
        description: "encoding_format base64 answers little-endian f32 that agree with the float answer",
        run: |profile, http: Http| base64_agrees(http, profile),
    },
    check! {
        id: "api.embeddings.dimensions",
        family: Api,
        level: Must,
        description: "a smaller `dimensions` is honoured (vectors of that length) or refused with a 4xx, never ignored",
        run: |profile, http: Http| dimensions(http, profile),
    },
    check! {
        id: "api.embeddings.index-usage",
        family: Api,
        level: Must,
        description: "each `index` names its input's position and `usage` counts the batch's tokens",
        run: |profile, http: Http| index_usage(http, profile),
    },
    check! {
        id: "api.embeddings.usage-tokens",
        family: Api,
        level: Should,
        description: "`usage` counts tokens, not characters: a sentence of nine words costs fewer tokens than it has characters",
        run: |profile, http: Http| usage_tokens(http, profile),
    },
    check! {
        id: "api.embeddings.batch-limit",
        family: Api,
        level: Must,
        description: "a batch of the profile's max_batch inputs is embedded; one more input is refused with a 4xx or embedded, never a 5xx or a hang",
        run: |profile, http: Http| batch_limit(http, profile),
    },
    check! {
        id: "api.embeddings.empty-string",
        family: Api,
        level: Must,
        description: "an empty string is refused with a 4xx or embedded, never a 5xx or a hang; the evidence says which",
        run: |profile, http: Http| empty_string(http, profile),
    },
    check! {
        id: "api.embeddings.bounded",
        family: Api,
        level: Must,
        description: "an input far over any token limit is refused with a 4xx or truncated within the request timeout, never a 5xx or a hang",
        run: |profile, http: Http| bounded(http, profile),
    },
    check! {
        id: "api.errors.openai-shape",
        family: Api,
        level: Should,
        description: "bad requests to the OpenAI embeddings route are refused with OpenAI's error shape, {\"error\": {\"message\": ...}}",
        run: |profile, http: Http| openai_error_shape(http, profile),
    },
    check! {
        id: "probe.ready.serves",
        family: Probe,
        level: Must,
        description: "while readiness answers 200, an embedding request succeeds: readiness does not hide dead inference",
        run: |profile, http: Http| ready_serves(http, profile),
    },
];

/// A request's answer: the status and the body, parsed when it is JSON.
/// POSTs `body` to `route` within the profile's request timeout; `Err` is the
/// outcome (not applicable without the route, a failure without an answer).
fn post(http: Http<'_>, profile: &Profile, route: Route, body: &Value) -> Result<Answer, Outcome> {
    let path = profile.route(route)?;
    let bytes = body.to_string().into_bytes();
    exchange(http.base_url(), &path, Some(&bytes), profile.thresholds.request_timeout)
        .map_err(Outcome::Fail)
}

/// The vectors of an OpenAI embeddings answer, in `data` order, floats or
/// base64 decoded; `Err` says what is wrong with the shape.
fn vectors(body: &Value) -> Result<Vec<Vec<f64>>, String> {
    let data = body["data"]
        .as_array()
        .ok_or_else(|| format!("no `data` array in {}", clip(&body.to_string())))?;
    data.iter()
        .map(|item| match &item["embedding"] {
            Value::Array(v) => {
                v.iter().map(|x| x.as_f64().ok_or_else(|| format!("not a number: {x}"))).collect()
            }
            Value::String(b64) => decode_base64(b64),
            other => Err(format!(
                "`embedding` is neither numbers nor base64: {}",
                clip(&other.to_string())
            )),
        })
        .collect()
}

/// Base64 of little-endian f32s, as OpenAI's `encoding_format: base64` answers.
fn decode_base64(text: &str) -> Result<Vec<f64>, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("`embedding` is not base64: {e}"))?;
    if bytes.len() % 4 != 0 {
        return Err(format!(
            "base64 `embedding` has {} bytes, not a whole number of f32s",
            bytes.len()
        ));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
        .collect())
}

fn models_list(http: Http<'_>, profile: &Profile) -> Outcome {
    let path = match profile.route(Route::Models) {
        Ok(path) => path,
        Err(na) => return na.into(),
    };
    let (status, body) = match get_json(&format!("{}{path}", http.base_url())) {
        Ok(answer) => answer,
        Err(e) => return Outcome::Fail(e.to_string()),
    };
    if status != 200 {
        return Outcome::Fail(format!("GET {path} answered {status}: {}", clip(&body.to_string())));
    }
    let Some(data) = body["data"].as_array() else {
        return Outcome::Fail(format!(
            "GET {path} has no `data` list: {}",
            clip(&body.to_string())
        ));
    };
    let ids: Vec<&str> = data.iter().filter_map(|m| m["id"].as_str()).collect();
    if ids.len() != data.len() {
        return Outcome::Fail(format!(
            "GET {path}: a model has no string `id`: {}",
            clip(&body.to_string())
        ));
    }
    let (want, whence) = match &profile.model {
        Some(model) => (model.clone(), "the profile's model"),
        None => match post(http, profile, Route::Embeddings, &json!({"input": "Which model?"})) {
            Ok(Answer { status: 200, json: Some(answer), .. }) => match answer["model"].as_str() {
                Some(model) => (model.to_owned(), "the model embeddings answers name"),
                None => {
                    return Outcome::Fail(
                        "an embeddings answer names no `model` to look for".into(),
                    );
                }
            },
            Ok(answer) => {
                return Outcome::Fail(format!(
                    "an embedding request answered {}: {}",
                    answer.status,
                    clip(&answer.text)
                ));
            }
            Err(outcome) => return outcome,
        },
    };
    if ids.contains(&want.as_str()) {
        Outcome::Pass(format!("GET {path} lists {want:?} ({whence}) among {ids:?}"))
    } else {
        Outcome::Fail(format!("GET {path} lists {ids:?}, not {want:?} ({whence})"))
    }
}

fn base64_agrees(http: Http<'_>, profile: &Profile) -> Outcome {
    let text = "Base64 and floats must carry the same vector.";
    let mut got = Vec::new();
    for format in ["float", "base64"] {
        let answer = match post(
            http,
            profile,
            Route::Embeddings,
            &json!({"input": text, "encoding_format": format}),
        ) {
            Ok(a) => a,
            Err(outcome) => return outcome,
        };
        let Some(body) = answer.json.filter(|_| answer.status == 200) else {
            return Outcome::Fail(format!(
                "encoding_format {format} answered {}: {}",
                answer.status,
                clip(&answer.text)
            ));
        };
        let embedding = &body["data"][0]["embedding"];
        let shape_ok = match format {
            "base64" => embedding.is_string(),
            _ => embedding.is_array(),
        };
        if !shape_ok {
            return Outcome::Fail(format!(
                "encoding_format {format} answered an `embedding` that is not {}: {}",
                if format == "base64" {
                    "a base64 string (the format was ignored)"
                } else {
                    "an array of numbers"
                },
                clip(&embedding.to_string())
            ));
        }
        match vectors(&body) {
            Ok(mut v) if v.len() == 1 => got.push(v.remove(0)),
            Ok(v) => return Outcome::Fail(format!("one input gave {} vectors", v.len())),
            Err(e) => return Outcome::Fail(format!("encoding_format {format}: {e}")),
        }
    }
    let (float, b64) = (&got[0], &got[1]);
    if float.len() != b64.len() {
        return Outcome::Fail(format!(
            "float has {} components, base64 decodes to {}",
            float.len(),
            b64.len()
        ));
    }
    let worst = float.iter().zip(b64).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    // The float answer is decimal text of the same f32s: they agree to its rounding.
    if worst <= 1e-5 {
        Outcome::Pass(format!("{} components agree within {worst:.1e}", float.len()))
    } else {
        Outcome::Fail(format!(
            "base64 decodes (little-endian f32) to a vector that differs from the float answer by up to {worst:.3e} (cosine {:.6})",
            cosine(float, b64)
        ))
    }
}

fn dimensions(http: Http<'_>, profile: &Profile) -> Outcome {
    const ASKED: usize = 32;
    let answer = match post(
        http,
        profile,
        Route::Embeddings,
        &json!({"input": "Shorter, please.", "dimensions": ASKED}),
    ) {
        Ok(a) => a,
        Err(outcome) => return outcome,
    };
    match answer.status {
        200 => match answer.json.as_ref().map(vectors) {
            Some(Ok(v)) if v.iter().all(|v| v.len() == ASKED) => Outcome::Pass(format!(
                "dimensions {ASKED} honoured: vectors of {ASKED}, norm {:.4}{}",
                norm(&v[0]),
                if (norm(&v[0]) - 1.0).abs() > 1e-3 { " (not re-normalised)" } else { "" }
            )),
            Some(Ok(v)) => Outcome::Fail(format!(
                "dimensions {ASKED} was ignored: answered 200 with vectors of {} components",
                v.first().map_or(0, Vec::len)
            )),
            Some(Err(e)) => Outcome::Fail(e),
            None => Outcome::Fail(format!(
                "answered 200 with a body that is not JSON: {}",
                clip(&answer.text)
            )),
        },
        400..=499 => Outcome::Pass(format!(
            "dimensions {ASKED} refused with {}: {}",
            answer.status,
            clip(&answer.text)
        )),
        status => Outcome::Fail(format!(
            "dimensions {ASKED} answered {status}, neither honoured nor refused with a 4xx: {}",
            clip(&answer.text)
        )),
    }
}

fn index_usage(http: Http<'_>, profile: &Profile) -> Outcome {
    let inputs = ["The first input.", "A second, longer input with more words in it.", "Third."];
    let answer = match post(http, profile, Route::Embeddings, &json!({"input": inputs})) {
        Ok(a) => a,
        Err(outcome) => return outcome,
    };
    let Some(body) = answer.json.filter(|_| answer.status == 200) else {
        return Outcome::Fail(format!(
            "a batch of {} answered {}: {}",
            inputs.len(),
            answer.status,
            clip(&answer.text)
        ));
    };
    let batch = match vectors(&body) {
        Ok(v) => v,
        Err(e) => return Outcome::Fail(e),
    };
    let indexes: Vec<Option<u64>> = body["data"]
        .as_array()
        .map_or(Vec::new(), |d| d.iter().map(|i| i["index"].as_u64()).collect());
    let mut sorted: Vec<u64> = indexes.iter().flatten().copied().collect();
    sorted.sort_unstable();
    if indexes.len() != inputs.len() || sorted != (0..inputs.len() as u64).collect::<Vec<_>>() {
        return Outcome::Fail(format!(
            "{} inputs gave the indexes {indexes:?}, not each of 0..{} once",
            inputs.len(),
            inputs.len()
        ));
    }
    for (position, (index, vector)) in indexes.iter().zip(&batch).enumerate() {
        let index = index.unwrap_or_default() as usize;
        let alone = match embed(http, profile, &[inputs[index]]) {
            Ok(v) => v,
            Err(outcome) => return outcome,
        };
        let c = cosine(&alone[0], vector);
        if c.is_nan() || c < 0.9999 {
            return Outcome::Fail(format!(
                "data[{position}] says index {index}, but its vector is at cosine {c:.4} from input {index} embedded alone"
            ));
        }
    }
    let usage = &body["usage"];
    let (prompt, total) = (usage["prompt_tokens"].as_u64(), usage["total_tokens"].as_u64());
    match (prompt, total) {
        (Some(p), Some(t)) if p >= inputs.len() as u64 && t >= p => Outcome::Pass(format!(
            "indexes name their inputs; usage {p} prompt tokens, {t} total for {} inputs",
            inputs.len()
        )),
        _ => Outcome::Fail(format!(
            "usage {} does not count the batch: prompt_tokens must be at least one per input ({}) and total_tokens at least prompt_tokens",
            clip(&usage.to_string()),
            inputs.len()
        )),
    }
}

fn usage_tokens(http: Http<'_>, profile: &Profile) -> Outcome {
    let sentence = "A second, longer input with more words in it.";
    let answer = match post(http, profile, Route::Embeddings, &json!({"input": sentence})) {
        Ok(a) => a,
        Err(outcome) => return outcome,
    };
    let Some(body) = answer.json.filter(|_| answer.status == 200) else {
        return Outcome::Fail(format!("answered {}: {}", answer.status, clip(&answer.text)));
    };
    let chars = sentence.chars().count() as u64;
    match body["usage"]["prompt_tokens"].as_u64() {
        Some(tokens) if tokens > 0 && tokens < chars => {
            Outcome::Pass(format!("{tokens} prompt tokens for a sentence of {chars} characters"))
        }
        Some(tokens) => Outcome::Fail(format!(
            "usage says {tokens} prompt tokens for {sentence:?}, a sentence of {chars} characters and 9 words: it counts characters, not tokens"
        )),
        None => Outcome::Fail(format!(
            "no integer usage.prompt_tokens in {}",
            clip(&body["usage"].to_string())
        )),
    }
}

fn batch_limit(http: Http<'_>, profile: &Profile) -> Outcome {
    let max = profile.thresholds.max_batch;
    let batch: Vec<String> = (0..max).map(|i| format!("Batch input {i}.")).collect();
    let answer = match post(http, profile, Route::Embeddings, &json!({"input": batch})) {
        Ok(a) => a,
        Err(outcome) => return outcome,
    };
    let got = answer.json.as_ref().filter(|_| answer.status == 200).map(vectors);
    match got {
        Some(Ok(v)) if v.len() == max => {}
        Some(Ok(v)) => {
            return Outcome::Fail(format!(
                "a batch of {max} (the profile's max_batch) gave {} vectors",
                v.len()
            ));
        }
        Some(Err(e)) => return Outcome::Fail(format!("a batch of {max}: {e}")),
        None => {
            return Outcome::Fail(format!(
                "a batch of {max} (the profile's max_batch) answered {}: {}",
                answer.status,
                clip(&answer.text)
            ));
        }
    }
    let over: Vec<String> = (0..=max).map(|i| format!("Batch input {i}.")).collect();
    let answer = match post(http, profile, Route::Embeddings, &json!({"input": over})) {
        Ok(a) => a,
        Err(outcome) => return outcome,
    };
    match answer.status {
        400..=499 => Outcome::Pass(format!(
            "a batch of {max} embedded; {} refused with {}",
            max + 1,
            answer.status
        )),
        200 => match answer.json.as_ref().map(vectors) {
            Some(Ok(v)) if v.len() == max + 1 => Outcome::Pass(format!(
                "a batch of {max} embedded; {} embedded too (no limit at max_batch)",
                max + 1
            )),
            _ => Outcome::Fail(format!(
                "a batch of {} answered 200 without {} vectors: {}",
                max + 1,
                max + 1,
                clip(&answer.text)
            )),
        },
        status => Outcome::Fail(format!(
            "a batch of {} (one over max_batch) answered {status}, not a 4xx refusal: {}",
            max + 1,
            clip(&answer.text)
        )),
    }
}

fn empty_string(http: Http<'_>, profile: &Profile) -> Outcome {
    let answer = match post(http, profile, Route::Embeddings, &json!({"input": ""})) {
        Ok(a) => a,
        Err(outcome) => return outcome,
    };
    match answer.status {
        400..=499 => Outcome::Pass(format!(
            "the empty string is refused with {}: {}",
            answer.status,
            clip(&answer.text)
        )),
        200 => match answer.json.as_ref().map(vectors) {
            Some(Ok(v)) if v.len() == 1 && !v[0].is_empty() => Outcome::Pass(format!(
                "the empty string is embedded: a vector of {} with norm {:.4}",
                v[0].len(),
                norm(&v[0])
            )),
            Some(Ok(v)) => {
                Outcome::Fail(format!("the empty string answered 200 with {} vectors", v.len()))
            }
            Some(Err(e)) => Outcome::Fail(format!("the empty string answered 200: {e}")),
            None => Outcome::Fail(format!(
                "the empty string answered 200 with a body that is not JSON: {}",
                clip(&answer.text)
            )),
        },
        status => {
            Outcome::Fail(format!("the empty string answered {status}: {}", clip(&answer.text)))
        }
    }
}

fn bounded(http: Http<'_>, profile: &Profile) -> Outcome {
    // About 40,000 tokens: over any embedding model's limit, and within the
    // reference service's 2 MiB body limit.
    let long = "limits ".repeat(40_000);
    let answer = match post(http, profile, Route::Embeddings, &json!({"input": long})) {
        Ok(a) => a,
        Err(outcome) => return outcome,
    };
    match answer.status {
        400..=499 => Outcome::Pass(format!(
            "an input of {} bytes is refused with {}: {}",
            long.len(),
            answer.status,
            clip(&answer.text)
        )),
        200 => Outcome::Pass(format!(
            "an input of {} bytes is truncated and embedded within {:?}",
            long.len(),
            profile.thresholds.request_timeout
        )),
        status => Outcome::Fail(format!(
            "an input of {} bytes answered {status}: {}",
            long.len(),
            clip(&answer.text)
        )),
    }
}

fn openai_error_shape(http: Http<'_>, profile: &Profile) -> Outcome {
    let path = match profile.route(Route::Embeddings) {
        Ok(path) => path,
        Err(na) => return na.into(),
    };
    let agent = client_within(profile.thresholds.request_timeout);
    let mut seen = 0;
    for bad in super::api::BAD_REQUESTS
        .iter()
        .filter(|b| b.route == Some(Route::Embeddings) && b.body.is_some())
    {
        let (status, text) = match super::api::send_bad_request(&agent, http.base_url(), &path, bad)
        {
            Ok(answer) => answer,
            Err(e) => return Outcome::Fail(e.to_string()),
        };
        let body: Option<Value> = serde_json::from_str(&text).ok();
        if !(400..500).contains(&status)
            || !body.as_ref().is_some_and(|b| b["error"]["message"].is_string())
        {
            return Outcome::Fail(format!(
                "{} answered {status} {}, not a 4xx with OpenAI's {{\"error\": {{\"message\": ...}}}}",
                bad.what,
                clip(&text)
            ));
        }
        seen += 1;
    }
    Outcome::Pass(format!("{seen} bad requests to POST {path} refused in OpenAI's error shape"))
}

fn ready_serves(http: Http<'_>, profile: &Profile) -> Outcome {
    let readiness = &profile.readiness_path;
    match client_within(profile.thresholds.request_timeout)
        .get(format!("{}{readiness}", http.base_url()))
        .send()
    {
        Ok(r) if r.status() == 200 => {}
        Ok(r) => {
            return Outcome::NotApplicable(format!(
                "not applicable: readiness {readiness} answered {}, so nothing is claimed",
                r.status().as_u16()
            ));
        }
        Err(e) => return Outcome::Fail(format!("GET {readiness}: {e}")),
    }
    match embed(http, profile, &["Is inference alive behind a ready probe?"]) {
        Ok(v) if v.len() == 1 => Outcome::Pass(format!(
            "readiness {readiness} 200 and an embedding of {} answered",
            v[0].len()
        )),
        Ok(v) => Outcome::Fail(format!(
            "readiness {readiness} is 200 but one input gave {} vectors",
            v.len()
        )),
        Err(Outcome::Fail(why)) => {
            Outcome::Fail(format!("readiness {readiness} answers 200 while inference fails: {why}"))
        }
        Err(other) => other,
    }
}
