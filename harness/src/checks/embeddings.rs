//! Family `embeddings`: the vectors themselves, through the OpenAI route.

use serde_json::{Value, json};

use crate::check;
use crate::check::{Check, Outcome};
use crate::http::{get_json, post_json};
use crate::profile::{Profile, Route};
use crate::target::Http;
use crate::verdict::Failure;

pub(super) const CHECKS: &[Check] = &[
    check! {
        id: "embeddings.unit-norm",
        family: Embeddings,
        level: Must,
        description: "every vector from /v1/embeddings has length 1 within 1e-4",
        run: |profile, http: Http| unit_norm(http, profile),
    },
    check! {
        id: "embeddings.determinism",
        family: Embeddings,
        level: Must,
        description: "the same input twice gives the same vector (cosine >= 0.9999)",
        run: |profile, http: Http| determinism(http, profile),
    },
    check! {
        id: "embeddings.batch-invariance",
        family: Embeddings,
        level: Must,
        description: "a sentence alone and inside a batch agree (cosine >= 0.9999)",
        run: |profile, http: Http| batch_invariance(http, profile),
    },
    check! {
        id: "embeddings.semantic",
        family: Embeddings,
        level: Must,
        description: "a paraphrase pair is closer than an unrelated pair, by at least 0.2 in cosine",
        run: |profile, http: Http| semantic(http, profile),
    },
    check! {
        id: "embeddings.matches-reference",
        family: Embeddings,
        level: Must,
        description: "vectors agree with sentence-transformers' for the same model and sentences (cosine at least the reference file's tolerance, 0.9999 for all-MiniLM-L6-v2)",
        run: |profile, http: Http| matches_reference(http, profile),
    },
    check! {
        id: "embeddings.dimension",
        family: Embeddings,
        level: Must,
        description: "every vector has the dimension GET /info reports",
        run: |profile, http: Http| dimension(http, profile),
    },
];

/// sentence-transformers 6.2.0's vectors for all-MiniLM-L6-v2, normalized, on the CPU.
pub(super) const ALL_MINILM_L6_V2: &str = include_str!("../../fixtures/embeddings/expected.json");

/// The reference vectors for the profile's model: its `reference_vectors`
/// file, else the built-in ones when the model is all-MiniLM-L6-v2.
fn reference_vectors(profile: &Profile) -> Result<Value, Outcome> {
    let text = match &profile.reference_vectors {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Outcome::Fail(format!("reference_vectors {}: {e}", path.display())))?,
        None if profile
            .model
            .as_deref()
            .is_some_and(|m| m.to_ascii_lowercase().ends_with("all-minilm-l6-v2")) =>
        {
            ALL_MINILM_L6_V2.to_owned()
        }
        None => {
            return Err(Outcome::NotApplicable(format!(
                "not applicable: no sentence-transformers vectors for model {}: set `reference_vectors` to a file fixtures/embeddings/generate.py writes",
                profile.model.as_deref().map_or("(unnamed)".to_owned(), |m| format!("`{m}`"))
            )));
        }
    };
    serde_json::from_str(&text)
        .map_err(|e| Outcome::Fail(format!("the reference vectors are not JSON: {e}")))
}

