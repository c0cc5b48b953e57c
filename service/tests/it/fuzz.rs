//! Property tests: arbitrary JSON and strings at both inference routes always
//! get a JSON 2xx or 4xx, and the service stays live. A failure prints the
//! minimal input and proptest's seed so it can be replayed.

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::{Service, client, get_json};

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

/// Bodies near the real shape: the right field name with odd values.
fn near_valid() -> impl Strategy<Value = Value> {
    (prop_oneof![Just("input"), Just("inputs")], arb_json(), any::<bool>(), arb_json())
        .prop_map(|(field, value, truncate, extra)| json!({ field: value, "truncate": truncate, "extra": extra }))
}

fn check(path: &str, body: Vec<u8>) -> Result<(), TestCaseError> {
    let r = client()
        .post(Service::shared().url(path))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .map_err(|e| TestCaseError::fail(format!("transport error: {e}")))?;
    let status = r.status().as_u16();
    let text = r.text().unwrap_or_default();
    prop_assert!((200..500).contains(&status), "{path} answered {status}: {text}");
    let parsed: Result<Value, _> = serde_json::from_str(&text);
    prop_assert!(parsed.is_ok(), "{path} answered {status} with non-JSON: {text}");
    if status >= 400 {
        let v = parsed.unwrap();
        prop_assert!(
            v["error"]["message"].is_string(),
            "{path} {status} without error.message: {text}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_never_breaks_the_routes(body in arb_json()) {
        let bytes = serde_json::to_vec(&body).unwrap();
        check("/v1/embeddings", bytes.clone())?;
        check("/embed", bytes)?;
    }

    #[test]
    fn near_valid_bodies_never_break_the_routes(body in near_valid()) {
        let bytes = serde_json::to_vec(&body).unwrap();
        check("/v1/embeddings", bytes.clone())?;
        check("/embed", bytes)?;
    }

    #[test]
    fn garbage_bytes_never_break_the_routes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        check("/v1/embeddings", bytes.clone())?;
        check("/embed", bytes)?;
    }
}

#[test]
fn deep_nesting_and_huge_strings_are_refused_cleanly() {
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    check("/embed", format!("{{\"inputs\": {deep}}}").into_bytes()).unwrap();
    let huge_word = format!("{{\"input\": \"{}\"}}", "x".repeat(1_000_000));
    check("/v1/embeddings", huge_word.into_bytes()).unwrap();
    let (status, _) = get_json(&Service::shared().url("/health/live"));
    assert_eq!(status, 200, "the service must stay live");
}
