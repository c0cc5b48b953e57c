//! Family `api`: responses validated against the JSON Schemas in `schemas/api/`
//! (generated from `schemas/openapi.json`), error answers, and the served OpenAPI document.

use serde_json::{Value, json};

use crate::check;
use crate::check::{Check, Outcome};
use crate::http::{client, clip, get_json, post_json};
use crate::profile::{Profile, Route};
use crate::target::Http;
use crate::verdict::Failure;

const OPENAPI: &str = include_str!("../../schemas/openapi.json");
const OPENAI_RESPONSE: &str =
    include_str!("../../schemas/api/openai-embeddings-response.schema.json");
const TEI_RESPONSE: &str = include_str!("../../schemas/api/tei-embed-response.schema.json");
const HEALTH: &str = include_str!("../../schemas/api/health.schema.json");
const ERROR: &str = include_str!("../../schemas/api/error.schema.json");
const INFO: &str = include_str!("../../schemas/api/info.schema.json");

pub(super) const CHECKS: &[Check] = &[
    check! {
        id: "api.embeddings.schema",
        family: Api,
        level: Must,
        description: "POST /v1/embeddings answers per the OpenAI response schema, for float and base64 encodings",
        run: |profile, http: Http| openai_schema(http, profile),
    },
    check! {
        id: "api.embed.schema",
        family: Api,
        level: Must,
        description: "POST /embed answers per the TEI response schema",
        run: |profile, http: Http| tei_schema(http, profile),
    },
    check! {
        id: "api.health.schema",
        family: Api,
        level: Must,
        description: "the startup, readiness and liveness probes answer per the health schema",
        run: |profile, http: Http| health_schema(http, profile),
    },
    check! {
        id: "api.errors.schema",
        family: Api,
        level: Must,
        description: "bad requests, unknown routes and wrong methods get a 4xx JSON error per the error schema",
        run: |profile, http: Http| errors_schema(http, profile),
    },
    check! {
        id: "api.info.schema",
        family: Api,
        level: Must,
        description: "GET /info answers per the info schema (model, dimension, device, version, limits)",
        run: |profile, http: Http| info_schema(http, profile),
    },
    check! {
        id: "api.metrics.series",
        family: Api,
        level: Must,
        description: "after an embedding request, the metrics route parses as Prometheus text and carries the profile's series",
        run: |profile, http: Http| metrics_series(http, profile),
    },
    check! {
        id: "api.version.reported",
        family: Api,
        level: Must,
        description: "the version route answers 200 with {\"version\": a non-empty string}, as vLLM's /version does",
        run: |profile, http: Http| version_reported(http, profile),
    },
    check! {
        id: "api.openapi.matches",
        family: Api,
        level: Must,
        description: "GET /openapi.json serves exactly schemas/openapi.json",
        run: |profile, http: Http| openapi_matches(http, profile),
    },
];

/// Validates `value` against the schema text; `Err` lists the problems by JSON pointer.
pub fn validate(schema: &str, value: &Value) -> Result<(), Failure> {
    let schema: Value = serde_json::from_str(schema).expect("committed schemas are JSON");
    let validator = jsonschema::validator_for(&schema).expect("committed schemas are valid");
    let problems: Vec<String> = validator
        .iter_errors(value)
        .take(5)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("{}: {e}", if at.is_empty() { "/".to_owned() } else { at })
        })
        .collect();
    if problems.is_empty() { Ok(()) } else { Err(Failure(problems.join("; "))) }
}

fn expect_valid(
    what: &str,
    schema: &str,
    status: u16,
    body: &Value,
    want_status: u16,
) -> Result<(), Failure> {
    if status != want_status {
        return Err(format!(
            "{what} answered {status}, expected {want_status}: {}",
            clip(&body.to_string())
        )
        .into());
    }
    validate(schema, body).map_err(|e| Failure(format!("{what} breaks its schema: {e}")))
}

