//! The `tei` and `vllm` profiles held to their servers' published documents.
//!
//! Neither server can run here (TEI ships as a CUDA or CPU image we cannot
//! pull, vLLM needs a GPU), so each profile is proven on a transcript built
//! from the server's own API document: `fixtures/peers/NAME/documented.json`.
//! Its exchanges are documented, never recorded: each names the place in the
//! document it comes from. A stand-in server replays them exactly: a request
//! the document gives no answer for is logged, and every check that sent one
//! is counted as unverifiable, whatever it concluded, never as a pass. An
//! exchange whose documented answer is elided (`...` in the document) makes
//! the checks that read it unverifiable as well.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use gauntlet::target::UrlTarget;
use gauntlet::{Outcome, Profile, checks};
use serde::Deserialize;
use serde_json::Value;

use crate::common::repo;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Transcript {
    provenance: String,
    server: String,
    version: String,
    profile: String,
    sources: BTreeMap<String, String>,
    #[allow(dead_code)]
    note: String,
    /// `model` and the like, as `--set` would give them.
    #[serde(default)]
    set: Vec<String>,
    exchanges: Vec<Exchange>,
    /// Every check the profile selects, with the outcome the document gives it.
    expected: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exchange {
    /// Where in which document (a key of `sources`) this exchange comes from.
    source: String,
    request: Request,
    response: Answer,
    /// The document shows only part of the answer.
    #[serde(default)]
    elided: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    method: String,
    path: String,
    /// The JSON body, matched exactly; absent for a request without one.
    #[serde(default)]
    json: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    status: u16,
    #[serde(default)]
    json: Option<Value>,
    #[serde(default)]
    text: Option<String>,
    /// A JSON file beside the transcript, for an answer too long to inline.
    #[serde(default)]
    file: Option<String>,
}

fn transcript(name: &str) -> Transcript {
    let read = |file: &str| {
        let path = repo(&format!("fixtures/peers/{name}/{file}"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let mut t: Transcript = serde_json::from_str(&read("documented.json"))
        .unwrap_or_else(|e| panic!("{name}/documented.json: {e}"));
    for e in &mut t.exchanges {
        if let Some(file) = e.response.file.take() {
            let json = serde_json::from_str(&read(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            e.response.json = Some(json);
        }
    }
    t
}

/// What the stand-in saw that the document could not answer, or read only in part.
#[derive(Default)]
struct Log {
    /// Each request the document gives no answer to, with how often it came.
    unanswered: BTreeMap<String, usize>,
    elided: BTreeMap<String, usize>,
}

/// `POST /v1/embeddings (300 times)`, one per request.
fn listed(requests: &BTreeMap<String, usize>) -> String {
    let each: Vec<String> = requests
        .iter()
        .map(|(r, n)| if *n == 1 { r.clone() } else { format!("{r} ({n} times)") })
        .collect();
    each.join(", ")
}

/// Serves the transcript's exchanges on an ephemeral port; returns the base URL and the log.
fn replay(exchanges: Vec<Exchange>) -> (String, Arc<Mutex<Log>>) {
    let log = Arc::new(Mutex::new(Log::default()));
    let seen = log.clone();
    let exchanges = Arc::new(exchanges);
    let app = Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
        let (exchanges, seen) = (exchanges.clone(), seen.clone());
        async move { answer(&exchanges, &seen, &method, &uri, &body) }
    });
    (crate::broken::serve_router(app), log)
}

fn answer(
    exchanges: &[Exchange],
    log: &Mutex<Log>,
    method: &Method,
    uri: &Uri,
    body: &[u8],
) -> Response {
    let sent: Option<Value> = serde_json::from_slice(body).ok();
    let found = exchanges.iter().find(|e| {
        e.request.method.eq_ignore_ascii_case(method.as_str())
            && e.request.path == uri.path()
            && match &e.request.json {
                Some(json) => sent.as_ref() == Some(json),
                None => body.is_empty(),
            }
    });
    let what = format!("{method} {}", uri.path());
    let Some(exchange) = found else {
        *log.lock().unwrap().unanswered.entry(what).or_default() += 1;
        // Not a status any check accepts: a 2xx would read as success, a 4xx as a refusal.
        return (StatusCode::NOT_IMPLEMENTED, "the document gives no answer to this request")
            .into_response();
    };
    if exchange.elided {
        *log.lock().unwrap().elided.entry(what).or_default() += 1;
    }
    let status = StatusCode::from_u16(exchange.response.status).unwrap();
    match (&exchange.response.json, &exchange.response.text) {
        (Some(json), _) => {
            (status, [(header::CONTENT_TYPE, "application/json")], json.to_string()).into_response()
        }
        (None, Some(text)) => {
            (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text.clone())
                .into_response()
        }
        (None, None) => status.into_response(),
    }
}

/// Each check of the transcript's profile against the replay: `pass`, `fail`,
/// `should-fail`, `not-applicable`, or `unverifiable` with what the document lacked.
fn verdicts(t: &Transcript) -> BTreeMap<String, (String, String)> {
    let profile = Profile::load_with(&t.profile, &t.set).expect("the profile loads");
    let (base, log) = replay(t.exchanges.clone());
    let target = UrlTarget::connect(&base).expect("the stand-in is reachable");
    let mut out = BTreeMap::new();
    for check in checks::catalog().into_iter().filter(|c| profile.selects(c.id)) {
        *log.lock().unwrap() = Log::default();
        let outcome = check.judge(&target, &profile);
        let log = std::mem::take(&mut *log.lock().unwrap());
        let (kind, why) = if !log.unanswered.is_empty() {
            ("unverifiable", format!("no documented answer to {}", listed(&log.unanswered)))
        } else if !log.elided.is_empty() {
            ("unverifiable", format!("the document elides the answer to {}", listed(&log.elided)))
        } else {
            match &outcome {
                Outcome::Pass(_) => ("pass", outcome.detail().to_owned()),
                Outcome::Fail(_) if check.level == gauntlet::Level::Should => {
                    ("should-fail", outcome.detail().to_owned())
                }
                Outcome::Fail(_) => ("fail", outcome.detail().to_owned()),
                Outcome::NotApplicable(_) => ("not-applicable", outcome.detail().to_owned()),
            }
        };
        out.insert(check.id.to_owned(), (kind.to_owned(), why));
    }
    out
}

fn holds(name: &str) {
    let t = transcript(name);
    assert_eq!(t.provenance, "documented", "{name}: a transcript built from documents says so");
    for e in &t.exchanges {
        let doc = e.source.split_once('#').map_or(e.source.as_str(), |(doc, _)| doc);
        assert!(t.sources.contains_key(doc), "{name}: {} cites no listed source", e.source);
    }
    let got = verdicts(&t);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (id, (kind, why)) in &got {
        *counts.entry(kind.as_str()).or_default() += 1;
        println!("{name} {id}: {kind}: {why}");
    }
    println!("{} {} (documented): {counts:?}", t.server, t.version);
    let drift: Vec<String> = got
        .iter()
        .filter(|(id, (kind, _))| t.expected.get(*id) != Some(kind))
        .map(|(id, (kind, why))| {
            format!("{id}: expected {:?}, got {kind} ({why})", t.expected.get(id))
        })
        .chain(
            t.expected
                .keys()
                .filter(|id| !got.contains_key(*id))
                .map(|id| format!("{id}: expected, but the profile does not select it")),
        )
        .collect();
    assert!(drift.is_empty(), "{name}: the document's verdicts changed:\n{}", drift.join("\n"));
    assert!(counts.get("pass").copied().unwrap_or(0) > 0, "{name}: the document proves nothing");
}

#[test]
fn the_tei_profile_holds_on_tei_s_openapi_document() {
    holds("tei");
}

#[test]
fn the_vllm_profile_holds_on_vllm_s_documentation() {
    holds("vllm");
}

/// The stand-in itself: an answer the document lacks is never a pass.
#[test]
fn a_check_that_needs_an_undocumented_answer_is_unverifiable_not_passed() {
    let t = Transcript {
        provenance: "documented".into(),
        server: "none".into(),
        version: "0".into(),
        profile: "vllm".into(),
        sources: BTreeMap::new(),
        note: String::new(),
        set: Vec::new(),
        exchanges: Vec::new(),
        expected: BTreeMap::new(),
    };
    let got = verdicts(&t);
    assert!(!got.is_empty());
    for (id, (kind, why)) in &got {
        assert!(
            kind == "unverifiable" || kind == "not-applicable",
            "{id} is {kind} with no documented answer at all: {why}"
        );
    }
}
