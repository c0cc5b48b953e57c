//! The reviewed snapshots are complete and nothing else: every `snapshot.*` check of
//! the catalog has its file under `snapshots/reference/`, no file is left over
//! from a check that is gone, and no answer waits for review anywhere under
//! `snapshots/` (a pending `.snap.new` is either a change to review or a test
//! that wrote where it must not). (This test target lives here so that
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

#[test]
fn no_snapshot_is_pending_review() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../snapshots");
    let mut pending = Vec::new();
    let mut folders = vec![root.clone()];
    while let Some(dir) = folders.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            if path.is_dir() {
                folders.push(path);
            } else if name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
                pending.push(path.strip_prefix(&root).unwrap_or(&path).display().to_string());
            }
        }
    }
    pending.sort();
    assert!(
        pending.is_empty(),
        "snapshots pending review under {}: {pending:?}. Run `cargo insta review` to accept or reject \
         them; if a test against a fake wrote them, give that test a temporary snapshot folder",
        root.display()
    );
}
