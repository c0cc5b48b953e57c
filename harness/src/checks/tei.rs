//! Hugging Face text-embeddings-inference's own routes and semantics, from its
//! published OpenAPI document (`docs/openapi.json` of
//! huggingface/text-embeddings-inference, versions 1.7.1 to 1.9.3): `/embed`
//! with `normalize` and `truncate`, `/embed_all`, `/info`, `/tokenize`, and its
//! error body `{"error": message, "error_type": kind}`. (The reference service
//! serves TEI's `/embed` but not the rest, so its profile leaves these out.)

use serde_json::{Value, json};

use crate::check;
use crate::check::{Check, Outcome};
use crate::http::{clip, exchange};
use crate::profile::{Profile, Route};
use crate::target::Http;

use super::embeddings::{cosine, norm};

/// TEI's `Info` object: the fields its document requires (1.7.1; 1.9 adds
/// `served_model_name`, not required here so both versions pass).
const INFO: &str = r#"{
  "type": "object",
  "required": ["model_id", "model_dtype", "model_type", "max_concurrent_requests", "max_input_length",
               "max_batch_tokens", "max_client_batch_size", "auto_truncate", "tokenization_workers", "version"],
  "properties": {
    "model_id": {"type": "string"},
    "model_dtype": {"type": "string"},
    "model_type": {"type": "object", "minProperties": 1},
    "max_concurrent_requests": {"type": "integer", "minimum": 0},
    "max_input_length": {"type": "integer", "minimum": 0},
    "max_batch_tokens": {"type": "integer", "minimum": 0},
    "max_batch_requests": {"type": ["integer", "null"], "minimum": 0},
    "max_client_batch_size": {"type": "integer", "minimum": 0},
    "auto_truncate": {"type": "boolean"},
    "tokenization_workers": {"type": "integer", "minimum": 0},
    "version": {"type": "string"}
  }
}"#;

/// TEI's `TokenizeResponse`: per input, its tokens.
const TOKENIZE: &str = r#"{
  "type": "array",
  "items": {"type": "array", "items": {
    "type": "object",
    "required": ["id", "text", "special"],
    "properties": {
      "id": {"type": "integer", "minimum": 0},
      "text": {"type": "string"},
      "special": {"type": "boolean"},
      "start": {"type": ["integer", "null"], "minimum": 0},
      "stop": {"type": ["integer", "null"], "minimum": 0}
    }
  }}
}"#;

pub(super) const CHECKS: &[Check] = &[
    check! {
        id: "api.tei.normalize",
        family: Api,
        level: Must,
        description: "POST /embed gives unit vectors, and with normalize false vectors of the same direction",
        run: |profile, http: Http| normalize(http, profile),
    },
    check! {
        id: "api.tei.truncate",
        family: Api,
        level: Must,
        description: "POST /embed with truncate true embeds an input over max_input_length; with truncate false it is refused in TEI's error shape (unless /info says auto_truncate)",
        run: |profile, http: Http| truncate(http, profile),
    },
    check! {
        id: "api.tei.embed-all",
        family: Api,
        level: Must,
        description: "POST /embed_all gives one token vector per token, all of one length, whose mean is /embed's vector for a mean-pooling model",
        run: |profile, http: Http| embed_all(http, profile),
    },
    check! {
        id: "api.tei.info",
        family: Api,
        level: Must,
        description: "GET /info answers TEI's Info object (model, dtype, type, limits, auto_truncate, version)",
        run: |profile, http: Http| info(http, profile),
    },
    check! {
        id: "api.tei.tokenize",
        family: Api,
        level: Must,
        description: "POST /tokenize answers TEI's tokens (id, text, special, offsets within the input), real words among them",
        run: |profile, http: Http| tokenize(http, profile),
    },
    check! {
        id: "api.tei.errors",
        family: Api,
        level: Must,
        description: "an empty input list and a batch over max_client_batch_size are refused with a 4xx in TEI's {\"error\", \"error_type\"} shape",
        run: |profile, http: Http| errors(http, profile),
    },
];

/// A POST's status and parsed body (`Value::Null` when it is not JSON).
fn post(
    http: Http<'_>,
    profile: &Profile,
    route: Route,
    body: &Value,
) -> Result<(String, u16, Value, String), Outcome> {
    let path = profile.route(route)?;
    let bytes = body.to_string().into_bytes();
    let answer = exchange(http.base_url(), &path, Some(&bytes), profile.thresholds.request_timeout)
        .map_err(Outcome::Fail)?;
    let (status, json, text) = (answer.status, answer.json.unwrap_or(Value::Null), answer.text);
    Ok((path, status, json, text))
}

/// An array of arrays of numbers, as vectors.
fn vectors(body: &Value) -> Option<Vec<Vec<f64>>> {
    body.as_array()?.iter().map(|v| v.as_array()?.iter().map(Value::as_f64).collect()).collect()
}

