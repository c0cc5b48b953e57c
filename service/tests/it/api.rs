//! The success paths of every route.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::support::{Service, client, floats, get_json, post_json, repo_file};

#[test]
fn openai_embeddings_answer_in_openai_shape() {
    let s = Service::shared();
    let (status, body) =
        post_json(&s.url("/v1/embeddings"), &json!({"input": ["Hello world.", "Ok."]}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "list");
    assert_eq!(body["model"], "all-MiniLM-L6-v2");
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    for (i, item) in data.iter().enumerate() {
        assert_eq!(item["object"], "embedding");
        assert_eq!(item["index"], i);
        let v = floats(&item["embedding"]);
        assert_eq!(v.len(), 384);
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    }
    let usage = &body["usage"];
    assert_eq!(usage["prompt_tokens"], usage["total_tokens"]);
    // "Hello world." is [CLS] hello world . [SEP] and "Ok." is [CLS] ok . [SEP].
    assert_eq!(usage["prompt_tokens"], 9);
}

#[test]
fn base64_encoding_carries_the_same_floats() {
    let s = Service::shared();
    let (_, plain) = post_json(&s.url("/v1/embeddings"), &json!({"input": "base64 check"}));
    let (status, b64) = post_json(
        &s.url("/v1/embeddings"),
        &json!({"input": "base64 check", "encoding_format": "base64", "model": "any", "user": "u1"}),
    );
    assert_eq!(status, 200, "{b64}");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64["data"][0]["embedding"].as_str().unwrap())
        .unwrap();
    let decoded: Vec<f32> =
        bytes.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    assert_eq!(decoded, floats(&plain["data"][0]["embedding"]));
}

#[test]
fn dimensions_equal_to_the_model_size_are_accepted() {
    let s = Service::shared();
    let (status, body) =
        post_json(&s.url("/v1/embeddings"), &json!({"input": "x y", "dimensions": 384}));
    assert_eq!(status, 200, "{body}");
}