/// Embeds the reference sentences in batches the server accepts and holds each
/// vector to sentence-transformers' by cosine.
fn matches_reference(http: Http<'_>, profile: &Profile) -> Outcome {
    let reference = match reference_vectors(profile) {
        Ok(reference) => reference,
        Err(outcome) => return outcome,
    };
    let floor = reference["tolerance"]["cosine_min"].as_f64().unwrap_or(0.9999);
    let items: Vec<(&str, Vec<f64>)> = reference["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| {
            let vector: Option<Vec<f64>> =
                i["embedding"].as_array()?.iter().map(Value::as_f64).collect();
            Some((i["text"].as_str()?, vector?))
        })
        .collect();
    if items.is_empty() {
        return Outcome::Fail("the reference vectors have no items with text and embedding".into());
    }
    let mut worst: Option<(f64, &str)> = None;
    for chunk in items.chunks(profile.thresholds.max_batch.clamp(1, 8)) {
        let texts: Vec<&str> = chunk.iter().map(|(t, _)| *t).collect();
        let got = match embed(http, profile, &texts) {
            Ok(got) => got,
            Err(outcome) => return outcome,
        };
        for ((text, want), got) in chunk.iter().zip(&got) {
            if got.len() != want.len() {
                return Outcome::Fail(format!(
                    "{text:?}: a vector of {} numbers, sentence-transformers' has {}",
                    got.len(),
                    want.len()
                ));
            }
            let c = cosine(got, want);
            if worst.is_none_or(|(w, _)| c < w) {
                worst = Some((c, text));
            }
        }
    }
    let (least, text) = worst.unwrap_or((1.0, ""));
    let model = reference["model"].as_str().unwrap_or("the model");
    if least >= floor {
        Outcome::Pass(format!(
            "{} sentences agree with sentence-transformers' {model} vectors: least cosine {least:.6} (at least {floor})",
            items.len()
        ))
    } else {
        Outcome::Fail(format!(
            "{text:?} disagrees with sentence-transformers' {model} vector: cosine {least:.6}, below {floor}"
        ))
    }
}

const SENTENCES: [&str; 3] = [
    "A man is playing a guitar.",
    "The quarterly report is due on Friday.",
    "Kubernetes restarts failed pods.",
];

/// Embeds `inputs` through the profile's OpenAI embeddings route, or its Open
/// Inference Protocol infer route when it serves no OpenAI one; `Err` is the
/// outcome: a failure, or not applicable when the profile has neither.
pub(super) fn embed(
    http: Http<'_>,
    profile: &Profile,
    inputs: &[&str],
) -> Result<Vec<Vec<f64>>, Outcome> {
    match profile.route(Route::Embeddings) {
        Ok(path) => embed_at(http, &path, inputs).map_err(|e| Outcome::Fail(e.to_string())),
        Err(_) if profile.routes.contains_key(&Route::V2Infer) => {
            super::v2::embed(http, profile, inputs)
        }
        Err(none) => Err(none.into()),
    }
}

/// One inference request for `inputs` at the profile's own route: the OpenAI
/// route, else the Open Inference Protocol's infer route, else TEI's `/embed`.
/// Checks that only need the server busy (drains, restarts, memory under load)
/// send this, so they hold any profile, not only the reference's routes.
pub(super) fn inference_request(
    http: Http<'_>,
    profile: &Profile,
    inputs: &[&str],
) -> Result<(String, Value), Outcome> {
    if let Ok(path) = profile.route(Route::Embeddings) {
        return Ok((path, json!({ "input": inputs })));
    }
    if profile.routes.contains_key(&Route::V2Infer) {
        return super::v2::infer_request(http, profile, inputs);
    }
    let path = profile.route(Route::Embed)?;
    Ok((path, json!({ "inputs": inputs })))
}

fn embed_at(http: Http<'_>, path: &str, inputs: &[&str]) -> Result<Vec<Vec<f64>>, Failure> {
    let url = format!("{}{path}", http.base_url());
    let (status, body) = post_json(&url, &json!({ "input": inputs }))?;
    if status != 200 {
        return Err(format!("{path} answered {status}: {body}").into());
    }
    let data = body["data"].as_array().ok_or_else(|| format!("no `data` array in {body}"))?;
    if data.len() != inputs.len() {
        return Err(format!("{} inputs gave {} vectors", inputs.len(), data.len()).into());
    }
    data.iter()
        .map(|d| match &d["embedding"] {
            Value::Array(v) => v
                .iter()
                .map(|x| x.as_f64().ok_or_else(|| Failure(format!("not a number: {x}"))))
                .collect(),
            other => Err(format!("`embedding` is not an array of numbers: {other}").into()),
        })
        .collect()
}

pub(super) fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

pub(super) fn cosine(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>() / (norm(a) * norm(b))
}