fn openai_schema(http: Http<'_>, profile: &Profile) -> Outcome {
    let url = match profile.url(http.base_url(), Route::Embeddings) {
        Ok(url) => url,
        Err(na) => return na.into(),
    };
    let path = profile.route(Route::Embeddings).unwrap_or_default();
    let requests = [
        json!({"input": "One sentence."}),
        json!({"input": ["Two", "sentences."]}),
        json!({"input": "Base64, please.", "encoding_format": "base64"}),
    ];
    for request in &requests {
        let result = post_json(&url, request).map_err(Failure::from).and_then(|(status, body)| {
            expect_valid(&format!("POST {path} {request}"), OPENAI_RESPONSE, status, &body, 200)
        });
        if let Err(e) = result {
            return Outcome::Fail(e.to_string());
        }
    }
    Outcome::Pass(format!("{} requests answered per the schema", requests.len()))
}

fn tei_schema(http: Http<'_>, profile: &Profile) -> Outcome {
    let path = match profile.route(Route::Embed) {
        Ok(path) => path,
        Err(na) => return na.into(),
    };
    let url = format!("{}{path}", http.base_url());
    match post_json(&url, &json!({"inputs": ["One", "two"]})).map_err(Failure::from).and_then(
        |(status, body)| expect_valid(&format!("POST {path}"), TEI_RESPONSE, status, &body, 200),
    ) {
        Ok(()) => Outcome::Pass(format!("POST {path} answered per the schema")),
        Err(e) => Outcome::Fail(e.to_string()),
    }
}

fn health_schema(http: Http<'_>, profile: &Profile) -> Outcome {
    let (startup, live) = match (profile.route(Route::Startup), profile.route(Route::Liveness)) {
        (Ok(startup), Ok(live)) => (startup, live),
        (Err(na), _) | (_, Err(na)) => return na.into(),
    };
    let paths = [startup.as_str(), profile.readiness_path.as_str(), live.as_str()];
    for path in paths {
        let result =
            get_json(&format!("{}{path}", http.base_url())).map_err(Failure::from).and_then(
                |(status, body)| expect_valid(&format!("GET {path}"), HEALTH, status, &body, 200),
            );
        if let Err(e) = result {
            return Outcome::Fail(e.to_string());
        }
    }
    Outcome::Pass(format!("{paths:?} answered per the schema"))
}

/// A bad request the service must answer with a 4xx JSON error.
pub(super) struct BadRequest {
    /// What is wrong with it, for messages.
    pub what: &'static str,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Where it goes: a route of the profile, or `None` for a path no server serves.
    pub route: Option<Route>,
    /// The raw JSON body sent, if any.
    pub body: Option<&'static str>,
}

impl BadRequest {
    /// The path it goes to under `profile`; `Err` when the profile does not serve its route.
    pub fn path(&self, profile: &Profile) -> Result<String, Outcome> {
        match self.route {
            Some(route) => Ok(profile.route(route)?),
            None => Ok(UNKNOWN_ROUTE.to_owned()),
        }
    }

    /// `what: METHOD path body`, for reports and snapshots.
    pub fn describe(&self, path: &str) -> String {
        match self.body {
            Some(body) => format!("{}: {} {path} {body}", self.what, self.method),
            None => format!("{}: {} {path}", self.what, self.method),
        }
    }
}

/// A path no server serves.
const UNKNOWN_ROUTE: &str = "/no/such/route";

/// The bad requests `api.errors.schema` and `snapshot.errors` send.
pub(super) const BAD_REQUESTS: &[BadRequest] = &[
    BadRequest {
        what: "malformed JSON",
        method: "POST",
        route: Some(Route::Embeddings),
        body: Some("{\"input\": "),
    },
    BadRequest {
        what: "a number as input",
        method: "POST",
        route: Some(Route::Embeddings),
        body: Some("{\"input\": 42}"),
    },
    BadRequest {
        what: "no input field",
        method: "POST",
        route: Some(Route::Embeddings),
        body: Some("{\"inputs\": \"hello\"}"),
    },
    BadRequest {
        what: "an unknown encoding",
        method: "POST",
        route: Some(Route::Embeddings),
        body: Some("{\"input\": \"hello\", \"encoding_format\": \"int4\"}"),
    },
    BadRequest {
        what: "an empty input",
        method: "POST",
        route: Some(Route::Embed),
        body: Some("{\"inputs\": \"\"}"),
    },
    BadRequest { what: "an unknown route", method: "GET", route: None, body: None },
    BadRequest {
        what: "a wrong method",
        method: "GET",
        route: Some(Route::Embeddings),
        body: None,
    },
];

