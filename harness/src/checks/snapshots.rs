//! Family `snapshot`: each endpoint's answer to a fixed request, redacted and
//! rounded, held against the reviewed insta snapshot in the profile's snapshot
//! folder. A mismatch leaves a `.snap.new` beside the snapshot for
//! `cargo insta review` (except in CI, where insta writes nothing).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::check;
use crate::check::{Check, Outcome};
use crate::http::{client, get_json, post_json};
use crate::profile::{Profile, Route};
use crate::target::Http;
use crate::verdict::Failure;

use super::api::{BAD_REQUESTS, send_bad_request};

/// Decimal places kept of each vector component: two, so a value moves in the
/// snapshot only when the service's answer moves by more than ±0.005.
pub const DECIMALS: i32 = 2;
/// Leading components of each vector kept in a snapshot.
pub const HEAD: usize = 4;

/// Sentences every embedding snapshot asks for.
const SENTENCES: [&str; 2] =
    ["A man is playing a guitar.", "The quarterly report is due on Friday."];

pub(super) const CHECKS: &[Check] = &[
    check! {
        id: "snapshot.embeddings",
        family: Snapshot,
        level: Must,
        description: "POST /v1/embeddings answers two fixed sentences as in the reviewed snapshot (vectors rounded)",
        run: |profile, http: Http| judge("snapshot.embeddings", http, profile),
    },
    check! {
        id: "snapshot.embed",
        family: Snapshot,
        level: Must,
        description: "POST /embed answers two fixed sentences as in the reviewed snapshot (vectors rounded)",
        run: |profile, http: Http| judge("snapshot.embed", http, profile),
    },
    check! {
        id: "snapshot.info",
        family: Snapshot,
        level: Must,
        description: "GET /info answers as in the reviewed snapshot (version and deployment facts redacted)",
        run: |profile, http: Http| judge("snapshot.info", http, profile),
    },
    check! {
        id: "snapshot.health",
        family: Snapshot,
        level: Must,
        description: "the startup, readiness and liveness probes of a ready service answer as in the reviewed snapshot",
        run: |profile, http: Http| judge("snapshot.health", http, profile),
    },
    check! {
        id: "snapshot.errors",
        family: Snapshot,
        level: Must,
        description: "fixed bad requests get the status codes and error bodies of the reviewed snapshot",
        run: |profile, http: Http| judge("snapshot.errors", http, profile),
    },
    check! {
        id: "snapshot.metrics",
        family: Snapshot,
        level: Must,
        description: "GET /metrics exports the metric families and types of the reviewed snapshot",
        run: |profile, http: Http| judge("snapshot.metrics", http, profile),
    },
];

/// What a snapshot check captured: the requests made (for the reviewer) and the
/// redacted answer.
pub struct Capture {
    /// The requests, one line each, written into the snapshot's description.
    pub requests: String,
    /// The answer after redaction and rounding.
    pub value: Value,
}

/// The text stored for `capture`: pretty JSON, stable key order.
pub fn render(capture: &Capture) -> String {
    serde_json::to_string_pretty(&capture.value).expect("a JSON value always serializes")
}

/// Why nothing was captured: a failed request, or a route the profile does not serve.
type Missed = Outcome;

/// Asks `target` what snapshot check `id` asks, where `profile` says it serves
/// each route; `None` for an unknown id.
pub fn capture(id: &str, http: Http<'_>, profile: &Profile) -> Option<Result<Capture, Missed>> {
    let route = |r: Route| profile.route(r).map_err(Outcome::from);
    let failed = |e: Failure| Outcome::Fail(e.to_string());
    Some(match id {
        "snapshot.embeddings" => {
            route(Route::Embeddings).and_then(|p| openai(http, &p).map_err(failed))
        }
        "snapshot.embed" => route(Route::Embed).and_then(|p| tei(http, &p).map_err(failed)),
        "snapshot.info" => route(Route::Info).and_then(|p| info(http, &p).map_err(failed)),
        "snapshot.health" => route(Route::Startup).and_then(|startup| {
            let live = route(Route::Liveness)?;
            health(http, [startup.as_str(), profile.readiness_path.as_str(), live.as_str()])
                .map_err(failed)
        }),
        "snapshot.errors" => errors(http, profile),
        "snapshot.metrics" => route(Route::Metrics).and_then(|p| metrics(http, &p).map_err(failed)),
        _ => return None,
    })
}