/// GET /info, when the profile serves it.
fn tei_info(http: Http<'_>, profile: &Profile) -> Option<Value> {
    let path = profile.route(Route::Info).ok()?;
    match crate::http::get_json(&format!("{}{path}", http.base_url())) {
        Ok((200, info)) => Some(info),
        _ => None,
    }
}

/// Whether a body is TEI's error object.
fn tei_error(body: &Value) -> bool {
    body["error"].is_string() && body["error_type"].is_string()
}

fn normalize(http: Http<'_>, profile: &Profile) -> Outcome {
    let sentence = "Normalized or not, the direction is the same.";
    let mut got = Vec::new();
    for normalize in [true, false] {
        let (path, status, body, text) = match post(
            http,
            profile,
            Route::Embed,
            &json!({"inputs": [sentence], "normalize": normalize}),
        ) {
            Ok(answer) => answer,
            Err(outcome) => return outcome,
        };
        match vectors(&body).filter(|v| status == 200 && v.len() == 1) {
            Some(mut v) => got.push(v.remove(0)),
            None => {
                return Outcome::Fail(format!(
                    "POST {path} normalize {normalize} answered {status}: {}",
                    clip(&text)
                ));
            }
        }
    }
    let (unit, raw) = (&got[0], &got[1]);
    let n = norm(unit);
    if (n - 1.0).abs() > 1e-4 {
        return Outcome::Fail(format!(
            "with normalize true the vector has norm {n:.6}, expected 1 ± 1e-4"
        ));
    }
    let c = cosine(unit, raw);
    if c.is_nan() || c < 0.9999 {
        return Outcome::Fail(format!(
            "normalize false gave a vector at cosine {c:.6} from the normalized one: not the same direction"
        ));
    }
    Outcome::Pass(format!("normalized norm {n:.6}; raw norm {:.4}, cosine {c:.7}", norm(raw)))
}

fn truncate(http: Http<'_>, profile: &Profile) -> Outcome {
    let Some(info) = tei_info(http, profile) else {
        return Outcome::NotApplicable(
            "not applicable: no TEI /info to read max_input_length and auto_truncate from".into(),
        );
    };
    let Some(limit) = info["max_input_length"].as_u64() else {
        return Outcome::Fail(format!(
            "/info has no integer max_input_length: {}",
            clip(&info.to_string())
        ));
    };
    // Two tokens a word at most and one at least: twice the limit in words is over it.
    let long = "truncate ".repeat(limit as usize * 2 + 16);
    let (path, status, body, text) =
        match post(http, profile, Route::Embed, &json!({"inputs": long, "truncate": true})) {
            Ok(answer) => answer,
            Err(outcome) => return outcome,
        };
    if status != 200 || vectors(&body).is_none_or(|v| v.len() != 1) {
        return Outcome::Fail(format!(
            "POST {path} with truncate true and an input over {limit} tokens answered {status}: {}",
            clip(&text)
        ));
    }
    let (_, status, body, text) =
        match post(http, profile, Route::Embed, &json!({"inputs": long, "truncate": false})) {
            Ok(answer) => answer,
            Err(outcome) => return outcome,
        };
    let auto = info["auto_truncate"].as_bool() == Some(true);
    match status {
        400..=499 if tei_error(&body) => Outcome::Pass(format!(
            "truncate true embeds an input over {limit} tokens; truncate false refuses it with {status}: {}",
            clip(&text)
        )),
        200 if auto => Outcome::Pass(format!(
            "truncate true embeds an input over {limit} tokens; truncate false too, as /info says auto_truncate"
        )),
        _ => Outcome::Fail(format!(
            "POST {path} with truncate false and an input over max_input_length {limit} answered {status} (auto_truncate {auto}), not a 4xx error object: {}",
            clip(&text)
        )),
    }
}

