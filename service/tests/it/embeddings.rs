//! The vectors themselves: agreement with sentence-transformers, batch
//! invariance, determinism and semantic sanity.

use serde_json::{Value, json};

use crate::support::{Service, cosine, floats, post_json, repo_file};

/// The committed reference vectors, made with sentence-transformers by
/// `fixtures/embeddings/generate.py`.
fn expected() -> Vec<(String, usize, Vec<f32>)> {
    let text = std::fs::read_to_string(repo_file("fixtures/embeddings/expected.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["text"].as_str().unwrap().to_owned(),
                i["tokens"].as_u64().unwrap() as usize,
                floats(&i["embedding"]),
            )
        })
        .collect()
}

fn embed(inputs: &[&str]) -> Vec<Vec<f32>> {
    let (status, body) =
        post_json(&Service::shared().url("/v1/embeddings"), &json!({ "input": inputs }));
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().iter().map(|d| floats(&d["embedding"])).collect()
}

#[test]
fn vectors_match_sentence_transformers() {
    let expected = expected();
    assert!(expected.len() >= 20, "the fixture should hold the full sentence list");
    let texts: Vec<&str> = expected.iter().map(|(t, _, _)| t.as_str()).collect();
    let got = embed(&texts);
    for ((text, _, want), got) in expected.iter().zip(&got) {
        let c = cosine(want, got);
        assert!(c >= 0.9999, "cosine {c} < 0.9999 for {text:?}");
    }
}

#[test]
fn token_counts_match_the_reference_tokenizer() {
    for (text, tokens, _) in expected() {
        let (_, body) =
            post_json(&Service::shared().url("/v1/embeddings"), &json!({ "input": text }));
        assert_eq!(body["usage"]["prompt_tokens"], tokens, "{text:?}");
    }
}

#[test]
fn a_sentence_alone_and_in_a_batch_agree() {
    let expected = expected();
    let texts: Vec<&str> = expected.iter().map(|(t, _, _)| t.as_str()).collect();
    let batch = embed(&texts);
    for (text, in_batch) in texts.iter().zip(&batch) {
        let alone = &embed(&[text])[0];
        let c = cosine(alone, in_batch);
        assert!(c >= 0.9999, "cosine {c} between alone and batched for {text:?}");
    }
}

#[test]
fn same_input_gives_the_same_vector() {
    let a = embed(&["Determinism is a feature."]);
    let b = embed(&["Determinism is a feature."]);
    assert_eq!(a, b);
}

#[test]
fn paraphrases_are_closer_than_unrelated_sentences() {
    let v = embed(&[
        "A man is playing a guitar.",
        "Someone is strumming a guitar.",
        "The stock market fell sharply today.",
    ]);
    let para = cosine(&v[0], &v[1]);
    let unrelated = cosine(&v[0], &v[2]);
    assert!(para > unrelated + 0.3, "paraphrase {para} vs unrelated {unrelated}");
}

#[test]
fn native_and_candle_backends_agree() {
    let candle = Service::start(&["--backend", "candle"]);
    candle.wait_ready(std::time::Duration::from_secs(60));
    let (_, info) = crate::support::get_json(&candle.url("/info"));
    assert_eq!(info["backend"], "candle");
    let (_, info) = crate::support::get_json(&Service::shared().url("/info"));
    assert_eq!(info["backend"], "native");
    let expected = expected();
    let texts: Vec<&str> = expected.iter().map(|(t, _, _)| t.as_str()).collect();
    let native = embed(&texts);
    let (status, body) = post_json(&candle.url("/v1/embeddings"), &json!({ "input": texts }));
    assert_eq!(status, 200, "{body}");
    for ((text, n), c) in texts.iter().zip(&native).zip(body["data"].as_array().unwrap()) {
        let c = cosine(n, &floats(&c["embedding"]));
        assert!(c >= 0.99999, "native vs candle cosine {c} for {text:?}");
    }
}