/// Sends `bad` to `base{path}`; returns the status and the body text.
pub(super) fn send_bad_request(
    http: &reqwest::blocking::Client,
    base: &str,
    path: &str,
    bad: &BadRequest,
) -> Result<(u16, String), Failure> {
    let url = format!("{base}{path}");
    let request = match bad.method {
        "POST" => http.post(&url),
        _ => http.get(&url),
    };
    let request = match bad.body {
        Some(body) => request.header("content-type", "application/json").body(body),
        None => request,
    };
    let response = request.send().map_err(|e| format!("{}: {e}", bad.what))?;
    let status = response.status().as_u16();
    let text = response.text().map_err(|e| format!("{}: reading the body: {e}", bad.what))?;
    Ok((status, text))
}

fn errors_schema(http: Http<'_>, profile: &Profile) -> Outcome {
    let agent = client();
    for bad in BAD_REQUESTS {
        let what = bad.what;
        let path = match bad.path(profile) {
            Ok(path) => path,
            Err(na) => return na,
        };
        let (status, text) = match send_bad_request(&agent, http.base_url(), &path, bad) {
            Ok(answer) => answer,
            Err(e) => return Outcome::Fail(e.to_string()),
        };
        if !(400..500).contains(&status) {
            return Outcome::Fail(format!(
                "{what} answered {status}, expected a 4xx: {}",
                clip(&text)
            ));
        }
        let body: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(_) => {
                return Outcome::Fail(format!(
                    "{what} answered {status} with a body that is not JSON: {}",
                    clip(&text)
                ));
            }
        };
        if let Err(e) = validate(ERROR, &body) {
            return Outcome::Fail(format!(
                "{what} answered {status} with an error body that breaks the error schema: {e}"
            ));
        }
    }
    Outcome::Pass(format!(
        "{} bad requests answered 4xx with errors per the schema",
        BAD_REQUESTS.len()
    ))
}

fn info_schema(http: Http<'_>, profile: &Profile) -> Outcome {
    let path = match profile.route(Route::Info) {
        Ok(path) => path,
        Err(na) => return na.into(),
    };
    match get_json(&format!("{}{path}", http.base_url()))
        .map_err(Failure::from)
        .and_then(|(status, body)| expect_valid(&format!("GET {path}"), INFO, status, &body, 200))
    {
        Ok(()) => Outcome::Pass(format!("GET {path} answered per the schema")),
        Err(e) => Outcome::Fail(e.to_string()),
    }
}

fn metrics_series(http: Http<'_>, profile: &Profile) -> Outcome {
    let url = match profile.url(http.base_url(), Route::Metrics) {
        Ok(url) => url,
        Err(na) => return na.into(),
    };
    if profile.metrics.is_empty() {
        return Outcome::NotApplicable(format!(
            "not applicable: profile `{}` names no series (`metrics:`)",
            profile.name
        ));
    }
    // Some servers (TEI) register a series only when it is first used.
    let _ = super::embeddings::embed(http, profile, &["Metrics are counted."]);
    let path = profile.route(Route::Metrics).unwrap_or_default();
    let response = match client().get(url).send() {
        Ok(r) => r,
        Err(e) => return Outcome::Fail(format!("GET {path}: {e}")),
    };
    let status = response.status().as_u16();
    let text = response.text().unwrap_or_default();
    if status != 200 {
        return Outcome::Fail(format!("GET {path} answered {status}"));
    }
    let names = match parse_prometheus(&text) {
        Ok(names) => names,
        Err(e) => return Outcome::Fail(format!("GET {path} is not Prometheus text: {e}")),
    };
    let missing: Vec<&str> = profile
        .metrics
        .iter()
        .map(String::as_str)
        .filter(|s| !names.iter().any(|n| n == s))
        .collect();
    if missing.is_empty() {
        Outcome::Pass(format!(
            "{} samples, each of the profile's {} series present",
            names.len(),
            profile.metrics.len()
        ))
    } else {
        Outcome::Fail(format!("GET {path} lacks the series {}", missing.join(", ")))
    }
}