/// Holds the answer to snapshot check `name` against its snapshot in the
/// profile's snapshot folder.
fn judge(name: &str, http: Http<'_>, profile: &Profile) -> Outcome {
    let Some(dir) = profile.snapshots.as_deref() else {
        return Outcome::NotApplicable(format!(
            "not applicable: profile `{}` names no snapshot folder (`snapshots:`)",
            profile.name
        ));
    };
    let capture = match capture(name, http, profile) {
        Some(Ok(c)) => c,
        Some(Err(outcome)) => return outcome,
        None => return Outcome::Fail(format!("no snapshot check {name}")),
    };
    compare(dir, name, &capture)
}

/// Asserts through insta (so `.snap.new` files and `cargo insta review` work as
/// usual) and explains a mismatch by the first line that differs.
pub fn compare(dir: &Path, name: &str, capture: &Capture) -> Outcome {
    // insta reads a relative snapshot path against the source file of the
    // assertion; a profile's relative path means the current directory.
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
    let dir = dir.as_path();
    let text = render(capture);
    let file = dir.join(format!("{name}.snap"));
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(capture.requests.clone());
    let asserted = catch_unwind(AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_snapshot!(name, text.clone()));
    }));
    match asserted {
        Ok(()) => Outcome::Pass(format!("the answer matches {}", file.display())),
        Err(_) => Outcome::Fail(explain(&file, &text)),
    }
}

/// Says how `text` differs from the stored snapshot at `file`.
fn explain(file: &Path, text: &str) -> String {
    let review = "review with `cargo insta review`";
    let Ok(stored) = std::fs::read_to_string(file) else {
        return format!("no reviewed snapshot at {}; {review}", file.display());
    };
    let stored = body(&stored);
    let (old, new): (Vec<&str>, Vec<&str>) = (stored.lines().collect(), text.lines().collect());
    let line = old.iter().zip(&new).position(|(a, b)| a != b).unwrap_or(old.len().min(new.len()));
    format!(
        "the answer differs from {} at line {}: the snapshot has `{}`, the service answered `{}`; {review}",
        file.display(),
        line + 1,
        old.get(line).map_or("(end)", |l| l.trim()),
        new.get(line).map_or("(end)", |l| l.trim()),
    )
}

/// The contents of a `.snap` file after its `---` metadata header.
fn body(snap: &str) -> &str {
    snap.strip_prefix("---\n")
        .and_then(|rest| rest.find("\n---\n").map(|end| &rest[end + 5..]))
        .unwrap_or(snap)
        .trim_end()
}

fn openai(http: Http<'_>, path: &str) -> Result<Capture, Failure> {
    let request = json!({ "input": SENTENCES });
    let (status, mut body) = post_json(&format!("{}{path}", http.base_url()), &request)?;
    if let Some(data) = body.get_mut("data").and_then(Value::as_array_mut) {
        for item in data {
            if let Some(vector) = item.get_mut("embedding") {
                *vector = compact(vector);
            }
        }
    }
    Ok(Capture {
        requests: format!("POST {path} {request}"),
        value: json!({ "status": status, "body": body }),
    })
}

fn tei(http: Http<'_>, path: &str) -> Result<Capture, Failure> {
    let request = json!({ "inputs": SENTENCES });
    let (status, mut body) = post_json(&format!("{}{path}", http.base_url()), &request)?;
    if let Some(vectors) = body.as_array_mut() {
        for vector in vectors {
            *vector = compact(vector);
        }
    }
    Ok(Capture {
        requests: format!("POST {path} {request}"),
        value: json!({ "status": status, "body": body }),
    })
}

