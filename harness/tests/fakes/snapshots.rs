//! The snapshot family proven on the fake: a snapshot taken of the well-behaved
//! fake passes, and each fault that changes an answer fails with the line that
//! moved; a missing snapshot fails and says how to review it.

use std::path::Path;

use gauntlet::target::UrlTarget;
use gauntlet::{Outcome, Profile, Target, checks};

use crate::broken::{Fault, serve};

/// Writes the well-behaved fake's answer to `id` as a reviewed snapshot in `dir`.
fn accept_good_answer(id: &str, dir: &Path) {
    let target = UrlTarget::connect(&serve(Fault::None)).unwrap();
    let profile = crate::common::reference();
    let capture = checks::capture_snapshot(id, target.http().unwrap(), &profile)
        .unwrap()
        .unwrap_or_else(|missed| panic!("{id}: {missed:?}"));
    let snap = format!(
        "---\nsource: harness/tests/fakes/snapshots.rs\ndescription: \"{}\"\n---\n{}\n",
        capture.requests.replace('"', "\\\"").replace('\n', " "),
        checks::render_snapshot(&capture)
    );
    std::fs::write(dir.join(format!("{id}.snap")), snap).unwrap();
}

fn judge(id: &str, fault: Fault, dir: &Path) -> Outcome {
    let target = UrlTarget::connect(&serve(fault)).unwrap();
    let profile = Profile { snapshots: Some(dir.to_owned()), ..crate::common::reference() };
    let check = checks::catalog().into_iter().find(|c| c.id == id).unwrap();
    check.judge(&target, &profile)
}

/// Asserts `id` passes against its own snapshot of the good fake and fails on
/// `fault` with a message containing `says`.
fn proves(id: &str, fault: Fault, says: &str) {
    let dir = tempfile::tempdir().unwrap();
    accept_good_answer(id, dir.path());
    match judge(id, Fault::None, dir.path()) {
        Outcome::Pass(_) => {}
        other => panic!("{id} should match its own snapshot: {other:?}"),
    }
    match judge(id, fault, dir.path()) {
        Outcome::Fail(m) => {
            assert!(m.contains(says), "{id}: `{m}` should mention `{says}`");
            assert!(m.contains("cargo insta review"), "{m}");
        }
        other => panic!("{id} should fail on {fault:?}: {other:?}"),
    }
}

/// A profile's relative snapshot folder is the current directory's (tests run
/// in `harness/`), not a folder beside the check's source file.
#[test]
fn a_relative_snapshot_folder_is_read_from_the_current_directory() {
    let root = tempfile::tempdir_in(".").unwrap();
    let name = root.path().file_name().unwrap().to_owned();
    accept_good_answer("snapshot.info", root.path());
    match judge("snapshot.info", Fault::None, Path::new(&name)) {
        Outcome::Pass(evidence) => assert!(evidence.contains(name.to_str().unwrap()), "{evidence}"),
        other => panic!("a relative folder must be found from the current directory: {other:?}"),
    }
}

#[test]
fn openai_snapshot_catches_vectors_that_moved() {
    proves("snapshot.embeddings", Fault::Unnormalized, "\"norm\": 3.0");
}

#[test]
fn tei_snapshot_catches_vectors_that_moved() {
    proves("snapshot.embed", Fault::BatchDependent, "the snapshot has");
}

#[test]
fn info_snapshot_catches_a_changed_field() {
    proves("snapshot.info", Fault::WrongDimension, "\"dimension\": 65");
}

#[test]
fn health_snapshot_catches_a_changed_body() {
    proves("snapshot.health", Fault::HealthWrongShape, "\"ok\": true");
}

#[test]
fn errors_snapshot_catches_a_changed_status() {
    proves("snapshot.errors", Fault::ErrorsNotJson, "\"boom\"");
}

#[test]
fn metrics_snapshot_catches_a_missing_family() {
    proves("snapshot.metrics", Fault::MetricsMissingSeries, "gauntlet_batch_size histogram");
}

#[test]
fn a_missing_snapshot_fails_and_says_how_to_review() {
    let dir = tempfile::tempdir().unwrap();
    match judge("snapshot.info", Fault::None, dir.path()) {
        Outcome::Fail(m) => assert!(m.contains("no reviewed snapshot at"), "{m}"),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn snapshot_checks_are_not_applicable_without_a_snapshot_folder() {
    let target = UrlTarget::connect(&serve(Fault::None)).unwrap();
    let profile = Profile::built_in("openai-compatible").unwrap();
    let check = checks::catalog().into_iter().find(|c| c.id == "snapshot.info").unwrap();
    match check.judge(&target, &profile) {
        Outcome::NotApplicable(why) => assert!(why.contains("names no snapshot folder"), "{why}"),
        other => panic!("expected not applicable, got {other:?}"),
    }
}