/// Parses the Prometheus text exposition format: returns each sample's metric name,
/// or the first line that is not `# ...`, blank, or `name{labels} value [timestamp]`.
pub fn parse_prometheus(text: &str) -> Result<Vec<String>, Failure> {
    let mut names = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || format!("line {}: `{}`", n + 1, clip(line));
        let name_end = line.find(['{', ' ']).ok_or_else(bad)?;
        let name = &line[..name_end];
        let valid_name =
            name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
        if !valid_name {
            return Err(Failure(bad()));
        }
        let rest = if line[name_end..].starts_with('{') {
            let close = line.rfind('}').ok_or_else(bad)?;
            &line[close + 1..]
        } else {
            &line[name_end..]
        };
        let mut fields = rest.split_whitespace();
        let value = fields.next().ok_or_else(bad)?;
        let numeric = value.parse::<f64>().is_ok() || matches!(value, "+Inf" | "-Inf" | "NaN");
        if !numeric
            || fields.clone().count() > 1
            || fields.next().is_some_and(|t| t.parse::<i64>().is_err())
        {
            return Err(Failure(bad()));
        }
        names.push(name.to_owned());
    }
    Ok(names)
}

fn version_reported(http: Http<'_>, profile: &Profile) -> Outcome {
    let path = match profile.route(Route::Version) {
        Ok(path) => path,
        Err(na) => return na.into(),
    };
    match get_json(&format!("{}{path}", http.base_url())) {
        Ok((200, body)) => match body["version"].as_str() {
            Some(v) if !v.trim().is_empty() => Outcome::Pass(format!("GET {path}: version {v}")),
            _ => Outcome::Fail(format!(
                "GET {path} answered 200 without a non-empty string `version`: {}",
                clip(&body.to_string())
            )),
        },
        Ok((status, body)) => {
            Outcome::Fail(format!("GET {path} answered {status}: {}", clip(&body.to_string())))
        }
        Err(e) => Outcome::Fail(e.to_string()),
    }
}

fn openapi_matches(http: Http<'_>, profile: &Profile) -> Outcome {
    let url = match profile.url(http.base_url(), Route::Openapi) {
        Ok(url) => url,
        Err(na) => return na.into(),
    };
    let committed: Value = serde_json::from_str(OPENAPI).expect("schemas/openapi.json is JSON");
    match get_json(&url) {
        Ok((200, served)) if served == committed => {
            Outcome::Pass("served /openapi.json equals schemas/openapi.json".into())
        }
        Ok((200, served)) => Outcome::Fail(format!(
            "served /openapi.json differs from schemas/openapi.json: {}",
            first_difference(&committed, &served, String::new())
        )),
        Ok((status, _)) => Outcome::Fail(format!("GET /openapi.json answered {status}")),
        Err(e) => Outcome::Fail(e.to_string()),
    }
}

/// The JSON pointer of the first place two documents differ.
fn first_difference(a: &Value, b: &Value, at: String) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys()) {
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) if p == q => {}
                    (Some(p), Some(q)) => return first_difference(p, q, format!("{at}/{key}")),
                    (Some(_), None) => return format!("{at}/{key} is missing"),
                    _ => return format!("{at}/{key} is not in the committed document"),
                }
            }
            at
        }
        _ => format!("{} differs", if at.is_empty() { "/" } else { &at }),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_prometheus;

    #[test]
    fn prometheus_text_parses_and_garbage_does_not() {
        let good = "# HELP a_total x\n# TYPE a_total counter\na_total{route=\"/x\",le=\"+Inf\"} 3\nb 1.5e3 1700000000\nc +Inf\n";
        assert_eq!(parse_prometheus(good).unwrap(), ["a_total", "b", "c"]);
        assert!(parse_prometheus("<html>oops</html>").unwrap_err().contains("line 1"));
        assert!(parse_prometheus("a_total three").is_err());
        assert!(parse_prometheus("9lives 1").is_err());
    }
}
