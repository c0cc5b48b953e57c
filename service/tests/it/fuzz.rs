//! Property tests: generated bodies (the harness's fuzz strategy: near-valid,
//! any JSON, raw bytes, deep nesting, huge strings) at both inference routes
//! always get a JSON 2xx or 4xx, and the service stays live. A failure prints the
//! minimal input so it can be replayed.

use proptest::prelude::*;
use serde_json::Value;

use crate::support::{Service, client, get_json};

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
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_bodies_never_break_the_openai_route(body in gauntlet::checks::fuzz_bodies("input")) {
        check("/v1/embeddings", body)?;
    }

    #[test]
    fn generated_bodies_never_break_the_tei_route(body in gauntlet::checks::fuzz_bodies("inputs")) {
        check("/embed", body)?;
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