fn unit_norm(http: Http<'_>, profile: &Profile) -> Outcome {
    if profile.route(Route::Embeddings).is_err()
        && profile.v2.output_format == crate::profile::V2Format::TokenEmbeddingsJson
    {
        return Outcome::NotApplicable(
            "not applicable: the server answers token embeddings, which the harness pools and normalizes itself".into(),
        );
    }
    let vectors = match embed(http, profile, &SENTENCES) {
        Ok(v) => v,
        Err(outcome) => return outcome,
    };
    let norms: Vec<f64> = vectors.iter().map(|v| norm(v)).collect();
    match norms.iter().position(|n| (n - 1.0).abs() > 1e-4) {
        Some(i) => Outcome::Fail(format!("vector {i} has norm {:.6}, expected 1 ± 1e-4", norms[i])),
        None => Outcome::Pass(format!("norms {norms:.6?}")),
    }
}

fn determinism(http: Http<'_>, profile: &Profile) -> Outcome {
    let (a, b) =
        match (embed(http, profile, &SENTENCES[..1]), embed(http, profile, &SENTENCES[..1])) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(outcome), _) | (_, Err(outcome)) => return outcome,
        };
    let c = cosine(&a[0], &b[0]);
    if c.is_finite() && c >= 0.9999 {
        Outcome::Pass(format!("cosine {c:.7} between two calls"))
    } else {
        Outcome::Fail(format!(
            "the same input twice gave vectors at cosine {c:.6} (expected >= 0.9999)"
        ))
    }
}

fn batch_invariance(http: Http<'_>, profile: &Profile) -> Outcome {
    let batch = match embed(http, profile, &SENTENCES) {
        Ok(v) => v,
        Err(outcome) => return outcome,
    };
    let mut worst = f64::INFINITY;
    for (sentence, in_batch) in SENTENCES.iter().zip(&batch) {
        let alone = match embed(http, profile, &[sentence]) {
            Ok(v) => v,
            Err(outcome) => return outcome,
        };
        let c = cosine(&alone[0], in_batch);
        if c.is_nan() || c < 0.9999 {
            return Outcome::Fail(format!(
                "{sentence:?} alone and in a batch of {} are at cosine {c:.6} (expected >= 0.9999)",
                SENTENCES.len()
            ));
        }
        worst = worst.min(c);
    }
    Outcome::Pass(format!("lowest cosine alone vs batched {worst:.7}"))
}

fn semantic(http: Http<'_>, profile: &Profile) -> Outcome {
    let pair = [
        "A man is playing a guitar.",
        "A man plays the guitar.",
        "The stock market fell sharply today.",
    ];
    let v = match embed(http, profile, &pair) {
        Ok(v) => v,
        Err(outcome) => return outcome,
    };
    let (close, far) = (cosine(&v[0], &v[1]), cosine(&v[0], &v[2]));
    // Real sentence encoders put this pair near 0.7 to 0.8 and the unrelated one near 0;
    // the margin keeps vectors that carry no meaning from passing by chance.
    if close - far >= 0.2 {
        Outcome::Pass(format!("paraphrase cosine {close:.4} > unrelated cosine {far:.4} + 0.2"))
    } else {
        Outcome::Fail(format!(
            "the paraphrase pair is at cosine {close:.4}, not closer than the unrelated pair at {far:.4} by 0.2"
        ))
    }
}

fn dimension(http: Http<'_>, profile: &Profile) -> Outcome {
    let info_path = match profile.route(Route::Info) {
        Ok(path) => path,
        Err(na) => return na.into(),
    };
    let info = match get_json(&format!("{}{info_path}", http.base_url())) {
        Ok((200, info)) => info,
        Ok((status, _)) => {
            return Outcome::NotApplicable(format!(
                "not applicable: GET {info_path} answered {status}"
            ));
        }
        Err(e) => return Outcome::NotApplicable(format!("not applicable: {e}")),
    };
    let Some(want) = info["dimension"].as_u64() else {
        return Outcome::NotApplicable(format!(
            "not applicable: GET {info_path} reports no `dimension`"
        ));
    };
    let vectors = match embed(http, profile, &SENTENCES) {
        Ok(v) => v,
        Err(outcome) => return outcome,
    };
    match vectors.iter().find(|v| v.len() as u64 != want) {
        Some(v) => Outcome::Fail(format!(
            "a vector has {} dimensions but {info_path} reports {want}",
            v.len()
        )),
        None => Outcome::Pass(format!("{} vectors of {want} dimensions", vectors.len())),
    }
}