#[test]
fn models_lists_the_served_model_in_openai_shape() {
    let s = Service::shared();
    let (status, body) = get_json(&s.url("/v1/models"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "list");
    assert_eq!(body["data"][0]["id"], "all-MiniLM-L6-v2");
    assert_eq!(body["data"][0]["object"], "model");
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
}

#[test]
fn version_names_the_service_version() {
    let (status, body) = get_json(&Service::shared().url("/version"));
    assert_eq!((status, body), (200, json!({"version": env!("CARGO_PKG_VERSION")})));
}

#[test]
fn null_options_mean_unset_as_the_document_says() {
    let s = Service::shared();
    let (status, body) =
        post_json(&s.url("/v1/embeddings"), &json!({"input": "x", "dimensions": null}));
    assert_eq!(status, 200, "{body}");
    let (status, body) = post_json(
        &s.url("/embed"),
        &json!({"inputs": "x", "truncation_direction": null, "truncate": null, "normalize": null}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = post_json(
        &s.url("/v1/embeddings"),
        &json!({"input": "x", "truncate": null, "encoding_format": null, "model": null}),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn tei_embed_answers_an_array_of_vectors() {
    let s = Service::shared();
    let (status, body) = post_json(&s.url("/embed"), &json!({"inputs": ["one", "two", "three"]}));
    assert_eq!(status, 200, "{body}");
    let vectors = body.as_array().unwrap();
    assert_eq!(vectors.len(), 3);
    assert!(vectors.iter().all(|v| floats(v).len() == 384));
    let (_, raw) = post_json(&s.url("/embed"), &json!({"inputs": "one", "normalize": false}));
    let v = floats(&raw[0]);
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() > 1e-3, "normalize:false should keep the raw norm, got {norm}");
}

#[test]
fn info_describes_model_device_and_limits() {
    let (status, info) = get_json(&Service::shared().url("/info"));
    assert_eq!(status, 200);
    assert_eq!(info["dimension"], 384);
    assert_eq!(info["max_input_tokens"], 256);
    assert_eq!(info["pooling"], "mean");
    assert_eq!(info["device"], "cpu");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["ready"], true);
    assert_eq!(info["limits"]["max_batch_size"], 32);
}

#[test]
fn served_openapi_is_the_committed_file() {
    let served: Value =
        client().get(Service::shared().url("/openapi.json")).send().unwrap().json().unwrap();
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(repo_file("schemas/openapi.json")).unwrap())
            .unwrap();
    assert_eq!(served, committed, "the served /openapi.json differs from schemas/openapi.json");
    assert_eq!(served["openapi"], "3.1.0");
}

#[test]
fn metrics_carry_the_required_series() {
    let s = Service::shared();
    let _ = post_json(&s.url("/embed"), &json!({"inputs": "metrics"}));
    let text = client().get(s.url("/metrics")).send().unwrap().text().unwrap();
    for series in [
        "gauntlet_http_requests_total{route=\"/embed\",method=\"POST\",status=\"200\"}",
        "gauntlet_http_request_duration_seconds_bucket{route=\"/embed\",le=\"+Inf\"}",
        "gauntlet_queue_depth ",
        "gauntlet_batch_size_bucket{le=\"1\"}",
        "gauntlet_tokens_total ",
        "gauntlet_model_load_seconds ",
        "gauntlet_inference_errors_total 0",
    ] {
        assert!(text.contains(series), "missing {series} in\n{text}");
    }
}

#[test]
fn gpu_report_is_never_a_server_error() {
    let (status, report) = get_json(&Service::shared().url("/gpu"));
    assert_eq!(status, 200);
    match report["available"].as_bool() {
        Some(true) => assert!(!report["devices"].as_array().unwrap().is_empty(), "{report}"),
        Some(false) => {
            assert!(report["reason"].as_str().is_some_and(|r| !r.is_empty()), "{report}")
        }
        None => panic!("`available` missing: {report}"),
    }
}

#[test]
fn health_routes_answer_json() {
    let s = Service::shared();
    for (path, status) in [
        ("/health/startup", "started"),
        ("/health/ready", "ready"),
        ("/health", "ready"),
        ("/health/live", "alive"),
    ] {
        let (code, body) = get_json(&s.url(path));
        assert_eq!((code, body["status"].as_str()), (200, Some(status)), "{path}: {body}");
    }
}

#[test]
fn api_key_guards_inference_routes_only() {
    let s = Service::start(&["--api-key", "s3cret"]);
    s.wait_ready(std::time::Duration::from_secs(60));
    let body = json!({"input": "guarded"});
    let none = client().post(s.url("/v1/embeddings")).json(&body).send().unwrap();
    assert_eq!(none.status(), 401);
    let wrong = client()
        .post(s.url("/embed"))
        .bearer_auth("nope")
        .json(&json!({"inputs": "x"}))
        .send()
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let v: Value = wrong.json().unwrap();
    assert_eq!(crate::support::error_code(&v), "invalid_api_key");
    let good =
        client().post(s.url("/v1/embeddings")).bearer_auth("s3cret").json(&body).send().unwrap();
    assert_eq!(good.status(), 200);
    for open in ["/health/ready", "/metrics", "/info"] {
        assert_eq!(
            client().get(s.url(open)).send().unwrap().status(),
            200,
            "{open} must stay open"
        );
    }
}

#[test]
fn open_inference_protocol_health_and_metadata() {
    let s = Service::shared();
    assert_eq!(get_json(&s.url("/v2/health/live")), (200, json!({"live": true})));
    assert_eq!(get_json(&s.url("/v2/health/ready")), (200, json!({"ready": true})));
    let (status, server) = get_json(&s.url("/v2"));
    assert_eq!(status, 200, "{server}");
    assert_eq!(server["name"], "gauntlet-service");
    assert!(server["extensions"].is_array());
    let (status, model) = get_json(&s.url("/v2/models/all-MiniLM-L6-v2"));
    assert_eq!(status, 200, "{model}");
    assert_eq!(model["inputs"], json!([{"name": "text", "datatype": "BYTES", "shape": [-1]}]));
    assert_eq!(
        model["outputs"],
        json!([{"name": "embedding", "datatype": "FP32", "shape": [-1, 384]}])
    );
    assert_eq!(
        get_json(&s.url("/v2/models/all-MiniLM-L6-v2/ready")),
        (200, json!({"name": "all-MiniLM-L6-v2", "ready": true}))
    );
}

#[test]
fn open_inference_protocol_infer_gives_the_same_vectors_as_the_openai_route() {
    let s = Service::shared();
    let sentences = ["A man is playing a guitar.", "Kubernetes restarts failed pods."];
    let (status, answer) = post_json(
        &s.url("/v2/models/all-MiniLM-L6-v2/infer"),
        &json!({"id": "req-7", "inputs": [{"name": "text", "shape": [2], "datatype": "BYTES", "data": sentences}]}),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["id"], "req-7");
    assert_eq!(answer["model_name"], "all-MiniLM-L6-v2");
    let output = &answer["outputs"][0];
    assert_eq!(
        (output["name"].as_str(), output["datatype"].as_str()),
        (Some("embedding"), Some("FP32"))
    );
    assert_eq!(output["shape"], json!([2, 384]));
    let flat = floats(&output["data"]);
    let (_, openai) = post_json(&s.url("/v1/embeddings"), &json!({"input": sentences}));
    for (i, chunk) in flat.chunks(384).enumerate() {
        assert_eq!(chunk, floats(&openai["data"][i]["embedding"]).as_slice(), "sentence {i}");
    }
    // Nested data of shape [n, 1] is the same tensor.
    let (status, nested) = post_json(
        &s.url("/v2/models/all-MiniLM-L6-v2/infer"),
        &json!({"inputs": [{"name": "text", "shape": [2, 1], "datatype": "BYTES", "data": [[sentences[0]], [sentences[1]]]}]}),
    );
    assert_eq!(status, 200, "{nested}");
    assert_eq!(floats(&nested["outputs"][0]["data"]), flat);
    assert!(nested["id"].as_str().is_some_and(|id| !id.is_empty()), "an id is always given");
}

#[test]
fn open_inference_protocol_errors_are_4xx_in_its_shape() {
    let s = Service::shared();
    let infer = s.url("/v2/models/all-MiniLM-L6-v2/infer");
    let tensor = |name: &str, datatype: &str, shape: Value, data: Value| json!({"inputs": [{"name": name, "datatype": datatype, "shape": shape, "data": data}]});
    let cases = [
        (tensor("args", "BYTES", json!([1]), json!(["x"])), 400, "only input is `text`"),
        (tensor("text", "FP32", json!([1]), json!([1.5])), 400, "datatype"),
        (tensor("text", "BYTES", json!([3]), json!(["a", "b"])), 400, "but 2 data elements"),
        (tensor("text", "BYTES", json!([1]), json!([42])), 400, "must be strings"),
        (tensor("text", "BYTES", json!([1]), json!("bare")), 400, "an array of its strings"),
        (json!({"inputs": []}), 400, "exactly one"),
        (
            json!({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1], "data": ["x"]}], "outputs": [{"name": "logits"}]}),
            400,
            "only output",
        ),
    ];
    for (body, status, says) in cases {
        let (got, answer) = post_json(&infer, &body);
        assert_eq!(got, status, "{body} -> {answer}");
        assert!(answer["error"].as_str().is_some_and(|e| e.contains(says)), "{body} -> {answer}");
    }
    let (status, answer) = get_json(&s.url("/v2/models/nosuch"));
    assert_eq!(status, 404);
    assert!(answer["error"].as_str().is_some_and(|e| e.contains("all-MiniLM-L6-v2")), "{answer}");
    let (status, answer) = post_json(&s.url("/v2/models/nosuch/infer"), &json!({}));
    assert_eq!(status, 404, "{answer}");
    let malformed = client()
        .post(&infer)
        .header("content-type", "application/json")
        .body("{\"inputs\": ")
        .send()
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let body: Value = malformed.json().unwrap();
    assert!(body["error"].is_string(), "{body}");
}