fn info(http: Http<'_>, path: &str) -> Result<Capture, Failure> {
    let (status, mut body) = get_json(&format!("{}{path}", http.base_url()))?;
    redact(
        &mut body,
        &[
            ("version", "[version]"),
            ("device", "[device]"),
            ("backend", "[backend]"),
            ("device_fallback", "[device-fallback]"),
            ("build_features", "[build-features]"),
        ],
    );
    Ok(Capture {
        requests: format!("GET {path}"),
        value: json!({ "status": status, "body": body }),
    })
}

fn health(http: Http<'_>, paths: [&str; 3]) -> Result<Capture, Failure> {
    let mut answers = Map::new();
    for path in paths {
        let (status, body) = get_json(&format!("{}{path}", http.base_url()))?;
        answers.insert(path.into(), json!({ "status": status, "body": body }));
    }
    let requests: Vec<String> = paths.iter().map(|p| format!("GET {p}")).collect();
    Ok(Capture { requests: requests.join(", "), value: Value::Object(answers) })
}

fn errors(http: Http<'_>, profile: &Profile) -> Result<Capture, Missed> {
    let agent = client();
    let mut answers = Vec::new();
    let mut requests = Vec::new();
    for bad in BAD_REQUESTS {
        let path = bad.path(profile)?;
        let (status, text) = send_bad_request(&agent, http.base_url(), &path, bad)
            .map_err(|e| Outcome::Fail(e.to_string()))?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        requests.push(bad.describe(&path));
        answers.push(json!({ "request": bad.describe(&path), "status": status, "body": body }));
    }
    Ok(Capture { requests: requests.join("\n"), value: Value::Array(answers) })
}

fn metrics(http: Http<'_>, path: &str) -> Result<Capture, Failure> {
    let url = format!("{}{path}", http.base_url());
    let response = client().get(&url).send().map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status().as_u16();
    let text = response.text().map_err(|e| format!("GET {url}: reading the body: {e}"))?;
    let mut families: Vec<String> = text
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .map(|rest| rest.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    families.sort();
    Ok(Capture {
        requests: format!("GET {path} (metric families and types; values are left out)"),
        value: json!({ "status": status, "families": families }),
    })
}

/// A vector as its length, its norm and its first components, rounded.
pub fn compact(vector: &Value) -> Value {
    let Some(items) = vector.as_array() else { return vector.clone() };
    let numbers: Vec<f64> = items.iter().filter_map(Value::as_f64).collect();
    if numbers.len() != items.len() {
        return vector.clone();
    }
    let norm = numbers.iter().map(|x| x * x).sum::<f64>().sqrt();
    json!({
        "dimension": numbers.len(),
        "norm": round(norm, 3),
        "head": numbers.iter().take(HEAD).map(|x| round(*x, DECIMALS)).collect::<Vec<_>>(),
    })
}

fn round(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    let rounded = (x * scale).round() / scale;
    // Keep -0.0 out of snapshots: it prints differently from 0.0.
    if rounded == 0.0 { 0.0 } else { rounded }
}

/// Replaces the top-level fields named in `rules` (when present) by a placeholder.
fn redact(body: &mut Value, rules: &[(&str, &str)]) {
    if let Some(object) = body.as_object_mut() {
        for (field, placeholder) in rules {
            if let Some(value) = object.get_mut(*field) {
                *value = Value::String((*placeholder).into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_compacted_and_rounded() {
        let v = json!([0.6, -0.8, 0.0, -0.00001, 0.0]);
        assert_eq!(
            compact(&v),
            json!({ "dimension": 5, "norm": 1.0, "head": [0.6, -0.8, 0.0, 0.0] })
        );
        assert_eq!(compact(&json!("x")), json!("x"));
    }

    #[test]
    fn the_header_is_stripped() {
        let snap = "---\nsource: a.rs\ndescription: GET /info\n---\n{\n  \"a\": 1\n}\n";
        assert_eq!(body(snap), "{\n  \"a\": 1\n}");
        assert_eq!(body("plain"), "plain");
    }

    #[test]
    fn redaction_touches_only_named_fields() {
        let mut v = json!({ "version": "1.2.3", "dimension": 384 });
        redact(&mut v, &[("version", "[version]"), ("absent", "[x]")]);
        assert_eq!(v, json!({ "version": "[version]", "dimension": 384 }));
    }
}