fn embed_all(http: Http<'_>, profile: &Profile) -> Outcome {
    let sentence = "A man is playing a guitar.";
    let (path, status, body, text) =
        match post(http, profile, Route::EmbedAll, &json!({"inputs": [sentence]})) {
            Ok(answer) => answer,
            Err(outcome) => return outcome,
        };
    let tokens: Option<Vec<Vec<f64>>> =
        body.as_array().filter(|a| status == 200 && a.len() == 1).and_then(|a| vectors(&a[0]));
    let Some(tokens) = tokens else {
        return Outcome::Fail(format!(
            "POST {path} answered {status} without one list of token vectors for one input: {}",
            clip(&text)
        ));
    };
    let width = tokens.first().map_or(0, Vec::len);
    if tokens.len() < 2 || width == 0 || tokens.iter().any(|t| t.len() != width) {
        return Outcome::Fail(format!(
            "POST {path} gave {} token vectors of lengths {:?}: expected at least two of one length",
            tokens.len(),
            tokens.iter().map(Vec::len).collect::<Vec<_>>()
        ));
    }
    let pooling = tei_info(http, profile)
        .and_then(|i| i["model_type"]["embedding"]["pooling"].as_str().map(str::to_owned));
    if pooling.as_deref() != Some("mean") {
        return Outcome::Pass(format!("{} token vectors of {width}", tokens.len()));
    }
    let (_, _, pooled, _) = match post(http, profile, Route::Embed, &json!({"inputs": [sentence]}))
    {
        Ok(answer) => answer,
        Err(outcome) => return outcome,
    };
    let Some(pooled) = vectors(&pooled).and_then(|mut v| (v.len() == 1).then(|| v.remove(0)))
    else {
        return Outcome::Fail(format!("POST /embed gave no vector for {sentence:?}"));
    };
    let mut mean = vec![0.0; width];
    for t in &tokens {
        mean.iter_mut().zip(t).for_each(|(m, x)| *m += x);
    }
    let c = cosine(&mean, &pooled);
    if c >= 0.999 {
        Outcome::Pass(format!(
            "{} token vectors of {width}; their mean is /embed's vector (cosine {c:.6})",
            tokens.len()
        ))
    } else {
        Outcome::Fail(format!(
            "the mean of /embed_all's {} token vectors is at cosine {c:.6} from /embed's vector, though /info says mean pooling",
            tokens.len()
        ))
    }
}

fn info(http: Http<'_>, profile: &Profile) -> Outcome {
    let path = match profile.route(Route::Info) {
        Ok(path) => path,
        Err(na) => return na.into(),
    };
    match crate::http::get_json(&format!("{}{path}", http.base_url())) {
        Ok((200, body)) => match super::api::validate(INFO, &body) {
            Ok(()) => Outcome::Pass(format!(
                "GET {path}: {} ({}), max_input_length {}, max_client_batch_size {}, version {}",
                body["model_id"],
                body["model_dtype"],
                body["max_input_length"],
                body["max_client_batch_size"],
                body["version"]
            )),
            Err(e) => Outcome::Fail(format!("GET {path} breaks TEI's Info object: {e}")),
        },
        Ok((status, body)) => {
            Outcome::Fail(format!("GET {path} answered {status}: {}", clip(&body.to_string())))
        }
        Err(e) => Outcome::Fail(e.to_string()),
    }
}

fn tokenize(http: Http<'_>, profile: &Profile) -> Outcome {
    let sentence = "Tokenize these words.";
    let (path, status, body, text) =
        match post(http, profile, Route::Tokenize, &json!({"inputs": sentence})) {
            Ok(answer) => answer,
            Err(outcome) => return outcome,
        };
    if status != 200 {
        return Outcome::Fail(format!("POST {path} answered {status}: {}", clip(&text)));
    }
    if let Err(e) = super::api::validate(TOKENIZE, &body) {
        return Outcome::Fail(format!("POST {path} breaks TEI's TokenizeResponse: {e}"));
    }
    let tokens = body[0].as_array().cloned().unwrap_or_default();
    let words = tokens.iter().filter(|t| t["special"] == false).count();
    if words == 0 {
        return Outcome::Fail(format!(
            "POST {path} found no token that is not special in {sentence:?}: {}",
            clip(&text)
        ));
    }
    let bytes = sentence.len() as u64;
    for t in &tokens {
        if let (Some(start), Some(stop)) = (t["start"].as_u64(), t["stop"].as_u64())
            && (start > stop || stop > bytes)
        {
            return Outcome::Fail(format!(
                "token {t} has offsets {start}..{stop}, outside the {bytes}-byte input"
            ));
        }
    }
    Outcome::Pass(format!("{} tokens, {words} of them words", tokens.len()))
}

fn errors(http: Http<'_>, profile: &Profile) -> Outcome {
    let max = tei_info(http, profile)
        .and_then(|i| i["max_client_batch_size"].as_u64())
        .unwrap_or(profile.thresholds.max_batch as u64);
    let over: Vec<String> = (0..=max).map(|i| format!("input {i}")).collect();
    let cases = [
        ("an empty input list", json!({"inputs": []})),
        ("a batch over max_client_batch_size", json!({"inputs": over})),
    ];
    let mut problems = Vec::new();
    for (what, body) in &cases {
        match post(http, profile, Route::Embed, body) {
            Ok((_, status, body, text)) => {
                if !(400..500).contains(&status) || !tei_error(&body) {
                    problems.push(format!("{what} answered {status} {}", clip(&text)));
                }
            }
            Err(outcome) => return outcome,
        }
    }
    if problems.is_empty() {
        Outcome::Pass(format!(
            "{} bad requests refused with a 4xx {{\"error\", \"error_type\"}}",
            cases.len()
        ))
    } else {
        Outcome::Fail(format!("not refused in TEI's error shape: {}", problems.join("; ")))
    }
}
