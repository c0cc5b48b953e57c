//! Family `embeddings`: the vectors themselves, through the OpenAI route.

use serde_json::{Value, json};

use crate::check::{Check, Family, Level, Outcome};
use crate::http::post_json;
use crate::target::Target;

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "embeddings.unit-norm",
        family: Family::Embeddings,
        level: Level::Must,
        description: "every vector from /v1/embeddings has length 1 within 1e-4",
        needs: &[],
        run: unit_norm,
    },
    Check {
        id: "embeddings.determinism",
        family: Family::Embeddings,
        level: Level::Must,
        description: "the same input twice gives the same vector (cosine >= 0.9999)",
        needs: &[],
        run: determinism,
    },
];

const SENTENCES: [&str; 3] = [
    "A man is playing a guitar.",
    "The quarterly report is due on Friday.",
    "Kubernetes restarts failed pods.",
];

/// Embeds `inputs` through `/v1/embeddings`; `Err` is the failure message.
fn embed(target: &dyn Target, inputs: &[&str]) -> Result<Vec<Vec<f64>>, String> {
    let url = format!("{}/v1/embeddings", target.base_url());
    let (status, body) = post_json(&url, &json!({ "input": inputs }))?;
    if status != 200 {
        return Err(format!("/v1/embeddings answered {status}: {body}"));
    }
    let data = body["data"].as_array().ok_or_else(|| format!("no `data` array in {body}"))?;
    if data.len() != inputs.len() {
        return Err(format!("{} inputs gave {} vectors", inputs.len(), data.len()));
    }
    data.iter()
        .map(|d| match &d["embedding"] {
            Value::Array(v) => {
                v.iter().map(|x| x.as_f64().ok_or_else(|| format!("not a number: {x}"))).collect()
            }
            other => Err(format!("`embedding` is not an array of numbers: {other}")),
        })
        .collect()
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>() / (norm(a) * norm(b))
}

fn unit_norm(target: &dyn Target) -> Outcome {
    let vectors = match embed(target, &SENTENCES) {
        Ok(v) => v,
        Err(e) => return Outcome::Fail(e),
    };
    let norms: Vec<f64> = vectors.iter().map(|v| norm(v)).collect();
    match norms.iter().position(|n| (n - 1.0).abs() > 1e-4) {
        Some(i) => Outcome::Fail(format!("vector {i} has norm {:.6}, expected 1 ± 1e-4", norms[i])),
        None => Outcome::Pass(format!("norms {norms:.6?}")),
    }
}

fn determinism(target: &dyn Target) -> Outcome {
    let (a, b) = match (embed(target, &SENTENCES[..1]), embed(target, &SENTENCES[..1])) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return Outcome::Fail(e),
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
