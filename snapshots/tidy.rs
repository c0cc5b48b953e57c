//! The reviewed snapshots are complete and nothing else: every `snapshot.*` check of
//! the catalog has its file under `snapshots/reference/`, and no file is left over
//! from a check that is gone. (This test target lives here so that
//! `cargo insta review` searches this folder.)

use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn every_snapshot_check_has_a_reviewed_snapshot_and_no_file_is_orphaned() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../snapshots/reference");
    let wanted: BTreeSet<String> = gauntlet::checks::catalog()
        .iter()
        .filter(|c| c.family == gauntlet::Family::Snapshot)
        .map(|c| format!("{}.snap", c.id))
        .collect();
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".snap"))
        .collect();
    let missing: Vec<_> = wanted.difference(&present).collect();
    let orphaned: Vec<_> = present.difference(&wanted).collect();
    assert!(
        missing.is_empty(),
        "no reviewed snapshot for {missing:?} in {}: run `cargo test -p gauntlet-harness --test conformance -- snapshot.` \
         and then `cargo insta review`",
        dir.display()
    );
    assert!(
        orphaned.is_empty(),
        "{orphaned:?} in {} belong to no check: delete them",
        dir.display()
    );
}
