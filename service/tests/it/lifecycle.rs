//! Start-up, readiness, liveness, back-pressure, shutdown and the CLI's exit codes.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Service, client, error_code, get_json, model_dir, post_json};

#[test]
fn readiness_is_503_with_a_reason_until_warm_up_passes() {
    // Each forward pass is held 800 ms, so the warm-up stays observable.
    let s = Service::start(&["--debug-batch-delay", "800ms"]);
    let (status, body) = get_json(&s.url("/health/ready"));
    assert_eq!(status, 503, "{body}");
    assert!(body["reason"].as_str().is_some_and(|r| !r.is_empty()), "{body}");
    let (status, _) = get_json(&s.url("/health/startup"));
    assert_eq!(status, 200, "startup answers 200 as soon as the process serves");
    let (status, body) = post_json(&s.url("/embed"), &json!({"inputs": "too early"}));
    if status != 200 {
        assert_eq!((status, error_code(&body).as_str()), (503, "not_ready"));
    }
    s.wait_ready(Duration::from_secs(60));
}

#[test]
fn sigterm_flips_readiness_and_lets_in_flight_requests_finish() {
    let mut s = Service::start(&["--debug-batch-delay", "1500ms", "--shutdown-delay", "1s"]);
    s.wait_ready(Duration::from_secs(60));
    let url = s.url("/v1/embeddings");
    let in_flight = std::thread::spawn(move || post_json(&url, &json!({"input": "in flight"})));
    std::thread::sleep(Duration::from_millis(300));
    s.signal(libc::SIGTERM);
    let signalled = Instant::now();
    let mut flipped = None;
    while signalled.elapsed() < Duration::from_secs(1) {
        if let Ok(r) = client().get(s.url("/health/ready")).send()
            && r.status() == 503
        {
            flipped = Some(signalled.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(flipped.is_some(), "readiness did not turn 503 within 1s of SIGTERM");
    let (status, body) = in_flight.join().unwrap();
    assert_eq!(status, 200, "the in-flight request must complete: {body}");
    let exit = s.wait_exit(Duration::from_secs(20));
    assert_eq!(exit.code(), Some(0), "logs: {:?}", s.logs());
}

#[test]
fn sigint_also_shuts_down_cleanly() {
    let mut s = Service::start(&["--shutdown-delay", "0s"]);
    s.wait_ready(Duration::from_secs(60));
    s.signal(libc::SIGINT);
    assert_eq!(s.wait_exit(Duration::from_secs(20)).code(), Some(0));
}

#[test]
fn liveness_fails_only_while_the_worker_is_stuck() {
    let s = Service::start(&["--debug-batch-delay", "2s", "--liveness-timeout", "300ms"]);
    s.wait_ready(Duration::from_secs(60));
    assert_eq!(get_json(&s.url("/health/live")).0, 200);
    let url = s.url("/embed");
    let busy = std::thread::spawn(move || post_json(&url, &json!({"inputs": "slow"})));
    std::thread::sleep(Duration::from_millis(900));
    let (status, body) = get_json(&s.url("/health/live"));
    assert_eq!(status, 503, "{body}");
    assert!(body["reason"].as_str().unwrap().contains("no progress"), "{body}");
    assert_eq!(busy.join().unwrap().0, 200);
    assert_eq!(get_json(&s.url("/health/live")).0, 200);
}

#[test]
fn a_full_queue_answers_429_at_once() {
    let s = Service::start(&[
        "--debug-batch-delay",
        "1s",
        "--max-concurrent-requests",
        "1",
        "--max-batch-size",
        "1",
    ]);
    s.wait_ready(Duration::from_secs(60));
    let handles: Vec<_> = (0..5)
        .map(|i| {
            let url = s.url("/embed");
            std::thread::spawn(move || {
                let started = Instant::now();
                let (status, body) = post_json(&url, &json!({"inputs": format!("request {i}")}));
                (status, body, started.elapsed())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let refused: Vec<_> = results.iter().filter(|(s, _, _)| *s == 429).collect();
    assert!(!refused.is_empty(), "expected some 429s: {results:?}");
    for (_, body, took) in &refused {
        assert_eq!(error_code(body), "overloaded");
        assert!(*took < Duration::from_millis(900), "a 429 must come at once, took {took:?}");
    }
    assert!(results.iter().all(|(s, _, _)| *s == 200 || *s == 429), "{results:?}");
}

fn serve_with(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gauntlet-service"))
        .arg("serve")
        .args(["--port", "0", "--host", "127.0.0.1"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn config_errors_exit_2_naming_the_setting() {
    let model = model_dir();
    let model = model.to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["--model-dir", "/nonexistent/model"], "--model-dir"),
        (&["--model-dir", model, "--device", "cuda:0"], "--device cuda:0"),
        (&["--model-dir", model, "--max-input-tokens", "9999"], "--max-input-tokens"),
        (&["--model-dir", model, "--device", "tpu"], "--device"),
    ];
    for (args, named) in cases {
        if args.contains(&"cuda:0") && cfg!(feature = "cuda") {
            continue;
        }
        let out = serve_with(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(named), "{args:?}: stderr should name {named}: {stderr}");
    }
}

#[test]
fn probe_exits_0_on_2xx_and_1_otherwise() {
    let s = Service::shared();
    let probe = |url: &str| {
        Command::new(env!("CARGO_BIN_EXE_gauntlet-service"))
            .args(["probe", url])
            .status()
            .unwrap()
            .code()
    };
    assert_eq!(probe(&s.url("/health/ready")), Some(0));
    assert_eq!(probe(&s.url("/no/such/route")), Some(1));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    assert_eq!(probe(&format!("http://{closed}/health/ready")), Some(1));
}

#[test]
fn gpu_subcommand_prints_a_report() {
    let out = Command::new(env!("CARGO_BIN_EXE_gauntlet-service")).arg("gpu").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["available"].is_boolean(), "{report}");
}

/// Reads one un-labelled sample from the Prometheus text.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

#[test]
fn concurrent_requests_share_forward_passes() {
    // The first request holds the worker for 700 ms; the others queue meanwhile
    // and must then go through together.
    let s = Service::start(&["--debug-batch-delay", "700ms"]);
    s.wait_ready(Duration::from_secs(60));
    let before = client().get(s.url("/metrics")).send().unwrap().text().unwrap();
    let passes_before = metric(&before, "gauntlet_batch_size_count");
    let first = {
        let url = s.url("/embed");
        std::thread::spawn(move || post_json(&url, &json!({"inputs": "first"})))
    };
    std::thread::sleep(Duration::from_millis(200));
    let queued: Vec<_> = (0..4)
        .map(|i| {
            let url = s.url("/embed");
            std::thread::spawn(move || post_json(&url, &json!({"inputs": format!("queued {i}")})))
        })
        .collect();
    assert_eq!(first.join().unwrap().0, 200);
    for q in queued {
        assert_eq!(q.join().unwrap().0, 200);
    }
    let after = client().get(s.url("/metrics")).send().unwrap().text().unwrap();
    let passes = metric(&after, "gauntlet_batch_size_count") - passes_before;
    assert!(
        passes <= 2.0,
        "5 requests took {passes} forward passes; the 4 queued ones should share one"
    );
}
