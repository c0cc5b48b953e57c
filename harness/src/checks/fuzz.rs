//! Family `fuzz`: proptest-generated bodies (valid, near-valid and garbage; huge,
//! deeply nested and odd Unicode) at each inference route. Never a 5xx, never a
//! non-JSON error, and the target is still live afterwards. The seed is in every
//! failure message; `GAUNTLET_FUZZ_SEED=<seed>` replays the same bodies.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde_json::{Value, json};

use crate::check;
use crate::check::{Check, Outcome};
use crate::http::{client_within, clip};
use crate::profile::{Profile, Route};
use crate::target::Http;

pub(super) const CHECKS: &[Check] = &[
    check! {
        id: "fuzz.openai.bodies",
        family: Fuzz,
        level: Must,
        description: "generated bodies at the OpenAI embeddings route never get a 5xx or go unanswered past the request timeout",
        run: |profile, http: Http| fuzz(http, profile, Route::Embeddings, "input"),
    },
    check! {
        id: "fuzz.tei.bodies",
        family: Fuzz,
        level: Must,
        description: "generated bodies at TEI's /embed never get a 5xx or go unanswered past the request timeout",
        run: |profile, http: Http| fuzz(http, profile, Route::Embed, "inputs"),
    },
];

/// Any JSON value, a few levels deep, with odd strings.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        "\\PC{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Request bodies: near-valid ones (`field` with odd values), any JSON, raw
/// bytes, deep nesting and huge strings. The service's own property tests use it too.
pub fn bodies(field: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => (arb_json(), any::<bool>(), arb_json()).prop_map(move |(value, truncate, extra)| {
            serde_json::to_vec(&json!({ field: value, "truncate": truncate, "extra": extra })).unwrap_or_default()
        }),
        3 => arb_json().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        2 => prop::collection::vec(any::<u8>(), 0..256),
        1 => (1usize..20_000).prop_map(move |depth| format!("{{\"{field}\": {}1{}}}", "[".repeat(depth), "]".repeat(depth)).into_bytes()),
        1 => (1usize..200_000).prop_map(move |len| format!("{{\"{field}\": \"{}\"}}", "\u{00e9}".repeat(len)).into_bytes()),
    ]
}

fn seed() -> u64 {
    std::env::var("GAUNTLET_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    })
}

fn fuzz(http: Http<'_>, profile: &Profile, route: Route, field: &'static str) -> Outcome {
    let (route, live) = match (profile.route(route), profile.route(Route::Liveness)) {
        (Ok(route), Ok(live)) => (route, live),
        (Err(na), _) => return na.into(),
        // Without a liveness route, readiness says whether it survived.
        (Ok(route), Err(_)) => (route, profile.readiness_path.clone()),
    };
    let seed = seed();
    let seed_bytes: Vec<u8> = seed.to_le_bytes().iter().copied().cycle().take(32).collect();
    let config = Config {
        cases: profile.thresholds.fuzz_cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes));
    let url = format!("{}{route}", http.base_url());
    let bound = profile.thresholds.request_timeout;
    let agent = client_within(bound);
    // Refusals whose body is not OpenAI's `{"error": {"message": ...}}`: reported
    // here, judged by the SHOULD check api.errors.openai-shape.
    let other_shapes = std::sync::atomic::AtomicUsize::new(0);
    let result = runner.run(&bodies(field), |body| {
        let response =
            agent.post(&url).header("content-type", "application/json").body(body).send().map_err(
                |e| {
                    TestCaseError::fail(if e.is_timeout() {
                        format!("no answer within the request timeout of {bound:?}")
                    } else {
                        format!("transport error: {e}")
                    })
                },
            )?;
        let status = response.status().as_u16();
        let text = response.text().unwrap_or_default();
        if status >= 500 {
            return Err(TestCaseError::fail(format!("answered {status}: {}", clip(&text))));
        }
        if status >= 400 {
            let parsed: Option<Value> = serde_json::from_str(&text).ok();
            if !parsed.is_some_and(|v| v["error"]["message"].is_string()) {
                other_shapes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        let detail = match e {
            TestError::Fail(why, body) => {
                format!("{why}; minimal body: {}", clip(&String::from_utf8_lossy(&body)))
            }
            TestError::Abort(why) => why.to_string(),
        };
        return Outcome::Fail(format!(
            "POST {route}: {detail} (replay with GAUNTLET_FUZZ_SEED={seed})"
        ));
    }
    let other_shapes = other_shapes.into_inner();
    // Liveness is its status: TEI's and the protocol's answer with an empty body.
    let answer = agent.get(format!("{}{live}", http.base_url())).send();
    match answer.map(|r| (r.status().as_u16(), r.text().unwrap_or_default())) {
        Ok((200, _)) => Outcome::Pass(format!(
            "{} generated bodies at POST {route}, each a 2xx or a 4xx within {bound:?}{}; still live (seed {seed})",
            profile.thresholds.fuzz_cases,
            if other_shapes == 0 {
                String::new()
            } else {
                format!(" ({other_shapes} refusal(s) not in OpenAI's error shape)")
            }
        )),
        Ok((status, body)) => Outcome::Fail(format!(
            "after fuzzing, liveness answered {status}: {} (seed {seed})",
            clip(&body)
        )),
        Err(e) => Outcome::Fail(format!("after fuzzing: {e} (seed {seed})")),
    }
}
