//! Each check against the fake: it passes on the well-behaved one and fails, with
//! a message that says what was seen, on the broken one.

use gauntlet::target::UrlTarget;
use gauntlet::{Check, Outcome, checks};

use crate::broken::{Fault, MAX_BATCH, serve};

fn check(id: &str) -> Check {
    checks::catalog().into_iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no check {id}"))
}

fn judge(id: &str, fault: Fault) -> Outcome {
    let target = UrlTarget::connect(&serve(fault)).expect("the fake is reachable");
    let mut profile = crate::common::reference();
    // Short bursts keep the load checks quick here.
    profile.thresholds.load_duration = std::time::Duration::from_millis(600);
    // The fake's own limits: a batch of 8, and no request needs more than 2 s.
    profile.thresholds.max_batch = MAX_BATCH;
    profile.thresholds.request_timeout = std::time::Duration::from_secs(2);
    profile.reference_vectors = Some(crate::broken::reference_vectors());
    check(id).judge(&target, &profile)
}

/// Asserts `id` passes on a good fake and fails on `fault` with a message containing `says`.
fn proves(id: &str, fault: Fault, says: &str) {
    proves_under(judge, id, fault, says)
}

/// [`proves`] with `judge` choosing the profile.
fn proves_under(judge: fn(&str, Fault) -> Outcome, id: &str, fault: Fault, says: &str) {
    match judge(id, Fault::None) {
        Outcome::Pass(_) => {}
        other => panic!("{id} should pass on a well-behaved service: {other:?}"),
    }
    match judge(id, fault) {
        Outcome::Fail(message) => {
            assert!(message.contains(says), "{id}: `{message}` should mention `{says}`")
        }
        other => panic!("{id} should fail on {fault:?}: {other:?}"),
    }
}

#[test]
fn startup_probe_catches_a_500() {
    proves("probe.startup.ok", Fault::StartupFails, "answered 500");
}

#[test]
fn ready_probe_catches_a_503() {
    proves("probe.ready.ok", Fault::ReadyFails, "answered 503");
}

#[test]
fn live_probe_catches_a_503() {
    proves("probe.live.ok", Fault::LiveFails, "answered 503");
}

#[test]
fn unit_norm_catches_unnormalized_vectors() {
    proves("embeddings.unit-norm", Fault::Unnormalized, "norm 3.0");
}

#[test]
fn matches_reference_catches_vectors_that_carry_other_meaning() {
    proves(
        "embeddings.matches-reference",
        Fault::Unsemantic,
        "disagrees with sentence-transformers'",
    );
}

#[test]
fn matches_reference_needs_vectors_for_the_model() {
    let target = UrlTarget::connect(&serve(Fault::None)).expect("the fake is reachable");
    let mut profile = crate::common::reference();
    profile.model = Some("some/other-model".into());
    match check("embeddings.matches-reference").judge(&target, &profile) {
        Outcome::NotApplicable(why) => assert!(why.contains("set `reference_vectors`"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn determinism_catches_noise() {
    proves("embeddings.determinism", Fault::Noise, "cosine");
}

#[test]
fn batch_invariance_catches_batch_dependent_vectors() {
    proves("embeddings.batch-invariance", Fault::BatchDependent, "alone and in a batch");
}

#[test]
fn semantic_catches_meaningless_vectors() {
    proves("embeddings.semantic", Fault::Unsemantic, "not closer");
}

#[test]
fn dimension_catches_a_mismatch_with_info() {
    proves("embeddings.dimension", Fault::WrongDimension, "but /info reports 65");
}

#[test]
fn openai_schema_catches_a_missing_usage() {
    proves("api.embeddings.schema", Fault::MissingUsage, "usage");
}

#[test]
fn tei_schema_catches_an_object_instead_of_vectors() {
    proves("api.embed.schema", Fault::TeiWrongShape, "breaks its schema");
}

#[test]
fn health_schema_catches_a_body_without_status() {
    proves("api.health.schema", Fault::HealthWrongShape, "status");
}

#[test]
fn errors_schema_catches_a_500_on_malformed_json() {
    proves("api.errors.schema", Fault::ErrorsNotJson, "malformed JSON answered 500");
}

#[test]
fn info_schema_catches_a_wrong_field_type() {
    proves("api.info.schema", Fault::InfoWrongShape, "/dimension");
}

#[test]
fn metrics_check_catches_a_missing_series() {
    proves("api.metrics.series", Fault::MetricsMissingSeries, "gauntlet_batch_size_bucket");
}

#[test]
fn openapi_check_catches_drift_and_names_where() {
    proves("api.openapi.matches", Fault::OpenapiDrift, "/info/version");
}

#[test]
fn load_burst_catches_server_errors() {
    proves("load.burst", Fault::Flaky, "error rate");
}

#[test]
fn live_under_load_catches_liveness_that_fails_when_busy() {
    proves("probe.live.under-load", Fault::LiveFailsUnderLoad, "liveness failed");
}

#[test]
fn fuzz_catches_a_500_on_garbage_and_prints_the_seed() {
    proves("fuzz.openai.bodies", Fault::ErrorsNotJson, "GAUNTLET_FUZZ_SEED=");
    proves("fuzz.tei.bodies", Fault::ErrorsNotJson, "answered 500");
}

#[test]
fn models_list_catches_a_missing_model() {
    proves("api.models.list", Fault::ModelsWrong, "not \"all-MiniLM-L6-v2\"");
}

#[test]
fn base64_catches_an_ignored_format_and_the_wrong_byte_order() {
    proves("api.embeddings.base64", Fault::Base64Ignored, "the format was ignored");
    proves("api.embeddings.base64", Fault::Base64BigEndian, "differs from the float answer");
}

#[test]
fn dimensions_catches_an_ignored_request() {
    proves("api.embeddings.dimensions", Fault::DimensionsIgnored, "dimensions 32 was ignored");
}

#[test]
fn index_usage_catches_wrong_indexes() {
    proves("api.embeddings.index-usage", Fault::IndexWrong, "not each of 0..3 once");
    proves("api.embeddings.index-usage", Fault::MissingUsage, "does not count the batch");
}

#[test]
fn usage_tokens_catches_a_count_of_characters() {
    proves("api.embeddings.usage-tokens", Fault::UsageCharacters, "it counts characters");
}

#[test]
fn batch_limit_catches_a_500_one_over_the_limit() {
    proves("api.embeddings.batch-limit", Fault::BatchLimit500, "one over max_batch) answered 500");
}

#[test]
fn empty_string_catches_a_500() {
    proves("api.embeddings.empty-string", Fault::EmptyString500, "the empty string answered 500");
}

#[test]
fn bounded_catches_a_request_that_hangs() {
    proves("api.embeddings.bounded", Fault::LongInputHangs, "no answer within the request timeout");
}

#[test]
fn openai_error_shape_catches_fastapi_errors() {
    proves("api.errors.openai-shape", Fault::ErrorsFastApi, "{\"detail\"");
}

#[test]
fn ready_serves_catches_readiness_over_dead_inference() {
    proves("probe.ready.serves", Fault::InferenceDead, "answers 200 while inference fails");
}

#[test]
fn fuzz_reports_other_error_shapes_without_failing() {
    match judge("fuzz.openai.bodies", Fault::ErrorsFastApi) {
        Outcome::Pass(evidence) => {
            assert!(evidence.contains("not in OpenAI's error shape"), "{evidence}")
        }
        other => {
            panic!("a FastAPI-shaped refusal is a SHOULD matter, not a fuzz failure: {other:?}")
        }
    }
}

#[test]
fn a_route_the_profile_does_not_serve_is_not_applicable() {
    let target = UrlTarget::connect(&serve(Fault::None)).expect("the fake is reachable");
    let mut profile = crate::common::reference();
    profile.routes.remove(&gauntlet::profile::Route::Models);
    match check("api.models.list").judge(&target, &profile) {
        Outcome::NotApplicable(why) => assert!(why.contains("names no `models` route"), "{why}"),
        other => panic!("expected not applicable, got {other:?}"),
    }
}

/// `judge` under the open-inference-v2 profile.
fn judge_v2(id: &str, fault: Fault) -> Outcome {
    let target = UrlTarget::connect(&serve(fault)).expect("the fake is reachable");
    let mut profile =
        gauntlet::Profile::load_with("open-inference-v2", &["model=all-MiniLM-L6-v2".into()])
            .unwrap();
    profile.thresholds.request_timeout = std::time::Duration::from_secs(2);
    check(id).judge(&target, &profile)
}

/// [`proves`] under the open-inference-v2 profile.
fn proves_v2(id: &str, fault: Fault, says: &str) {
    proves_under(judge_v2, id, fault, says)
}

#[test]
fn v2_health_catches_live_false() {
    proves_v2("api.v2.health", Fault::V2LiveFalse, "neither empty nor {\"live\": true}");
}

#[test]
fn v2_server_catches_missing_version() {
    proves_v2("api.v2.server", Fault::V2ServerNoVersion, "version");
}

#[test]
fn v2_model_catches_a_misnamed_model() {
    proves_v2("api.v2.model", Fault::V2ModelMisnamed, "names the model \"other\"");
}

#[test]
fn v2_infer_catches_an_output_unlike_the_metadata_and_a_dropped_id() {
    proves_v2("api.v2.infer", Fault::V2OutputMismatch, "the metadata advertises \"FP64\"");
    proves_v2("api.v2.infer", Fault::V2IdDropped, "came back as \"made-up\"");
}

#[test]
fn v2_errors_catches_fastapi_errors() {
    proves_v2("api.v2.errors", Fault::V2ErrorsFastApi, "answered 422 {\"detail\"");
}

#[test]
fn v2_bounded_catches_a_500() {
    proves_v2("api.v2.bounded", Fault::V2LongInput500, "answered 500");
}

#[test]
fn the_embeddings_family_runs_through_the_infer_route() {
    for id in ["embeddings.unit-norm", "embeddings.semantic", "embeddings.batch-invariance"] {
        match judge_v2(id, Fault::None) {
            Outcome::Pass(_) => {}
            other => panic!("{id} through /v2 infer: {other:?}"),
        }
    }
    match judge_v2("embeddings.unit-norm", Fault::Unnormalized) {
        Outcome::Fail(message) => assert!(message.contains("norm 3.0"), "{message}"),
        other => panic!("{other:?}"),
    }
}

/// `judge` under the tei profile, on the fake's TEI routes.
fn judge_tei(id: &str, fault: Fault) -> Outcome {
    let target = UrlTarget::connect(&serve(fault)).expect("the fake is reachable");
    let sets = ["route_prefix=/tei".into(), "readiness_path=/tei/health".into()];
    let mut profile = gauntlet::Profile::load_with("tei", &sets).unwrap();
    profile.thresholds.max_batch = MAX_BATCH;
    profile.thresholds.request_timeout = std::time::Duration::from_secs(5);
    profile.reference_vectors = Some(crate::broken::reference_vectors());
    check(id).judge(&target, &profile)
}

/// [`proves`] under the tei profile.
fn proves_tei(id: &str, fault: Fault, says: &str) {
    proves_under(judge_tei, id, fault, says)
}

#[test]
fn tei_normalize_catches_unit_failures_and_a_raw_vector_elsewhere() {
    proves_tei("api.tei.normalize", Fault::Unnormalized, "norm 3.0");
    proves_tei("api.tei.normalize", Fault::TeiRawElsewhere, "not the same direction");
}

#[test]
fn tei_truncate_catches_an_ignored_truncate() {
    proves_tei("api.tei.truncate", Fault::TeiTruncateIgnored, "with truncate true");
}

#[test]
fn tei_embed_all_catches_pooled_vectors() {
    proves_tei("api.tei.embed-all", Fault::TeiEmbedAllPooled, "without one list of token vectors");
}

#[test]
fn tei_info_catches_a_missing_field() {
    proves_tei("api.tei.info", Fault::TeiInfoIncomplete, "max_input_length");
}

#[test]
fn tei_tokenize_catches_offsets_past_the_input() {
    proves_tei("api.tei.tokenize", Fault::TeiTokenizeOffsets, "outside the");
}

#[test]
fn tei_errors_catches_another_error_shape() {
    proves_tei("api.tei.errors", Fault::TeiErrorsOpenAi, "not refused in TEI's error shape");
}

#[test]
fn tei_metrics_are_its_own_series() {
    proves_tei("api.metrics.series", Fault::MetricsMissingSeries, "te_embed_count");
}

#[test]
fn the_tei_profile_passes_on_a_server_that_keeps_teis_contract() {
    let profile = gauntlet::Profile::built_in("tei").unwrap();
    for check in checks::catalog().iter().filter(|c| profile.selects(c.id)) {
        match judge_tei(check.id, Fault::None) {
            Outcome::Pass(_) => {}
            // A URL cannot be restarted; those checks are proven on recordings.
            Outcome::NotApplicable(why) if why.contains("lacks the capability `signals`") => {}
            other => panic!("{} on a well-behaved TEI: {other:?}", check.id),
        }
    }
}

#[test]
fn version_catches_a_missing_version() {
    proves("api.version.reported", Fault::VersionMissing, "without a non-empty string `version`");
}

#[test]
fn startup_transitions_are_not_applicable_on_a_url_target() {
    match judge("probe.ready.transitions", Fault::None) {
        Outcome::NotApplicable(why) => assert!(why.contains("startup-observed"), "{why}"),
        other => panic!("expected not applicable, got {other:?}"),
    }
}

#[test]
fn every_check_in_the_catalog_is_proven_here() {
    // probe.ready.transitions and probe.ready.time-to-ready are proven on recorded
    // transcripts in their unit tests, probe.ready.sigterm and
    // probe.restart.after-kill in `lifecycle`, the snapshot family in `snapshots`,
    // the image family in the docker tier's `images`, the runtime family in its `faults`
    // test binary.
    let proven = [
        "api.embed.schema",
        "api.embeddings.base64",
        "api.embeddings.batch-limit",
        "api.embeddings.bounded",
        "api.embeddings.dimensions",
        "api.embeddings.empty-string",
        "api.embeddings.index-usage",
        "api.embeddings.schema",
        "api.embeddings.usage-tokens",
        "api.errors.openai-shape",
        "api.errors.schema",
        "api.health.schema",
        "api.info.schema",
        "api.metrics.series",
        "api.models.list",
        "api.openapi.matches",
        "api.tei.embed-all",
        "api.tei.errors",
        "api.tei.info",
        "api.tei.normalize",
        "api.tei.tokenize",
        "api.tei.truncate",
        "api.v2.bounded",
        "api.v2.errors",
        "api.v2.health",
        "api.v2.infer",
        "api.v2.model",
        "api.v2.server",
        "api.version.reported",
        "embeddings.batch-invariance",
        "embeddings.determinism",
        "embeddings.dimension",
        "embeddings.matches-reference",
        "embeddings.semantic",
        "embeddings.unit-norm",
        "fuzz.openai.bodies",
        "fuzz.openapi.accepts-valid",
        "fuzz.openapi.refuses-invalid",
        "fuzz.tei.bodies",
        // The GPU family is proven in `gpu.rs` against a recorded H100 standing in
        // for this host, and gpu.container.isolated in the docker tier's `faults.rs`.
        "gpu.container.isolated",
        "gpu.host.nvml",
        "gpu.inference.device",
        "gpu.inference.matches-cpu",
        "gpu.inference.memory",
        "gpu.kube.devices",
        "gpu.service.visible",
        "gpu.throughput.batch",
        "image.entrypoint.no-shell",
        "image.healthcheck.present",
        "image.labels.oci",
        "image.port.matches",
        "image.secrets.none",
        "image.size.budget",
        "image.user.non-root",
        // Proven in `kube.rs` on fixture object states.
        "kube.pods.stable",
        "kube.rollout.complete",
        "load.burst",
        // The manifest family is proven in `cross.rs` (and the container run in
        // the docker tier's `faults.rs`).
        "manifest.memory.headroom",
        "manifest.port.matches",
        "manifest.probes.readiness-drains",
        "manifest.probes.served",
        "manifest.startup.budget",
        "manifest.user.matches",
        "probe.live.ok",
        "probe.live.under-load",
        // Proven in probes.rs on recorded polls and timings: the fakes cannot be restarted.
        "probe.live.while-loading",
        "probe.ready.ok",
        "probe.ready.serves",
        "probe.ready.sigterm",
        "probe.ready.time-to-ready",
        "probe.ready.transitions",
        "probe.ready.warm",
        "probe.restart.after-kill",
        "probe.startup.ok",
        "runtime.hardened.ready",
        "runtime.healthcheck.passing",
        "runtime.logs.json",
        "runtime.memory.under-load",
        "runtime.stop.drains",
        "snapshot.embed",
        "snapshot.embeddings",
        "snapshot.errors",
        "snapshot.health",
        "snapshot.info",
        "snapshot.metrics",
    ];
    let ids: Vec<&str> = checks::catalog().iter().map(|c| c.id).collect();
    assert_eq!(ids, proven, "a check was added without a test that shows it failing");
}

/// A profile that holds the fake to its own OpenAPI document.
fn judge_by_document(id: &str, fault: Fault) -> Outcome {
    let target = UrlTarget::connect(&serve(fault)).expect("the fake is reachable");
    let profile = gauntlet::Profile::load_with(
        "openai-compatible",
        &["routes.openapi=/fake/openapi.json".into(), format!("model={}", crate::broken::MODEL)],
    )
    .expect("the profile loads");
    check(id).judge(&target, &profile)
}

#[test]
fn document_driven_fuzz_catches_a_mistyped_body_embedded() {
    proves_under(
        judge_by_document,
        "fuzz.openapi.refuses-invalid",
        Fault::AcceptsMistyped,
        "for `dimensions` ({\"dimensions\"",
    );
}

#[test]
fn document_driven_fuzz_catches_an_allowed_property_refused() {
    proves_under(
        judge_by_document,
        "fuzz.openapi.accepts-valid",
        Fault::RefusesUser,
        "every property set",
    );
}
